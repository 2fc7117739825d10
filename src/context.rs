//! The entry point (Spark's `SparkContext`): parses the master, starts the executors and the
//! DAG scheduler's event loop, creates source RDDs and runs jobs.
//!
//! A context is cheap to clone (an `Arc`); several may live in one process and share nothing.
//! Masters, as in Spark:
//!
//! | master | executors | slots each |
//! | --- | --- | --- |
//! | `local` | 1 (`driver`) | 1 |
//! | `local[N]`, `local[N,F]` | 1 (`driver`) | N (F = task max failures) |
//! | `local[*]`, `local[*,F]` | 1 (`driver`) | the number of cores |
//! | `local-cluster[E,C,M]` | E (`0` .. `E-1`), M MiB of block memory each | C |

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::thread::ThreadId;

use parking_lot::Mutex;

use crate::conf::{self, SparkConf};
use crate::env::SparkEnv;
use crate::error::{Error, Result};
use crate::event_log::EventLogger;
use crate::rdd::chunked::Chunked;
use crate::rdd::empty::EmptyRdd;
use crate::rdd::hadoop::HadoopRdd;
use crate::rdd::parallel_collection::ParallelCollectionRdd;
use crate::rdd::{iterator, BoxIter, Data, PartIter, RddBase, TypedRdd};
use crate::scheduler::dag_scheduler::{DagEvent, DagScheduler, JobSubmission};
use crate::scheduler::future_action::JobWaiter;
use crate::scheduler::ids::JobId;
use crate::scheduler::ids::RddId;
use crate::scheduler::listener::{now_ms, ListenerBus, SparkListenerEvent};
use crate::scheduler::task::{ResultFn, TaskContext, TaskError};
use crate::storage::RddInfo;
use crate::Rdd;

/// The most task threads a master may ask for (executors × cores).
const MAX_TASK_THREADS: usize = 1 << 16;

/// Spark's message for an action or transformation invoked inside a task (SPARK-5063).
pub(crate) const SPARK_5063: &str = "RDD transformations and actions can only be invoked by the \
driver, not inside of other transformations; for example, rdd1.map(x => rdd2.values.count() * x) \
is invalid because the values transformation and count action cannot be performed inside of the \
rdd1.map transformation. For more information, see SPARK-5063.";

/// A parsed master URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Master {
    pub(crate) executors: usize,
    pub(crate) slots: usize,
    /// Block memory per executor in bytes, when the master sets it (`local-cluster`).
    pub(crate) memory: Option<u64>,
    /// Task attempts, when the master sets it (`local[N,F]`).
    pub(crate) max_failures: Option<usize>,
    pub(crate) cluster: bool,
}

impl Master {
    /// Parses a master string as Spark's `SparkContext.createTaskScheduler` does.
    pub(crate) fn parse(master: &str) -> Result<Master> {
        let bad = |why: &str| {
            Error::InvalidArgument(format!(
                "Could not parse Master URL: '{master}' ({why}); use local, local[N], local[*], \
                 local[N,F] or local-cluster[E,C,M]"
            ))
        };
        let positive = |s: &str, what: &str| -> Result<usize> {
            match s.trim().parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(bad(&format!(
                    "{what} must be a positive integer, got '{}'",
                    s.trim()
                ))),
            }
        };
        // Each task slot is a thread: a count no machine can start would exhaust memory
        // reserving them (an abort, not an error).
        let threads = |n: usize| -> Result<usize> {
            if n > MAX_TASK_THREADS {
                return Err(bad(&format!(
                    "{n} task threads in all; sparklet starts one thread per slot, at most \
                     {MAX_TASK_THREADS}"
                )));
            }
            Ok(n)
        };
        let cores = || std::thread::available_parallelism().map_or(1, |n| n.get());
        if master == "local" {
            return Ok(Master {
                executors: 1,
                slots: 1,
                memory: None,
                max_failures: None,
                cluster: false,
            });
        }
        if let Some(inner) = master
            .strip_prefix("local-cluster[")
            .and_then(|s| s.strip_suffix(']'))
        {
            let parts: Vec<&str> = inner.split(',').collect();
            if parts.len() != 3 {
                return Err(bad("local-cluster takes [executors,cores,memoryMiB]"));
            }
            let executors = positive(parts[0], "executors")?;
            let slots = positive(parts[1], "cores per executor")?;
            threads(executors.saturating_mul(slots))?;
            let mib = positive(parts[2], "memory per executor (MiB)")?;
            let memory = (mib as u64)
                .checked_mul(1 << 20)
                .ok_or_else(|| bad(&format!("{mib} MiB is more bytes than a u64 holds")))?;
            return Ok(Master {
                executors,
                slots,
                memory: Some(memory),
                max_failures: None,
                cluster: true,
            });
        }
        if let Some(inner) = master
            .strip_prefix("local[")
            .and_then(|s| s.strip_suffix(']'))
        {
            let parts: Vec<&str> = inner.split(',').collect();
            if parts.is_empty() || parts.len() > 2 {
                return Err(bad("local takes [threads] or [threads,maxFailures]"));
            }
            let slots = if parts[0].trim() == "*" {
                cores()
            } else {
                threads(positive(parts[0], "threads")?)?
            };
            let max_failures = match parts.get(1) {
                Some(f) => Some(positive(f, "maxFailures")?),
                None => None,
            };
            return Ok(Master {
                executors: 1,
                slots,
                memory: None,
                max_failures,
                cluster: false,
            });
        }
        Err(bad("unknown master"))
    }
}

/// The entry point of sparklet: makes RDDs and runs jobs on its executors.
///
/// ```
/// use sparklet::prelude::*;
/// let sc = SparkContext::new(SparkConf::new().set_master("local[2]").set_app_name("doc")).unwrap();
/// let rdd = sc.parallelize((1..=10).collect::<Vec<i32>>(), 3);
/// assert_eq!(rdd.num_partitions(), 3);
/// assert_eq!(rdd.reduce(|a, b| a + b).unwrap(), Some(55));
/// assert_eq!(sc.default_parallelism(), 2);
/// sc.stop();
/// ```
#[derive(Clone)]
pub struct SparkContext {
    inner: Arc<ContextInner>,
}

struct ContextInner {
    conf: SparkConf,
    env: Arc<SparkEnv>,
    bus: ListenerBus,
    events: mpsc::Sender<DagEvent>,
    event_loop: Mutex<Option<JoinHandle<()>>>,
    next_rdd_id: AtomicUsize,
    next_shuffle_id: AtomicUsize,
    /// Spark's `DAGScheduler.nextJobId`: a job's id is known to its caller before it is posted.
    next_job_id: AtomicUsize,
    checkpoint_dir: Mutex<Option<PathBuf>>,
    /// Spark's thread-local job properties, per calling thread.
    local_properties: Mutex<HashMap<(ThreadId, String), String>>,
    default_parallelism: usize,
    stopped: AtomicBool,
    /// Spark's application id, fixed when the context starts.
    app_id: String,
    /// `sparklet.logLineage`: log each job's lineage before it runs.
    log_lineage: bool,
    /// Spark's `ConsoleProgressBar`, when `sparklet.ui.showConsoleProgress` is on.
    progress_bar: Option<crate::ui::ProgressBarThread>,
    /// The application's event log (in memory, and in a file when enabled).
    event_log: Arc<EventLogger>,
}

impl SparkContext {
    /// Starts a context: parses the master (a bad one is `Error::InvalidArgument`), starts the
    /// executors and the scheduler.
    pub fn new(conf: SparkConf) -> Result<SparkContext> {
        let master_str = conf
            .get(conf::MASTER)
            .unwrap_or_else(|| "local[*]".to_string());
        let master = Master::parse(&master_str)?;
        conf.validate()?;
        let log_lineage = conf.get_bool(conf::LOG_LINEAGE, false)?;
        let max_failures = conf.task_max_failures(master.max_failures)?;
        let memory = match master.memory {
            Some(m) => m,
            None => conf.get_bytes(conf::EXECUTOR_MEMORY, 512 << 20)?,
        };
        let total_slots = master.executors.saturating_mul(master.slots);
        let default_parallelism = match conf.default_parallelism()? {
            None if master.cluster => total_slots.max(2),
            None => total_slots,
            Some(n) => n,
        };
        let start_time = now_ms();
        let app_id = new_app_id(start_time, master.cluster);
        let event_log = Arc::new(EventLogger::new(&conf, &app_id)?);
        let bus = ListenerBus::default();
        let logger = event_log.clone();
        bus.add(Arc::new(move |e: &SparkListenerEvent| logger.on_event(e)));
        let env = Arc::new(SparkEnv::new(
            &conf,
            bus.clone(),
            master.slots,
            memory,
            max_failures,
        )?);
        if master.cluster {
            for _ in 0..master.executors {
                env.add_executor(None)?;
            }
        } else {
            env.add_executor(Some("driver"))?;
        }
        let (events, handle) = DagScheduler::start(env.clone(), bus.clone(), max_failures)?;
        env.set_event_queue(events.clone());
        let progress_bar = crate::ui::start_progress_bar(&conf, &bus)?;
        post_application_start(&conf, &env, &bus, &app_id, start_time);
        Ok(SparkContext {
            inner: Arc::new(ContextInner {
                conf,
                env,
                bus,
                events,
                event_loop: Mutex::new(Some(handle)),
                next_rdd_id: AtomicUsize::new(0),
                next_shuffle_id: AtomicUsize::new(0),
                next_job_id: AtomicUsize::new(0),
                checkpoint_dir: Mutex::new(None),
                local_properties: Mutex::new(HashMap::new()),
                default_parallelism,
                stopped: AtomicBool::new(false),
                app_id,
                log_lineage,
                progress_bar,
                event_log,
            }),
        })
    }

    /// The configuration the context was made with.
    pub fn conf(&self) -> &SparkConf {
        &self.inner.conf
    }

    /// Distributes a local collection as an RDD of `num_slices` partitions (Spark's slicing:
    /// slice i holds elements `i*n/num_slices .. (i+1)*n/num_slices`). Zero slices is an
    /// `Error::InvalidArgument` from the first action, as Spark fails at `getPartitions`.
    #[track_caller]
    pub fn parallelize<T: Data>(&self, data: Vec<T>, num_slices: usize) -> Rdd<T> {
        Rdd::from_arc(Arc::new(ParallelCollectionRdd::new(self, data, num_slices)))
    }

    /// An RDD with no partitions (Spark's `EmptyRDD`).
    pub fn empty_rdd<T: Data>(&self) -> Rdd<T> {
        Rdd::from_arc(Arc::new(EmptyRdd::<T>::new(self)))
    }

    /// The lines of a text file, or of every file in a folder (Spark's `textFile`: a
    /// `HadoopRDD` of byte-range splits, mapped to lines), in at least `min_partitions` splits.
    pub fn text_file(&self, path: impl AsRef<Path>, min_partitions: usize) -> Result<Rdd<String>> {
        let hadoop = Rdd::from_arc(Arc::new(HadoopRdd::new(
            self,
            path.as_ref(),
            min_partitions,
        )?));
        Ok(hadoop.map_named("textFile", |(_, line): (u64, String)| line))
    }

    /// Sets the folder under which RDD checkpoints are written: a new folder with a unique name
    /// is created inside it, as in Spark, so contexts never collide.
    pub fn set_checkpoint_dir(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref().join(unique_folder_name());
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        *self.inner.checkpoint_dir.lock() = Some(dir);
        Ok(())
    }

    /// The unique checkpoint folder, once set.
    pub fn checkpoint_dir(&self) -> Option<PathBuf> {
        self.inner.checkpoint_dir.lock().clone()
    }

    /// Partitions of shuffles whose parents have no partitioner: `sparklet.default.parallelism`,
    /// else the number of task slots (at least 2 for `local-cluster`, as Spark).
    pub fn default_parallelism(&self) -> usize {
        self.inner.default_parallelism
    }

    /// The ids of the live executors.
    pub fn executor_ids(&self) -> Vec<String> {
        self.inner
            .env
            .executors()
            .iter()
            .map(|e| e.id.clone())
            .collect()
    }

    /// Kills an executor now: its cached blocks, shuffle outputs and running tasks are lost. As
    /// a cluster manager would, a new executor (new id, empty stores) takes its place.
    pub fn kill_executor(&self, id: &str) -> Result<()> {
        self.check_running()?;
        self.inner.env.kill_executor(id, "killed by kill_executor")
    }

    /// Storage facts of every persisted RDD that has cached blocks (Spark's `getRDDStorageInfo`).
    pub fn get_rdd_storage_info(&self) -> Vec<RddInfo> {
        self.inner.env.rdd_infos()
    }

    /// Where block `block_id` (`rdd_3_0`, `broadcast_0`, `broadcast_0_piece0`) is kept, on the
    /// driver's store and on each live executor (Spark's `BlockManagerMaster.getBlockStatus`
    /// asking every store, so blocks never reported, such as a broadcast's value, are listed
    /// too). A name that is no block id is `Error::InvalidArgument`.
    pub fn get_block_status(&self, block_id: &str) -> Result<Vec<(String, crate::BlockStatus)>> {
        let id = crate::storage::block_manager::BlockId::parse(block_id)
            .ok_or_else(|| Error::InvalidArgument(format!("Unrecognized BlockId: {block_id}")))?;
        Ok(self.inner.env.block_status(id))
    }

    /// Reads back an RDD checkpointed in a folder, possibly by another application (Spark's
    /// `checkpointFile`): same partitions, same data, and the partitioner when `_partitioner`
    /// is readable. A missing folder or a gap in the part files is `Error::CorruptCheckpoint`.
    pub fn checkpoint_file<T: Data>(&self, path: impl AsRef<Path>) -> Result<Rdd<T>> {
        let rdd = crate::checkpoint::reliable::ReliableCheckpointRdd::<T>::open(
            self,
            path.as_ref(),
            None,
        )?;
        Ok(Rdd::from_arc(Arc::new(rdd)))
    }

    /// Sets (or with `None` clears) a property of the jobs this thread submits (Spark's
    /// `setLocalProperty`), e.g. `sparklet.checkpoint.checkpointAllMarkedAncestors`.
    pub fn set_local_property(&self, key: &str, value: Option<&str>) {
        let k = (std::thread::current().id(), key.to_string());
        let mut props = self.inner.local_properties.lock();
        match value {
            Some(v) => {
                props.insert(k, v.to_string());
            }
            None => {
                props.remove(&k);
            }
        }
    }

    /// A property set by this thread with [`SparkContext::set_local_property`].
    pub fn get_local_property(&self, key: &str) -> Option<String> {
        let k = (std::thread::current().id(), key.to_string());
        self.inner.local_properties.lock().get(&k).cloned()
    }

    /// Every local property of the calling thread, sorted by key: what a job submitted now
    /// carries (Spark's `localProperties.get` in `submitJob`).
    pub(crate) fn local_properties(&self) -> Vec<(String, String)> {
        let me = std::thread::current().id();
        let mut props: Vec<(String, String)> = self
            .inner
            .local_properties
            .lock()
            .iter()
            .filter(|((t, _), _)| *t == me)
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect();
        props.sort();
        props
    }

    /// Sends an event to the DAG scheduler's loop (job control); a stopped context's loop is
    /// gone and the event is dropped, as Spark's stopped event loop drops posts.
    pub(crate) fn post_dag_event(&self, event: DagEvent) {
        let _ = self.inner.events.send(event);
    }

    /// Registers a listener for scheduler events. Listeners are called in order on the
    /// listener bus thread (never the scheduler's), so one may run jobs or kill executors; a
    /// job returns only after every listener has seen its end.
    pub fn add_spark_listener(
        &self,
        listener: impl Fn(&SparkListenerEvent) + Send + Sync + 'static,
    ) {
        self.inner.bus.add(Arc::new(listener));
    }

    /// Writes the HTML report of this application so far (jobs, stages and their DAGs,
    /// lineage, storage, executors, accumulators, streaming batches) into one self-contained
    /// file, from the same event lines the event log holds: see [`crate::report`].
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// sc.parallelize(vec![1, 2, 3], 2).count().unwrap();
    /// let dir = tempfile::tempdir().unwrap();
    /// let page = dir.path().join("report.html");
    /// sc.write_report(&page).unwrap();
    /// let html = std::fs::read_to_string(&page).unwrap();
    /// assert!(html.contains(">Job 0<") && html.contains("ParallelCollectionRDD"));
    /// ```
    pub fn write_report(&self, path: impl AsRef<Path>) -> Result<()> {
        crate::report::write_context_report(self, path.as_ref())
    }

    /// Stops the scheduler and the executors; later jobs fail with `Error::IllegalState`.
    pub fn stop(&self) {
        if self.inner.stopped.swap(true, Ordering::SeqCst) {
            return;
        }
        self.inner.shutdown();
    }

    /// Every event of the application so far as the event log's JSON lines (see
    /// `crate::event_log`), whether or not the file log is enabled. (The HTML report reads it.)
    #[allow(dead_code)]
    pub(crate) fn event_log_lines(&self) -> Vec<String> {
        self.inner.bus.wait_until_delivered();
        self.inner.event_log.lines()
    }

    /// Whether `stop()` was called.
    pub fn is_stopped(&self) -> bool {
        self.inner.stopped.load(Ordering::SeqCst)
    }

    // ---------------------------------------------------------------- sources and sinks (issue 11)

    /// The numbers `start, start + step, ...` before `end` (Spark's `SparkContext.range`), in
    /// `num_slices` partitions cut as Spark cuts them; a negative step counts down, and bounds
    /// never overflow. A step of 0 (or 0 slices) fails the first job with
    /// `Error::InvalidArgument` ("step cannot be 0"), as `parallelize` does for 0 slices.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// assert_eq!(sc.range(0, 10, 3, 2).glom().collect().unwrap(), vec![vec![0, 3], vec![6, 9]]);
    /// assert_eq!(sc.range(5, 0, -2, 2).collect().unwrap(), vec![5, 3, 1]);
    /// assert!(matches!(sc.range(0, 10, 0, 2).count(), Err(Error::InvalidArgument(_))));
    /// ```
    pub fn range(&self, start: i64, end: i64, step: i64, num_slices: usize) -> Rdd<i64> {
        crate::rdd::range::range(self, start, end, step, num_slices)
    }

    /// The union of several RDDs (Spark's `SparkContext.union`): a `PartitionerAwareUnionRDD`
    /// when every RDD with partitions has the same partitioner, else a `UnionRDD` of all their
    /// partitions in order.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let u = sc.union(&[sc.parallelize(vec![1, 2], 2), sc.parallelize(vec![3], 1)]);
    /// assert_eq!((u.num_partitions(), u.collect().unwrap()), (3, vec![1, 2, 3]));
    /// ```
    pub fn union<T: Data>(&self, rdds: &[Rdd<T>]) -> Rdd<T> {
        crate::rdd::handle::union_all(self, rdds.to_vec())
    }

    /// One `(path, content)` pair per file of `dir` (Spark's `wholeTextFiles`), the path as
    /// Spark shows it (`file:/abs/dir/name`), files packed into at least about
    /// `min_partitions` partitions as Spark's `WholeTextFileInputFormat` packs them.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join("a.txt"), "hello\nworld").unwrap();
    /// let files = sc.whole_text_files(dir.path(), 2).unwrap().collect().unwrap();
    /// assert!(files[0].0.starts_with("file:/") && files[0].0.ends_with("/a.txt"));
    /// assert_eq!(files[0].1, "hello\nworld");
    /// ```
    pub fn whole_text_files(
        &self,
        dir: impl AsRef<Path>,
        min_partitions: usize,
    ) -> Result<Rdd<(String, String)>> {
        let rdd =
            crate::rdd::whole_text_file::WholeTextFileRdd::new(self, dir.as_ref(), min_partitions)?;
        let files: Rdd<(String, String)> = Rdd::from_arc(Arc::new(rdd));
        Ok(files.map_named("wholeTextFiles", |pair| pair))
    }

    /// Reads what [`Rdd::save_as_object_file`] wrote (Spark's `objectFile`): one partition per
    /// part file (`min_partitions` cannot split them). A missing folder is `Error::Io`; a
    /// damaged part file fails the job with `Error::CorruptCheckpoint` naming the file.
    pub fn object_file<T: Data>(
        &self,
        path: impl AsRef<Path>,
        min_partitions: usize,
    ) -> Result<Rdd<T>> {
        let _ = min_partitions;
        crate::rdd::io::object_file(self, path.as_ref())
    }

    /// The application id (Spark's `applicationId`): `local-<start millis>` for `local`
    /// masters, `app-<yyyyMMddHHmmss>-0000` for `local-cluster` (Spark's standalone master);
    /// fixed for the context's life, unique within the process, and the event log file's name.
    ///
    /// ```
    /// use sparklet::prelude::*;
    /// let sc = SparkContext::new(SparkConf::new().set_master("local[2]")).unwrap();
    /// assert!(sc.app_id().starts_with("local-"));
    /// assert_eq!(sc.app_id(), sc.app_id());
    /// ```
    pub fn app_id(&self) -> String {
        self.inner.app_id.clone()
    }

    // ---------------------------------------------------------------- crate-internal

    pub(crate) fn check_running(&self) -> Result<()> {
        if self.is_stopped() {
            return Err(Error::IllegalState(
                "Cannot call methods on a stopped SparkContext".to_string(),
            ));
        }
        Ok(())
    }

    pub(crate) fn env(&self) -> &Arc<SparkEnv> {
        &self.inner.env
    }

    pub(crate) fn new_rdd_id(&self) -> RddId {
        RddId(self.inner.next_rdd_id.fetch_add(1, Ordering::SeqCst))
    }

    pub(crate) fn new_shuffle_id(&self) -> usize {
        self.inner.next_shuffle_id.fetch_add(1, Ordering::SeqCst)
    }

    /// Spark's `runJob`: runs `f` over `partitions` of `rdd` and returns the results in
    /// partition order. (`Rdd` actions then run `do_checkpoint`, as Spark's `runJob` does.)
    pub(crate) fn run_job<T: Data, U: Send + 'static>(
        &self,
        rdd: &Arc<dyn TypedRdd<T>>,
        partitions: Vec<usize>,
        f: impl Fn(usize, BoxIter<T>) -> U + Send + Sync + 'static,
    ) -> Result<Vec<U>> {
        self.run_job_with_context(rdd, partitions, move |ctx, values| {
            Ok(f(ctx.partition_id, values))
        })
    }

    /// [`SparkContext::run_job`] with the task's context, and a function that may fail its task.
    pub(crate) fn run_job_with_context<T: Data, U: Send + 'static>(
        &self,
        rdd: &Arc<dyn TypedRdd<T>>,
        partitions: Vec<usize>,
        f: impl Fn(&TaskContext, BoxIter<T>) -> std::result::Result<U, TaskError>
            + Send
            + Sync
            + 'static,
    ) -> Result<Vec<U>> {
        self.submit_job(rdd, partitions, f)?.wait()
    }

    /// Spark's `submitJob`: posts the job and returns at once with its waiter (which knows the
    /// job's id, so the job can be cancelled before it runs).
    pub(crate) fn submit_job<T: Data, U: Send + 'static>(
        &self,
        rdd: &Arc<dyn TypedRdd<T>>,
        partitions: Vec<usize>,
        f: impl Fn(&TaskContext, BoxIter<T>) -> std::result::Result<U, TaskError>
            + Send
            + Sync
            + 'static,
    ) -> Result<JobWaiter<U>> {
        self.submit_job_on_iterators(rdd, partitions, move |ctx, values| f(ctx, values))
    }

    /// [`SparkContext::run_job`] whose function reads each partition in chunks
    /// ([`Chunked`]: one dynamic call per chunk, for actions that read every value).
    pub(crate) fn run_job_chunked<T: Data, U: Send + 'static>(
        &self,
        rdd: &Arc<dyn TypedRdd<T>>,
        partitions: Vec<usize>,
        f: impl Fn(usize, Chunked<T>) -> U + Send + Sync + 'static,
    ) -> Result<Vec<U>> {
        self.submit_job_on_iterators(rdd, partitions, move |ctx, values| {
            Ok(f(ctx.partition_id, Chunked::new(values)))
        })?
        .wait()
    }

    /// [`SparkContext::submit_job`] with the partition's own iterator.
    fn submit_job_on_iterators<T: Data, U: Send + 'static>(
        &self,
        rdd: &Arc<dyn TypedRdd<T>>,
        partitions: Vec<usize>,
        f: impl Fn(&TaskContext, PartIter<T>) -> std::result::Result<U, TaskError>
            + Send
            + Sync
            + 'static,
    ) -> Result<JobWaiter<U>> {
        self.check_running()?;
        if crate::executor::in_task() {
            // SPARK-5063: the job would wait for a slot its own task holds.
            return Err(Error::IllegalState(SPARK_5063.to_string()));
        }
        let n = crate::rdd::num_partitions(&**rdd);
        if let Some(bad) = partitions.iter().find(|&&p| p >= n) {
            return Err(Error::InvalidArgument(format!(
                "Attempting to access a non-existent partition: {bad}. Total number of partitions: {n}"
            )));
        }
        let typed = rdd.clone();
        let func: Arc<ResultFn> = Arc::new(move |split, ctx| {
            let values = iterator(&*typed, split, ctx)?;
            Ok(Box::new(f(ctx, values)?) as Box<dyn std::any::Any + Send>)
        });
        let (reply, results) = mpsc::channel();
        let base: Arc<dyn RddBase> = rdd.clone();
        if self.inner.log_lineage {
            log::info!(
                target: crate::logging::SPARK_CONTEXT,
                "RDD's recursive dependencies:\n{}",
                crate::rdd::debug_string::to_debug_string(&base)
            );
        }
        let job_id = JobId(self.inner.next_job_id.fetch_add(1, Ordering::SeqCst));
        let properties = Arc::new(self.local_properties());
        self.inner
            .events
            .send(DagEvent::JobSubmitted(Box::new(JobSubmission {
                job_id,
                properties,
                rdd: base,
                partitions,
                func,
                reply,
            })))
            .map_err(|_| Error::IllegalState("the scheduler is not running".into()))?;
        Ok(JobWaiter::new(job_id.0, results, self.inner.bus.clone()))
    }
}

impl ContextInner {
    fn shutdown(&self) {
        let _ = self.events.send(DagEvent::Stop);
        if let Some(handle) = self.event_loop.lock().take() {
            if handle.thread().id() != std::thread::current().id() {
                let _ = handle.join();
            }
        }
        self.env.shutdown();
        if let Some(bar) = &self.progress_bar {
            bar.stop();
        }
        // The logger closes its file when it sees the application end.
        self.bus
            .post(SparkListenerEvent::ApplicationEnd { time: now_ms() });
        self.bus.wait_until_delivered();
    }
}

/// Spark's application id for a context starting at `now` (ms): `local-<millis>` (the local
/// backend), `app-<yyyyMMddHHmmss>-0000` (the standalone master behind `local-cluster`, UTC
/// here). A later context of this process in the same millisecond (second, for a cluster) takes
/// the next free one, so that two event logs never share a name.
fn new_app_id(now: u64, cluster: bool) -> String {
    static LAST_MS: AtomicU64 = AtomicU64::new(0);
    static LAST_S: AtomicU64 = AtomicU64::new(0);
    let claim = |last: &AtomicU64, t: u64| {
        let mut seen = last.load(Ordering::SeqCst);
        loop {
            let id = t.max(seen + 1);
            match last.compare_exchange(seen, id, Ordering::SeqCst, Ordering::SeqCst) {
                Ok(_) => return id,
                Err(now_seen) => seen = now_seen,
            }
        }
    };
    if cluster {
        standalone_app_id(claim(&LAST_S, now / 1000))
    } else {
        format!("local-{}", claim(&LAST_MS, now))
    }
}

/// Posts what Spark posts when an application starts: its executors, its environment and
/// `ApplicationStart`, and waits until they are delivered (so a listener added later sees
/// none of them, as before).
fn post_application_start(
    conf: &SparkConf,
    env: &SparkEnv,
    bus: &ListenerBus,
    app_id: &str,
    start_time: u64,
) {
    for e in env.executors() {
        bus.post(SparkListenerEvent::ExecutorAdded {
            executor_id: e.id.clone(),
            time: start_time,
            cores: e.slots,
            max_memory: e.memory,
        });
    }
    let app_name = conf
        .get(conf::APP_NAME)
        .unwrap_or_else(|| "sparklet".to_string());
    let mut spark_properties: Vec<(String, String)> = conf
        .entries()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    spark_properties.push(("spark.app.id".into(), app_id.to_string()));
    spark_properties.push(("spark.app.name".into(), app_name.clone()));
    spark_properties.push(("spark.app.startTime".into(), start_time.to_string()));
    spark_properties.sort();
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".to_string());
    let system_properties = vec![
        ("os.name".to_string(), std::env::consts::OS.to_string()),
        ("os.arch".to_string(), std::env::consts::ARCH.to_string()),
        ("user.name".to_string(), user.clone()),
    ];
    bus.post(SparkListenerEvent::EnvironmentUpdate {
        spark_properties,
        system_properties,
    });
    bus.post(SparkListenerEvent::ApplicationStart {
        app_name,
        app_id: app_id.to_string(),
        time: start_time,
        user,
    });
    bus.wait_until_delivered();
}

impl Drop for ContextInner {
    fn drop(&mut self) {
        if !self.stopped.swap(true, Ordering::SeqCst) {
            self.shutdown();
        }
    }
}

impl std::fmt::Debug for SparkContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SparkContext({})",
            self.inner.conf.get(conf::MASTER).unwrap_or_default()
        )
    }
}

/// A standalone master's application id for an application registered at `secs` (UTC).
fn standalone_app_id(secs: u64) -> String {
    let secs = secs as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "app-{year:04}{month:02}{day:02}{:02}{:02}{:02}-0000",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// A name unique to this process and moment, shaped like a UUID.
fn unique_folder_name() -> String {
    use std::hash::{Hash, Hasher};
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut h = crate::partitioner::StableHasher::default();
    (
        nanos,
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
    )
        .hash(&mut h);
    let a = h.finish();
    a.hash(&mut h);
    let b = h.finish();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0xffff,
        b & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_good_masters() {
        assert_eq!(Master::parse("local").unwrap().slots, 1);
        assert_eq!(Master::parse("local[3]").unwrap().slots, 3);
        assert!(Master::parse("local[*]").unwrap().slots >= 1);
        let m = Master::parse("local[2,5]").unwrap();
        assert_eq!((m.slots, m.max_failures), (2, Some(5)));
        let c = Master::parse("local-cluster[3,1,64]").unwrap();
        assert_eq!((c.executors, c.slots, c.memory), (3, 1, Some(64 << 20)));
    }

    #[test]
    fn refuses_bad_masters() {
        for bad in [
            "locl[2]",
            "local[0]",
            "local-cluster[2]",
            "local[]",
            "local[x]",
            "yarn",
            "",
            "local-cluster[0,1,64]",
            "local-cluster[2,1,0]",
            "local[2",
            "local[-1]",
            "local[2,0]",
        ] {
            assert!(
                matches!(Master::parse(bad), Err(Error::InvalidArgument(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn unique_names_differ() {
        assert_ne!(unique_folder_name(), unique_folder_name());
    }
}
