//! Benchmark (issue 4): reliable checkpoint write and read throughput, beside a plain sequential
//! write and read of the same number of bytes in the same folder.
//!
//! The data is an RDD of `(u64, String)` pairs, strings of 20 to 40 lowercase letters, about
//! `size` MiB once serialized (default 1024). The pairs are generated inside the partitions
//! (`map_partitions_with_index` over one seed element per partition), so the driver never holds
//! them. Partitions are about 64 MiB each; the master is `local[2]`.
//!
//! What is timed, per round:
//!
//! - **checkpoint write**: the RDD is persisted at MEMORY_ONLY and marked for checkpoint, as
//!   Spark advises (K13), then `count()` runs. That action is two jobs: the count job generates
//!   and caches the partitions; after it, the checkpoint job reads them from the cache and writes
//!   the part files (R8). A listener stamps each job's start and end on the scheduler thread;
//!   the write figure is the checkpoint job's span alone, so generating is not counted. Bytes
//!   are the total size of the `part-NNNNN` files on disk (headers included). No fsync.
//! - **plain write**: one thread writes the same number of bytes (a 1 MiB chunk of serialized
//!   pairs, repeated) through a 1 MiB `BufWriter` to a file in the checkpoint folder. No fsync.
//!
//! Between the timed writes, the files just written are synced to disk (untimed), so that each
//! write starts with no dirty pages of the other and neither pays for the other's write-back.
//! - **checkpoint read**: `sc.checkpoint_file::<(u64, String)>(folder)` and a timed `count()`,
//!   which reads, verifies (checksums) and decodes every pair.
//! - **plain read**: one thread reads the plain file back through a 1 MiB `BufReader`.
//!
//! Both reads hit the page cache (the files were just written): the figures compare sparklet's
//! reading and decoding with the cost of just moving the bytes, not with the disk. The checkpoint
//! side uses both cores (two tasks at once); the plain side is one thread, as a plain sequential
//! copy would be. Everything lives in a temporary folder that is deleted at the end.
//!
//! Run: `cargo run --release --example bench_checkpoint [-- size_mib rounds]`
//! (defaults: 1024 MiB, 3 rounds; `-- 256` for a quick run). Medians over rounds are printed.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sparklet::prelude::*;

const MIB: u64 = 1 << 20;
/// Target partition size once serialized.
const PARTITION_MIB: u64 = 64;
/// Average serialized size of one pair: 8 (u64) + 8 (string length) + 30 (letters).
const AVG_PAIR_BYTES: u64 = 46;

/// splitmix64: a fixed hash, so that every run generates the same data.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Pair number `k`: `(k, 20..=40 letters derived from k)`.
fn pair(k: u64) -> (u64, String) {
    let mut h = mix(k);
    let len = 20 + (h % 21) as usize;
    let mut s = String::with_capacity(len);
    for i in 0..len {
        if i % 12 == 0 {
            h = mix(h);
        }
        s.push((b'a' + ((h >> ((i % 12) * 5)) % 26) as u8) as char);
    }
    (k, s)
}

/// The benchmark RDD: `parts` partitions of `per_part` pairs, generated on the executors.
fn generated(sc: &SparkContext, parts: usize, per_part: u64) -> Rdd<(u64, String)> {
    sc.parallelize((0..parts).collect::<Vec<usize>>(), parts)
        .map_partitions_with_index(move |index, _seed| {
            let start = index as u64 * per_part;
            (start..start + per_part).map(pair)
        })
}

/// Job start and end instants, stamped by a listener on the scheduler thread.
#[derive(Clone, Default)]
struct JobClock {
    spans: Arc<Mutex<Vec<(usize, Instant, Option<Instant>)>>>,
}

impl JobClock {
    fn attach(sc: &SparkContext) -> JobClock {
        let clock = JobClock::default();
        let spans = clock.spans.clone();
        sc.add_spark_listener(move |event| {
            let now = Instant::now();
            let mut spans = spans.lock().expect("listener lock");
            match event {
                SparkListenerEvent::JobStart { job_id, .. } => spans.push((*job_id, now, None)),
                SparkListenerEvent::JobEnd { job_id, .. } => {
                    if let Some(span) = spans.iter_mut().find(|s| s.0 == *job_id) {
                        span.2 = Some(now);
                    }
                }
                _ => {}
            }
        });
        clock
    }

    fn len(&self) -> usize {
        self.spans.lock().expect("listener lock").len()
    }

    /// Durations of the jobs started since `mark`, in start order.
    fn since(&self, mark: usize) -> Vec<Duration> {
        self.spans.lock().expect("listener lock")[mark..]
            .iter()
            .map(|(_, start, end)| end.expect("job ended") - *start)
            .collect()
    }
}

/// Total size of the `part-*` files of a checkpoint folder.
fn part_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        if entry.file_name().to_string_lossy().starts_with("part-") {
            total += entry
                .metadata()
                .map_err(|e| Error::io(entry.path(), e))?
                .len();
        }
    }
    Ok(total)
}

/// Flushes every file of a folder to disk (untimed), so that the next timed write does not
/// compete with the write-back of this one's dirty pages.
fn sync_folder(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        File::open(&path)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}

/// 1 MiB of serialized pairs, the pattern the plain write repeats.
fn plain_chunk() -> Result<Vec<u8>> {
    let mut chunk = Vec::with_capacity(MIB as usize + 64);
    let mut k = 0;
    while chunk.len() < MIB as usize {
        let bytes = sparklet::serializer::serialize(&pair(k))
            .map_err(|e| Error::InvalidArgument(e.to_string()))?;
        chunk.extend_from_slice(&bytes);
        k += 1;
    }
    chunk.truncate(MIB as usize);
    Ok(chunk)
}

/// Writes `bytes` bytes (the chunk repeated) through a `BufWriter`; returns the time taken.
fn plain_write(path: &Path, chunk: &[u8], bytes: u64) -> Result<Duration> {
    let t = Instant::now();
    let file = File::create(path).map_err(|e| Error::io(path, e))?;
    let mut out = BufWriter::with_capacity(MIB as usize, file);
    let mut left = bytes;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        out.write_all(&chunk[..n]).map_err(|e| Error::io(path, e))?;
        left -= n as u64;
    }
    out.flush().map_err(|e| Error::io(path, e))?;
    drop(out);
    Ok(t.elapsed())
}

/// Reads the file back through a `BufReader`; returns the time taken.
fn plain_read(path: &Path, bytes: u64) -> Result<Duration> {
    let t = Instant::now();
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut input = BufReader::with_capacity(MIB as usize, file);
    let mut buf = vec![0u8; 64 << 10];
    let (mut read, mut sum) = (0u64, 0u64);
    loop {
        let n = input.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        sum = sum.wrapping_add(buf[n - 1] as u64);
        read += n as u64;
    }
    let elapsed = t.elapsed();
    assert_eq!(read, bytes, "plain read: short file");
    std::hint::black_box(sum);
    Ok(elapsed)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn arg(args: &[String], i: usize, default: u64) -> u64 {
    args.get(i)
        .map(|s| s.parse().expect("arguments are numbers"))
        .unwrap_or(default)
}

#[derive(Default)]
struct Times {
    fill: Vec<Duration>,
    write: Vec<Duration>,
    cached_count: Vec<Duration>,
    plain_write: Vec<Duration>,
    read: Vec<Duration>,
    plain_read: Vec<Duration>,
}

fn main() -> Result<()> {
    // Spark's console: warnings and errors unless RUST_LOG says otherwise (RUST_LOG=sparklet=info
    // shows the scheduler's jobs, stages and tasks).
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let size_mib = arg(&args, 0, 1024).max(1);
    let rounds = arg(&args, 1, 3).max(1);
    let parts = size_mib.div_ceil(PARTITION_MIB).max(2) as usize;
    let per_part = size_mib * MIB / AVG_PAIR_BYTES / parts as u64;
    let n = per_part * parts as u64;

    let root = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let sc = SparkContext::new(
        SparkConf::new()
            .set_master("local[2]")
            .set_app_name("bench_checkpoint")
            .set("sparklet.executor.memory", "16g"),
    )?;
    sc.set_checkpoint_dir(root.path())?;
    let clock = JobClock::attach(&sc);
    let chunk = plain_chunk()?;

    let mut times = Times::default();
    let mut bytes = 0;
    let mut checked = false;
    for _ in 0..rounds {
        let rdd = generated(&sc, parts, per_part).persist(StorageLevel::MEMORY_ONLY)?;
        rdd.checkpoint()?;
        let mark = clock.len();
        assert_eq!(rdd.count()? as u64, n);
        let jobs = clock.since(mark);
        assert_eq!(jobs.len(), 2, "count job + checkpoint job");
        assert!(rdd.is_checkpointed());
        let cached = sc
            .get_rdd_storage_info()
            .into_iter()
            .find(|i| i.id == rdd.id())
            .map_or(0, |i| i.num_cached_partitions);
        assert_eq!(cached, parts, "every partition must stay cached");
        times.fill.push(jobs[0]);
        times.write.push(jobs[1]);

        // What the checkpoint job had to read: the cached partitions (cache first, R5).
        let t = Instant::now();
        assert_eq!(rdd.count()? as u64, n);
        times.cached_count.push(t.elapsed());

        let dir: PathBuf = rdd.get_checkpoint_file().expect("checkpointed");
        bytes = part_bytes(&dir)?;
        sync_folder(&dir)?;
        let plain = dir.join("plain-sequential.bin");
        times.plain_write.push(plain_write(&plain, &chunk, bytes)?);
        sync_folder(&dir)?;

        let back = sc.checkpoint_file::<(u64, String)>(&dir)?;
        let t = Instant::now();
        assert_eq!(back.count()? as u64, n);
        times.read.push(t.elapsed());
        times.plain_read.push(plain_read(&plain, bytes)?);

        if !checked {
            // Untimed: the files hold exactly the generated pairs.
            let digest = |r: &Rdd<(u64, String)>| {
                r.map(|(k, s)| mix(k ^ mix(s.len() as u64 ^ s.as_bytes()[7] as u64)))
                    .reduce(|a, b| a ^ b)
            };
            assert_eq!(digest(&back)?, digest(&rdd)?, "checkpoint differs");
            checked = true;
        }

        rdd.unpersist(true);
        drop((rdd, back));
        std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    }
    sc.stop();

    let mib = bytes as f64 / MIB as f64;
    let rate = |v: &[Duration]| mib / median(v.to_vec()).as_secs_f64();
    let ms = |v: &[Duration]| median(v.to_vec()).as_secs_f64() * 1e3;
    println!(
        "checkpoint: {n} (u64, String) pairs in {parts} partitions, {mib:.1} MiB of part files \
         ({:.1} bytes/pair), local[2], median of {rounds} rounds",
        bytes as f64 / n as f64
    );
    println!(
        "| {:<42} | {:>9} | {:>9} | {:>12} |",
        "", "median ms", "MiB/s", "vs plain"
    );
    println!("| {:-<42} | {:->9} | {:->9} | {:->12} |", "", "", "", "");
    let line = |label: &str, v: &[Duration], plain: Option<&[Duration]>| {
        let ratio = plain.map_or(String::new(), |p| {
            format!("{:.0}%", 100.0 * rate(v) / rate(p))
        });
        println!(
            "| {label:<42} | {:>9.1} | {:>9.1} | {:>12} |",
            ms(v),
            rate(v),
            ratio
        );
    };
    line(
        "checkpoint write (job, 2 tasks at a time)",
        &times.write,
        Some(&times.plain_write),
    );
    line(
        "plain write (BufWriter, 1 thread)",
        &times.plain_write,
        None,
    );
    line(
        "checkpoint read: checkpoint_file().count()",
        &times.read,
        Some(&times.plain_read),
    );
    line("plain read (BufReader, 1 thread)", &times.plain_read, None);
    line("(generate + cache: the count job)", &times.fill, None);
    line("(count() of the cached RDD)", &times.cached_count, None);
    println!("goal: checkpoint write and read at least 50% of the plain figures");
    let runs = |label: &str, v: &[Duration]| {
        let mut v = v.to_vec();
        v.sort();
        let ms: Vec<String> = v
            .iter()
            .map(|d| format!("{:.0}", d.as_secs_f64() * 1e3))
            .collect();
        println!("  {label:<18} runs (ms): {}", ms.join(" "));
    };
    runs("checkpoint write", &times.write);
    runs("plain write", &times.plain_write);
    runs("checkpoint read", &times.read);
    runs("plain read", &times.plain_read);
    drop(root);
    Ok(())
}
