//! Spark's `TestSuiteBase` for streaming suites: `testOperation` with one or two inputs, on the
//! manual clock.
//!
//! As in Spark: a context of `local[2]`, batches of one second, a checkpoint folder, each input
//! batch an RDD of 2 partitions (`numInputPartitions`; a queue stream slices each batch into
//! `defaultParallelism` partitions), the output stream's RDD of every batch collected, and
//! `verifyOutput`: as many outputs as expected, each equal to the expected one (as sets when
//! `use_set`, here as sorted lists, which also compares how many times each element occurs).
//!
//! Spark's `TestInputStream` gives batch `i` to batch time `i` whoever asks; a queue stream
//! hands out its next batch when first asked, so a dummy output on each input makes every
//! batch time ask in turn (a window with a slide longer than the batch asks only some times).

use std::fmt::Debug;
use std::sync::Arc;

use parking_lot::Mutex;
use sparklet::prelude::*;
use sparklet::streaming::*;

/// `TestSuiteBase.batchDuration`.
pub const BATCH_SECONDS: u64 = 1;

/// A fresh `local[2]` context (`TestSuiteBase.master`).
pub fn test_context() -> SparkContext {
    super::context("local[2]")
}

/// A manual-clock streaming context on `sc`, with a checkpoint folder under `dir`.
pub fn test_streaming_context(sc: &SparkContext, dir: &std::path::Path) -> StreamingContext {
    let ssc = StreamingContext::with_manual_clock(sc, Duration::seconds(BATCH_SECONDS));
    ssc.checkpoint(dir).expect("checkpoint dir");
    ssc
}

/// A queue stream of `input`, with Spark's one-batch-per-time behaviour (see the module doc).
pub fn test_input<T: Data>(ssc: &StreamingContext, input: Vec<Vec<T>>) -> DStream<T> {
    let s = ssc.queue_stream(input, true);
    s.foreach_rdd(|_, _| Ok(()));
    s
}

/// Registers Spark's `TestOutputStream`: each batch's collected RDD, in order.
pub fn collect_output<U: Data>(out: &DStream<U>) -> Arc<Mutex<Vec<Vec<U>>>> {
    let collected = Arc::new(Mutex::new(Vec::new()));
    let c = collected.clone();
    out.foreach_rdd(move |rdd, _| {
        c.lock().push(rdd.collect()?);
        Ok(())
    });
    collected
}

/// Spark's `setupStreams` + `runStreams`: the outputs of `num_batches` batches of `op` over
/// the inputs `op` is given.
pub fn run_streams<U: Data>(
    num_batches: usize,
    setup: impl FnOnce(&StreamingContext) -> DStream<U>,
) -> Result<Vec<Vec<U>>> {
    run_streams_with(&[], num_batches, setup)
}

/// [`run_streams`] on a `local[2]` context with extra settings.
pub fn run_streams_with<U: Data>(
    settings: &[(&str, &str)],
    num_batches: usize,
    setup: impl FnOnce(&StreamingContext) -> DStream<U>,
) -> Result<Vec<Vec<U>>> {
    let sc = super::context_with("local[2]", settings);
    let dir = tempfile::tempdir().expect("tempdir");
    let ssc = test_streaming_context(&sc, dir.path());
    let out = setup(&ssc);
    let collected = collect_output(&out);
    let ran = ssc.start().and_then(|_| ssc.run_batches(num_batches));
    ssc.stop(true, false);
    ran?;
    let v = collected.lock().clone();
    Ok(v)
}

/// Spark's `verifyOutput`.
pub fn verify_output<U: Ord + Debug + Clone>(
    output: &[Vec<U>],
    expected: &[Vec<U>],
    use_set: bool,
) {
    assert_eq!(
        output.len(),
        expected.len(),
        "number of outputs: got {output:?}, expected {expected:?}"
    );
    for (i, (got, want)) in output.iter().zip(expected).enumerate() {
        if use_set {
            let (mut g, mut w) = (got.clone(), want.clone());
            g.sort();
            w.sort();
            assert_eq!(g, w, "output of batch {} (as sets)", i + 1);
        } else {
            assert_eq!(got, want, "output of batch {}", i + 1);
        }
    }
}

/// Spark's `testOperation(input, operation, expectedOutput, numBatches, useSet)`.
pub fn test_operation_n<T: Data, U: Data + Ord + Debug>(
    input: Vec<Vec<T>>,
    op: impl FnOnce(DStream<T>) -> DStream<U>,
    expected: Vec<Vec<U>>,
    num_batches: usize,
    use_set: bool,
) {
    let output = run_streams(num_batches, |ssc| op(test_input(ssc, input))).expect("streaming run");
    verify_output(&output, &expected, use_set);
}

/// Spark's `testOperation(input, operation, expectedOutput, useSet)`: one batch per expected
/// output.
pub fn test_operation<T: Data, U: Data + Ord + Debug>(
    input: Vec<Vec<T>>,
    op: impl FnOnce(DStream<T>) -> DStream<U>,
    expected: Vec<Vec<U>>,
    use_set: bool,
) {
    let n = expected.len();
    test_operation_n(input, op, expected, n, use_set);
}

/// Spark's `testOperation(input1, input2, operation, expectedOutput, useSet)`.
pub fn test_operation2<T: Data, W: Data, U: Data + Ord + Debug>(
    input1: Vec<Vec<T>>,
    input2: Vec<Vec<W>>,
    op: impl FnOnce(DStream<T>, DStream<W>) -> DStream<U>,
    expected: Vec<Vec<U>>,
    use_set: bool,
) {
    let n = expected.len();
    let output = run_streams(n, |ssc| {
        let (a, b) = (test_input(ssc, input1), test_input(ssc, input2));
        op(a, b)
    })
    .expect("streaming run");
    verify_output(&output, &expected, use_set);
}

/// Batches of strings from string slices.
pub fn strs(batches: &[&[&str]]) -> Vec<Vec<String>> {
    batches
        .iter()
        .map(|b| b.iter().map(|s| s.to_string()).collect())
        .collect()
}

/// Batches of `(String, i64)` pairs.
pub fn str_pairs(batches: &[&[(&str, i64)]]) -> Vec<Vec<(String, i64)>> {
    batches
        .iter()
        .map(|b| b.iter().map(|(k, v)| (k.to_string(), *v)).collect())
        .collect()
}
