//! `SparkContext.range`: the numbers `start, start + step, ...` up to `end` (exclusive), as
//! Spark builds them: a `ParallelCollectionRDD` of the slice indices `0 until numSlices`, mapped
//! by `mapPartitionsWithIndex` to each slice's numbers (so the lineage is
//! `MapPartitionsRDD at range` over `ParallelCollectionRDD at range`).
//!
//! Spark's arithmetic, step by step: the element count is `(end - start) / step`, plus one when
//! the division leaves a remainder and the range goes the way the step does, computed without
//! overflow (Spark uses `BigInt`, here `i128`). Slice i starts at
//! `(i * count) / numSlices * step + start` and ends where slice i + 1 starts, each bound
//! clamped to `i64`; a slice's iterator stops at its end or when adding the step overflows.
//!
//! A step of zero and zero slices cannot fail where `range` is called (it returns an `Rdd`),
//! so, like `parallelize` with zero slices, they fail the first job with Spark's message.
//!
//! Layering: the RDD layer only.

use std::any::Any;
use std::sync::Arc;

use crate::context::SparkContext;
use crate::dependency::Dependency;
use crate::error::{Error, Result};
use crate::rdd::{part_iter, ComputeResult, PartIter, RddBase, RddCore, TypedRdd};
use crate::scheduler::task::TaskContext;
use crate::Rdd;

/// Spark's `SparkContext.range(start, end, step, numSlices)`.
pub(crate) fn range(
    sc: &SparkContext,
    start: i64,
    end: i64,
    step: i64,
    num_slices: usize,
) -> Rdd<i64> {
    let slices: Rdd<usize> = Rdd::from_arc(Arc::new(RangeSlices {
        core: RddCore::new(sc, "range"),
        num_slices,
        step,
    }));
    let count = num_elements(start, end, step);
    slices.map_partitions_named(
        "range",
        false,
        Arc::new(move |i, _: PartIter<usize>| {
            let (from, to) = slice_bounds(start, step, count, i, num_slices);
            part_iter(RangeIter {
                next: from,
                end: to,
                step,
                overflow: false,
            })
        }),
    )
}

/// The number of elements, as Spark counts them (negative when the range runs against the
/// step; then every slice is empty).
fn num_elements(start: i64, end: i64, step: i64) -> i128 {
    if step == 0 {
        return 0;
    }
    let (start, end, step) = (i128::from(start), i128::from(end), i128::from(step));
    let span = end - start;
    if span % step == 0 || (end > start) != (step > 0) {
        span / step
    } else {
        span / step + 1
    }
}

/// Slice i's first number and its (exclusive) end, each clamped to `i64`.
fn slice_bounds(start: i64, step: i64, count: i128, i: usize, num_slices: usize) -> (i64, i64) {
    let n = num_slices.max(1) as i128;
    let at = |k: i128| (k * count) / n * i128::from(step) + i128::from(start);
    let clamp = |v: i128| i64::try_from(v).unwrap_or(if v > 0 { i64::MAX } else { i64::MIN });
    (clamp(at(i as i128)), clamp(at(i as i128 + 1)))
}

/// Spark's iterator of one slice: up to its end, stopping when the step overflows.
struct RangeIter {
    next: i64,
    end: i64,
    step: i64,
    overflow: bool,
}

impl Iterator for RangeIter {
    type Item = i64;
    fn next(&mut self) -> Option<i64> {
        let more = if self.step > 0 {
            self.next < self.end
        } else {
            self.next > self.end
        };
        if self.overflow || !more {
            return None;
        }
        let value = self.next;
        match value.checked_add(self.step) {
            Some(n) => self.next = n,
            None => self.overflow = true,
        }
        Some(value)
    }
}

/// The `ParallelCollectionRDD` of slice indices under a range: slice i holds the one element i.
struct RangeSlices {
    core: RddCore,
    num_slices: usize,
    step: i64,
}

impl RddBase for RangeSlices {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        self.num_slices
    }
    fn get_dependencies(&self) -> Vec<Dependency> {
        Vec::new()
    }
    fn clear_dependencies(&self) -> Box<dyn Any + Send> {
        Box::new(())
    }
    fn validate(&self) -> Result<()> {
        if self.step == 0 {
            return Err(Error::InvalidArgument(
                "requirement failed: step cannot be 0".into(),
            ));
        }
        if self.num_slices == 0 {
            return Err(Error::InvalidArgument(
                "Positive number of partitions required (range with 0 slices)".into(),
            ));
        }
        if self.num_slices > i32::MAX as usize {
            return Err(Error::InvalidArgument(format!(
                "range: {} slices is more than Spark's Int allows ({})",
                self.num_slices,
                i32::MAX
            )));
        }
        Ok(())
    }
    fn class_name(&self) -> &'static str {
        "ParallelCollectionRDD"
    }
}

impl TypedRdd<usize> for RangeSlices {
    fn compute(&self, split: usize, _ctx: &TaskContext) -> ComputeResult<usize> {
        Ok(part_iter(std::iter::once(split)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(start: i64, end: i64, step: i64, n: usize) -> Vec<Vec<i64>> {
        let count = num_elements(start, end, step);
        (0..n)
            .map(|i| {
                let (from, to) = slice_bounds(start, step, count, i, n);
                RangeIter {
                    next: from,
                    end: to,
                    step,
                    overflow: false,
                }
                .collect()
            })
            .collect()
    }

    #[test]
    fn slices_as_spark_cuts_them() {
        assert_eq!(
            all(0, 10, 1, 3),
            vec![vec![0, 1, 2], vec![3, 4, 5], vec![6, 7, 8, 9]]
        );
        assert_eq!(all(0, 10, 3, 2), vec![vec![0, 3], vec![6, 9]]);
        assert_eq!(all(10, 0, -3, 2), vec![vec![10, 7], vec![4, 1]]);
        assert_eq!(all(0, 10, -1, 2), vec![Vec::<i64>::new(), vec![]]);
        assert_eq!(all(5, 5, 1, 2), vec![Vec::<i64>::new(), vec![]]);
    }

    #[test]
    fn bounds_never_overflow() {
        let v = all(i64::MAX - 3, i64::MAX, 2, 1);
        assert_eq!(v, vec![vec![i64::MAX - 3, i64::MAX - 1]]);
        let v = all(i64::MIN, i64::MAX, i64::MAX, 2);
        assert_eq!(v.concat(), vec![i64::MIN, -1, i64::MAX - 1]);
        let v = all(i64::MAX, i64::MIN, i64::MIN, 1);
        assert_eq!(v.concat(), vec![i64::MAX, -1]);
    }
}
