use sparklet::prelude::*;
use std::time::Instant;
fn main() -> Result<()> {
    let n = 10_000_000usize;
    let mut x = 0x5eedu64;
    let mut next = || {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let input: Vec<(u64, u64)> = (0..n).map(|_| (next(), next())).collect();
    let sc = SparkContext::new(SparkConf::new().set_master("local[2]"))?;
    let cached = sc.parallelize(input, 2).cache()?;
    cached.count()?;
    for _ in 0..2 {
        let t = Instant::now();
        cached.count()?;
        println!("count {:?}", t.elapsed());
        let t = Instant::now();
        let p = Partitioner::range(2, &cached, true)?;
        println!("range {:?}", t.elapsed());
        let t = Instant::now();
        cached.partition_by(p.clone()).count()?;
        println!("partition_by range {:?}", t.elapsed());
        let t = Instant::now();
        cached.partition_by(Partitioner::hash(2)).count()?;
        println!("partition_by hash {:?}", t.elapsed());
        let t = Instant::now();
        let s = cached.sort_by_key(true, 2);
        println!("sort def {:?}", t.elapsed());
        let t = Instant::now();
        s.count()?;
        println!("sort count {:?}", t.elapsed());
    }
    Ok(())
}
