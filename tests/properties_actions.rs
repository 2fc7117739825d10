//! Property tests of issue 11's actions: fold, aggregate, tree_aggregate, tree_reduce and
//! count_by_value give what plain Rust gives over the same elements, for random inputs,
//! partition counts and depths, on `local[2]` and `local-cluster[3,1,64]`; on some cases an
//! executor is killed mid-job (after its N-th task, or at a scheduler step) and tasks fail at
//! random, which must never change a result.

mod common;

use std::collections::HashMap;

use common::context_with;
use proptest::prelude::*;
use sparklet::prelude::*;

/// Where a case runs and which faults it suffers.
#[derive(Clone, Debug)]
struct Setup {
    master: &'static str,
    slices: usize,
    /// `None`: no faults; `Some((seed, kill_after, kill_at_step))`.
    faults: Option<(u64, usize, usize)>,
}

impl Setup {
    fn context(&self) -> SparkContext {
        let Some((seed, kill_after, step)) = self.faults else {
            return context_with(self.master, &[]);
        };
        let (seed, kill_after, step) = (seed.to_string(), kill_after.to_string(), step.to_string());
        context_with(
            self.master,
            &[
                ("sparklet.faults.seed", seed.as_str()),
                ("sparklet.faults.taskFailureRate", "0.2"),
                (
                    "sparklet.faults.killExecutorAfterTasks",
                    kill_after.as_str(),
                ),
                ("sparklet.faults.killExecutorAtStep", step.as_str()),
                ("sparklet.faults.maxExecutorKills", "2"),
            ],
        )
    }
}

fn setup() -> impl Strategy<Value = Setup> {
    let faults = prop_oneof![
        Just(None),
        (0u64..1000, 1usize..6, 1usize..40).prop_map(Some),
    ];
    (
        prop::sample::select(vec!["local[2]", "local-cluster[3,1,64]"]),
        1..=12usize,
        faults,
    )
        .prop_map(|(master, slices, faults)| {
            // Executors are only killed on the cluster master (local mode has one executor).
            let faults = if master == "local[2]" {
                faults.map(|(seed, _, _)| (seed, 0, 0))
            } else {
                faults
            };
            Setup {
                master,
                slices,
                faults,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// fold and aggregate: Spark's zero counted once per partition and once on the driver;
    /// with an identity zero, the plain sum.
    #[test]
    fn fold_and_aggregate_equal_plain_rust(
        s in setup(),
        xs in prop::collection::vec(-1000i64..1000, 0..60),
        zero in 0i64..3,
    ) {
        let sc = s.context();
        let rdd = sc.parallelize(xs.clone(), s.slices);
        let sum: i64 = xs.iter().sum();
        let parts = s.slices as i64;
        prop_assert_eq!(rdd.fold(zero, |a, b| a + b).unwrap(), sum + zero * (parts + 1));
        let (n, total) = rdd
            .aggregate((0usize, 0i64), |(n, t), x| (n + 1, t + x), |a, b| (a.0 + b.0, a.1 + b.1))
            .unwrap();
        prop_assert_eq!((n, total), (xs.len(), sum));
        // A non-commutative fold: the elements in partition order.
        let text = rdd.map(|x| format!("{x},")).fold(String::new(), |a, b| a + &b).unwrap();
        let want: String = xs.iter().map(|x| format!("{x},")).collect();
        prop_assert_eq!(text, want);
        sc.stop();
    }

    /// tree_aggregate and tree_reduce equal aggregate and reduce at every depth.
    #[test]
    fn tree_aggregate_and_tree_reduce_equal_plain_rust(
        s in setup(),
        xs in prop::collection::vec(-1000i64..1000, 0..80),
        depth in 1usize..5,
    ) {
        let sc = s.context();
        let rdd = sc.parallelize(xs.clone(), s.slices);
        let sum: i64 = xs.iter().sum();
        let max = xs.iter().copied().max();
        prop_assert_eq!(
            rdd.tree_aggregate(0i64, |a, x| a + x, |a, b| a + b, depth).unwrap(),
            sum
        );
        prop_assert_eq!(
            rdd.tree_aggregate(Vec::new(), |mut v, x| { v.push(x); v }, |mut a, mut b| {
                a.append(&mut b);
                a
            }, depth).unwrap().len(),
            xs.len()
        );
        prop_assert_eq!(rdd.tree_reduce(|a, b| a.max(b), depth).unwrap(), max);
        sc.stop();
    }

    /// count_by_value equals a HashMap count.
    #[test]
    fn count_by_value_equals_a_hash_map_count(
        s in setup(),
        xs in prop::collection::vec("[a-d]{0,2}", 0..60),
    ) {
        let sc = s.context();
        let rdd = sc.parallelize(xs.clone(), s.slices);
        let mut want: HashMap<String, u64> = HashMap::new();
        for x in &xs {
            *want.entry(x.clone()).or_default() += 1;
        }
        prop_assert_eq!(rdd.count_by_value().unwrap(), want);
        prop_assert_eq!(rdd.is_empty().unwrap(), xs.is_empty());
        sc.stop();
    }
}
