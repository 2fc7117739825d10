//! Spark's `LogQuery` example: a roll-up of Apache access-log lines by (ip, user, query), with
//! the request count and bytes of each group.
//!
//! ```sh
//! cargo run --release --example log_query [logFile]
//! ```

#[path = "common/mod.rs"]
mod common;

use serde::{Deserialize, Serialize};
use sparklet::prelude::*;

/// Spark's two example lines (each a multi-line Scala literal joined without newlines).
const EXAMPLE_APACHE_LOGS: [&str; 2] = [
    concat!(
        "10.10.10.10 - \"FRED\" [18/Jan/2013:17:56:07 +1100] \"GET http://images.com/2013/Generic.jpg",
        " HTTP/1.1\" 304 315 \"http://referall.com/\" \"Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1;",
        " GTB7.4; .NET CLR 2.0.50727; .NET CLR 3.0.04506.30; .NET CLR 3.0.04506.648; .NET CLR",
        " 3.5.21022; .NET CLR 3.0.4506.2152; .NET CLR 1.0.3705; .NET CLR 1.1.4322; .NET CLR",
        " 3.5.30729; Release=ARP)\" \"UD-1\" - \"image/jpeg\" \"whatever\" 0.350 \"-\" - \"\" 265 923 934 \"\"",
        " 62.24.11.25 images.com 1358492167 - Whatup"
    ),
    concat!(
        "10.10.10.10 - \"FRED\" [18/Jan/2013:18:02:37 +1100] \"GET http://images.com/2013/Generic.jpg",
        " HTTP/1.1\" 304 306 \"http:/referall.com\" \"Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1;",
        " GTB7.4; .NET CLR 2.0.50727; .NET CLR 3.0.04506.30; .NET CLR 3.0.04506.648; .NET CLR",
        " 3.5.21022; .NET CLR 3.0.4506.2152; .NET CLR 1.0.3705; .NET CLR 1.1.4322; .NET CLR",
        " 3.5.30729; Release=ARP)\" \"UD-1\" - \"image/jpeg\" \"whatever\" 0.352 \"-\" - \"\" 256 977 988 \"\"",
        " 0 73.23.2.15 images.com 1358492557 - Whatup"
    ),
];

/// The total query count and bytes of one group (Spark's `Stats`).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Stats {
    count: u64,
    num_bytes: u64,
}

impl Stats {
    fn merge(&self, other: &Stats) -> Stats {
        Stats {
            count: self.count + other.count,
            num_bytes: self.num_bytes + other.num_bytes,
        }
    }
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bytes={}\tn={}", self.num_bytes, self.count)
    }
}

/// The fields Spark's regex captures:
/// `^([\d.]+) (\S+) (\S+) \[([\w\d:/]+\s[+\-]\d{4})\] "(.+?)" (\d{3}) ([\d\-]+) "([^"]+)" "([^"]+)".*`
/// (ip, user, query, bytes), matched by hand (no regex crate).
fn parse(line: &str) -> Option<(String, String, String, String)> {
    let (ip, rest) = line.split_once(' ')?;
    if ip.is_empty() || !ip.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let (_ident, rest) = rest.split_once(' ')?;
    let (user, rest) = rest.split_once(' ')?;
    let rest = rest.strip_prefix('[')?;
    let (date, rest) = rest.split_once("] ")?;
    let (day_time, zone) = date.split_once(char::is_whitespace)?;
    let zone_ok = zone.len() == 5
        && zone.starts_with(['+', '-'])
        && zone[1..].chars().all(|c| c.is_ascii_digit());
    if day_time.is_empty() || !zone_ok {
        return None;
    }
    let rest = rest.strip_prefix('"')?;
    // `(.+?)" (\d{3}) `: the first closing quote followed by a status code.
    let mut from = 1;
    let (query, rest) = loop {
        let at = from + rest.get(from..)?.find("\" ")?;
        let after = &rest[at + 2..];
        if after.len() > 4 && after[..3].chars().all(|c| c.is_ascii_digit()) && &after[3..4] == " "
        {
            break (&rest[..at], &after[4..]);
        }
        from = at + 1;
    };
    let (bytes, rest) = rest.split_once(' ')?;
    if bytes.is_empty() || !bytes.chars().all(|c| c.is_ascii_digit() || c == '-') {
        return None;
    }
    let rest = rest.strip_prefix('"')?;
    let (referer, rest) = rest.split_once("\" \"")?;
    let (ua, _) = rest.split_once('"')?;
    if referer.is_empty() || ua.is_empty() {
        return None;
    }
    Some((ip.into(), user.into(), query.into(), bytes.into()))
}

/// Spark's `extractKey`: (ip, user, query), or nulls when there is no user.
fn extract_key(line: &str) -> (Option<String>, Option<String>, Option<String>) {
    match parse(line) {
        Some((ip, user, query, _)) if user != "\"-\"" => (Some(ip), Some(user), Some(query)),
        _ => (None, None, None),
    }
}

/// Spark's `extractStats`.
fn extract_stats(line: &str) -> Stats {
    let num_bytes = parse(line)
        .and_then(|(_, _, _, b)| b.parse().ok())
        .unwrap_or(0);
    Stats {
        count: 1,
        num_bytes,
    }
}

/// A key as Scala prints a `Tuple3` of strings (`null` for a missing field).
fn show_key(k: &(Option<String>, Option<String>, Option<String>)) -> String {
    let s = |v: &Option<String>| v.clone().unwrap_or_else(|| "null".into());
    format!("({},{},{})", s(&k.0), s(&k.1), s(&k.2))
}

fn main() -> sparklet::Result<()> {
    let conf = SparkConf::new()
        .set_master(&common::master())
        .set_app_name("Log Query");
    let sc = SparkContext::new(conf)?;
    let data_set = match std::env::args().nth(1) {
        Some(file) => sc.text_file(file, 2)?,
        None => sc.parallelize(
            EXAMPLE_APACHE_LOGS.iter().map(|s| s.to_string()).collect(),
            sc.default_parallelism(),
        ),
    };
    let rolled = data_set
        .map(|line| (extract_key(&line), extract_stats(&line)))
        .reduce_by_key(|a, b| a.merge(&b))
        .collect()?;
    for (user, query) in rolled {
        println!("{}\t{}", show_key(&user), query);
    }
    sc.stop();
    Ok(())
}
