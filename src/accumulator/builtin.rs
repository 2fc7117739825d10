//! The accumulators Spark ships (`LongAccumulator`, `DoubleAccumulator`,
//! `CollectionAccumulator`) and the context's methods that register them.

use std::fmt::Debug;

use super::{Accumulator, AccumulatorV2};
use crate::context::SparkContext;
use crate::rdd::Data;
use crate::scala_string::scala_string;

/// The value of a [`LongAccumulator`]: a sum and a count of the values added.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LongAccumulatorValue {
    sum: i64,
    count: i64,
}

impl LongAccumulatorValue {
    /// The sum of the values added (Spark's `sum`, wrapping as a JVM `Long`).
    pub fn sum(&self) -> i64 {
        self.sum
    }

    /// How many values were added (Spark's `count`).
    pub fn count(&self) -> i64 {
        self.count
    }

    /// Their average (Spark's `avg`): NaN when none was added.
    pub fn avg(&self) -> f64 {
        self.sum as f64 / self.count as f64
    }
}

impl AccumulatorV2 for LongAccumulatorValue {
    type In = i64;
    type Out = i64;
    fn is_zero(&self) -> bool {
        self.sum == 0 && self.count == 0
    }
    fn copy(&self) -> Self {
        self.clone()
    }
    fn reset(&mut self) {
        *self = Self::default();
    }
    fn add(&mut self, v: i64) {
        self.sum = self.sum.wrapping_add(v);
        self.count += 1;
    }
    fn merge(&mut self, other: &Self) {
        self.sum = self.sum.wrapping_add(other.sum);
        self.count += other.count;
    }
    fn value(&self) -> i64 {
        self.sum
    }
    fn class_name(&self) -> &'static str {
        "LongAccumulator"
    }
}

/// The value of a [`DoubleAccumulator`]: a sum and a count of the values added.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DoubleAccumulatorValue {
    sum: f64,
    count: i64,
}

impl DoubleAccumulatorValue {
    /// The sum of the values added (Spark's `sum`).
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// How many values were added (Spark's `count`).
    pub fn count(&self) -> i64 {
        self.count
    }

    /// Their average (Spark's `avg`): NaN when none was added.
    pub fn avg(&self) -> f64 {
        self.sum / self.count as f64
    }
}

impl AccumulatorV2 for DoubleAccumulatorValue {
    type In = f64;
    type Out = f64;
    fn is_zero(&self) -> bool {
        self.sum == 0.0 && self.count == 0
    }
    fn copy(&self) -> Self {
        self.clone()
    }
    fn reset(&mut self) {
        *self = Self::default();
    }
    fn add(&mut self, v: f64) {
        self.sum += v;
        self.count += 1;
    }
    fn merge(&mut self, other: &Self) {
        self.sum += other.sum;
        self.count += other.count;
    }
    fn value(&self) -> f64 {
        self.sum
    }
    /// Java's `Double.toString` (`1.0`, `1.0E7`).
    fn value_text(&self) -> String {
        scala_string(&self.sum).unwrap_or_else(|| self.sum.to_string())
    }
    fn class_name(&self) -> &'static str {
        "DoubleAccumulator"
    }
}

/// The value of a [`CollectionAccumulator`]: the elements added, in the order they were merged.
#[derive(Clone, Debug, PartialEq)]
pub struct CollectionAccumulatorValue<T> {
    items: Vec<T>,
}

impl<T> Default for CollectionAccumulatorValue<T> {
    fn default() -> Self {
        CollectionAccumulatorValue { items: Vec::new() }
    }
}

impl<T: Data> AccumulatorV2 for CollectionAccumulatorValue<T> {
    type In = T;
    type Out = Vec<T>;
    fn is_zero(&self) -> bool {
        self.items.is_empty()
    }
    fn copy(&self) -> Self {
        self.clone()
    }
    fn reset(&mut self) {
        self.items.clear();
    }
    fn add(&mut self, v: T) {
        self.items.push(v);
    }
    fn merge(&mut self, other: &Self) {
        self.items.extend(other.items.iter().cloned());
    }
    fn value(&self) -> Vec<T> {
        self.items.clone()
    }
    /// A `java.util.List`'s `toString`: `[a, b]`, each element as Scala prints it.
    fn value_text(&self) -> String {
        let items: Vec<String> = self
            .items
            .iter()
            .map(|i| scala_string(i).unwrap_or_else(|| format!("{i:?}")))
            .collect();
        format!("[{}]", items.join(", "))
    }
    fn class_name(&self) -> &'static str {
        "CollectionAccumulator"
    }
}

/// Spark's `LongAccumulator`: sums `i64`s; `value()` is the sum, with `count()`, `sum()`, `avg()`.
///
/// ```
/// use sparklet::prelude::*;
///
/// let sc = SparkContext::new(SparkConf::new().set_master("local[2]").set_app_name("acc")).unwrap();
/// let acc = sc.long_accumulator("records");
/// let a = acc.clone();
/// sc.parallelize((1..=20).collect::<Vec<i64>>(), 4).foreach(move |x| a.add(x)).unwrap();
/// assert_eq!((acc.value(), acc.count()), (210, 20));
/// assert_eq!(acc.to_string(), format!("LongAccumulator(id: {}, name: Some(records), value: 210)", acc.id()));
/// ```
pub type LongAccumulator = Accumulator<LongAccumulatorValue>;

/// Spark's `DoubleAccumulator`: sums `f64`s.
pub type DoubleAccumulator = Accumulator<DoubleAccumulatorValue>;

/// Spark's `CollectionAccumulator`: collects the elements added, as a list.
pub type CollectionAccumulator<T> = Accumulator<CollectionAccumulatorValue<T>>;

impl LongAccumulator {
    /// How many values were added (Spark's `count`).
    pub fn count(&self) -> i64 {
        self.read(LongAccumulatorValue::count)
    }

    /// The sum of the values added (Spark's `sum`; the same as `value`).
    pub fn sum(&self) -> i64 {
        self.read(LongAccumulatorValue::sum)
    }

    /// Their average (Spark's `avg`): NaN when none was added.
    pub fn avg(&self) -> f64 {
        self.read(LongAccumulatorValue::avg)
    }
}

impl DoubleAccumulator {
    /// How many values were added (Spark's `count`).
    pub fn count(&self) -> i64 {
        self.read(DoubleAccumulatorValue::count)
    }

    /// The sum of the values added (Spark's `sum`; the same as `value`).
    pub fn sum(&self) -> f64 {
        self.read(DoubleAccumulatorValue::sum)
    }

    /// Their average (Spark's `avg`): NaN when none was added.
    pub fn avg(&self) -> f64 {
        self.read(DoubleAccumulatorValue::avg)
    }
}

impl SparkContext {
    /// A new `LongAccumulator` named `name` (Spark's `sc.longAccumulator(name)`).
    pub fn long_accumulator(&self, name: &str) -> LongAccumulator {
        self.register(LongAccumulatorValue::default(), name)
    }

    /// A new `DoubleAccumulator` named `name` (Spark's `sc.doubleAccumulator(name)`).
    pub fn double_accumulator(&self, name: &str) -> DoubleAccumulator {
        self.register(DoubleAccumulatorValue::default(), name)
    }

    /// A new `CollectionAccumulator` named `name` (Spark's `sc.collectionAccumulator(name)`).
    pub fn collection_accumulator<T: Data>(&self, name: &str) -> CollectionAccumulator<T> {
        self.register(CollectionAccumulatorValue::default(), name)
    }

    /// Registers a program's own accumulator value under `name` (Spark's
    /// `sc.register(acc, name)`) and returns its handle; see [`AccumulatorV2`].
    pub fn register<A: AccumulatorV2>(&self, acc: A, name: &str) -> Accumulator<A> {
        self.env().accumulators.register(acc, Some(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AccumulatorV2Suite: "LongAccumulator add/avg/sum/count/isZero"
    #[test]
    fn long_accumulator_add_avg_sum_count_is_zero() {
        let mut acc = LongAccumulatorValue::default();
        assert!(acc.is_zero());
        assert_eq!((acc.count(), acc.sum()), (0, 0));
        assert!(acc.avg().is_nan());
        acc.add(0);
        assert!(!acc.is_zero());
        assert_eq!((acc.count(), acc.sum(), acc.avg()), (1, 0, 0.0));
        acc.add(1);
        assert_eq!((acc.count(), acc.sum(), acc.avg()), (2, 1, 0.5));
        acc.add(2);
        assert_eq!((acc.count(), acc.sum(), acc.avg()), (3, 3, 1.0));
        let mut acc2 = LongAccumulatorValue::default();
        acc2.add(2);
        acc.merge(&acc2);
        assert_eq!((acc.count(), acc.sum(), acc.avg()), (4, 5, 1.25));
    }

    /// AccumulatorV2Suite: "DoubleAccumulator add/avg/sum/count/isZero"
    #[test]
    fn double_accumulator_add_avg_sum_count_is_zero() {
        let mut acc = DoubleAccumulatorValue::default();
        assert!(acc.is_zero());
        assert_eq!((acc.count(), acc.sum()), (0, 0.0));
        assert!(acc.avg().is_nan());
        acc.add(0.0);
        assert!(!acc.is_zero());
        assert_eq!((acc.count(), acc.sum(), acc.avg()), (1, 0.0, 0.0));
        acc.add(1.0);
        assert_eq!((acc.count(), acc.sum(), acc.avg()), (2, 1.0, 0.5));
        acc.add(2.0);
        assert_eq!((acc.count(), acc.sum(), acc.avg()), (3, 3.0, 1.0));
        let mut acc2 = DoubleAccumulatorValue::default();
        acc2.add(2.0);
        acc.merge(&acc2);
        assert_eq!((acc.count(), acc.sum(), acc.avg()), (4, 5.0, 1.25));
    }

    /// The texts Spark's `AccumulableInfo` carries: `Long.toString`, `Double.toString`,
    /// `java.util.List.toString`.
    #[test]
    fn value_texts_are_the_jvm_to_strings() {
        let mut l = LongAccumulatorValue::default();
        l.add(-3);
        assert_eq!(l.value_text(), "-3");
        let mut d = DoubleAccumulatorValue::default();
        d.add(1e7);
        assert_eq!(d.value_text(), "1.0E7");
        let mut c = CollectionAccumulatorValue::<String>::default();
        assert_eq!(c.value_text(), "[]");
        c.add("a".into());
        c.add("b".into());
        assert_eq!(c.value_text(), "[a, b]");
        assert!(c.copy_and_reset().is_zero());
    }
}
