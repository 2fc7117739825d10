//! Spark's `LocalPi` example: the same estimate of π as `spark_pi`, without Spark.
//!
//! ```sh
//! cargo run --release --example local_pi
//! ```

#[path = "common/mod.rs"]
mod common;

use common::{java_double, JavaRandom};

fn main() {
    let mut random = JavaRandom::unseeded(0);
    let mut count = 0;
    for _ in 1..=100_000 {
        let x = random.next_double() * 2.0 - 1.0;
        let y = random.next_double() * 2.0 - 1.0;
        if x * x + y * y < 1.0 {
            count += 1;
        }
    }
    println!(
        "Pi is roughly {}",
        java_double(4.0 * f64::from(count) / 100_000.0)
    );
}
