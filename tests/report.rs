//! The HTML report (`sparklet::report::render`, `sc.write_report`): its content on a real Spark
//! 4.3 event log and on sparklet's own logs, its errors, and the page in headless Chromium
//! (loads without console errors, every section present, a screenshot in
//! target/report-screenshots/).
//!
//! Spark has no suite for an HTML report; the nearest are the History Server's and the UI's
//! (`HistoryServerSuite`, `UISeleniumSuite`, `RDDOperationGraphSuite`), whose ideas these follow:
//! replay a log, then look at the rendered page.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/spark-4.3-eventlog.json"
);

fn render_fixture() -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.html");
    sparklet::report::render(FIXTURE, &out).unwrap();
    std::fs::read_to_string(out).unwrap()
}

/// The `<g ...>` opening tag of the DAG node of `rdd` in the DAG of `job`.
fn dag_of_job(html: &str, job: u64) -> String {
    let start = html
        .find(&format!("aria-label=\"DAG of job {job}\""))
        .unwrap_or_else(|| panic!("no DAG for job {job}"));
    let end = html[start..].find("</svg>").unwrap() + start;
    html[start..end].to_string()
}

fn node_tags(dag: &str, rdd: u64) -> Vec<String> {
    let needle = format!("data-rdd=\"{rdd}\"");
    dag.match_indices("<g class=\"node")
        .map(|(i, _)| &dag[i..i + dag[i..].find('>').unwrap()])
        .filter(|tag| tag.contains(&needle))
        .map(str::to_string)
        .collect()
}

fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<section id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no section {id}"));
    let end = html[start..].find("</section>").unwrap() + start;
    &html[start..end]
}

/// Spark: HistoryServerSuite (a replayed 4.3 log lists its jobs and stages) and
/// RDDOperationGraphSuite (stages as clusters; a stage whose shuffle output exists is skipped).
#[test]
fn fixture_jobs_and_skipped_stages() {
    let html = render_fixture();
    assert!(html.contains("EventLogDemo"));
    assert!(html.contains("log format of Spark 4.3.0"));
    let jobs = section(&html, "jobs");
    for j in 0..5 {
        assert!(
            jobs.contains(&format!(">Job {j}<")),
            "job {j} in the timeline"
        );
    }
    // Job 1 (the checkpoint job) and job 4 skip their map stages 2 and 7.
    assert!(dag_of_job(&html, 1).contains("Stage 2 (skipped)"));
    assert!(dag_of_job(&html, 4).contains("Stage 7 (skipped)"));
    assert!(!dag_of_job(&html, 0).contains("skipped)"));
    assert!(section(&html, "stages").contains("skipped (job 4)"));
}

/// Spark: RDDOperationGraphSuite / UISeleniumSuite "stage DAG": the cached RDD is marked (a green
/// dot), the checkpoint RDD is drawn, and the RDD it cut is marked checkpointed.
#[test]
fn fixture_cached_and_checkpointed_rdds() {
    let html = render_fixture();
    let job0 = dag_of_job(&html, 0);
    let shuffled = node_tags(&job0, 3);
    assert_eq!(shuffled.len(), 1, "{shuffled:?}");
    assert!(shuffled[0].contains("cached"), "{}", shuffled[0]);
    assert!(!node_tags(&job0, 2)[0].contains("cached"));
    let job2 = dag_of_job(&html, 2);
    assert!(node_tags(&job2, 4)[0].contains("checkpoint-rdd"));
    assert!(node_tags(&job2, 3)[0].contains("checkpointed"));
    assert!(job2.contains("cached-dot"));
    // The shuffle boundary is an edge from stage 0's RDD 2 to stage 1's RDD 3.
    assert_eq!(job0.matches("class=\"edge\"").count(), 3);
}

/// Spark: the storage tab of a replayed log (AppStatusListener's RDD storage from block updates).
#[test]
fn fixture_storage_and_executors() {
    let html = render_fixture();
    let storage = section(&html, "storage");
    assert!(storage.contains("Memory Deserialized 1x Replicated"));
    assert!(storage.contains("<td>2/2</td><td>100%</td>"), "{storage}");
    assert!(storage.contains("driver: 2 partition(s), 1064.0 B memory, 0.0 B disk"));
    let executors = section(&html, "executors");
    assert!(executors.contains("<td>driver</td>") && executors.contains("alive"));
    let lineage = section(&html, "lineage");
    // Spark's toDebugString of RDD 3 after its checkpoint.
    let want = "(2) ShuffledRDD[3] at reduceByKey at EventLogDemo.java:38 [Memory Deserialized 1x Replicated]\n \
                |       CachedPartitions: 2; MemorySize: 1064.0 B; DiskSize: 0.0 B\n \
                |  ReliableCheckpointRDD[4] at count at EventLogDemo.java:42 [Memory Deserialized 1x Replicated]";
    assert!(lineage.contains(want), "{lineage}");
    // ... and of RDD 8, across groupByKey's shuffle, as Spark prints it.
    let want = "(2) MapPartitionsRDD[8] at groupByKey at EventLogDemo.java:50\n \
                |  ShuffledRDD[7] at groupByKey at EventLogDemo.java:50\n \
                +-(2) MapPartitionsRDD[6] at mapToPair at EventLogDemo.java:49\n    \
                |  MapPartitionsRDD[5] at flatMap at EventLogDemo.java:48\n    \
                |  ParallelCollectionRDD[0] at parallelize at EventLogDemo.java:34";
    assert!(lineage.contains(want), "{lineage}");
}

fn write_log(lines: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("local-1");
    std::fs::write(&path, lines.join("\n")).unwrap();
    (dir, path)
}

/// Names are user input: an RDD named like markup is shown as text, never as markup.
#[test]
fn rdd_names_are_escaped() {
    let job = r#"{"Event":"SparkListenerJobStart","Job ID":0,"Submission Time":1,"Stage IDs":[0],"Stage Infos":[{"Stage ID":0,"Stage Attempt ID":0,"Stage Name":"<b>s</b>","Number of Tasks":1,"RDD Info":[{"RDD ID":0,"Name":"<script>alert(1)</script>","Callsite":"x\" onload=\"y","Parent IDs":[],"Number of Partitions":1}],"Parent IDs":[]}]}"#;
    let (dir, log) = write_log(&[job]);
    let out = dir.path().join("r.html");
    sparklet::report::render(&log, &out).unwrap();
    let html = std::fs::read_to_string(out).unwrap();
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("<b>s</b>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("x\" onload"));
}

/// A corrupt line is an error naming the file and the line; a missing file names the file; no
/// report is written.
#[test]
fn corrupt_or_missing_log_is_a_clear_error() {
    let (dir, log) = write_log(&[r#"{"Event":"SparkListenerLogStart"}"#, r#"{"Event": tru"#]);
    let out = dir.path().join("r.html");
    let err = sparklet::report::render(&log, &out).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, sparklet::Error::Io { .. }), "{err:?}");
    assert!(msg.contains("local-1") && msg.contains("line 2"), "{msg}");
    assert!(!out.exists());
    let missing = dir.path().join("nope");
    let msg = sparklet::report::render(&missing, &out)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("nope") && msg.contains("cannot read the event log"),
        "{msg}"
    );
}

// ---- headless Chromium ----

fn chromium() -> String {
    for name in ["chromium", "chromium-browser"] {
        if Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return name.to_string();
        }
    }
    panic!(
        "headless Chromium is needed for the report tests and was not found: install Debian's \
         package with `apt-get update && apt-get install -y chromium` (as root; ./test.sh does it)"
    );
}

/// Runs Chromium headless on `page` with `mode` (`--dump-dom` or `--screenshot=...`) and a fresh
/// profile; returns (stdout, stderr).
fn run_chromium(page: &Path, mode: &[String]) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("timeout")
        .arg("120")
        .arg(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1400,1800",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(mode)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "chromium failed: {stderr}");
    (stdout, stderr)
}

/// Console errors and uncaught exceptions Chromium logged for the page.
fn console_errors(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| {
            l.contains("Uncaught")
                || (l.contains("CONSOLE") && (l.contains("ERROR") || l.contains("error")))
        })
        .map(str::to_string)
        .collect()
}

/// Loads the report in headless Chromium: no console errors, every section in the DOM, and a
/// screenshot saved as target/report-screenshots/<name>.png (its path printed).
fn check_in_chromium(page: &Path, name: &str, sections: &[&str]) -> PathBuf {
    let (dom, stderr) = run_chromium(page, &["--dump-dom".to_string()]);
    let errors = console_errors(&stderr);
    assert!(errors.is_empty(), "console errors: {errors:?}");
    for s in sections {
        assert!(
            dom.contains(&format!("<section id=\"{s}\">")),
            "section {s} missing from the DOM"
        );
    }
    // The script ran without breaking the page: the hover box is still in the DOM.
    assert!(dom.contains("id=\"tip\""));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/report-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let shot = dir.join(format!("{name}.png"));
    let _ = std::fs::remove_file(&shot);
    let (_, stderr) = run_chromium(page, &[format!("--screenshot={}", shot.display())]);
    assert!(console_errors(&stderr).is_empty(), "{stderr}");
    let png = std::fs::read(&shot).unwrap_or_else(|e| panic!("no screenshot {shot:?}: {e}"));
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{shot:?}"
    );
    println!("report screenshot: {}", shot.display());
    shot
}

const CORE_SECTIONS: &[&str] = &[
    "jobs",
    "stages",
    "lineage",
    "storage",
    "executors",
    "accumulators",
];

/// The detector itself: a page that throws is caught (so the clean-page checks can fail).
#[test]
fn chromium_reports_a_throwing_page() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body><p>x</p><script>null.f();</script></body></html>",
    )
    .unwrap();
    let (_, stderr) = run_chromium(&page, &["--dump-dom".to_string()]);
    assert!(!console_errors(&stderr).is_empty(), "{stderr}");
}

/// Spark: HistoryServerSuite's replay of a real log, looked at in a browser.
#[test]
fn chromium_fixture_report() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("spark-4.3.html");
    sparklet::report::render(FIXTURE, &page).unwrap();
    check_in_chromium(&page, "spark-4.3-fixture", CORE_SECTIONS);
}

// ---- sparklet's own logs ----

/// A word count with a shuffle, a cached and checkpointed RDD, an executor killed between
/// jobs, and a second shuffle whose map stage the next job skips; returns the report's HTML
/// and its path (inside the returned folder).
fn job_report() -> (tempfile::TempDir, PathBuf, String) {
    use sparklet::prelude::*;
    let sc = common::context("local-cluster[2,1,64]");
    let dir = tempfile::tempdir().unwrap();
    sc.set_checkpoint_dir(dir.path().join("ckpt")).unwrap();
    let lines = sc.parallelize(
        vec![
            "the quick brown fox".to_string(),
            "jumps over <the> lazy dog".to_string(),
            "the dog barks".to_string(),
            "a fox runs".to_string(),
        ],
        2,
    );
    let words = lines.flat_map(|l| l.split(' ').map(str::to_string).collect::<Vec<_>>());
    let counts = words.map(|w| (w, 1)).reduce_by_key(|a, b| a + b);
    counts.persist(StorageLevel::MEMORY_ONLY).unwrap();
    counts.checkpoint().unwrap();
    assert_eq!(counts.count().unwrap(), 12);
    let victim = sc.executor_ids()[0].clone();
    sc.kill_executor(&victim).unwrap();
    assert_eq!(counts.collect().unwrap().len(), 12);
    let by_len = words.map(|w| (w.len(), w)).group_by_key();
    by_len.count().unwrap();
    by_len.count().unwrap();
    let page = dir.path().join("report").join("job.html");
    sc.write_report(&page).unwrap();
    sc.stop();
    let html = std::fs::read_to_string(&page).unwrap();
    (dir, page, html)
}

/// Spark: UISeleniumSuite / RDDOperationGraphSuite on sparklet's own log: the cached RDD's dot,
/// the checkpoint RDD after the checkpoint, the skipped map stage, the dead executor with what
/// it lost and its replacement.
#[test]
fn sparklet_job_report_content() {
    let (_dir, _page, html) = job_report();
    let stages = section(&html, "stages");
    assert!(
        stages.contains("cached-dot"),
        "the cached ShuffledRDD is marked"
    );
    assert!(
        stages.contains("ReliableCheckpointRDD"),
        "the checkpoint RDD is drawn"
    );
    assert!(
        stages.contains("(skipped)"),
        "the second group_by_key job skips its map stage"
    );
    let executors = section(&html, "executors");
    assert!(executors.contains("<td>dead</td>"), "{executors}");
    assert!(executors.contains("killed by kill_executor"), "{executors}");
    // One map task per executor (one core each): the victim held map outputs of stage 0.
    assert!(
        executors.contains("shuffle map output(s) (stages 0)"),
        "{executors}"
    );
    assert!(executors.contains("<td>alive</td>"));
    // The victim's cached partition was lost with it (and re-cached from the checkpoint by
    // the next job: both partitions are cached at the end).
    assert!(executors.contains("cached block(s) (rdd_"), "{executors}");
    let storage = section(&html, "storage");
    assert!(
        storage.contains("Memory Deserialized 1x Replicated"),
        "{storage}"
    );
    assert!(storage.contains("<td>2/2</td><td>100%</td>"), "{storage}");
    assert!(html.contains("&lt;the&gt;") || !html.contains("<the>"));
    assert!(!html.contains("id=\"streaming\""));
}

/// The job report in headless Chromium (screenshot docs/report.png is taken from this one).
#[test]
fn chromium_sparklet_job_report() {
    let (_dir, page, _) = job_report();
    let shot = check_in_chromium(&page, "sparklet-job", CORE_SECTIONS);
    // `SPARKLET_UPDATE_DOCS=1 cargo test --test report` refreshes the README's screenshot.
    if std::env::var_os("SPARKLET_UPDATE_DOCS").is_some() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.png");
        std::fs::create_dir_all(docs.parent().unwrap()).unwrap();
        std::fs::copy(&shot, &docs).unwrap();
        println!("README screenshot updated: {}", docs.display());
    }
}

/// A stateful word count (mapWithState) on the manual clock, checkpointed every 2 batches;
/// returns the report's HTML and path.
fn stream_report() -> (tempfile::TempDir, PathBuf, String) {
    use sparklet::streaming::*;
    let sc = common::context("local[2]");
    let dir = tempfile::tempdir().unwrap();
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    ssc.checkpoint(dir.path().join("ckpt")).unwrap();
    let batches: Vec<Vec<String>> = (0..8)
        .map(|b| (0..=b).map(|k| format!("w{}", k % 6)).collect())
        .collect();
    let spec = StateSpec::function(|_k: &String, v: Option<i32>, s: &mut State<i32>| {
        let sum = v.unwrap_or(0) + s.get_option().copied().unwrap_or(0);
        s.update(sum);
        sum
    });
    let counts = ssc
        .queue_stream(batches, true)
        .map(|w| (w, 1))
        .map_with_state(spec)
        .checkpoint(Duration::seconds(2));
    counts.foreach_rdd(|rdd, _| rdd.count().map(|_| ()));
    ssc.start().unwrap();
    ssc.run_batches(8).unwrap();
    ssc.stop(false, false);
    let page = dir.path().join("stream.html");
    sc.write_report(&page).unwrap();
    sc.stop();
    let html = std::fs::read_to_string(&page).unwrap();
    (dir, page, html)
}

/// Spark: StreamingJobProgressListenerSuite / UISeleniumSuite (streaming) "batch info": the
/// batch timeline, the delay histograms, records and state size per batch, checkpoint batches.
#[test]
fn sparklet_stream_report_content() {
    let (_dir, _page, html) = stream_report();
    let streaming = section(&html, "streaming");
    // A queue stream reports no input records (Spark's QueueInputDStream neither); batches at
    // multiples of the 2 s checkpoint interval are checkpoint batches.
    assert!(
        streaming.contains("<p>8 batches, 0 records, 4 checkpoint batch(es)"),
        "{streaming}"
    );
    assert!(streaming.contains("<tr class=\"ckpt\"><td>2000</td>"));
    assert!(streaming.contains("scheduling delay") && streaming.contains("processing time"));
    assert!(streaming.contains("State size per batch"));
    assert!(
        streaming.contains("InternalMapWithStateDStream"),
        "{streaming}"
    );
    // Six distinct words: the state holds 6 keys from the sixth batch on.
    assert!(streaming.contains(": 6 keys in"), "{streaming}");
    assert!(
        streaming.contains("class=\"marker\""),
        "checkpoint batches are marked"
    );
}

/// The stateful stream's report in headless Chromium.
#[test]
fn chromium_sparklet_stream_report() {
    let (_dir, page, _) = stream_report();
    let mut sections = CORE_SECTIONS.to_vec();
    sections.push("streaming");
    check_in_chromium(&page, "sparklet-stream", &sections);
}

// ---- hand-written logs in Spark's format ----

/// Spark: AppStatusListenerSuite "executor removed" / "storage events": an executor removed
/// with cached blocks lost them, a later executor replaced it, and the failed task shows.
#[test]
fn executor_loss_in_spark_format() {
    let level = r#"{"Use Disk":false,"Use Memory":true,"Use Off Heap":false,"Deserialized":true,"Replication":1}"#;
    let block = |b: &str, e: &str| {
        format!(
            r#"{{"Event":"SparkListenerBlockUpdated","Block Updated Info":{{"Block Manager ID":{{"Executor ID":"{e}","Host":"h","Port":1}},"Block ID":"{b}","Storage Level":{level},"Memory Size":100,"Disk Size":0}}}}"#
        )
    };
    let lines = [
        r#"{"Event":"SparkListenerExecutorAdded","Timestamp":1,"Executor ID":"0","Executor Info":{"Host":"h","Total Cores":1}}"#.to_string(),
        r#"{"Event":"SparkListenerExecutorAdded","Timestamp":1,"Executor ID":"1","Executor Info":{"Host":"h","Total Cores":1}}"#.to_string(),
        block("rdd_3_0", "0"),
        block("rdd_3_1", "1"),
        r#"{"Event":"SparkListenerTaskEnd","Stage ID":0,"Stage Attempt ID":0,"Task Type":"ShuffleMapTask","Task End Reason":{"Reason":"Success"},"Task Info":{"Task ID":5,"Index":1,"Attempt":0,"Partition ID":1,"Launch Time":1,"Executor ID":"0","Finish Time":2}}"#.to_string(),
        r#"{"Event":"SparkListenerTaskEnd","Stage ID":1,"Stage Attempt ID":0,"Task Type":"ResultTask","Task End Reason":{"Reason":"Success"},"Task Info":{"Task ID":6,"Index":1,"Attempt":0,"Partition ID":1,"Launch Time":1,"Executor ID":"0","Finish Time":2}}"#.to_string(),
        r#"{"Event":"SparkListenerTaskEnd","Stage ID":1,"Stage Attempt ID":0,"Task Type":"ResultTask","Task End Reason":{"Reason":"ExecutorLostFailure","Executor ID":"0","Exit Caused By App":true,"Loss Reason":"killed"},"Task Info":{"Task ID":7,"Index":0,"Attempt":0,"Partition ID":0,"Launch Time":2,"Executor ID":"0","Finish Time":3}}"#.to_string(),
        r#"{"Event":"SparkListenerExecutorRemoved","Timestamp":3,"Executor ID":"0","Removed Reason":"killed by kill_executor"}"#.to_string(),
        r#"{"Event":"SparkListenerExecutorAdded","Timestamp":3,"Executor ID":"2","Executor Info":{"Host":"h","Total Cores":1}}"#.to_string(),
    ];
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let (dir, log) = write_log(&refs);
    let out = dir.path().join("r.html");
    sparklet::report::render(&log, &out).unwrap();
    let html = std::fs::read_to_string(out).unwrap();
    let executors = section(&html, "executors");
    let row0 = executors
        .split("<tr")
        .find(|r| r.contains("<td>0</td>"))
        .unwrap();
    assert!(row0.contains("<td>dead</td>"), "{row0}");
    assert!(
        row0.contains(
            "1 cached block(s) (rdd_3_0); 1 shuffle map output(s) (stages 0); 1 running task(s)"
        ),
        "{row0}"
    );
    assert!(row0.contains("<td>2</td></tr>"), "replaced by 2: {row0}");
    // Only executor 1's block is still cached.
    let storage = section(&html, "storage");
    assert!(storage.contains("1: 1 partition(s)") && !storage.contains("0: 1 partition(s)"));
}

/// Spark: AppStatusListenerSuite "accumulables": a named accumulator of a completed stage is
/// listed with its value; internal metrics are not.
#[test]
fn named_accumulators_are_listed() {
    let stage = r#"{"Event":"SparkListenerStageCompleted","Stage Info":{"Stage ID":0,"Stage Attempt ID":0,"Stage Name":"count","Number of Tasks":1,"RDD Info":[],"Parent IDs":[],"Submission Time":1,"Completion Time":2,"Accumulables":[{"ID":1,"Name":"bad records","Value":"42","Internal":false,"Count Failed Values":false},{"ID":2,"Name":"internal.metrics.resultSize","Value":9,"Internal":true,"Count Failed Values":true}]}}"#;
    let (dir, log) = write_log(&[stage]);
    let out = dir.path().join("r.html");
    sparklet::report::render(&log, &out).unwrap();
    let html = std::fs::read_to_string(out).unwrap();
    let acc = section(&html, "accumulators");
    assert!(
        acc.contains("<td>bad records</td><td>42</td><td>0</td>"),
        "{acc}"
    );
    assert!(!acc.contains("resultSize"));
    let empty = render_fixture();
    assert!(section(&empty, "accumulators").contains("No named accumulators"));
}

/// The streaming section from sparklet's `SparkletStreamingBatchCompleted` lines: delays,
/// records, state keys per batch and the checkpoint batch marked.
#[test]
fn streaming_batches_in_sparklet_format() {
    let batch = |t: u64, records: u64, keys: u64, ckpt: bool| {
        format!(
            r#"{{"Event":"SparkletStreamingBatchCompleted","Batch Time":{t},"Submission Time":{t},"Processing Start Time":{s},"Processing End Time":{e},"Num Records":{records},"Checkpoint":{ckpt},"Output Operations":1,"State":[{{"Stream Id":3,"Stream":"InternalMapWithStateDStream","Keys":{keys}}}]}}"#,
            s = t + 5,
            e = t + 25,
        )
    };
    let lines = [
        batch(1000, 4, 3, false),
        batch(2000, 6, 5, true),
        batch(3000, 0, 5, false),
    ];
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let (dir, log) = write_log(&refs);
    let out = dir.path().join("r.html");
    sparklet::report::render(&log, &out).unwrap();
    let html = std::fs::read_to_string(out).unwrap();
    let s = section(&html, "streaming");
    assert!(
        s.contains("<p>3 batches, 10 records, 1 checkpoint batch(es)"),
        "{s}"
    );
    assert!(s.contains("batch 2000: 5 keys in InternalMapWithStateDStream 3"));
    assert!(s.contains("batch 1000: scheduling delay 5 ms, processing 20 ms, 4 records"));
    assert_eq!(
        s.matches("class=\"marker\"").count(),
        3,
        "one per chart over batches"
    );
    assert!(s.contains("<tr class=\"ckpt\"><td>2000</td>"));
    assert!(s.contains("3 batch(es) with processing time in"), "{s}");
}

/// Library code never panics on bad input: extreme times, wrong types and unknown fields render
/// a page (in a debug build, where arithmetic overflow would panic).
#[test]
fn hostile_values_render_without_panic() {
    let lines = [
        r#"{"Event":"SparkListenerApplicationStart","App Name":7,"Timestamp":-9223372036854775808}"#,
        r#"{"Event":"SparkListenerApplicationEnd","Timestamp":9223372036854775807}"#,
        r#"{"Event":"SparkListenerJobStart","Job ID":0,"Submission Time":-9223372036854775808,"Stage IDs":[0,0,"x"],"Stage Infos":[{"Stage ID":0,"RDD Info":[{"RDD ID":1,"Parent IDs":[1,2]},{"RDD ID":2,"Parent IDs":[1]}],"Parent IDs":[0]}]}"#,
        r#"{"Event":"SparkListenerStageSubmitted","Stage Info":{"Stage ID":0,"Submission Time":9223372036854775807}}"#,
        r#"{"Event":"SparkListenerJobEnd","Job ID":0,"Completion Time":9223372036854775807,"Job Result":"odd"}"#,
        r#"{"Event":"SparkListenerExecutorRemoved","Executor ID":"9","Timestamp":-1}"#,
        r#"{"Event":"SparkletStreamingBatchCompleted","Batch Time":-9223372036854775808,"Submission Time":9223372036854775807,"Processing Start Time":-9223372036854775808,"Processing End Time":9223372036854775807,"Num Records":18446744073709551615,"State":[{"Keys":"many"}]}"#,
        r#"{"Event":"SparkListenerBlockUpdated","Block Updated Info":{"Block ID":"rdd_x_y"}}"#,
    ];
    let (dir, log) = write_log(&lines);
    let out = dir.path().join("r.html");
    sparklet::report::render(&log, &out).unwrap();
    let html = std::fs::read_to_string(out).unwrap();
    assert!(html.contains("<section id=\"streaming\">") && html.contains("Job 0"));
}
