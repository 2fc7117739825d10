//! Spark's accumulator rule under faults (issue 12's property): with injected task failures,
//! tasks that fail after adding, and executors killed mid-job, an accumulator updated in an
//! action counts each element exactly once, and one updated in a transformation counts once
//! per computation of its partition (twice for two actions without a cache).

mod common;

use common::context_with;
use proptest::prelude::*;
use sparklet::TaskContext;

/// Whether the running attempt fails on purpose after its updates: some partitions' first
/// attempts, picked by the seed (the scheduler must drop what they added).
fn fail_after_adding(seed: u64) -> bool {
    let ctx = TaskContext::get().expect("inside a task");
    let pick = (seed ^ (ctx.partition_id() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)) % 3 == 0;
    pick && ctx.attempt_number() == 0
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Issue 12: `foreach` counts the elements exactly; a `map` read by two actions without a
    /// cache counts them twice; a `foreach` after a shuffle counts the keys exactly — with
    /// `taskFailureRate` 0.3 and executors killed on `local-cluster[3,1,64]`.
    #[test]
    fn accumulators_count_exactly_under_faults(
        seed in 0u64..1_000_000,
        data in prop::collection::vec(0i64..50, 0..200),
        parts in 1usize..8,
        kill_after in 1usize..8,
        kill_at_step in 0usize..40,
    ) {
        let seed_text = seed.to_string();
        let kill_after = kill_after.to_string();
        let kill_at_step = kill_at_step.to_string();
        let sc = context_with("local-cluster[3,1,64]", &[
            ("sparklet.faults.seed", seed_text.as_str()),
            ("sparklet.faults.taskFailureRate", "0.3"),
            ("sparklet.faults.killExecutorAfterTasks", kill_after.as_str()),
            ("sparklet.faults.killExecutorAtStep", kill_at_step.as_str()),
            ("sparklet.faults.maxExecutorKills", "2"),
        ]);
        let n = data.len() as i64;
        let rdd = sc.parallelize(data.clone(), parts);

        let in_action = sc.long_accumulator("foreach");
        let a = in_action.clone();
        rdd.foreach(move |_| {
            a.add(1);
            if fail_after_adding(seed) {
                panic!("failing after adding, on purpose");
            }
        }).unwrap();
        prop_assert_eq!(in_action.value(), n);

        let in_map = sc.long_accumulator("map");
        let m = in_map.clone();
        let mapped = rdd.map(move |x| {
            m.add(1);
            if fail_after_adding(seed) {
                panic!("failing after adding, on purpose");
            }
            x
        });
        prop_assert_eq!(mapped.count().unwrap() as i64, n);
        prop_assert_eq!(mapped.collect().unwrap().len() as i64, n);
        prop_assert_eq!(in_map.value(), 2 * n);

        let keys = sc.long_accumulator("keys");
        let k = keys.clone();
        rdd.map(|x| (x % 7, 1))
            .reduce_by_key(|a, b| a + b)
            .foreach(move |_| k.add(1))
            .unwrap();
        let distinct = data.iter().map(|x| x % 7).collect::<std::collections::BTreeSet<_>>();
        prop_assert_eq!(keys.value(), distinct.len() as i64);
        sc.stop();
    }
}
