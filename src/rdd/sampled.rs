//! `PartitionwiseSampledRDD` (`sample`), `randomSplit`'s sampled partitions, and
//! `takeSample`.
//!
//! Each partition is sampled by a fresh sampler seeded for that partition, so a recomputed
//! partition (a retried task, a lost executor) keeps exactly the same elements. The seeds are
//! Spark's: `sample` draws one `nextLong` per partition from `java.util.Random(seed)` (Spark's
//! `PartitionwiseSampledRDD.getPartitions`); `randomSplit` seeds partition i with `seed + i`
//! (Spark 4's `randomSampleWithRange`, a `MapPartitionsRDD` there, which is the class name
//! shown here too). With Spark's generators (see `util::random`), a seed picks the same
//! elements as in Spark. Argument errors (Spark's `require`s) are raised when a job runs,
//! since these transformations return an RDD.

use std::any::Any;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::dependency::Dependency;
use crate::error::{Error, Result};
use crate::partitioner::Partitioner;
use crate::rdd::map_partitions::lineage_gone;
use crate::rdd::{iterator, part_iter, ComputeResult, Data, RddBase, RddCore, TypedRdd};
use crate::scheduler::task::TaskContext;
use crate::util::random::{
    compute_fraction_for_sample_size, jd, randomize_in_place, JavaRandom, JdkRandom, SamplerKind,
};
use crate::Rdd;

/// Spark's `PartitionwiseSampledRDD` (preserving the parent's partitioner, as `sample` asks).
pub(crate) struct PartitionwiseSampledRdd<T: Data> {
    core: RddCore,
    prev: Mutex<Option<Arc<dyn TypedRdd<T>>>>,
    sampler: SamplerKind,
    /// The seed of each partition's sampler.
    seeds: Vec<i64>,
    partitioner: Option<Partitioner>,
    /// Spark's argument check that failed, as its `IllegalArgumentException` message.
    invalid: Option<String>,
    class_name: &'static str,
}

impl<T: Data> PartitionwiseSampledRdd<T> {
    fn new(
        prev: &Rdd<T>,
        op: &str,
        sampler: SamplerKind,
        seeds: Vec<i64>,
        invalid: Option<String>,
        class_name: &'static str,
    ) -> Self {
        let invalid = invalid.or_else(|| sampler.check().err());
        PartitionwiseSampledRdd {
            core: RddCore::new(&prev.context(), op),
            prev: Mutex::new(Some(prev.rdd.clone())),
            sampler,
            seeds,
            partitioner: prev.partitioner(),
            invalid,
            class_name,
        }
    }
}

impl<T: Data> RddBase for PartitionwiseSampledRdd<T> {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        self.seeds.len()
    }
    fn get_dependencies(&self) -> Vec<Dependency> {
        match &*self.prev.lock() {
            Some(p) => vec![Dependency::one_to_one(p.clone())],
            None => Vec::new(),
        }
    }
    fn clear_dependencies(&self) -> Box<dyn Any + Send> {
        Box::new(self.prev.lock().take())
    }
    fn partitioner(&self) -> Option<Partitioner> {
        self.partitioner.clone()
    }
    fn validate(&self) -> Result<()> {
        match &self.invalid {
            Some(message) => Err(Error::InvalidArgument(format!(
                "requirement failed: {message}"
            ))),
            None => Ok(()),
        }
    }
    fn class_name(&self) -> &'static str {
        self.class_name
    }
}

impl<T: Data> TypedRdd<T> for PartitionwiseSampledRdd<T> {
    fn compute(&self, split: usize, ctx: &TaskContext) -> ComputeResult<T> {
        let prev = self
            .prev
            .lock()
            .clone()
            .ok_or_else(|| lineage_gone(&self.core))?;
        let values = iterator(&*prev, split, ctx)?;
        let mut sampler = self.sampler.seeded(self.seeds[split]);
        Ok(part_iter(values.flat_map(move |v| {
            std::iter::repeat_n(v, sampler.sample())
        })))
    }
}

/// Spark's `takeSample` limit on the sample size.
const NUM_ST_DEV: f64 = 10.0;

impl<T: Data> Rdd<T> {
    /// Spark's `sample`: each element kept with probability `fraction` (without replacement,
    /// a `BernoulliSampler`), or a Poisson(`fraction`) number of times (with replacement, a
    /// `PoissonSampler`). The same seed samples the same elements, in every run and on every
    /// recomputation. A negative fraction, or one above 1 without replacement, is
    /// `Error::InvalidArgument` when a job runs.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let data = sc.parallelize((1..=100).collect::<Vec<i32>>(), 3);
    /// let sampled = data.sample(false, 0.1, 42);
    /// assert_eq!(sampled.to_string(), format!("PartitionwiseSampledRDD[{}] at sample", sampled.id()));
    /// // Spark 4.3 keeps the same elements for this seed.
    /// assert_eq!(sampled.collect().unwrap(), vec![13, 27, 39, 89, 91]);
    /// ```
    // A negated comparison, so that NaN fails the check as it fails Scala's `require`.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    pub fn sample(&self, with_replacement: bool, fraction: f64, seed: u64) -> Rdd<T> {
        let invalid = (!(fraction >= 0.0))
            .then(|| format!("Fraction must be nonnegative, but got {}", jd(fraction)));
        let sampler = if with_replacement {
            SamplerKind::Poisson(fraction)
        } else {
            SamplerKind::Bernoulli(fraction)
        };
        let mut random = JdkRandom::new(seed as i64);
        let seeds = (0..self.num_partitions())
            .map(|_| random.next_long())
            .collect();
        Rdd::from_arc(Arc::new(PartitionwiseSampledRdd::new(
            self,
            "sample",
            sampler,
            seeds,
            invalid,
            "PartitionwiseSampledRDD",
        )))
    }

    /// Spark's `randomSplit`: one RDD per weight (weights normalized to sum 1); every element
    /// falls in exactly one split, since the splits draw the same numbers (partition i seeded
    /// with `seed + i`) and keep disjoint cells of `[0, 1)`. A negative weight or a zero sum
    /// is `Error::InvalidArgument` when a job runs on a split.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let data = sc.parallelize((1..=100).collect::<Vec<i32>>(), 3);
    /// let splits = data.random_split(&[0.3, 0.7], 11);
    /// let (a, b) = (splits[0].collect().unwrap(), splits[1].collect().unwrap());
    /// assert_eq!(a.len() + b.len(), 100);
    /// assert_eq!(&a[..5], &[1, 2, 5, 8, 9]); // as Spark 4.3
    /// ```
    #[allow(clippy::neg_cmp_op_on_partial_ord)] // NaN weights fail, as in Spark
    pub fn random_split(&self, weights: &[f64], seed: u64) -> Vec<Rdd<T>> {
        let shown = || {
            let items: Vec<String> = weights.iter().map(|w| jd(*w)).collect();
            format!("[{}]", items.join(","))
        };
        let sum: f64 = weights.iter().sum();
        let invalid = if !weights.iter().all(|w| *w >= 0.0) {
            Some(format!("Weights must be nonnegative, but got {}", shown()))
        } else if !(sum > 0.0) {
            Some(format!(
                "Sum of weights must be positive, but got {}",
                shown()
            ))
        } else {
            None
        };
        let mut bounds = vec![0.0];
        for w in weights {
            let last = bounds[bounds.len() - 1];
            bounds.push(last + w / sum);
        }
        let n = self.num_partitions();
        bounds
            .windows(2)
            .map(|cell| {
                let seeds = (0..n)
                    .map(|i| (seed as i64).wrapping_add(i as i64))
                    .collect();
                let sampler = SamplerKind::BernoulliCell {
                    lb: cell[0],
                    ub: cell[1],
                };
                Rdd::from_arc(Arc::new(PartitionwiseSampledRdd::new(
                    self,
                    "randomSplit",
                    sampler,
                    seeds,
                    invalid.clone(),
                    "MapPartitionsRDD",
                )) as Arc<dyn TypedRdd<T>>)
            })
            .collect()
    }

    /// Spark's `takeSample`: exactly `num` elements (fewer when the RDD is smaller and
    /// without replacement), in random order. As in Spark: a count job, then a sample at the
    /// over-sampling fraction of `SamplingUtils.computeFractionForSampleSize`, repeated with new
    /// seeds until it is large enough, then a seeded shuffle of it.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let data = sc.parallelize((1..=100).collect::<Vec<i32>>(), 3);
    /// assert_eq!(data.take_sample(false, 5, 42).unwrap(), vec![6, 65, 68, 62, 73]); // as Spark 4.3
    /// assert_eq!(data.take_sample(false, 500, 1).unwrap().len(), 100);
    /// ```
    pub fn take_sample(&self, with_replacement: bool, num: usize, seed: u64) -> Result<Vec<T>> {
        let max = i32::MAX as f64 - (NUM_ST_DEV * (i32::MAX as f64).sqrt()).trunc();
        if num as f64 > max {
            return Err(Error::InvalidArgument(
                "requirement failed: Cannot support a sample size > Int.MaxValue - 10.0 * \
                 math.sqrt(Int.MaxValue)"
                    .into(),
            ));
        }
        if num == 0 {
            return Ok(Vec::new());
        }
        let initial_count = self.count()? as u64;
        if initial_count == 0 {
            return Ok(Vec::new());
        }
        let mut rand = JdkRandom::new(seed as i64);
        if !with_replacement && num as u64 >= initial_count {
            let mut all = self.collect()?;
            randomize_in_place(&mut all, &mut rand);
            return Ok(all);
        }
        let fraction = compute_fraction_for_sample_size(num, initial_count, with_replacement);
        let next_seed = |rand: &mut JdkRandom| i64::from(rand.next_int()) as u64;
        let mut samples = self
            .sample(with_replacement, fraction, next_seed(&mut rand))
            .collect()?;
        let mut iterations = 0;
        while samples.len() < num {
            log::warn!(
                target: crate::logging::RDD,
                "Needed to re-sample due to insufficient sample size. Repeat #{iterations}"
            );
            samples = self
                .sample(with_replacement, fraction, next_seed(&mut rand))
                .collect()?;
            iterations += 1;
        }
        randomize_in_place(&mut samples, &mut rand);
        samples.truncate(num);
        Ok(samples)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sample_size_limit_is_sparks() {
        let max = i32::MAX as f64 - (super::NUM_ST_DEV * (i32::MAX as f64).sqrt()).trunc();
        assert_eq!(max, 2_147_020_238.0);
    }
}
