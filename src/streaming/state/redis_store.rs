//! mapWithState's state in a real Redis server ([`StateStore::redis`](super::StateStore::redis)).
//!
//! # Layout
//!
//! Every key is namespaced by application, stream and partition:
//! `sparklet:<app>:<stream id>:p<partition>:<what>`.
//!
//! - `…:state` — a hash: field = the state key (serialized with `crate::serializer`), value = the
//!   key's **versions**, a short list `[(batch ms, Some((state, update ms)) | None)]` sorted by
//!   batch (`None` is a removal). The state of version `v` is the newest entry at or below `v`.
//!   A batch `t` adds (or replaces) entry `t` only; older entries are never written over, so
//!   versions `t - 1` and older stay readable while and after `t` is computed.
//! - `…:times` — a sorted set of each live key's update time, only when the spec has a timeout:
//!   a checkpoint batch finds its timed-out keys by a range query, not a walk over every key.
//! - `…:rm:<t>` — the keys removed (or timed out) by batch `t`, swept once `t` is forgotten;
//!   `…:to:<t>` — the keys timed out by batch `t` (a recomputed batch times out the same keys).
//! - `…:versions` — a sorted set of the versions written, for the sweep.
//! - `sparklet:<app>:<stream id>:done` — a hash `"<t>:<partition>"` → live key count, written
//!   last: version `t` of a partition exists once its field does.
//!
//! # A batch, per partition (one connection per executor thread, pipelined in chunks)
//!
//! 1. Read `done` of the previous version, in one round trip with the keys of the first wave.
//!    Missing: compute the previous partition (through the lineage, which writes it), or, for
//!    the first batch, write the initial state as the previous version ("seed"), then read the
//!    first wave's keys again. Still missing: an error naming the server (never a silent fresh
//!    start).
//! 2. Go over the batch's records in waves of [`WAVE`], running the mapping function over them
//!    in iterator order exactly as the in-memory path does. Each wave's round trip is sent
//!    before the wave runs and read after it: it writes the keys that the previous wave saw for
//!    the last time (each changed key's versions with entry `t` set; older entries that no
//!    remembered batch can read are pruned) and reads (`HMGET`) the versions of the keys that
//!    the next wave sees first. The server works while the mapping function runs, and it
//!    writes a key soon after reading it, while the key is still in its caches (on a 1M-key
//!    state this halves the time of the writes).
//! 3. On checkpoint batches with a timeout, the timed-out keys are the `times` range below the
//!    threshold plus `to:<t>`, checked against their versions; write `to:<t>` and their
//!    removals. Then `times` (only for keys whose newest entry is `t`), `rm:<t>`, the sweep of
//!    forgotten versions, and last `done`.
//!
//! Computing batch `t` twice reads the same version `t - 1` and writes the same entries `t`:
//! nothing is applied twice. Any Redis error fails the task with an `Error::Io` naming the
//! server; the task is retried, and the job aborts with that message after the retries.
//!
//! Snapshots (`state_snapshots`) of batch `t` read version `t` lazily, a page of `HSCAN` at a
//! time (never `KEYS`), skipping the fields that a resize may return twice by their 128-bit
//! fingerprints.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::Hash;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use crate::dependency::Dependency;
use crate::error::{Error, Result};
use crate::partitioner::Partitioner;
use parking_lot::Mutex;

use crate::rdd::map_partitions::lineage_gone;
use crate::rdd::{iterator, part_iter, ComputeResult, Data, RddBase, RddCore, TypedRdd};
use crate::scheduler::task::{fail_task, TaskContext, TaskError};
use crate::serializer;
use crate::streaming::state::rdd::MapWithStateRDDRecord;
use crate::streaming::state::spec::MappingFunction;
use crate::streaming::state::state_impl::State;
use crate::streaming::state::state_map::StateMap;
use crate::streaming::time::Time;
use crate::xxh64::xxh3_128;
use crate::{Rdd, SparkContext};

/// Fields per command.
const CHUNK: usize = 1000;
/// Records per wave of a batch's partition (one round trip each).
const WAVE: usize = 128;
/// The room a key's versions are decoded into: most keys have one or two entries, and a batch
/// adds one.
const VERSIONS_ROOM: usize = 3;
/// Commands per pipeline (one round trip).
const PIPELINE: usize = 64;
const CONNECT_TIMEOUT: StdDuration = StdDuration::from_secs(5);
const IO_TIMEOUT: StdDuration = StdDuration::from_secs(60);

type Record<K, S, E> = MapWithStateRDDRecord<K, S, E>;

/// A key's versions: `(batch ms, Some((state, update ms)))`, or `None` for a removal.
type Versions<S> = Vec<(u64, Option<(S, u64)>)>;

thread_local! {
    /// One connection per thread and server (executor task threads, the driver's thread).
    static CONNECTIONS: RefCell<HashMap<String, redis::Connection>> = RefCell::new(HashMap::new());
}

/// A Redis server named by its URL.
pub(crate) struct RedisServer {
    url: String,
    /// The URL without its password, for messages.
    name: String,
    info: redis::ConnectionInfo,
}

impl RedisServer {
    pub(crate) fn open(url: &str) -> Result<RedisServer> {
        let name = redact(url);
        let client = redis::Client::open(url).map_err(|e| {
            Error::InvalidArgument(format!(
                "Invalid Redis URL '{name}' for the state store: {e}"
            ))
        })?;
        Ok(RedisServer {
            url: url.to_string(),
            name,
            info: client.get_connection_info().clone(),
        })
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The error of a failed call: `Error::Io` naming the server.
    fn error(&self, what: &str, e: impl std::fmt::Display) -> Error {
        Error::Io {
            path: PathBuf::from(&self.name),
            message: format!("Redis server {} failed while {what}: {e}", self.name),
            source: None,
        }
    }

    /// Runs `f` on this thread's connection (made on first use). A failed call drops the
    /// connection, so the next call (the task's retry) connects again; a kept connection that
    /// the server closed meanwhile (it restarted) is replaced once, at once: every call here is
    /// a read or an idempotent write, so repeating it is safe.
    fn with<T>(
        &self,
        what: &str,
        mut f: impl FnMut(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T> {
        CONNECTIONS.with(|cell| {
            let mut conns = cell.borrow_mut();
            let mut reused = true;
            loop {
                if !conns.contains_key(&self.url) {
                    conns.insert(self.url.clone(), self.connect()?);
                    reused = false;
                }
                let Some(con) = conns.get_mut(&self.url) else {
                    return Err(Error::Internal("Redis connection vanished".into()));
                };
                match f(con) {
                    Ok(v) => return Ok(v),
                    Err(e) => {
                        conns.remove(&self.url);
                        if !(reused && (e.is_connection_dropped() || e.is_io_error())) {
                            return Err(self.error(what, e));
                        }
                        reused = false;
                    }
                }
            }
        })
    }

    /// Runs `f` on this thread's open connection, never connecting again: a round's replies
    /// are read from the connection it was sent on. A failed call drops the connection.
    fn with_open<T>(
        &self,
        what: &str,
        f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T> {
        CONNECTIONS.with(|cell| {
            let mut conns = cell.borrow_mut();
            let Some(con) = conns.get_mut(&self.url) else {
                return Err(self.error(what, "the connection was closed"));
            };
            f(con).map_err(|e| {
                conns.remove(&self.url);
                self.error(what, e)
            })
        })
    }

    /// Drops this thread's connection to the server (its replies are no longer in step).
    fn forget_connection(&self) {
        CONNECTIONS.with(|cell| {
            cell.borrow_mut().remove(&self.url);
        });
    }

    fn connect(&self) -> Result<redis::Connection> {
        let client =
            redis::Client::open(self.info.clone()).map_err(|e| self.error("connecting", e))?;
        let con = client
            .get_connection_with_timeout(CONNECT_TIMEOUT)
            .map_err(|e| self.error("connecting", e))?;
        con.set_read_timeout(Some(IO_TIMEOUT))
            .and_then(|_| con.set_write_timeout(Some(IO_TIMEOUT)))
            .map_err(|e| self.error("connecting", e))?;
        Ok(con)
    }

    /// Runs the commands built by `add` over `items` in chunks of [`CHUNK`], [`PIPELINE`]
    /// commands a round trip; returns each command's reply in order.
    fn chunked<I, T: redis::FromRedisValue>(
        &self,
        what: &str,
        items: &[I],
        add: impl Fn(&mut redis::Pipeline, &[I]),
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        for group in items.chunks(CHUNK * PIPELINE) {
            let mut pipe = redis::pipe();
            for chunk in group.chunks(CHUNK) {
                add(&mut pipe, chunk);
            }
            let replies: Vec<T> = self.with(what, |c| pipe.query(c))?;
            out.extend(replies);
        }
        Ok(out)
    }

    /// Deletes every key of a namespace (SCAN + UNLINK): a stream that starts from its initial
    /// state never sees an earlier run's keys.
    pub(crate) fn clear(&self, layout: &Layout) -> Result<()> {
        let pattern = format!("{}:*", glob_escape(&layout.ns));
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<Vec<u8>>) = self.with("clearing old state", |c| {
                redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(CHUNK)
                    .query(c)
            })?;
            if !keys.is_empty() {
                let mut cmd = redis::cmd("UNLINK");
                for k in &keys {
                    cmd.arg(k.as_slice());
                }
                self.with("clearing old state", |c| cmd.query::<()>(c))?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }

    /// The live key counts of version `t` of every partition, when all of them are complete.
    pub(crate) fn complete_version(
        &self,
        layout: &Layout,
        t: u64,
        partitions: usize,
    ) -> Result<Option<Vec<u64>>> {
        if partitions == 0 {
            return Ok(None);
        }
        let mut cmd = redis::cmd("HMGET");
        cmd.arg(layout.done());
        for p in 0..partitions {
            cmd.arg(Layout::done_field(t, p));
        }
        let counts: Vec<Option<u64>> = self.with("reading the versions", |c| cmd.query(c))?;
        Ok(counts.into_iter().collect())
    }
}

/// Hides the password of `redis://user:password@host`.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}***{}", &url[..s + 3], &url[at..]),
        _ => url.to_string(),
    }
}

fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The key names of one stream's state.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    ns: String,
}

impl Layout {
    pub(crate) fn new(app: &str, stream: usize) -> Layout {
        Layout {
            ns: format!("sparklet:{app}:{stream}"),
        }
    }
    fn state(&self, p: usize) -> String {
        format!("{}:p{p}:state", self.ns)
    }
    fn times(&self, p: usize) -> String {
        format!("{}:p{p}:times", self.ns)
    }
    fn removed(&self, p: usize, t: u64) -> String {
        format!("{}:p{p}:rm:{t}", self.ns)
    }
    fn timed_out(&self, p: usize, t: u64) -> String {
        format!("{}:p{p}:to:{t}", self.ns)
    }
    fn versions(&self, p: usize) -> String {
        format!("{}:p{p}:versions", self.ns)
    }
    fn done(&self) -> String {
        format!("{}:done", self.ns)
    }
    fn done_field(t: u64, p: usize) -> String {
        format!("{t}:{p}")
    }
}

/// What a batch's `MapWithStateRDD` needs to use Redis.
#[derive(Clone)]
pub(crate) struct RedisBatch {
    pub(crate) server: Arc<RedisServer>,
    pub(crate) layout: Layout,
    /// The previous batch's time (the version read).
    pub(crate) prev: u64,
    /// Versions at or below this are never read again (older than every remembered batch).
    pub(crate) horizon: Option<u64>,
    /// The spec has a timeout: keep the `times` sorted set.
    pub(crate) track_times: bool,
}

/// The state of version `v`: the newest entry at or below it.
fn value_at<S>(versions: &Versions<S>, v: u64) -> Option<&(S, u64)> {
    versions
        .iter()
        .rev()
        .find(|(t, _)| *t <= v)
        .and_then(|(_, s)| s.as_ref())
}

/// Sets entry `t` (replacing an earlier write of the same batch), keeping the order.
fn set_version<S>(versions: &mut Versions<S>, t: u64, value: Option<(S, u64)>) {
    match versions.binary_search_by_key(&t, |(v, _)| *v) {
        Ok(i) => versions[i].1 = value,
        Err(i) => versions.insert(i, (t, value)),
    }
}

/// Drops the entries no version above `horizon` reads: all but the newest at or below it, and
/// that one too when it is a removal.
fn prune<S>(versions: &mut Versions<S>, horizon: Option<u64>) {
    let Some(h) = horizon else { return };
    let at_or_below = versions.iter().take_while(|(t, _)| *t <= h).count();
    if at_or_below == 0 {
        return;
    }
    let base = at_or_below - 1;
    let drop = if versions[base].1.is_none() {
        base + 1
    } else {
        base
    };
    versions.drain(..drop);
}

fn decode<T: serde::de::DeserializeOwned>(server: &RedisServer, bytes: &[u8]) -> Result<T> {
    serializer::deserialize(bytes).map_err(|e| server.error("decoding a stored state", e))
}

/// The versions in `HMGET` replies, decoded straight from the reply values (a missing field
/// has none).
fn decode_replies<S: Data>(
    server: &RedisServer,
    replies: Vec<redis::Value>,
) -> Result<Vec<Versions<S>>> {
    let unexpected =
        |v: &redis::Value| server.error("reading the state", format!("unexpected reply {v:?}"));
    let mut out = Vec::new();
    for reply in replies {
        let redis::Value::Array(items) = reply else {
            return Err(unexpected(&reply));
        };
        out.reserve(items.len());
        for item in items {
            match item {
                redis::Value::BulkString(bytes) => {
                    // Room for the entry the batch adds, so that setting it does not grow
                    // the list again.
                    let mut versions = Vec::with_capacity(VERSIONS_ROOM);
                    serializer::decode_seq_into(&bytes, &mut versions)
                        .map_err(|e| server.error("decoding a stored state", e))?;
                    out.push(versions);
                }
                redis::Value::Nil => out.push(Vec::new()),
                other => return Err(unexpected(&other)),
            }
        }
    }
    Ok(out)
}

fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>> {
    Ok(serializer::serialize(value)?)
}

impl RedisBatch {
    fn hmget<S: Data>(&self, p: usize, fields: &[Vec<u8>]) -> Result<Vec<Versions<S>>> {
        let key = self.layout.state(p);
        let replies: Vec<redis::Value> =
            self.server
                .chunked("reading the state", fields, |pipe, chunk| {
                    let cmd = pipe.cmd("HMGET").arg(&key);
                    for f in chunk {
                        cmd.arg(f.as_slice());
                    }
                })?;
        decode_replies(&self.server, replies)
    }

    /// Writes each key's versions (`HSET`), or deletes a key left with none (`HDEL`).
    fn write_versions<S: Data>(&self, p: usize, writes: &[(&[u8], Versions<S>)]) -> Result<()> {
        let key = self.layout.state(p);
        let mut packed = Packed::default();
        for group in writes.chunks(CHUNK * PIPELINE) {
            packed.clear();
            packed.add_writes(&key, group.iter().map(|(f, vs)| (*f, vs)))?;
            packed.query(&self.server, "writing the state")?;
        }
        Ok(())
    }

    fn add_to_set(&self, what: &str, set: &str, fields: &[&[u8]]) -> Result<()> {
        self.server.chunked::<_, ()>(what, fields, |pipe, chunk| {
            let cmd = pipe.cmd("SADD").arg(set);
            for f in chunk {
                cmd.arg(*f);
            }
            cmd.ignore();
        })?;
        Ok(())
    }

    /// The previous version's live key count; seeds it from the initial state or computes it
    /// through the lineage when it is missing.
    ///
    /// `read` is the count already read with the batch's first round (`None`: missing).
    fn previous_count<K: Data + Hash + Eq, S: Data, E: Data>(
        &self,
        p: usize,
        read: Option<u64>,
        prev_record: impl FnOnce() -> std::result::Result<Option<Record<K, S, E>>, TaskError>,
    ) -> std::result::Result<u64, TaskError> {
        if let Some(n) = read {
            return Ok(n);
        }
        let done = self.layout.done();
        let field = Layout::done_field(self.prev, p);
        let read = || -> Result<Option<u64>> {
            self.server.with("reading the versions", |c| {
                redis::cmd("HGET").arg(&done).arg(&field).query(c)
            })
        };
        if let Some(record) = prev_record()? {
            if record.redis_version.is_none() {
                return Ok(self.seed(p, &record.state_map)?);
            }
        }
        read()?.ok_or_else(|| {
            TaskError::Cause(self.server.error(
                "reading the state",
                format!(
                    "version {} of partition {p} of {} is missing (was the server's data lost?)",
                    Time::new(self.prev),
                    self.layout.ns
                ),
            ))
        })
    }

    /// Writes an in-memory state map (the initial state) as the previous version.
    fn seed<K: Data + Hash + Eq, S: Data>(&self, p: usize, map: &StateMap<K, S>) -> Result<u64> {
        let entries = map.get_all();
        let mut fields = Vec::with_capacity(entries.len());
        let mut writes = Vec::with_capacity(entries.len());
        for (k, s, t) in entries {
            let field = encode(&k)?;
            writes.push((t, vec![(self.prev, Some((s, t)))]));
            fields.push(field);
        }
        let pairs: Vec<(&[u8], Versions<S>)> = fields
            .iter()
            .map(Vec::as_slice)
            .zip(writes.iter().map(|(_, v)| v.clone()))
            .collect();
        self.write_versions(p, &pairs)?;
        if self.track_times {
            let times: Vec<(&[u8], u64)> = fields
                .iter()
                .map(Vec::as_slice)
                .zip(writes.iter().map(|(t, _)| *t))
                .collect();
            self.zadd_times(p, &times)?;
        }
        let n = fields.len() as u64;
        self.finish(p, self.prev, n)?;
        Ok(n)
    }

    fn zadd_times(&self, p: usize, times: &[(&[u8], u64)]) -> Result<()> {
        let key = self.layout.times(p);
        self.server
            .chunked::<_, ()>("writing the update times", times, |pipe, chunk| {
                let cmd = pipe.cmd("ZADD").arg(&key);
                for (f, t) in chunk {
                    cmd.arg(*t).arg(*f);
                }
                cmd.ignore();
            })?;
        Ok(())
    }

    fn zrem_times(&self, p: usize, fields: &[&[u8]]) -> Result<()> {
        let key = self.layout.times(p);
        self.server
            .chunked::<_, ()>("writing the update times", fields, |pipe, chunk| {
                let cmd = pipe.cmd("ZREM").arg(&key);
                for f in chunk {
                    cmd.arg(*f);
                }
                cmd.ignore();
            })?;
        Ok(())
    }

    /// Marks version `t` of partition `p` complete with its live key count (the last write).
    fn finish(&self, p: usize, t: u64, count: u64) -> Result<()> {
        let done = self.layout.done();
        let versions = self.layout.versions(p);
        self.server.with("writing the versions", |c| {
            redis::pipe()
                .cmd("ZADD")
                .arg(&versions)
                .arg(t)
                .arg(t)
                .ignore()
                .cmd("HSET")
                .arg(&done)
                .arg(Layout::done_field(t, p))
                .arg(count)
                .ignore()
                .query::<()>(c)
        })
    }

    /// Forgets the versions at or below the horizon: prunes the keys they removed (deleting
    /// those left with no versions) and drops their bookkeeping.
    fn sweep<S: Data>(&self, p: usize) -> Result<()> {
        let Some(h) = self.horizon else {
            return Ok(());
        };
        let versions_key = self.layout.versions(p);
        let old: Vec<u64> = self.server.with("sweeping old versions", |c| {
            redis::cmd("ZRANGEBYSCORE")
                .arg(&versions_key)
                .arg("-inf")
                .arg(h)
                .query(c)
        })?;
        for v in old {
            let removed = self.layout.removed(p, v);
            let fields: Vec<Vec<u8>> = self.server.with("sweeping old versions", |c| {
                redis::cmd("SMEMBERS").arg(&removed).query(c)
            })?;
            if !fields.is_empty() {
                let mut versions = self.hmget::<S>(p, &fields)?;
                for vs in &mut versions {
                    prune(vs, Some(h));
                }
                let writes: Vec<(&[u8], Versions<S>)> =
                    fields.iter().map(Vec::as_slice).zip(versions).collect();
                self.write_versions(p, &writes)?;
            }
            let done = self.layout.done();
            let timed_out = self.layout.timed_out(p, v);
            self.server.with("sweeping old versions", |c| {
                redis::pipe()
                    .cmd("UNLINK")
                    .arg(&removed)
                    .arg(&timed_out)
                    .ignore()
                    .cmd("HDEL")
                    .arg(&done)
                    .arg(Layout::done_field(v, p))
                    .ignore()
                    .cmd("ZREM")
                    .arg(&versions_key)
                    .arg(v)
                    .ignore()
                    .query::<()>(c)
            })?;
        }
        Ok(())
    }

    /// The keys that time out in batch `t`: the `times` range below the threshold plus the
    /// ones an earlier attempt of the batch recorded.
    fn timeout_candidates(&self, p: usize, t: u64, threshold: u64) -> Result<BTreeSet<Vec<u8>>> {
        let times = self.layout.times(p);
        let timed_out = self.layout.timed_out(p, t);
        let (range, recorded): (Vec<Vec<u8>>, Vec<Vec<u8>>) =
            self.server.with("finding timed-out keys", |c| {
                redis::pipe()
                    .cmd("ZRANGEBYSCORE")
                    .arg(&times)
                    .arg("-inf")
                    .arg(format!("({threshold}"))
                    .cmd("SMEMBERS")
                    .arg(&timed_out)
                    .query(c)
            })?;
        Ok(range.into_iter().chain(recorded).collect())
    }
}

/// A wave of a batch's partition: its records, and the keys it sees first (indexes into the
/// batch's keys, in first-seen order).
struct Wave {
    records: std::ops::Range<usize>,
    first_seen: std::ops::Range<usize>,
}

/// A batch's distinct keys, serialized one after another into one buffer.
#[derive(Default)]
struct Fields {
    bytes: Vec<u8>,
    /// Where each key's bytes end.
    ends: Vec<usize>,
}

impl Fields {
    fn push<K: serde::Serialize>(&mut self, key: &K) -> Result<()> {
        serializer::serialize_into(&mut self.bytes, key)?;
        self.ends.push(self.bytes.len());
        Ok(())
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    /// The `i`-th key's bytes (a field of the state hash).
    fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }
}

/// The writes of a batch's partition: where they go, and the bookkeeping of the keys written
/// so far (indexes into its keys).
struct Writes {
    /// The partition's state hash.
    key: String,
    /// The batch's time (the entry written).
    t: u64,
    /// [`RedisBatch::horizon`].
    horizon: Option<u64>,
    /// Live keys whose newest entry is this batch's, with their update times.
    live_newest: Vec<(usize, u64)>,
    /// Keys removed by this batch whose newest entry is the removal.
    gone_newest: Vec<usize>,
    /// Keys removed by this batch.
    removed: Vec<usize>,
}

impl Writes {
    /// Adds to `round` the writes of the `finished` keys (seen for the last time in the
    /// batch): entry `t` set in each one's versions, the entries no remembered batch reads
    /// pruned.
    fn take_pending<S: Data>(
        &mut self,
        fields: &Fields,
        stored: &mut [Versions<S>],
        current: &[Option<(S, u64)>],
        finished: &[usize],
        round: &mut Packed,
    ) -> Result<()> {
        let t = self.t;
        for &i in finished {
            let vs = &mut stored[i];
            set_version(vs, t, current[i].clone());
            let newest = vs.last().map(|(v, _)| *v) == Some(t);
            prune(vs, self.horizon);
            match &current[i] {
                Some((_, updated)) if newest => self.live_newest.push((i, *updated)),
                Some(_) => {}
                None => {
                    self.removed.push(i);
                    if newest {
                        self.gone_newest.push(i);
                    }
                }
            }
        }
        round.add_writes(
            &self.key,
            finished.iter().map(|&i| (fields.get(i), &stored[i])),
        )
    }
}

/// One round trip's commands, each built with redis-rs and packed into one buffer
/// (`Cmd::write_packed_command`); the buffers are kept and reused from round to round.
#[derive(Default)]
struct Packed {
    bytes: Vec<u8>,
    /// The round starts with the `HGET` of a `done` field (the previous version's count).
    done: bool,
    /// Commands whose replies are ignored (`HSET`, `HDEL`), then the `HMGET`s.
    writes: usize,
    reads: usize,
    set: redis::Cmd,
    del: redis::Cmd,
    get: redis::Cmd,
    value: Vec<u8>,
}

impl Packed {
    fn clear(&mut self) {
        self.bytes.clear();
        self.done = false;
        self.writes = 0;
        self.reads = 0;
    }

    fn is_empty(&self) -> bool {
        !self.done && self.writes + self.reads == 0
    }

    /// Starts the round with the `HGET` of `field` of the hash `done`.
    fn add_done(&mut self, done: &str, field: &str) {
        debug_assert!(self.is_empty(), "the done field leads its round");
        redis::cmd("HGET")
            .arg(done)
            .arg(field)
            .write_packed_command(&mut self.bytes);
        self.done = true;
    }

    /// Adds the writes of the keys' versions: `HSET`s of the encoded versions, and `HDEL`s of
    /// the keys left with none, [`CHUNK`] fields a command.
    fn add_writes<'a, S: Data>(
        &mut self,
        key: &str,
        writes: impl IntoIterator<Item = (&'a [u8], &'a Versions<S>)>,
    ) -> Result<()> {
        let (mut sets, mut dels) = (0, 0);
        for (field, versions) in writes {
            if versions.iter().all(|(_, s)| s.is_none()) {
                if dels == 0 {
                    self.del.arg("HDEL").arg(key);
                }
                self.del.arg(field);
                dels += 1;
                if dels == CHUNK {
                    self.flush_del();
                    dels = 0;
                }
                continue;
            }
            self.value.clear();
            serializer::serialize_into(&mut self.value, versions)?;
            if sets == 0 {
                self.set.arg("HSET").arg(key);
            }
            self.set.arg(field).arg(self.value.as_slice());
            sets += 1;
            if sets == CHUNK {
                self.flush_set();
                sets = 0;
            }
        }
        if sets > 0 {
            self.flush_set();
        }
        if dels > 0 {
            self.flush_del();
        }
        Ok(())
    }

    fn flush_set(&mut self) {
        pack(&mut self.set, &mut self.bytes);
        self.writes += 1;
    }

    fn flush_del(&mut self) {
        pack(&mut self.del, &mut self.bytes);
        self.writes += 1;
    }

    /// Adds the reads (`HMGET`) of the versions of the fields `range`, [`CHUNK`] fields a
    /// command.
    fn add_reads(&mut self, key: &str, fields: &Fields, range: std::ops::Range<usize>) {
        for start in range.clone().step_by(CHUNK) {
            self.get.arg("HMGET").arg(key);
            for i in start..(start + CHUNK).min(range.end) {
                self.get.arg(fields.get(i));
            }
            pack(&mut self.get, &mut self.bytes);
            self.reads += 1;
        }
    }

    /// What a failure of this round was doing, for its error.
    fn what(&self) -> &'static str {
        if self.reads > 0 || self.done {
            "reading the state"
        } else {
            "writing the state"
        }
    }

    /// Sends the round without waiting for its replies.
    fn send<'s>(&self, server: &'s RedisServer) -> Result<Inflight<'s>> {
        let mut inflight = Inflight {
            server,
            what: self.what(),
            done: self.done,
            writes: self.writes,
            reads: self.reads,
            open: false,
        };
        if !self.is_empty() {
            server.with(inflight.what, |c| c.send_packed_command(&self.bytes))?;
            inflight.open = true;
        }
        Ok(inflight)
    }

    /// Sends the round and waits for its replies, all ignored (a connection the server closed
    /// meanwhile is replaced and the round sent again, as for every call through `with`).
    fn query(&self, server: &RedisServer, what: &str) -> Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        let replies = usize::from(self.done) + self.writes + self.reads;
        server.with(what, |c| {
            c.send_packed_command(&self.bytes)?;
            for _ in 0..replies {
                c.recv_response()?.extract_error()?;
            }
            Ok(())
        })
    }
}

/// Appends the command to the round's bytes and empties it (keeping its buffers).
fn pack(cmd: &mut redis::Cmd, bytes: &mut Vec<u8>) {
    cmd.write_packed_command(bytes);
    cmd.clear();
}

/// A round sent on this thread's connection whose replies are still to be read. Dropped
/// unread (an error, a panicking mapping function), it closes the connection: the next call
/// connects afresh instead of reading this round's replies.
struct Inflight<'a> {
    server: &'a RedisServer,
    what: &'static str,
    done: bool,
    writes: usize,
    reads: usize,
    open: bool,
}

impl Inflight<'_> {
    /// Reads the round's replies: the `done` count (when the round asked for it), and the
    /// versions of its reads in order.
    fn recv<S: Data>(mut self) -> Result<(Option<u64>, Vec<Versions<S>>)> {
        if !self.open {
            return Ok((None, Vec::new()));
        }
        let (done, writes, reads) = (self.done, self.writes, self.reads);
        let (count, replies) = self.server.with_open(self.what, |c| {
            let count: Option<u64> = if done {
                redis::from_redis_value(c.recv_response()?.extract_error()?)?
            } else {
                None
            };
            for _ in 0..writes {
                c.recv_response()?.extract_error()?;
            }
            let mut out = Vec::with_capacity(reads);
            for _ in 0..reads {
                out.push(c.recv_response()?.extract_error()?);
            }
            Ok((count, out))
        })?;
        self.open = false;
        Ok((count, decode_replies(self.server, replies)?))
    }
}

impl Drop for Inflight<'_> {
    fn drop(&mut self) {
        if self.open {
            self.server.forget_connection();
        }
    }
}

/// `MapWithStateRDDRecord.updateRecordWithData` with the state in Redis: the same calls of the
/// mapping function in the same order, the state read from version `prev` and written as
/// version `batch_time`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn update_partition<K, V, S, E>(
    batch: &RedisBatch,
    p: usize,
    prev_record: impl FnOnce() -> std::result::Result<Option<Record<K, S, E>>, TaskError>,
    data: impl Iterator<Item = (K, V)>,
    f: &MappingFunction<K, V, S, E>,
    batch_time: Time,
    timeout_threshold: Option<u64>,
    remove_timed_out: bool,
) -> std::result::Result<Record<K, S, E>, TaskError>
where
    K: Data + Hash + Eq,
    V: Data,
    S: Data,
    E: Data,
{
    let t = batch_time.milliseconds();
    let prev = batch.prev;

    // The batch's distinct keys in first-seen order, each record's key, and the record where
    // each key is seen last.
    let data: Vec<(K, V)> = data.collect();
    let mut index: HashMap<K, usize> = HashMap::with_capacity(data.len());
    let mut fields = Fields::default();
    let mut record_key: Vec<usize> = Vec::with_capacity(data.len());
    let mut last_seen: Vec<usize> = Vec::new();
    for (r, (k, _)) in data.iter().enumerate() {
        let i = match index.get(k) {
            Some(&i) => i,
            None => {
                index.insert(k.clone(), fields.len());
                fields.push(k)?;
                last_seen.push(0);
                fields.len() - 1
            }
        };
        last_seen[i] = r;
        record_key.push(i);
    }
    drop(index);

    // The records in waves of [`WAVE`], the mapping function over them in order. Each wave's
    // round trip writes the keys the last wave saw last and reads the keys the next wave sees
    // first, so each key is written while the server still has it in its caches.
    let mut stored: Vec<Versions<S>> = Vec::with_capacity(fields.len());
    let mut current: Vec<Option<(S, u64)>> = Vec::with_capacity(fields.len());
    let mut existed: Vec<bool> = Vec::with_capacity(fields.len());
    let mut changed = vec![false; fields.len()];
    // Each wave's records and the keys it sees first (a range, keys being in first-seen order).
    let mut waves: Vec<Wave> = Vec::new();
    let mut seen = 0;
    for r in (0..record_key.len()).step_by(WAVE) {
        let records = r..(r + WAVE).min(record_key.len());
        let to = record_key[records.clone()]
            .iter()
            .max()
            .map_or(seen, |m| (m + 1).max(seen));
        waves.push(Wave {
            records,
            first_seen: seen..to,
        });
        seen = to;
    }
    let key = batch.layout.state(p);
    let mut writes = Writes {
        key: key.clone(),
        t,
        horizon: batch.horizon,
        live_newest: Vec::new(),
        gone_newest: Vec::new(),
        removed: Vec::new(),
    };
    let mut finished: Vec<usize> = Vec::new();
    let mut mapped = Vec::new();
    let mut state = State::new();
    let mut data = data.into_iter();
    let reads = |w: Option<&Wave>| w.map_or(0..0, |w| w.first_seen.clone());
    // The first round reads the previous version's count with the first wave's keys. A
    // missing version is made (seeded, or computed through the lineage) and its keys read again.
    let mut round = Packed::default();
    round.add_done(&batch.layout.done(), &Layout::done_field(prev, p));
    round.add_reads(&key, &fields, reads(waves.first()));
    let (count, mut arrived) = round.send(&batch.server)?.recv::<S>()?;
    let prev_count = batch.previous_count(p, count, prev_record)?;
    if count.is_none() {
        round.clear();
        round.add_reads(&key, &fields, reads(waves.first()));
        arrived = round.send(&batch.server)?.recv::<S>()?.1;
    }
    for (w, wave) in waves.iter().enumerate() {
        for versions in arrived.drain(..) {
            let now = value_at(&versions, prev).cloned();
            existed.push(now.is_some());
            current.push(now);
            stored.push(versions);
        }
        // While this wave runs, the server writes the keys the last wave saw last and reads
        // the keys the next wave sees first.
        round.clear();
        writes.take_pending(&fields, &mut stored, &current, &finished, &mut round)?;
        finished.clear();
        round.add_reads(&key, &fields, reads(waves.get(w + 1)));
        let inflight = round.send(&batch.server)?;
        for (rec, (key, value)) in wave.records.clone().zip(data.by_ref()) {
            let i = record_key[rec];
            state.wrap(current[i].as_ref().map(|(s, _)| s.clone()));
            let out = f(batch_time, &key, Some(value), &mut state);
            if state.is_removed() {
                if current[i].is_some() || !stored[i].is_empty() || changed[i] {
                    changed[i] = true;
                }
                current[i] = None;
            } else if state.is_updated() || (state.exists() && timeout_threshold.is_some()) {
                if let Some(s) = state.take() {
                    current[i] = Some((s, t));
                    changed[i] = true;
                }
            }
            mapped.extend(out);
            if last_seen[i] == rec && changed[i] {
                finished.push(i);
            }
        }
        arrived = inflight.recv::<S>()?.1;
    }
    round.clear();
    writes.take_pending(&fields, &mut stored, &current, &finished, &mut round)?;
    round.send(&batch.server)?.recv::<S>()?;
    let mut count = prev_count as i64;
    for i in 0..fields.len() {
        if changed[i] {
            count += i64::from(current[i].is_some()) - i64::from(existed[i]);
        }
    }

    // Timeouts, on checkpoint batches only.
    let mut timed_out_fields: Vec<Vec<u8>> = Vec::new();
    let mut timed_out_versions: Vec<Versions<S>> = Vec::new();
    if let (true, Some(threshold)) = (remove_timed_out, timeout_threshold) {
        let in_batch: HashSet<&[u8]> = (0..fields.len()).map(|i| fields.get(i)).collect();
        let candidates: Vec<Vec<u8>> = batch
            .timeout_candidates(p, t, threshold)?
            .into_iter()
            .filter(|f| !in_batch.contains(f.as_slice()))
            .collect();
        let versions = batch.hmget::<S>(p, &candidates)?;
        for (field, vs) in candidates.into_iter().zip(versions) {
            if value_at(&vs, prev).is_some_and(|(_, updated)| *updated < threshold) {
                timed_out_fields.push(field);
                timed_out_versions.push(vs);
            }
        }
        let recorded: Vec<&[u8]> = timed_out_fields.iter().map(Vec::as_slice).collect();
        batch.add_to_set(
            "recording timed-out keys",
            &batch.layout.timed_out(p, t),
            &recorded,
        )?;
        for (field, vs) in timed_out_fields.iter().zip(&timed_out_versions) {
            let key: K = decode(&batch.server, field)?;
            let Some((s, _)) = value_at(vs, prev).cloned() else {
                continue;
            };
            state.wrap_timing_out(s);
            let out = f(batch_time, &key, None, &mut state);
            mapped.extend(out);
        }
    }

    // The timed-out keys' removals, then the update times and removals, the sweep, and `done`
    // last.
    let mut timed_out_writes: Vec<(&[u8], Versions<S>)> = Vec::new();
    let live_newest: Vec<(&[u8], u64)> = writes
        .live_newest
        .iter()
        .map(|&(i, u)| (fields.get(i), u))
        .collect();
    let mut gone_newest: Vec<&[u8]> = writes.gone_newest.iter().map(|&i| fields.get(i)).collect();
    let mut removed: Vec<&[u8]> = writes.removed.iter().map(|&i| fields.get(i)).collect();
    for (field, mut vs) in timed_out_fields.iter().zip(timed_out_versions) {
        count -= 1;
        set_version(&mut vs, t, None);
        if vs.last().map(|(v, _)| *v) == Some(t) {
            gone_newest.push(field);
        }
        prune(&mut vs, batch.horizon);
        removed.push(field);
        timed_out_writes.push((field, vs));
    }
    batch.write_versions(p, &timed_out_writes)?;
    if batch.track_times {
        batch.zadd_times(p, &live_newest)?;
        batch.zrem_times(p, &gone_newest)?;
    }
    batch.add_to_set(
        "recording removed keys",
        &batch.layout.removed(p, t),
        &removed,
    )?;
    batch.sweep::<S>(p)?;
    let count = count.max(0) as u64;
    batch.finish(p, t, count)?;
    Ok(MapWithStateRDDRecord {
        state_map: StateMap::empty(),
        mapped_data: mapped,
        keys: count,
        redis_version: Some(t),
    })
}

/// The state RDD of a batch recovered from Redis (its version complete on the server): one
/// record per partition naming the version, nothing computed.
pub(crate) struct RedisVersionRdd<K: Data, S: Data, E: Data> {
    core: RddCore,
    partitioner: Partitioner,
    version: u64,
    counts: Vec<u64>,
    _t: std::marker::PhantomData<fn() -> (K, S, E)>,
}

impl<K: Data, S: Data, E: Data> RedisVersionRdd<K, S, E> {
    pub(crate) fn new(
        sc: &SparkContext,
        partitioner: Partitioner,
        version: u64,
        counts: Vec<u64>,
    ) -> Self {
        RedisVersionRdd {
            core: RddCore::new(sc, "mapWithState"),
            partitioner,
            version,
            counts,
            _t: std::marker::PhantomData,
        }
    }
}

impl<K: Data, S: Data, E: Data> RddBase for RedisVersionRdd<K, S, E> {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        self.counts.len()
    }
    fn get_dependencies(&self) -> Vec<Dependency> {
        Vec::new()
    }
    fn clear_dependencies(&self) -> Box<dyn std::any::Any + Send> {
        Box::new(())
    }
    fn partitioner(&self) -> Option<Partitioner> {
        Some(self.partitioner.clone())
    }
    fn class_name(&self) -> &'static str {
        "MapWithStateRDD"
    }
}

impl<K: Data + Hash + Eq, S: Data, E: Data> TypedRdd<Record<K, S, E>> for RedisVersionRdd<K, S, E> {
    fn compute(&self, split: usize, _ctx: &TaskContext) -> ComputeResult<Record<K, S, E>> {
        Ok(part_iter(std::iter::once(MapWithStateRDDRecord {
            state_map: StateMap::empty(),
            mapped_data: Vec::new(),
            keys: self.counts.get(split).copied().unwrap_or(0),
            redis_version: Some(self.version),
        })))
    }
}

/// `state_snapshots()` of a Redis-backed stream: each partition's version, read with `HSCAN`.
pub(crate) struct RedisSnapshotRdd<K: Data, S: Data, E: Data> {
    core: RddCore,
    parent: Mutex<Option<Arc<dyn TypedRdd<Record<K, S, E>>>>>,
    num_partitions: usize,
    server: Arc<RedisServer>,
    layout: Layout,
}

impl<K: Data + Hash + Eq, S: Data, E: Data> RedisSnapshotRdd<K, S, E> {
    pub(crate) fn new(
        parent: &Rdd<Record<K, S, E>>,
        server: Arc<RedisServer>,
        layout: Layout,
    ) -> Self {
        RedisSnapshotRdd {
            core: RddCore::new(&parent.context(), "stateSnapshots"),
            parent: Mutex::new(Some(parent.rdd.clone())),
            num_partitions: parent.num_partitions(),
            server,
            layout,
        }
    }
}

impl<K: Data + Hash + Eq, S: Data, E: Data> RddBase for RedisSnapshotRdd<K, S, E> {
    fn core(&self) -> &RddCore {
        &self.core
    }
    fn get_num_partitions(&self) -> usize {
        self.num_partitions
    }
    fn get_dependencies(&self) -> Vec<Dependency> {
        match &*self.parent.lock() {
            Some(p) => vec![Dependency::one_to_one(p.clone())],
            None => Vec::new(),
        }
    }
    fn clear_dependencies(&self) -> Box<dyn std::any::Any + Send> {
        Box::new(self.parent.lock().take())
    }
    fn class_name(&self) -> &'static str {
        "MapPartitionsRDD"
    }
}

impl<K: Data + Hash + Eq, S: Data, E: Data> TypedRdd<(K, S)> for RedisSnapshotRdd<K, S, E> {
    fn compute(&self, split: usize, ctx: &TaskContext) -> ComputeResult<(K, S)> {
        let parent = self
            .parent
            .lock()
            .clone()
            .ok_or_else(|| lineage_gone(&self.core))?;
        let mut records = iterator(&*parent, split, ctx)?;
        let Some(record) = records.next() else {
            return Ok(part_iter(std::iter::empty()));
        };
        let Some(version) = record.redis_version else {
            let entries = record.state_map.get_all().into_iter();
            return Ok(part_iter(entries.map(|(k, s, _)| (k, s))));
        };
        Ok(part_iter(SnapshotPages::<K, S> {
            server: self.server.clone(),
            key: self.layout.state(split),
            version,
            cursor: Some(0),
            page: Vec::new().into_iter(),
            seen: HashSet::new(),
            _t: std::marker::PhantomData,
        }))
    }
}

/// Version `version` of a partition's state, read lazily a page of `HSCAN` at a time: a
/// snapshot never holds more than one page of states. `HSCAN` may return a field twice (when
/// the hash is resized between pages); the fields already returned are remembered by their
/// 128-bit XXH3 fingerprint (16 bytes a field, not the field), so each key comes once. A page
/// that cannot be read or decoded fails the task ([`fail_task`]) with the server's error.
struct SnapshotPages<K, S> {
    server: Arc<RedisServer>,
    key: String,
    version: u64,
    /// The next page's cursor; `None` once the scan is complete.
    cursor: Option<u64>,
    page: std::vec::IntoIter<Vec<u8>>,
    seen: HashSet<u128>,
    _t: std::marker::PhantomData<fn() -> (K, S)>,
}

impl<K: Data, S: Data> SnapshotPages<K, S> {
    fn next_entry(&mut self) -> Result<Option<(K, S)>> {
        loop {
            while let (Some(field), Some(value)) = (self.page.next(), self.page.next()) {
                let versions: Versions<S> = decode(&self.server, &value)?;
                let Some((s, _)) = value_at(&versions, self.version) else {
                    continue;
                };
                if self.seen.insert(xxh3_128(&field)) {
                    let k: K = decode(&self.server, &field)?;
                    return Ok(Some((k, s.clone())));
                }
            }
            let Some(cursor) = self.cursor else {
                return Ok(None);
            };
            let (next, page): (u64, Vec<Vec<u8>>) =
                self.server.with("reading a state snapshot", |c| {
                    redis::cmd("HSCAN")
                        .arg(&self.key)
                        .arg(cursor)
                        .arg("COUNT")
                        .arg(CHUNK)
                        .query(c)
                })?;
            self.cursor = (next != 0).then_some(next);
            self.page = page.into_iter();
        }
    }
}

impl<K: Data, S: Data> Iterator for SnapshotPages<K, S> {
    type Item = (K, S);
    fn next(&mut self) -> Option<(K, S)> {
        match self.next_entry() {
            Ok(entry) => entry,
            Err(e) => fail_task(TaskError::Cause(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_reads_the_newest_entry_at_or_below_it() {
        let vs: Versions<i32> = vec![
            (1000, Some((1, 1000))),
            (3000, None),
            (5000, Some((5, 5000))),
        ];
        assert_eq!(value_at(&vs, 999), None);
        assert_eq!(value_at(&vs, 1000), Some(&(1, 1000)));
        assert_eq!(value_at(&vs, 2000), Some(&(1, 1000)));
        assert_eq!(value_at(&vs, 3000), None);
        assert_eq!(value_at(&vs, 6000), Some(&(5, 5000)));
    }

    #[test]
    fn writing_a_version_twice_replaces_it_and_pruning_keeps_what_later_versions_read() {
        let mut vs: Versions<i32> = vec![(1000, Some((1, 1000)))];
        set_version(&mut vs, 2000, Some((2, 2000)));
        set_version(&mut vs, 2000, Some((2, 2000)));
        assert_eq!(vs.len(), 2);
        set_version(&mut vs, 1500, None);
        assert_eq!(
            vs.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
            [1000, 1500, 2000]
        );
        let before: Vec<_> = (1500..=3000)
            .step_by(500)
            .map(|v| value_at(&vs, v).cloned())
            .collect();
        prune(&mut vs, Some(1500));
        let after: Vec<_> = (1500..=3000)
            .step_by(500)
            .map(|v| value_at(&vs, v).cloned())
            .collect();
        assert_eq!(before, after);
        assert_eq!(
            vs,
            vec![(2000, Some((2, 2000)))],
            "a removal at the horizon is dropped"
        );
        let mut gone: Versions<i32> = vec![(1000, Some((1, 1000))), (2000, None)];
        prune(&mut gone, Some(2000));
        assert!(gone.is_empty());
    }

    #[test]
    fn a_bad_url_is_refused_naming_it_and_passwords_are_hidden() {
        let e = RedisServer::open("http://host").err().unwrap();
        assert!(e.to_string().contains("http://host"), "{e}");
        assert_eq!(redact("redis://u:secret@h:1/0"), "redis://***@h:1/0");
        assert_eq!(glob_escape("a*b"), "a\\*b");
    }
}
