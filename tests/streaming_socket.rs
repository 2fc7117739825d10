//! `socket_text_stream`: a real TCP receiver on loopback (Spark's InputStreamsSuite "socket input
//! stream" and the receiver's restart behaviour).
//!
//! No sleeps synchronise these tests: each waits on an observable fact (the receiver's
//! counters, an accepted connection, a channel) in a bounded polling loop with a generous
//! overall timeout, and batches run on the manual clock only once the receiver has the lines.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use common::socket::{accept, listener, records, wait_until, PATIENCE};
use common::{context_with, sorted};
use parking_lot::Mutex;
use sparklet::prelude::*;
use sparklet::streaming::*;

const FAST_RESTART: (&str, &str) = ("sparklet.streaming.receiver.restartDelay", "20ms");

/// Collects each batch's lines, in order.
fn collect_batches(s: &DStream<String>) -> Arc<Mutex<Vec<(u64, Vec<String>)>>> {
    let out = Arc::new(Mutex::new(Vec::new()));
    let o = out.clone();
    s.foreach_rdd(move |rdd, time| {
        o.lock().push((time.milliseconds(), rdd.collect()?));
        Ok(())
    });
    out
}

#[test]
fn lines_are_counted_and_word_counted_batch_by_batch() {
    let sc = context_with("local[2]", &[]);
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    let (server, port) = listener();
    let lines = ssc.socket_text_stream("127.0.0.1", port);
    let words = lines
        .flat_map(|l| l.split(' ').map(str::to_string).collect::<Vec<_>>())
        .map(|w| (w, 1))
        .reduce_by_key(|a, b| a + b);
    let counts = Arc::new(Mutex::new(Vec::new()));
    let c = counts.clone();
    words.foreach_rdd(move |rdd, time| {
        c.lock().push((time.milliseconds(), sorted(rdd.collect()?)));
        Ok(())
    });
    let shapes = Arc::new(Mutex::new(Vec::new()));
    let s = shapes.clone();
    lines.foreach_rdd(move |rdd, _| {
        s.lock()
            .push((rdd.to_string(), rdd.num_partitions(), rdd.count()?));
        Ok(())
    });
    ssc.start().unwrap();
    let mut peer = accept(&server);

    peer.write_all(b"hello world\r\nhello\n").unwrap();
    wait_until("2 lines are received", || records(&lines) == 2);
    ssc.run_batches(1).unwrap();
    ssc.run_batches(1).unwrap(); // nothing sent: an empty batch
    peer.write_all(b"spark streaming\nhello spark\n").unwrap();
    wait_until("4 lines are received", || records(&lines) == 4);
    ssc.run_batches(1).unwrap();

    let w = |x: &str, n: i32| (x.to_string(), n);
    assert_eq!(
        *counts.lock(),
        vec![
            (1000, vec![w("hello", 2), w("world", 1)]),
            (2000, vec![]),
            (3000, vec![w("hello", 1), w("spark", 2), w("streaming", 1)]),
        ]
    );
    let shapes = shapes.lock().clone();
    assert_eq!(shapes.len(), 3);
    for (name, _, _) in &shapes {
        assert!(
            name.starts_with("BlockRDD[") && name.ends_with("at socketTextStream"),
            "{name}"
        );
    }
    // On the manual clock a batch's lines are one block, and a batch without lines has none.
    let parts: Vec<(usize, usize)> = shapes.iter().map(|(_, p, n)| (*p, *n)).collect();
    assert_eq!(parts, vec![(1, 2), (0, 0), (1, 2)]);
    let info = lines.receiver_info().unwrap();
    assert_eq!(
        (info.blocks_stored, info.errors, info.connections),
        (2, 0, 1)
    );
    assert!(info.active);
    ssc.stop(true, false);
}

#[test]
fn received_blocks_are_replicated_and_survive_their_executor() {
    let sc = context_with("local-cluster[2,1,64]", &[]);
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    let (server, port) = listener();
    let lines = ssc.socket_text_stream("127.0.0.1", port);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let infos = Arc::new(Mutex::new(Vec::new()));
    let (sc2, seen2, infos2) = (sc.clone(), seen.clone(), infos.clone());
    let first_home = Arc::new(Mutex::new(None::<String>));
    let home = first_home.clone();
    lines.foreach_rdd(move |rdd, _| {
        let blocks: Vec<RddInfo> = sc2
            .get_rdd_storage_info()
            .into_iter()
            .filter(|i| i.name.starts_with("input-"))
            .collect();
        infos2.lock().push(blocks);
        // Kill the executor holding the first copy before the batch is read.
        if let Some(id) = home.lock().take() {
            sc2.kill_executor(&id)?;
        }
        seen2.lock().push(rdd.collect()?);
        Ok(())
    });
    ssc.start().unwrap();
    let receiver_home = lines
        .receiver_info()
        .unwrap()
        .executor_id
        .expect("scheduled");
    *first_home.lock() = Some(receiver_home.clone());
    let mut peer = accept(&server);

    peer.write_all(b"a\nb\nc\n").unwrap();
    wait_until("3 lines are received", || records(&lines) == 3);
    ssc.run_batches(1).unwrap();
    peer.write_all(b"d\n").unwrap();
    wait_until("4 lines are received", || records(&lines) == 4);
    ssc.run_batches(1).unwrap();

    assert_eq!(
        *seen.lock(),
        vec![
            vec!["a".to_string(), "b".into(), "c".into()],
            vec!["d".to_string()]
        ]
    );
    let infos = infos.lock();
    let first = &infos[0];
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0].storage_level, StorageLevel::MEMORY_AND_DISK_SER_2);
    assert_eq!(first[0].num_cached_partitions, 1);
    assert!(first[0].mem_size > 0);
    // The receiver moved to a live executor when its own died.
    let now_home = lines.receiver_info().unwrap().executor_id.unwrap();
    assert_ne!(now_home, receiver_home);
    assert!(sc.executor_ids().contains(&now_home));
    ssc.stop(true, false);
}

#[test]
fn a_closed_peer_is_reported_and_later_data_arrives_after_reconnecting() {
    let sc = context_with("local[2]", &[FAST_RESTART]);
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    let (server, port) = listener();
    let lines = ssc.socket_text_stream("localhost", port);
    let batches = collect_batches(&lines);
    ssc.start().unwrap();

    let mut first = accept(&server);
    first.write_all(b"one\n").unwrap();
    wait_until("1 line is received", || records(&lines) == 1);
    ssc.run_batches(1).unwrap();
    // A last line without a newline still counts when the peer closes.
    first.write_all(b"partial").unwrap();
    drop(first);
    wait_until("the close is reported", || {
        lines.receiver_info().unwrap().errors >= 1
    });
    let info = lines.receiver_info().unwrap();
    assert!(
        info.last_error.as_deref().unwrap().contains("no more data"),
        "{info:?}"
    );

    let mut second = accept(&server);
    wait_until("the receiver reconnects", || {
        lines.receiver_info().unwrap().connections == 2
    });
    second.write_all(b"two\nthree\n").unwrap();
    wait_until("4 lines are received", || records(&lines) == 4);
    ssc.run_batches(1).unwrap();

    assert_eq!(
        *batches.lock(),
        vec![
            (1000, vec!["one".to_string()]),
            (
                2000,
                vec!["partial".to_string(), "two".into(), "three".into()]
            ),
        ]
    );
    let info = lines.receiver_info().unwrap();
    assert!(info.restarts >= 1 && info.active, "{info:?}");
    ssc.stop(true, false);
}

#[test]
fn a_refused_connection_is_retried_and_reported_not_fatal() {
    let sc = context_with("local[2]", &[FAST_RESTART]);
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    // A port with no listener: bind one, note its port, close it.
    let port = listener().1;
    let lines = ssc.socket_text_stream("127.0.0.1", port);
    let batches = collect_batches(&lines);
    ssc.start().unwrap();

    wait_until("two refusals are reported", || {
        lines.receiver_info().unwrap().errors >= 2
    });
    let info = lines.receiver_info().unwrap();
    let last = info.last_error.clone().unwrap();
    assert!(
        last.contains(&format!("Error connecting to 127.0.0.1:{port}")),
        "{last}"
    );
    assert!(info.restarts >= 1 && !info.active, "{info:?}");
    // The context runs on: the batch is empty.
    ssc.run_batches(1).unwrap();

    // Now something listens there: the next retry connects and data flows.
    let server = TcpListener::bind(("127.0.0.1", port)).expect("rebind the refused port");
    server.set_nonblocking(true).unwrap();
    let mut peer = accept(&server);
    peer.write_all(b"late\n").unwrap();
    wait_until("1 line is received", || records(&lines) == 1);
    ssc.run_batches(1).unwrap();
    assert_eq!(
        *batches.lock(),
        vec![(1000, vec![]), (2000, vec!["late".to_string()])]
    );
    ssc.stop(true, false);
}

/// Runs `ssc.stop` on another thread and returns how long it took (failing past `PATIENCE`).
fn timed_stop(ssc: &StreamingContext) -> StdDuration {
    let (tx, rx) = mpsc::channel();
    let s = ssc.clone();
    std::thread::spawn(move || {
        let start = Instant::now();
        s.stop(false, false);
        let _ = tx.send(start.elapsed());
    });
    rx.recv_timeout(PATIENCE).expect("stop returned")
}

#[test]
fn stopping_is_prompt_while_connected_and_while_waiting_to_restart() {
    let sc = context_with(
        "local[2]",
        &[("sparklet.streaming.receiver.restartDelay", "10min")],
    );

    // Connected, blocked on a read.
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    let (server, port) = listener();
    let lines = ssc.socket_text_stream("127.0.0.1", port);
    lines.foreach_rdd(|_, _| Ok(()));
    ssc.start().unwrap();
    let mut peer = accept(&server);
    wait_until("the receiver is connected", || {
        lines.receiver_info().unwrap().active
    });
    assert!(timed_stop(&ssc) < StdDuration::from_secs(2));
    assert!(!lines.receiver_info().unwrap().active);
    // The receiver closed its end.
    peer.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(peer.read(&mut buf).unwrap(), 0);

    // Refused, waiting out a ten-minute restart delay.
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    let lines = ssc.socket_text_stream("127.0.0.1", listener().1);
    lines.foreach_rdd(|_, _| Ok(()));
    ssc.start().unwrap();
    wait_until("the refusal is reported", || {
        lines.receiver_info().unwrap().errors == 1
    });
    assert!(timed_stop(&ssc) < StdDuration::from_secs(2));
    assert_eq!(lines.receiver_info().unwrap().restarts, 0);
    sc.stop();
}

#[test]
fn a_bad_host_or_port_is_an_error_from_start() {
    let sc = context_with("local[2]", &[]);
    for (host, port, needle) in [
        ("not a host", 9999, "not a host"),
        ("127.0.0.1", 0, "port 0"),
    ] {
        let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
        let lines = ssc.socket_text_stream(host, port);
        lines.foreach_rdd(|_, _| Ok(()));
        let err = ssc.start().unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
        assert!(err.to_string().contains(needle), "{err}");
        assert_eq!(lines.receiver_info().unwrap().connections, 0);
    }
    sc.stop();
}

#[test]
fn blocks_of_forgotten_batches_are_removed() {
    let sc = context_with("local[2]", &[]);
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    let (server, port) = listener();
    let lines = ssc.socket_text_stream("127.0.0.1", port);
    let kept = Arc::new(Mutex::new(Vec::new()));
    let k = kept.clone();
    lines.foreach_rdd(move |rdd, _| {
        k.lock().push(rdd.clone());
        Ok(())
    });
    let received_blocks = || {
        sc.get_rdd_storage_info()
            .into_iter()
            .filter(|i| i.name.starts_with("input-"))
            .count()
    };
    ssc.start().unwrap();
    let mut peer = accept(&server);
    peer.write_all(b"x\ny\n").unwrap();
    wait_until("2 lines are received", || records(&lines) == 2);
    ssc.run_batches(1).unwrap();
    assert_eq!(received_blocks(), 1);
    let first = kept.lock()[0].clone();
    assert_eq!(first.collect().unwrap(), vec!["x", "y"]);

    // The stream remembers one batch: batch 1 is forgotten after batch 2, and its blocks go
    // with the next batch.
    ssc.run_batches(2).unwrap();
    assert_eq!(received_blocks(), 0);
    let err = first.collect().unwrap_err();
    assert!(
        err.to_string()
            .contains("after its blocks have been removed"),
        "{err}"
    );

    // After stop the last batch stays readable while the stream lives; its blocks go with it.
    peer.write_all(b"z\n").unwrap();
    wait_until("3 lines are received", || records(&lines) == 3);
    ssc.run_batches(1).unwrap();
    ssc.stop(false, false);
    let last = kept.lock().last().cloned().unwrap();
    assert_eq!(last.collect().unwrap(), vec!["z"]);
    assert_eq!(received_blocks(), 1);
    drop((lines, ssc));
    assert_eq!(received_blocks(), 0);
    sc.stop();
}

#[test]
fn with_the_wall_clock_every_line_arrives_in_some_batch() {
    let sc = context_with(
        "local[2]",
        &[("sparklet.streaming.blockInterval", "20ms"), FAST_RESTART],
    );
    let ssc = StreamingContext::new(&sc, Duration::milliseconds(100));
    let (server, port) = listener();
    let lines = ssc.socket_text_stream("127.0.0.1", port);
    let total = Arc::new(AtomicUsize::new(0));
    let t = total.clone();
    lines.foreach_rdd(move |rdd, _| {
        t.fetch_add(rdd.count()?, Ordering::SeqCst);
        Ok(())
    });
    ssc.start().unwrap();
    let mut peer = accept(&server);
    for chunk in 0..5 {
        let text: String = (0..10).map(|i| format!("line {chunk} {i}\n")).collect();
        peer.write_all(text.as_bytes()).unwrap();
    }
    wait_until("50 lines are processed", || {
        total.load(Ordering::SeqCst) == 50
    });
    let info = lines.receiver_info().unwrap();
    assert_eq!(info.records_received, 50);
    assert!(info.blocks_stored >= 1);
    ssc.stop(true, false);
}

/// Spark's graceful stop: the receiver stops first, and batches go on until everything it
/// received was processed. The block interval is an hour, so the lines are still in the
/// receiver's buffer when `stop` is called: a stop that is not graceful would drop them.
#[test]
fn a_graceful_stop_processes_every_line_received() {
    let sc = context_with(
        "local[2]",
        &[
            ("sparklet.streaming.blockInterval", "1h"),
            ("sparklet.streaming.gracefulStopTimeout", "60s"),
        ],
    );
    let ssc = StreamingContext::new(&sc, Duration::milliseconds(50));
    let (server, port) = listener();
    let lines = ssc.socket_text_stream("127.0.0.1", port);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    lines.foreach_rdd(move |rdd, _| {
        s.lock().extend(rdd.collect()?);
        Ok(())
    });
    ssc.start().unwrap();
    let mut peer = accept(&server);
    let sent: Vec<String> = (0..40).map(|i| format!("line {i}")).collect();
    peer.write_all((sent.join("\n") + "\n").as_bytes()).unwrap();
    wait_until("the receiver has the 40 lines", || records(&lines) == 40);
    ssc.stop(false, true);
    assert_eq!(sorted(seen.lock().clone()), sorted(sent));
    // Stopped for good: nothing runs afterwards.
    let after = seen.lock().len();
    assert!(ssc.is_stopped());
    assert_eq!(seen.lock().len(), after);
    sc.stop();
}

/// Issue 16 (defect 7): a line longer than `sparklet.streaming.receiver.maxLineBytes` is
/// reported and dropped — its bytes skipped up to the next newline, never buffered — and the
/// lines after it arrive. A line of exactly the bound is kept. Spark has no such bound (its
/// `SocketReceiver` reads lines of any length); there is no Spark case to port.
#[test]
fn a_line_over_max_line_bytes_is_dropped_and_reported_and_later_lines_arrive() {
    let sc = context_with(
        "local[2]",
        &[("sparklet.streaming.receiver.maxLineBytes", "1k")],
    );
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    let (server, port) = listener();
    let lines = ssc.socket_text_stream("127.0.0.1", port);
    let batches = collect_batches(&lines);
    ssc.start().unwrap();
    let mut peer = accept(&server);
    peer.set_nodelay(true).unwrap();

    let exact = "e".repeat(1024);
    peer.write_all(format!("short\n{exact}\n").as_bytes())
        .unwrap();
    // 5000 bytes with no newline, in pieces, then the next lines.
    for _ in 0..10 {
        peer.write_all(&[b'x'; 500]).unwrap();
    }
    peer.write_all(b"\nafter\nalso\n").unwrap();
    wait_until("4 lines are received and the long one reported", || {
        records(&lines) == 4 && lines.receiver_info().unwrap().errors == 1
    });
    ssc.run_batches(1).unwrap();

    assert_eq!(
        *batches.lock(),
        vec![(
            1000,
            vec!["short".to_string(), exact, "after".into(), "also".into()]
        )]
    );
    let info = lines.receiver_info().unwrap();
    let last = info.last_error.clone().unwrap();
    assert!(
        last.contains("sparklet.streaming.receiver.maxLineBytes") && last.contains("1024"),
        "{last}"
    );
    // Dropping a line is not a lost connection: no restart.
    assert_eq!((info.connections, info.restarts), (1, 0), "{info:?}");
    assert!(info.active);
    ssc.stop(true, false);
}

/// Lines split across many reads (writes of 7 bytes with no delay, then one line of 300 KB
/// spanning several 64 KiB reads) come out whole and in order.
#[test]
fn lines_split_across_many_reads_reassemble() {
    let sc = context_with("local[2]", &[]);
    let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
    let (server, port) = listener();
    let lines = ssc.socket_text_stream("127.0.0.1", port);
    let batches = collect_batches(&lines);
    ssc.start().unwrap();
    let mut peer = accept(&server);
    peer.set_nodelay(true).unwrap();

    let mut sent: Vec<String> = (0..200).map(|i| format!("line number {i}")).collect();
    let text = sent.join("\r\n") + "\n";
    for piece in text.as_bytes().chunks(7) {
        peer.write_all(piece).unwrap();
    }
    let long: String = (0..300_000u32)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    peer.write_all(long.as_bytes()).unwrap();
    peer.write_all(b"\ntail\n").unwrap();
    sent.push(long);
    sent.push("tail".into());
    wait_until("202 lines are received", || records(&lines) == 202);
    ssc.run_batches(1).unwrap();

    let got = batches.lock().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1.len(), sent.len());
    assert!(got[0].1 == sent, "the lines differ from those sent");
    assert_eq!(lines.receiver_info().unwrap().errors, 0);
    ssc.stop(true, false);
}

/// A bound of zero is meaningless (it would drop every line but empty ones): refused at start.
#[test]
fn a_bad_max_line_bytes_is_an_error_from_start() {
    for bad in ["0", "lots", "-1"] {
        let sc = context_with(
            "local[2]",
            &[("sparklet.streaming.receiver.maxLineBytes", bad)],
        );
        let ssc = StreamingContext::with_manual_clock(&sc, Duration::seconds(1));
        let lines = ssc.socket_text_stream("127.0.0.1", 9999);
        lines.foreach_rdd(|_, _| Ok(()));
        let err = ssc.start().unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{bad}: {err:?}");
        assert!(
            err.to_string()
                .contains("sparklet.streaming.receiver.maxLineBytes"),
            "{err}"
        );
        sc.stop();
    }
}
