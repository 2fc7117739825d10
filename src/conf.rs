//! Configuration of a context (Spark's `SparkConf`).
//!
//! A `SparkConf` is a plain map of string settings built in builder style. The keys this crate
//! reads are listed on [`SparkConf`]; unknown keys are kept and ignored, as in Spark. A value
//! that does not parse, or is out of its range, is `InvalidArgument` naming the key and the
//! value (Spark's typed-config messages), when the context starts or where the key is read.

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// Settings for a [`SparkContext`](crate::SparkContext).
///
/// Keys read by sparklet:
///
/// | key | default | meaning |
/// | --- | --- | --- |
/// | `sparklet.master` | `local[*]` | set by [`SparkConf::set_master`] |
/// | `sparklet.app.name` | `sparklet` | set by [`SparkConf::set_app_name`] |
/// | `sparklet.task.maxFailures` | 4 | attempts of one task before its job is aborted (an `Int`, at least 1) |
/// | `sparklet.default.parallelism` | the number of task slots | partitions of shuffles with no parent partitioner (at least 1) |
/// | `sparklet.executor.memory` | `512m` | block memory of each executor (not `local-cluster`) |
/// | `sparklet.local.dir` | the system temp folder | where executors keep disk blocks |
/// | `sparklet.streaming.receiver.maxLineBytes` | `64m` | longest line a socket receiver keeps; a longer one is reported and dropped |
///
/// ```
/// use sparklet::prelude::*;
/// let conf = SparkConf::new().set_master("local[2]").set("sparklet.task.maxFailures", "2");
/// assert_eq!(conf.get("sparklet.task.maxFailures").as_deref(), Some("2"));
/// assert_eq!(conf.get("sparklet.master").as_deref(), Some("local[2]"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct SparkConf {
    settings: BTreeMap<String, String>,
}

/// Conf key of the master URL.
pub const MASTER: &str = "sparklet.master";
/// Conf key of the application name.
pub const APP_NAME: &str = "sparklet.app.name";
/// Conf key of the task attempt limit.
pub const TASK_MAX_FAILURES: &str = "sparklet.task.maxFailures";
/// Conf key of the default parallelism.
pub const DEFAULT_PARALLELISM: &str = "sparklet.default.parallelism";
/// Conf key of the parent folder of executors' disk stores (Spark's `spark.local.dir`).
pub const LOCAL_DIR: &str = "sparklet.local.dir";
/// Conf key of the executor block memory (`512m`, `1g`, or bytes).
pub const EXECUTOR_MEMORY: &str = "sparklet.executor.memory";

impl SparkConf {
    /// An empty configuration.
    pub fn new() -> SparkConf {
        SparkConf::default()
    }

    /// Sets the master URL: `local`, `local[N]`, `local[*]` or `local-cluster[E,C,M]`.
    pub fn set_master(self, master: &str) -> SparkConf {
        self.set(MASTER, master)
    }

    /// Sets the application name.
    pub fn set_app_name(self, name: &str) -> SparkConf {
        self.set(APP_NAME, name)
    }

    /// Sets any key.
    pub fn set(mut self, key: &str, value: &str) -> SparkConf {
        self.settings.insert(key.to_string(), value.to_string());
        self
    }

    /// The value of a key, if set.
    pub fn get(&self, key: &str) -> Option<String> {
        self.settings.get(key).cloned()
    }

    /// Every setting, sorted by key.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.settings.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// A key parsed as a positive integer, or `default` when unset.
    pub(crate) fn get_usize(&self, key: &str, default: usize) -> Result<usize> {
        match self.settings.get(key) {
            None => Ok(default),
            Some(v) => v.trim().parse::<usize>().map_err(|_| {
                Error::InvalidArgument(format!("{key} must be a non-negative integer, got '{v}'"))
            }),
        }
    }

    /// A key parsed as a boolean (`true` or `false`, any case, spaces around allowed, as
    /// Spark's `toBoolean`), or `default` when unset. Anything else is `InvalidArgument` with
    /// Spark's message. The boolean keys of the core are checked when a context starts
    /// ([`SparkConf::validate`]), so readers that cannot report an error (a `Drop`) never see
    /// a bad value.
    pub(crate) fn get_bool(&self, key: &str, default: bool) -> Result<bool> {
        match self.settings.get(key) {
            None => Ok(default),
            Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(Error::InvalidArgument(format!(
                    "{key} should be boolean, but was {v}"
                ))),
            },
        }
    }

    /// A key parsed as a Spark `Int` of at least `min`, or `default` when unset. A value that
    /// is no `Int` is Spark's "should be int, but was"; one below `min` says so.
    pub(crate) fn get_int(&self, key: &str, default: usize, min: usize) -> Result<usize> {
        let Some(v) = self.settings.get(key) else {
            return Ok(default);
        };
        let n = v
            .trim()
            .parse::<i32>()
            .map_err(|_| Error::InvalidArgument(format!("{key} should be int, but was {v}")))?;
        match usize::try_from(n) {
            Ok(n) if n >= min => Ok(n),
            _ => Err(Error::InvalidArgument(format!(
                "{key} should be greater than or equal to {min}, but was {v}"
            ))),
        }
    }

    /// The task attempt limit: `local[N,F]`'s F when the master sets one, else
    /// `sparklet.task.maxFailures` (default 4). Either must be an `Int` of at least 1 (Spark:
    /// "Should be greater than or equal to 1"); it used to be narrowed to `u32` and wrap.
    pub(crate) fn task_max_failures(&self, from_master: Option<usize>) -> Result<u32> {
        let n = match from_master {
            Some(f) if (1..=i32::MAX as usize).contains(&f) => f,
            Some(f) => {
                return Err(Error::InvalidArgument(format!(
                    "the maxFailures of master '{}' should be between 1 and {}, but was {f}",
                    self.get(MASTER).unwrap_or_default(),
                    i32::MAX
                )))
            }
            None => self.get_int(TASK_MAX_FAILURES, 4, 1)?,
        };
        Ok(u32::try_from(n).expect("at most i32::MAX"))
    }

    /// `sparklet.default.parallelism` when set (an `Int` of at least 1: zero partitions can
    /// hold no data), else `None`.
    pub(crate) fn default_parallelism(&self) -> Result<Option<usize>> {
        if self.settings.contains_key(DEFAULT_PARALLELISM) {
            self.get_int(DEFAULT_PARALLELISM, 0, 1).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Checks the settings of the core whose readers cannot report an error, when a context
    /// starts: the booleans (`cleanCheckpoints` is read when an RDD is dropped,
    /// `sparklet.streaming.unpersist` after each batch and when a stream is dropped).
    pub(crate) fn validate(&self) -> Result<()> {
        for key in [
            crate::checkpoint::CLEAN_CHECKPOINTS,
            crate::streaming::UNPERSIST,
        ] {
            self.get_bool(key, false)?;
        }
        Ok(())
    }

    /// A size such as `512m`, `64k`, `1g` or a plain byte count, or `default` bytes when unset.
    pub(crate) fn get_bytes(&self, key: &str, default: u64) -> Result<u64> {
        let Some(v) = self.settings.get(key) else {
            return Ok(default);
        };
        parse_bytes(v).ok_or_else(|| {
            Error::InvalidArgument(format!("{key} must be a size like 512m or 1g, got '{v}'"))
        })
    }
}

/// Parses `123`, `64k`, `512m`, `2g` (case-insensitive, optional trailing `b`).
pub(crate) fn parse_bytes(v: &str) -> Option<u64> {
    let s = v.trim().to_ascii_lowercase();
    let s = s.strip_suffix('b').unwrap_or(&s);
    let (digits, mult) = match s.chars().last()? {
        'k' => (&s[..s.len() - 1], 1u64 << 10),
        'm' => (&s[..s.len() - 1], 1 << 20),
        'g' => (&s[..s.len() - 1], 1 << 30),
        't' => (&s[..s.len() - 1], 1 << 40),
        _ => (s, 1),
    };
    digits.trim().parse::<u64>().ok()?.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sizes() {
        assert_eq!(parse_bytes("512m"), Some(512 << 20));
        assert_eq!(parse_bytes("1G"), Some(1 << 30));
        assert_eq!(parse_bytes("64kb"), Some(64 << 10));
        assert_eq!(parse_bytes("100"), Some(100));
        assert_eq!(parse_bytes("lots"), None);
    }

    #[test]
    fn booleans_and_ints_parse_as_spark() {
        let conf = SparkConf::new()
            .set("t", " True ")
            .set("f", "FALSE")
            .set("m", "maybe")
            .set("big", "4294967296")
            .set("zero", "0")
            .set("max", "2147483647");
        assert!(conf.get_bool("t", false).unwrap());
        assert!(!conf.get_bool("f", true).unwrap());
        assert!(conf.get_bool("unset", true).unwrap());
        let err = conf.get_bool("m", true).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid argument: m should be boolean, but was maybe"
        );
        let err = conf.get_int("big", 4, 1).unwrap_err();
        assert!(
            err.to_string()
                .contains("should be int, but was 4294967296"),
            "{err}"
        );
        let err = conf.get_int("zero", 4, 1).unwrap_err();
        assert!(
            err.to_string().contains("greater than or equal to 1"),
            "{err}"
        );
        assert_eq!(conf.get_int("max", 4, 1).unwrap(), i32::MAX as usize);
        assert_eq!(conf.get_int("unset", 4, 1).unwrap(), 4);
        assert!(SparkConf::new().task_max_failures(Some(1 << 32)).is_err());
        assert_eq!(SparkConf::new().task_max_failures(None).unwrap(), 4);
    }

    #[test]
    fn bad_numbers_are_invalid_arguments() {
        let conf = SparkConf::new().set(TASK_MAX_FAILURES, "many");
        assert!(matches!(
            conf.get_usize(TASK_MAX_FAILURES, 4),
            Err(Error::InvalidArgument(_))
        ));
    }
}
