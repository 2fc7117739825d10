//! Batch times and durations (Spark Streaming's `Time` and `Duration`), in milliseconds.

use std::fmt;
use std::ops::{Add, Div, Mul, Rem, Sub};

/// A length of time in milliseconds (Spark's `Duration`).
///
/// ```
/// use sparklet::streaming::*;
/// let d = Duration::seconds(2);
/// assert_eq!(d.milliseconds(), 2000); // the getter, from `DurationMillis`
/// assert_eq!(d * 3, Duration::seconds(6));
/// assert_eq!(d.to_string(), "2000 ms");
/// ```
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub struct Duration {
    ms: u64,
}

impl Duration {
    /// `ms` milliseconds.
    pub const fn milliseconds(ms: u64) -> Duration {
        Duration { ms }
    }
    /// `s` seconds; saturates at `u64::MAX` milliseconds (see [`Duration::checked_seconds`]).
    /// A saturated batch duration is refused by `StreamingContext::start`.
    pub const fn seconds(s: u64) -> Duration {
        Duration {
            ms: s.saturating_mul(1000),
        }
    }
    /// `m` minutes; saturates at `u64::MAX` milliseconds (see [`Duration::checked_minutes`]).
    pub const fn minutes(m: u64) -> Duration {
        Duration {
            ms: m.saturating_mul(60_000),
        }
    }
    /// `s` seconds, or `Error::InvalidArgument` when that many milliseconds overflow `u64`.
    ///
    /// ```
    /// use sparklet::streaming::*;
    /// assert_eq!(Duration::checked_seconds(2).unwrap().milliseconds(), 2000);
    /// assert!(Duration::checked_seconds(u64::MAX).is_err());
    /// ```
    pub fn checked_seconds(s: u64) -> crate::Result<Duration> {
        s.checked_mul(1000)
            .map(Duration::milliseconds)
            .ok_or_else(|| overflow(s, "seconds"))
    }
    /// `m` minutes, or `Error::InvalidArgument` when that many milliseconds overflow `u64`.
    pub fn checked_minutes(m: u64) -> crate::Result<Duration> {
        m.checked_mul(60_000)
            .map(Duration::milliseconds)
            .ok_or_else(|| overflow(m, "minutes"))
    }
    /// Whether this is a whole multiple of `other` (Spark's `isMultipleOf`).
    pub fn is_multiple_of(&self, other: Duration) -> bool {
        other.ms != 0 && self.ms % other.ms == 0
    }
    /// Whether the duration is zero.
    pub fn is_zero(&self) -> bool {
        self.ms == 0
    }
}

fn overflow(n: u64, unit: &str) -> crate::Error {
    crate::Error::InvalidArgument(format!(
        "a duration of {n} {unit} does not fit in {} milliseconds",
        u64::MAX
    ))
}

/// `d.milliseconds()`: the length of a [`Duration`] in milliseconds.
///
/// API.md names both the constructor `Duration::milliseconds(u64)` and the getter
/// `d.milliseconds()`. Rust cannot give one type an associated function and a method of the same
/// name, so the getter lives in this trait (exported with `sparklet::streaming::*`): method-call
/// syntax finds it, path syntax finds the constructor.
pub trait DurationMillis {
    /// The length in milliseconds.
    fn milliseconds(&self) -> u64;
}

impl DurationMillis for Duration {
    fn milliseconds(&self) -> u64 {
        self.ms
    }
}

impl Mul<u64> for Duration {
    type Output = Duration;
    fn mul(self, n: u64) -> Duration {
        Duration {
            ms: self.ms.saturating_mul(n),
        }
    }
}

impl Mul<usize> for Duration {
    type Output = Duration;
    fn mul(self, n: usize) -> Duration {
        self * n as u64
    }
}

impl Mul<u32> for Duration {
    type Output = Duration;
    fn mul(self, n: u32) -> Duration {
        self * u64::from(n)
    }
}

/// `d * 3` with an unsuffixed literal (which Rust types as `i32`); a negative factor gives a
/// zero duration (durations are never negative here).
impl Mul<i32> for Duration {
    type Output = Duration;
    fn mul(self, n: i32) -> Duration {
        self * u64::try_from(n).unwrap_or(0)
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, o: Duration) -> Duration {
        Duration {
            ms: self.ms.saturating_add(o.ms),
        }
    }
}

impl Sub for Duration {
    type Output = Duration;
    fn sub(self, o: Duration) -> Duration {
        Duration {
            ms: self.ms.saturating_sub(o.ms),
        }
    }
}

impl Div for Duration {
    type Output = u64;
    fn div(self, o: Duration) -> u64 {
        self.ms.checked_div(o.ms).unwrap_or(0)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms", self.ms)
    }
}

impl fmt::Debug for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms", self.ms)
    }
}

/// A point in time in milliseconds: a batch's time (Spark's `Time`).
///
/// ```
/// use sparklet::streaming::*;
/// let t = Time::new(3000);
/// assert_eq!(t - Duration::seconds(1), Time::new(2000));
/// assert_eq!(t - Time::new(1000), Duration::seconds(2));
/// assert_eq!(t.to_string(), "3000 ms");
/// ```
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub struct Time {
    ms: u64,
}

impl Time {
    /// The time `ms` milliseconds after the clock's origin.
    pub const fn new(ms: u64) -> Time {
        Time { ms }
    }
    /// The time in milliseconds.
    pub const fn milliseconds(&self) -> u64 {
        self.ms
    }
    /// Whether `self - zero` is a whole multiple of `d`.
    pub(crate) fn is_multiple_of_since(&self, zero: Time, d: Duration) -> bool {
        self.ms >= zero.ms && d.ms != 0 && (self.ms - zero.ms) % d.ms == 0
    }
    /// The latest multiple of `d` at or before this time (Spark's `floor`).
    pub fn floor(&self, d: Duration) -> Time {
        if d.ms == 0 {
            return *self;
        }
        Time {
            ms: self.ms / d.ms * d.ms,
        }
    }
}

impl Add<Duration> for Time {
    type Output = Time;
    fn add(self, d: Duration) -> Time {
        Time {
            ms: self.ms.saturating_add(d.ms),
        }
    }
}

impl Sub<Duration> for Time {
    type Output = Time;
    fn sub(self, d: Duration) -> Time {
        Time {
            ms: self.ms.saturating_sub(d.ms),
        }
    }
}

impl Sub for Time {
    type Output = Duration;
    fn sub(self, o: Time) -> Duration {
        Duration {
            ms: self.ms.saturating_sub(o.ms),
        }
    }
}

impl Rem<Duration> for Time {
    type Output = Duration;
    fn rem(self, d: Duration) -> Duration {
        Duration {
            ms: if d.ms == 0 { 0 } else { self.ms % d.ms },
        }
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms", self.ms)
    }
}

impl fmt::Debug for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms", self.ms)
    }
}
