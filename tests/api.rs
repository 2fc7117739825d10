//! Every name and signature of ../shared/API.md, used exactly as an outside program would (with
//! only the two documented imports), so that a change to the public API fails here first.

use sparklet::prelude::*;
use sparklet::streaming::*;

#[test]
fn core_api_as_documented() -> Result<()> {
    let conf = SparkConf::new()
        .set_master("local[2]")
        .set_app_name("api")
        .set("sparklet.task.maxFailures", "4");
    assert_eq!(conf.get("sparklet.task.maxFailures"), Some("4".to_string()));
    let sc = SparkContext::new(conf)?;
    let dir = tempfile::tempdir().unwrap();
    sc.set_checkpoint_dir(dir.path())?;
    assert!(sc.checkpoint_dir().is_some());
    assert_eq!(sc.default_parallelism(), 2);
    let ids: Vec<String> = sc.executor_ids();
    assert_eq!(ids.len(), 1);

    let nums: Rdd<i64> = sc.parallelize(vec![1, 2, 3, 4], 2);
    let _empty: Rdd<i64> = sc.empty_rdd();
    let file = dir.path().join("lines.txt");
    std::fs::write(&file, "a\nb\n").unwrap();
    let lines: Rdd<String> = sc.text_file(&file, 2)?;
    assert_eq!(lines.count()?, 2);

    let _: usize = nums.id();
    let named = nums.set_name("numbers");
    assert_eq!(named.name(), Some("numbers".to_string()));
    assert_eq!(nums.num_partitions(), 2);
    let deps: Vec<Dependency> = nums.map(|x| x).dependencies();
    let _: usize = deps[0].parent_id();
    let _: bool = deps[0].is_shuffle();
    let _: Option<Partitioner> = nums.partitioner();
    let _: String = nums.to_debug_string();
    let _ = format!("{nums} {nums:?}");

    let mapped: Rdd<String> = nums.map(|x| x.to_string());
    let flat: Rdd<i64> = nums.flat_map(|x| vec![x, x]);
    let filtered: Rdd<i64> = nums.filter(|x| *x > 1);
    let parts: Rdd<i64> =
        nums.map_partitions(|it: Box<dyn Iterator<Item = i64>>| it.map(|x| x * 2));
    let indexed: Rdd<(usize, i64)> = nums
        .map_partitions_with_index(|i, it: Box<dyn Iterator<Item = i64>>| it.map(move |x| (i, x)));
    let unioned: Rdd<i64> = nums.union(&flat);
    let glommed: Rdd<Vec<i64>> = nums.glom();
    let _: Vec<String> = mapped.collect()?;
    let _: usize = filtered.count()?;
    let _: Option<i64> = parts.reduce(|a, b| a + b)?;
    let _: Vec<(usize, i64)> = indexed.take(2)?;
    let _: Option<i64> = unioned.first()?;
    glommed.foreach(|_| {})?;

    let cached: Rdd<i64> = nums.persist(StorageLevel::MEMORY_ONLY)?;
    let _: Rdd<i64> = cached.cache()?;
    let _: StorageLevel = cached.storage_level();
    let _: Rdd<i64> = cached.unpersist(true);
    let cp = nums.map(|x| x + 1);
    cp.checkpoint()?;
    cp.count()?;
    assert!(cp.is_checkpointed());
    let _: Option<std::path::PathBuf> = cp.get_checkpoint_file();
    nums.map(|x| x).local_checkpoint()?;
    let infos: Vec<RddInfo> = sc.get_rdd_storage_info();
    for i in infos {
        let RddInfo {
            id: _,
            name: _,
            storage_level: _,
            num_partitions: _,
            num_cached_partitions: _,
            mem_size: _,
            disk_size: _,
        } = i;
    }

    let pairs: Rdd<(String, i64)> =
        sc.parallelize(vec![("a".to_string(), 1), ("b".to_string(), 2)], 2);
    let _: Rdd<(String, i64)> = pairs.map_values(|v| v * 2);
    let _: Rdd<String> = pairs.keys();
    let _: Rdd<i64> = pairs.values();
    let _: Rdd<(String, i64)> = pairs.partition_by(Partitioner::hash(3));
    let _: Rdd<(String, i64)> = pairs.reduce_by_key(|a, b| a + b);
    let _: Rdd<(String, i64)> = pairs.reduce_by_key_with(Partitioner::hash(2), |a, b| a + b);
    let _: Rdd<(String, Vec<i64>)> = pairs.group_by_key();
    let other: Rdd<(String, char)> = sc.parallelize(vec![("a".to_string(), 'x')], 1);
    let _: Rdd<(String, (Vec<i64>, Vec<char>))> = pairs.cogroup(&other);
    let _: Rdd<(String, (i64, char))> = pairs.join(&other);
    let _: std::collections::HashMap<String, i64> = pairs.collect_as_map()?;
    let p = Partitioner::hash(4);
    assert_eq!(p.num_partitions(), 4);
    assert_eq!(p.clone(), p);

    for level in [
        StorageLevel::NONE,
        StorageLevel::DISK_ONLY,
        StorageLevel::DISK_ONLY_2,
        StorageLevel::DISK_ONLY_3,
        StorageLevel::MEMORY_ONLY,
        StorageLevel::MEMORY_ONLY_2,
        StorageLevel::MEMORY_ONLY_SER,
        StorageLevel::MEMORY_ONLY_SER_2,
        StorageLevel::MEMORY_AND_DISK,
        StorageLevel::MEMORY_AND_DISK_2,
        StorageLevel::MEMORY_AND_DISK_SER,
        StorageLevel::MEMORY_AND_DISK_SER_2,
        StorageLevel::OFF_HEAP,
    ] {
        let _ = (
            level.use_disk(),
            level.use_memory(),
            level.use_off_heap(),
            level.deserialized(),
            level.replication(),
        );
        let _ = format!("{level} {level:?}");
    }

    let err: Error = SparkContext::new(SparkConf::new().set_master("nope")).unwrap_err();
    let _: &dyn std::error::Error = &err;
    assert!(matches!(err, Error::InvalidArgument(_)));
    let _ = |e: Error| match e {
        Error::CheckpointDirNotSet(..)
        | Error::StorageLevelChange { .. }
        | Error::CorruptCheckpoint { .. }
        | Error::JobAborted(..)
        | Error::InvalidArgument(..)
        | Error::IllegalState(..)
        | Error::Io { .. } => (),
        _ => (),
    };
    let victim = sc.executor_ids()[0].clone();
    sc.kill_executor(&victim)?;
    sc.stop();
    Ok(())
}

#[test]
fn streaming_api_as_documented() -> Result<()> {
    let d = Duration::milliseconds(1500);
    assert_eq!(d.milliseconds(), 1500);
    assert_eq!(Duration::seconds(2) * 3, Duration::seconds(6));
    let n: usize = 2;
    let m: u64 = 2;
    assert_eq!(Duration::seconds(1) * n, Duration::seconds(1) * m);
    let _ = Duration::minutes(1);
    let t = Time::new(5000);
    assert_eq!(t.milliseconds(), 5000);
    assert_eq!(t + d, Time::new(6500));
    assert_eq!(t - d, Time::new(3500));
    assert_eq!(t - Time::new(1000), Duration::seconds(4));

    let sc = SparkContext::new(SparkConf::new().set_master("local[2]"))?;
    let dir = tempfile::tempdir().unwrap();
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    ssc.checkpoint(dir.path())?;
    ssc.remember(Duration::seconds(5));
    let words: DStream<String> =
        ssc.queue_stream(vec![vec!["a".to_string(), "b".to_string()]], true);
    let _: DStream<String> = words.map(|w| w);
    let _: DStream<char> = words.flat_map(|w| w.chars().collect::<Vec<_>>());
    let _: DStream<String> = words.filter(|w| !w.is_empty());
    let _: DStream<usize> =
        words.map_partitions(|it: Box<dyn Iterator<Item = String>>| it.map(|w| w.len()));
    let _: DStream<String> = words.union(&words);
    let _: DStream<usize> = words.count();
    let _: DStream<String> = words.transform(|rdd, _t| rdd.map(|w| w));
    let _: DStream<String> = words.window(Duration::seconds(2), Duration::seconds(1));
    let _: DStream<String> = words.persist(StorageLevel::MEMORY_ONLY_SER);
    let _: DStream<String> = words.cache();
    let _: Duration = words.slide_duration();
    let _: Vec<Time> = words.generated_rdd_times();
    words.print(10);
    words.foreach_rdd(|_rdd, _time| Ok(()));
    words.save_as_text_files(dir.path().join("out").to_str().unwrap(), "txt");

    let pairs: DStream<(String, i64)> = words.map(|w| (w, 1));
    let _: DStream<(String, i64)> = pairs.map_values(|v| v + 1);
    let _: DStream<(String, i64)> = pairs.reduce_by_key(|a, b| a + b);
    let _: DStream<(String, Vec<i64>)> = pairs.group_by_key();
    let _: DStream<(String, i64)> =
        pairs.reduce_by_key_and_window(|a, b| a + b, Duration::seconds(2), Duration::seconds(1));
    let _: DStream<(String, i64)> = pairs.reduce_by_key_and_window_inv(
        |a, b| a + b,
        |a, b| a - b,
        Duration::seconds(2),
        Duration::seconds(1),
    );
    let _: DStream<(String, i64)> = pairs
        .update_state_by_key(|vs: &[i64], s: Option<i64>| Some(s.unwrap_or(0) + vs.len() as i64));
    let _: DStream<(String, i64)> = pairs.update_state_by_key_with(
        |vs: &[i64], s: Option<i64>| Some(s.unwrap_or(0) + vs.len() as i64),
        Partitioner::hash(2),
        Some(sc.parallelize(vec![("a".to_string(), 10)], 1)),
    );
    let spec: StateSpec<String, i64, i64, String> =
        StateSpec::function(|k: &String, v: Option<i64>, s: &mut State<i64>| {
            let _: bool = s.exists();
            let _: Option<&i64> = s.get_option();
            let _: bool = s.is_timing_out();
            if let Ok(old) = s.get() {
                let _: i64 = *old;
            }
            s.update(v.unwrap_or(0));
            k.clone()
        })
        .initial_state(sc.parallelize(vec![("z".to_string(), 1)], 1))
        .num_partitions(2)
        .partitioner(Partitioner::hash(2))
        .timeout(Duration::seconds(10));
    let mapped: MapWithStateDStream<String, i64, i64, String> = pairs.map_with_state(spec);
    let _: DStream<String> = mapped.map(|s| s); // Deref to DStream<String>
    let _: DStream<(String, i64)> = mapped.state_snapshots();
    let _advanced: StateSpec<String, i64, i64, String> = StateSpec::function_with_time(
        |_t: Time, k: &String, _v: Option<i64>, s: &mut State<i64>| {
            s.remove();
            Some(k.clone())
        },
    );
    ssc.start()?;
    ssc.run_batches(2)?;
    let _: bool = ssc.await_termination_or_timeout(Duration::milliseconds(1))?;
    ssc.stop(false, false);

    let recovered = StateSpec::<String, i64, i64, String>::function(|k, _v, _s| k.clone());
    let _ = recovered;
    let ssc2 = StreamingContext::get_or_create(dir.path().join("fresh"), || {
        Ok(StreamingContext::new(&sc, Duration::seconds(1)))
    })?;
    let _: DStream<String> = ssc2.socket_text_stream("127.0.0.1", 9);
    let _: DStream<String> = ssc2.text_file_stream(dir.path());
    ssc2.stop(true, false);
    Ok(())
}

/// API.md "More streaming": the operations on `DStream<T>`, `DStream<(K, V)>` and `ssc.union`.
#[test]
fn more_streaming_operations_as_documented() -> Result<()> {
    let sc = SparkContext::new(SparkConf::new().set_master("local[2]").set_app_name("api"))?;
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    let dir = tempfile::tempdir().unwrap();
    ssc.checkpoint(dir.path())?;
    let (w, s) = (Duration::seconds(2), Duration::seconds(1));
    let nums: DStream<i64> = ssc.queue_stream(vec![vec![1, 2], vec![3]], true);
    let _: DStream<i64> = nums.reduce(|a, b| a + b);
    let _: DStream<(i64, u64)> = nums.count_by_value();
    let _: DStream<Vec<i64>> = nums.glom();
    let _: DStream<i64> = nums.repartition(3);
    let _: DStream<String> = nums.transform_with(&nums, |a: &Rdd<i64>, b: &Rdd<i64>, _t: Time| {
        a.union(b).map(|x| x.to_string())
    });
    let _: DStream<i64> = nums.reduce_by_window(|a, b| a + b, w, s);
    let _: DStream<i64> = nums.reduce_by_window_inv(|a, b| a + b, |a, b| a - b, w, s);
    let _: DStream<u64> = nums.count_by_window(w, s);
    let _: DStream<(i64, u64)> = nums.count_by_value_and_window(w, s);
    let _: DStream<i64> = ssc.union(&[nums.clone(), nums.map(|x| x + 1)]);

    let pairs: DStream<(String, i64)> = nums.map(|x| (x.to_string(), x));
    let other: DStream<(String, char)> = nums.map(|x| (x.to_string(), 'x'));
    let _: DStream<(String, (i64, char))> = pairs.join(&other);
    let _: DStream<(String, (i64, Option<char>))> = pairs.left_outer_join(&other);
    let _: DStream<(String, (Option<i64>, char))> = pairs.right_outer_join(&other);
    let _: DStream<(String, (Option<i64>, Option<char>))> = pairs.full_outer_join(&other);
    let _: DStream<(String, (Vec<i64>, Vec<char>))> = pairs.cogroup(&other);
    let _: DStream<(String, i64)> = pairs.flat_map_values(|v| vec![v, v]);
    let _: DStream<(String, Vec<i64>)> = pairs.combine_by_key(
        |v| vec![v],
        |mut c: Vec<i64>, v| {
            c.push(v);
            c
        },
        |mut a: Vec<i64>, b| {
            a.extend(b);
            a
        },
        Partitioner::hash(2),
    );
    let _: DStream<(String, Vec<i64>)> = pairs.group_by_key_and_window(w, s);
    let counted: DStream<(String, i64)> =
        pairs.reduce_by_key_with(Partitioner::hash(2), |a, b| a + b);
    counted.foreach_rdd(|_, _| Ok(()));
    ssc.start()?;
    ssc.run_batches(1)?;
    let sliced: Vec<Rdd<i64>> = nums.slice(Time::new(0), Time::new(1000))?;
    assert_eq!(sliced.len(), 1);
    ssc.stop(true, false);
    Ok(())
}
