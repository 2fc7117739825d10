//! Spark's clickstream examples, `PageViewStream` and its `PageViewGenerator`: page views of a
//! web site analysed by several stream operators — per-batch counts (`count_by_value`), a
//! sliding window of counts (`count_by_value_and_window`), error rates per zip code over a
//! window (`window` + `group_by_key`), active users over a window, and a join with a dataset.
//!
//! ```sh
//! cargo run --release --example page_view_stream                          # every metric, built-in generator
//! cargo run --release --example page_view_stream -- slidingPageCounts     # one metric, built-in generator
//! cargo run --release --example page_view_stream -- generator 44444 10    # Spark's PageViewGenerator <port> <viewsPerSecond>
//! cargo run --release --example page_view_stream -- errorRatePerZipCode localhost 44444
//! ```
//!
//! With `<metric> <host> <port>` it reads the generator's socket on the wall clock, as Spark's.
//! With no arguments (or a metric alone) the generator's events come from a seeded
//! `java.util.Random`, 10 views a batch, through a queue stream, and 30 one-second batches run
//! on the manual clock: the same output every run.

mod common;

use common::JavaRandom;
use sparklet::prelude::*;
use sparklet::streaming::*;

use page_view_generator::PageView;

/// Spark's `PageView`, `PageView.fromString` and `PageViewGenerator`.
mod page_view_generator {
    use super::JavaRandom;
    use std::io::Write;

    /// A page view on a web site with its dimension data.
    #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct PageView {
        pub url: String,
        pub status: i32,
        pub zip_code: i32,
        pub user_id: i32,
    }

    impl std::fmt::Display for PageView {
        /// `"%s\t%s\t%s\t%s\n"`, as Spark's `toString`.
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            writeln!(
                f,
                "{}\t{}\t{}\t{}",
                self.url, self.status, self.zip_code, self.user_id
            )
        }
    }

    impl PageView {
        /// Spark's `PageView.fromString`; a line that is not a page view is an error here
        /// (Spark's throws in the task).
        pub fn from_string(line: &str) -> Result<PageView, String> {
            let parts: Vec<&str> = line.split('\t').collect();
            let int = |i: usize| -> Result<i32, String> {
                parts
                    .get(i)
                    .and_then(|p| p.trim().parse().ok())
                    .ok_or_else(|| format!("not a page view: {line:?}"))
            };
            Ok(PageView {
                url: parts
                    .first()
                    .ok_or_else(|| format!("not a page view: {line:?}"))?
                    .to_string(),
                status: int(1)?,
                zip_code: int(2)?,
                user_id: int(3)?,
            })
        }
    }

    pub const PAGES: &[(&str, f64)] = &[
        ("http://foo.com/", 0.7),
        ("http://foo.com/news", 0.2),
        ("http://foo.com/contact", 0.1),
    ];
    pub const HTTP_STATUS: &[(i32, f64)] = &[(200, 0.95), (404, 0.05)];
    pub const USER_ZIP_CODE: &[(i32, f64)] = &[(94709, 0.5), (94117, 0.5)];

    /// Spark's `pickFromDistribution`: the first item whose running total of probabilities
    /// passes a uniform draw (in the table's order; Spark iterates its `Map`).
    pub fn pick_from_distribution<T: Copy>(rng: &mut JavaRandom, items: &[(T, f64)]) -> T {
        let rand = rng.next_double();
        let mut total = 0.0;
        for &(item, prob) in items {
            total += prob;
            if total > rand {
                return item;
            }
        }
        items[0].0 // Not reached when the probabilities add up to 1.0
    }

    /// Spark's `getNextClickEvent`: one page view line.
    pub fn get_next_click_event(rng: &mut JavaRandom) -> String {
        let user_ids: Vec<(i32, f64)> = (1..=100).map(|id| (id, 0.01)).collect();
        let id = pick_from_distribution(rng, &user_ids);
        let page = pick_from_distribution(rng, PAGES);
        let status = pick_from_distribution(rng, HTTP_STATUS);
        let zip_code = pick_from_distribution(rng, USER_ZIP_CODE);
        PageView {
            url: page.to_string(),
            status,
            zip_code,
            user_id: id,
        }
        .to_string()
    }

    /// Spark's `PageViewGenerator.main`: serves `views_per_second` events a second to every
    /// client of `port`, forever.
    pub fn serve(port: u16, views_per_second: f64) -> std::io::Result<()> {
        let sleep_delay = std::time::Duration::from_millis((1000.0 / views_per_second) as u64);
        let listener = std::net::TcpListener::bind(("0.0.0.0", port))?;
        println!("Listening on port: {port}");
        for (n, socket) in listener.incoming().enumerate() {
            let mut socket = socket?;
            std::thread::spawn(move || {
                if let Ok(peer) = socket.peer_addr() {
                    println!("Got client connected from: {}", peer.ip());
                }
                let mut rng = JavaRandom::unseeded(n as u64);
                loop {
                    std::thread::sleep(sleep_delay);
                    let event = get_next_click_event(&mut rng);
                    if socket.write_all(event.as_bytes()).is_err() || socket.flush().is_err() {
                        return;
                    }
                }
            });
        }
        Ok(())
    }
}

const METRICS: &[&str] = &[
    "pageCounts",
    "slidingPageCounts",
    "errorRatePerZipCode",
    "activeUserCount",
    "popularUsersSeen",
];

/// Java's `Float.toString` for the ratios Spark prints ("0.0", "0.04761905").
fn java_float(v: f32) -> String {
    if v.fract() == 0.0 && v.abs() < 1e7 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

fn main() -> Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("generator") {
        if args.len() != 3 {
            eprintln!("Usage: PageViewGenerator <port> <viewsPerSecond>");
            std::process::exit(1);
        }
        let port: u16 = args[1]
            .parse()
            .map_err(|_| Error::InvalidArgument(format!("bad port '{}'", args[1])))?;
        let rate: f64 = args[2]
            .parse()
            .map_err(|_| Error::InvalidArgument(format!("bad rate '{}'", args[2])))?;
        return page_view_generator::serve(port, rate).map_err(|e| Error::io("generator", e));
    }
    if args.len() > 3 || args.len() == 2 {
        eprintln!("Usage: PageViewStream <metric> <host> <port>");
        eprintln!(
            "<metric> must be one of pageCounts, slidingPageCounts, errorRatePerZipCode, \
             activeUserCount, popularUsersSeen"
        );
        std::process::exit(1);
    }
    let metrics: Vec<&str> = match args.first() {
        Some(m) => vec![m.as_str()],
        None => METRICS.to_vec(),
    };

    // Create the context
    let sc = SparkContext::new(
        SparkConf::new()
            .set_master("local[2]")
            .set_app_name("PageViewStream"),
    )?;
    let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let socket = args.len() == 3;
    let ssc = if socket {
        StreamingContext::new(&sc, Duration::seconds(1))
    } else {
        StreamingContext::with_manual_clock(&sc, Duration::seconds(1))
    };
    // countByValueAndWindow keeps its windows incrementally, so it checkpoints.
    ssc.checkpoint(dir.path())?;

    // A stream of lines, each converted to a PageView: the generator's socket, or its events
    // drawn here, 10 a batch.
    let lines = if socket {
        let port: u16 = args[2]
            .parse()
            .map_err(|_| Error::InvalidArgument(format!("bad port '{}'", args[2])))?;
        ssc.socket_text_stream(&args[1], port)
    } else {
        let mut rng = JavaRandom::new(42);
        let batches: Vec<Vec<String>> = (0..30)
            .map(|_| {
                (0..10)
                    .map(|_| page_view_generator::get_next_click_event(&mut rng))
                    .collect()
            })
            .collect();
        ssc.queue_stream(batches, true)
    };
    let page_views = lines
        .flat_map(|l| {
            l.split('\n')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .flat_map(|l| PageView::from_string(&l).ok());

    // Return a count of views per URL seen in each batch
    let page_counts = page_views.map(|view| view.url).count_by_value();

    // Return a sliding window of page views per URL in the last ten seconds
    let sliding_page_counts = page_views
        .map(|view| view.url)
        .count_by_value_and_window(Duration::seconds(10), Duration::seconds(2));

    // Return the rate of error pages (a non 200 status) in each zip code over the last 30 seconds
    let statuses_per_zip_code = page_views
        .window(Duration::seconds(30), Duration::seconds(2))
        .map(|view| (view.zip_code, view.status))
        .group_by_key();
    let error_rate_per_zip_code = statuses_per_zip_code.map(|(zip, statuses)| {
        let normal_count = statuses.iter().filter(|&&s| s == 200).count();
        let error_count = statuses.len() - normal_count;
        let error_ratio = error_count as f32 / statuses.len() as f32;
        if error_ratio > 0.05 {
            format!("{zip}: **{}**", java_float(error_ratio))
        } else {
            format!("{zip}: {}", java_float(error_ratio))
        }
    });

    // Return the number unique users in last 15 seconds
    let active_user_count = page_views
        .window(Duration::seconds(15), Duration::seconds(2))
        .map(|view| (view.user_id, 1))
        .group_by_key()
        .count()
        .map(|n| format!("Unique active users: {n}"));

    // An external dataset we want to join to this stream
    let user_list = sc.parallelize(
        vec![
            (1, "Patrick Wendell".to_string()),
            (2, "Reynold Xin".to_string()),
            (3, "Matei Zaharia".to_string()),
        ],
        2,
    );

    for metric in metrics {
        match metric {
            "pageCounts" => page_counts.print(10),
            "slidingPageCounts" => sliding_page_counts.print(10),
            "errorRatePerZipCode" => error_rate_per_zip_code.print(10),
            "activeUserCount" => active_user_count.print(10),
            "popularUsersSeen" => {
                // Look for users in our existing dataset and print it out if we have a match
                let user_list = user_list.clone();
                page_views
                    .map(|view| (view.user_id, 1))
                    .foreach_rdd(move |rdd, time| {
                        for u in rdd.join(&user_list).map(|(_, (_, u))| u).take(10)? {
                            println!("Saw user {u} at time {time}");
                        }
                        Ok(())
                    });
            }
            other => println!("Invalid metric entered: {other}"),
        }
    }

    ssc.start()?;
    if socket {
        while !ssc.await_termination_or_timeout(Duration::seconds(1))? {}
    } else {
        ssc.run_batches(30)?;
        ssc.stop(true, false);
    }
    Ok(())
}
