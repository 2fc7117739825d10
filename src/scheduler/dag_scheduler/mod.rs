//! The DAG scheduler (Spark's `DAGScheduler` with its `DAGSchedulerEventProcessLoop`, and the
//! task-offer half of `TaskSchedulerImpl`).
//!
//! How a job runs:
//!
//! 1. `JobSubmitted`: the final RDD's lineage is walked (iteratively, never recursively over
//!    narrow dependencies) to find shuffle dependencies; each gets a shuffle map stage (reused
//!    while any job needs it; re-created with a new id for a later job, when its map outputs
//!    usually still exist and the stage is *skipped*). The final stage is a result stage.
//! 2. `submit_stage`: a stage whose parent stages all have their shuffle outputs runs now;
//!    otherwise its missing parents are submitted and it waits.
//! 3. `submit_missing_tasks`: a new stage attempt with one task per partition still missing (a
//!    map stage's partitions without output, a result stage's unfinished partitions).
//! 4. Task offers: every free executor slot gets the next pending task, executors round-robin.
//! 5. `TaskEnded`: a map task's output is registered with the map output tracker; when a stage
//!    has no pending partition it completes and waiting children are submitted. A result task
//!    stores its result; the job ends when all are in. A failed task is retried until it failed
//!    `maxFailures` times, then its stage and every job needing it are aborted. A fetch failure
//!    is not the task's fault: the missing map output is unregistered, the stage attempt fails
//!    and both stages are resubmitted, so only lost map partitions run again.
//! 6. `ExecutorLost`: its running tasks are rescheduled (not counted as failures), its map
//!    outputs are forgotten, and map partitions of running stages that lived there run again.
//! 7. `JobCancelled`, `JobGroupCancelled`, `AllJobsCancelled`, `StageCancelled` (`cancel.rs`):
//!    the job fails with `Error::JobCancelled`; a failing job's independent stages are marked
//!    failed and their running tasks killed (`crate::scheduler::kill`).
//!
//! The loop is the only owner of this state; listeners are told of every step in order.

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{mpsc, Arc};

use crate::dependency::{ShuffleDependency, ShuffleId};
use crate::env::SparkEnv;
use crate::error::{Error, Result};
use crate::rdd::{dependencies, num_partitions, RddBase};
use crate::scheduler::ids::{ExecutorId, JobId, StageId, TaskId};
use crate::scheduler::listener::{
    now_ms, ListenerBus, SparkListenerEvent, StageInfo, TaskEndKind, TaskMetrics,
};
use crate::scheduler::task::{ResultFn, Task, TaskEndReason, TaskKind, TaskOutput};
use crate::scheduler::task_set::TaskSet;

pub(crate) mod cancel;
mod completion;
mod log_lines;
mod offers;
mod stage_info;

/// Spark's `spark.stage.maxConsecutiveAttempts`: fetch-failed attempts before a stage aborts.
const MAX_CONSECUTIVE_STAGE_ATTEMPTS: u32 = 4;

/// A job's results, one boxed value per requested partition, in request order.
pub(crate) type JobResults = Result<Vec<Box<dyn Any + Send>>>;

/// A job as an action submits it.
pub(crate) struct JobSubmission {
    /// Given by the caller (Spark's `nextJobId.getAndIncrement()` in `submitJob`), so that a
    /// `FutureAction` can be cancelled by id as soon as it exists.
    pub(crate) job_id: JobId,
    /// The submitting thread's local properties (job group, description, ...), sorted by key.
    pub(crate) properties: Arc<Vec<(String, String)>>,
    pub(crate) rdd: Arc<dyn RddBase>,
    pub(crate) partitions: Vec<usize>,
    pub(crate) func: Arc<ResultFn>,
    pub(crate) reply: mpsc::Sender<JobResults>,
}

/// Everything the event loop reacts to.
pub(crate) enum DagEvent {
    JobSubmitted(Box<JobSubmission>),
    TaskEnded {
        task_id: TaskId,
        executor_id: ExecutorId,
        reason: TaskEndReason,
        metrics: TaskMetrics,
        /// The attempt's accumulator copies (Spark's `CompletionEvent.accumUpdates`).
        accum_updates: crate::accumulator::AccumulatorUpdates,
    },
    ExecutorLost {
        executor_id: ExecutorId,
        replacement: Option<ExecutorId>,
        reason: String,
        lost_blocks: usize,
    },
    /// `sc.cancel_job(id)` / `FutureAction::cancel` (Spark's `JobCancelled`).
    JobCancelled {
        job_id: JobId,
        reason: Option<String>,
    },
    /// `sc.cancel_job_group(id)` (Spark's `JobGroupCancelled`).
    JobGroupCancelled {
        group_id: String,
    },
    /// `sc.cancel_all_jobs()` (Spark's `AllJobsCancelled`).
    AllJobsCancelled,
    /// `sc.cancel_stage(id)` (Spark's `StageCancelled`).
    StageCancelled {
        stage_id: StageId,
        reason: Option<String>,
    },
    Stop,
}

enum StageKind {
    ShuffleMap(Arc<ShuffleDependency>),
    Result { job_id: JobId },
}

struct Stage {
    rdd: Arc<dyn RddBase>,
    kind: StageKind,
    name: String,
    job_ids: BTreeSet<JobId>,
    first_job_id: JobId,
    /// The current attempt number (None before the first submission).
    attempt: Option<u32>,
    pending: BTreeSet<usize>,
    /// Attempts that failed with a fetch failure since the stage last succeeded (Spark's
    /// `failedAttemptIds`): several failed tasks of one attempt count once.
    failed_attempt_ids: BTreeSet<u32>,
    /// What listeners are told of the current (or next) attempt.
    info: Arc<StageInfo>,
    /// When the current attempt was submitted.
    submitted_at: Option<u64>,
}

struct ActiveJob {
    final_stage: StageId,
    stage_ids: BTreeSet<StageId>,
    partitions: Vec<usize>,
    /// Each requested partition's index in `partitions` (a task end finds its slot in O(1)).
    index_of: HashMap<usize, usize>,
    func: Arc<ResultFn>,
    results: Vec<Option<Box<dyn Any + Send>>>,
    finished: usize,
    reply: mpsc::Sender<JobResults>,
    /// The submitting thread's local properties.
    properties: Arc<Vec<(String, String)>>,
}

struct RunningTask {
    stage_id: StageId,
    stage_attempt: u32,
    partition: usize,
    attempt: u32,
    executor_id: ExecutorId,
    kind: TaskKind,
    launch_time: u64,
    /// The attempt's kill flag, shared with its `TaskContext`.
    kill: Arc<crate::scheduler::kill::TaskKill>,
}

/// The event loop's state.
pub(crate) struct DagScheduler {
    env: Arc<SparkEnv>,
    bus: ListenerBus,
    events: mpsc::Sender<DagEvent>,
    max_failures: u32,
    next_stage_id: usize,
    next_task_id: u64,
    stages: BTreeMap<StageId, Stage>,
    shuffle_to_map_stage: HashMap<ShuffleId, StageId>,
    waiting: BTreeSet<StageId>,
    running: BTreeSet<StageId>,
    failed: BTreeSet<StageId>,
    jobs: BTreeMap<JobId, ActiveJob>,
    task_sets: BTreeMap<(StageId, u32), TaskSet>,
    running_tasks: HashMap<TaskId, RunningTask>,
    free_slots: BTreeMap<ExecutorId, usize>,
    executor_order: Vec<ExecutorId>,
    /// Listener events posted so far (the steps `sparklet.faults.killExecutorAtStep` counts).
    steps: usize,
    /// Start times for the log lines that report durations (kept while info is on).
    log_times: log_lines::LogTimes,
}

impl DagScheduler {
    /// Starts the event loop thread; returns its sender and handle.
    pub(crate) fn start(
        env: Arc<SparkEnv>,
        bus: ListenerBus,
        max_failures: u32,
    ) -> Result<(mpsc::Sender<DagEvent>, std::thread::JoinHandle<()>)> {
        let (tx, rx) = mpsc::channel();
        let mut free_slots = BTreeMap::new();
        let mut executor_order = Vec::new();
        for e in env.executors() {
            free_slots.insert(ExecutorId(e.id.clone()), e.slots);
            executor_order.push(ExecutorId(e.id.clone()));
        }
        let scheduler = DagScheduler {
            env,
            bus,
            events: tx.clone(),
            max_failures: max_failures.max(1),
            next_stage_id: 0,
            next_task_id: 0,
            stages: BTreeMap::new(),
            shuffle_to_map_stage: HashMap::new(),
            waiting: BTreeSet::new(),
            running: BTreeSet::new(),
            failed: BTreeSet::new(),
            jobs: BTreeMap::new(),
            task_sets: BTreeMap::new(),
            running_tasks: HashMap::new(),
            free_slots,
            executor_order,
            steps: 0,
            log_times: Default::default(),
        };
        let handle = std::thread::Builder::new()
            .name("dag-scheduler-event-loop".into())
            .spawn(move || scheduler.run(rx))
            .map_err(|e| Error::io("dag-scheduler-event-loop", e))?;
        Ok((tx, handle))
    }

    fn run(mut self, rx: mpsc::Receiver<DagEvent>) {
        while let Ok(event) = rx.recv() {
            match event {
                DagEvent::JobSubmitted(job) => self.handle_job_submitted(*job),
                DagEvent::TaskEnded {
                    task_id,
                    executor_id,
                    reason,
                    metrics,
                    accum_updates,
                } => self.handle_task_end(task_id, &executor_id, reason, metrics, accum_updates),
                DagEvent::ExecutorLost {
                    executor_id,
                    replacement,
                    reason,
                    lost_blocks,
                } => self.handle_executor_lost(&executor_id, replacement, &reason, lost_blocks),
                DagEvent::JobCancelled { job_id, reason } => {
                    self.handle_job_cancellation(job_id, reason)
                }
                DagEvent::JobGroupCancelled { group_id } => {
                    self.handle_job_group_cancelled(&group_id)
                }
                DagEvent::AllJobsCancelled => self.do_cancel_all_jobs(),
                DagEvent::StageCancelled { stage_id, reason } => {
                    self.handle_stage_cancellation(stage_id, reason)
                }
                DagEvent::Stop => break,
            }
            self.resource_offers();
        }
        let jobs: Vec<JobId> = self.jobs.keys().copied().collect();
        for job in jobs {
            self.fail_job(
                job,
                Error::IllegalState("SparkContext was shut down".into()),
            );
        }
    }

    /// Posts a listener event; one step of the scheduler. A kill configured for this step
    /// (`sparklet.faults.killExecutorAtStep`) happens right after it, on this thread.
    fn post(&mut self, event: SparkListenerEvent) {
        self.bus.post(event);
        self.steps += 1;
        if !self.env.faults.kills_after_step(self.steps) {
            return;
        }
        let live = self.env.executors();
        if let Some(victim) = self.env.faults.kill_at_step(self.steps, live.len()) {
            let reason = "killed by fault injection (sparklet.faults.killExecutorAtStep)";
            let _ = self.env.kill_executor(&live[victim].id, reason);
        }
    }

    // ---------------------------------------------------------------- jobs and stages

    fn handle_job_submitted(&mut self, sub: JobSubmission) {
        let job_id = sub.job_id;
        // Replies are sent only after the scheduler let go of the job's RDDs, so that a caller
        // who drops its last handle sees the RDD go (checkpoint cleaning, weak references).
        if let Err(e) = validate_lineage(&sub.rdd) {
            let JobSubmission { reply, .. } = sub;
            let _ = reply.send(Err(e));
            return;
        }
        if sub.partitions.is_empty() {
            let time = now_ms();
            self.post(SparkListenerEvent::JobStart {
                job_id: job_id.0,
                stage_ids: Vec::new(),
                time,
                stage_infos: Vec::new(),
                properties: sub.properties.clone(),
            });
            self.post(SparkListenerEvent::JobEnd {
                job_id: job_id.0,
                succeeded: true,
                time,
                failure: None,
            });
            let JobSubmission { reply, .. } = sub;
            let _ = reply.send(Ok(Vec::new()));
            return;
        }
        self.get_or_create_parent_stages(&sub.rdd, job_id);
        let stage_id = self.new_stage_id();
        let name = sub.rdd.core().op.clone();
        self.stages.insert(
            stage_id,
            Stage::new(sub.rdd.clone(), StageKind::Result { job_id }, name, job_id),
        );
        self.refresh_stage_info(stage_id);
        let stage_ids = self.ancestors_and_self(stage_id);
        for s in &stage_ids {
            if let Some(stage) = self.stages.get_mut(s) {
                stage.job_ids.insert(job_id);
            }
        }
        let n = sub.partitions.len();
        let index_of = sub
            .partitions
            .iter()
            .enumerate()
            .map(|(i, &p)| (p, i))
            .collect();
        self.jobs.insert(
            job_id,
            ActiveJob {
                final_stage: stage_id,
                stage_ids: stage_ids.iter().copied().collect(),
                partitions: sub.partitions,
                index_of,
                func: sub.func,
                results: (0..n).map(|_| None).collect(),
                finished: 0,
                reply: sub.reply,
                properties: sub.properties.clone(),
            },
        );
        self.log_job_submitted(job_id, stage_id, n);
        let stage_infos = stage_ids
            .iter()
            .filter_map(|s| self.stages.get(s).map(|st| st.info.clone()))
            .collect();
        self.post(SparkListenerEvent::JobStart {
            job_id: job_id.0,
            stage_ids: stage_ids.iter().map(|s| s.0).collect(),
            time: now_ms(),
            stage_infos,
            properties: sub.properties,
        });
        self.submit_stage(stage_id);
    }

    fn new_stage_id(&mut self) -> StageId {
        let id = StageId(self.next_stage_id);
        self.next_stage_id += 1;
        id
    }

    /// The stage and all its ancestors, ancestors first, ids ascending.
    fn ancestors_and_self(&self, stage_id: StageId) -> Vec<StageId> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![stage_id];
        while let Some(s) = stack.pop() {
            if seen.insert(s) {
                if let Some(stage) = self.stages.get(&s) {
                    stack.extend(self.parent_stage_ids(stage));
                }
            }
        }
        seen.into_iter().collect()
    }

    /// The map stages of the shuffle dependencies directly above a stage's RDD.
    fn parent_stage_ids(&self, stage: &Stage) -> Vec<StageId> {
        shuffle_dependencies(&stage.rdd)
            .iter()
            .filter_map(|d| self.shuffle_to_map_stage.get(&d.shuffle_id).copied())
            .collect()
    }

    fn get_or_create_parent_stages(
        &mut self,
        rdd: &Arc<dyn RddBase>,
        job_id: JobId,
    ) -> Vec<StageId> {
        shuffle_dependencies(rdd)
            .into_iter()
            .map(|dep| self.get_or_create_shuffle_map_stage(&dep, job_id))
            .collect()
    }

    fn get_or_create_shuffle_map_stage(
        &mut self,
        dep: &Arc<ShuffleDependency>,
        job_id: JobId,
    ) -> StageId {
        if let Some(&id) = self.shuffle_to_map_stage.get(&dep.shuffle_id) {
            return id;
        }
        // Parents first, so that ancestor stages get smaller ids (as in Spark).
        self.get_or_create_parent_stages(&dep.rdd, job_id);
        let id = self.new_stage_id();
        let name = dep.rdd.core().op.clone();
        self.env
            .map_output_tracker
            .register_shuffle(dep.shuffle_id, dep.num_maps());
        self.stages.insert(
            id,
            Stage::new(
                dep.rdd.clone(),
                StageKind::ShuffleMap(dep.clone()),
                name,
                job_id,
            ),
        );
        self.shuffle_to_map_stage.insert(dep.shuffle_id, id);
        self.refresh_stage_info(id);
        id
    }

    /// Sets a stage's info for its next attempt, with one task per partition (Spark's
    /// `latestInfo` of a new stage).
    fn refresh_stage_info(&mut self, stage_id: StageId) {
        let Some(stage) = self.stages.get(&stage_id) else {
            return;
        };
        let attempt = stage.attempt.map_or(0, |a| a + 1);
        let info = self.stage_info(stage_id, attempt, num_partitions(&*stage.rdd));
        if let Some(stage) = self.stages.get_mut(&stage_id) {
            stage.info = info;
        }
    }

    fn submit_stage(&mut self, stage_id: StageId) {
        if self.waiting.contains(&stage_id)
            || self.running.contains(&stage_id)
            || self.failed.contains(&stage_id)
        {
            return;
        }
        let Some(stage) = self.stages.get(&stage_id) else {
            return;
        };
        if stage.job_ids.is_empty() {
            return;
        }
        let missing = self.missing_parent_stages(stage_id);
        self.log_submit_stage(stage_id, &missing);
        if missing.is_empty() {
            self.submit_missing_tasks(stage_id);
        } else {
            for parent in missing {
                self.submit_stage(parent);
            }
            self.waiting.insert(stage_id);
        }
    }

    /// Parent map stages whose outputs are not all available. RDDs whose every partition is
    /// cached are not looked through (their parents need not run), as in Spark.
    fn missing_parent_stages(&mut self, stage_id: StageId) -> Vec<StageId> {
        let Some(stage) = self.stages.get(&stage_id) else {
            return Vec::new();
        };
        let job_id = stage.first_job_id;
        let mut missing = BTreeSet::new();
        let mut visited = HashSet::new();
        let mut stack = vec![stage.rdd.clone()];
        while let Some(rdd) = stack.pop() {
            if !visited.insert(rdd.core().id) {
                continue;
            }
            if crate::rdd::all_cached(&*rdd, &self.env.block_manager_master)
                && self.cached_on_live_executors(&*rdd)
            {
                continue;
            }
            for dep in dependencies(&*rdd) {
                match dep.as_shuffle() {
                    Some(shuffle) => {
                        let map_stage = self.get_or_create_shuffle_map_stage(shuffle, job_id);
                        if !self.env.map_output_tracker.is_available(shuffle.shuffle_id) {
                            missing.insert(map_stage);
                        }
                    }
                    None => stack.push(dep.rdd().clone()),
                }
            }
        }
        missing.into_iter().collect()
    }

    /// Whether every cached partition of `rdd` has a copy on a live executor (with
    /// `all_cached`, Spark's `!getCacheLocs(rdd).contains(Nil)`). A location on a dead executor
    /// does not count: a task still running on an executor when it was killed may register its block
    /// after the executor's blocks were forgotten, and a stage that trusted that location
    /// would skip the parents it needs, then fetch-fail on them one attempt at a time.
    fn cached_on_live_executors(&self, rdd: &dyn RddBase) -> bool {
        let core = rdd.core();
        let n = num_partitions(rdd);
        let master = &self.env.block_manager_master;
        (0..n).all(|split| {
            master
                .locations(crate::storage::block_manager::BlockId::rdd(
                    core.id.0, split,
                ))
                .iter()
                .any(|e| self.env.executor(e).is_some())
        })
    }

    fn submit_missing_tasks(&mut self, stage_id: StageId) {
        let Some(stage) = self.stages.get_mut(&stage_id) else {
            return;
        };
        let (partitions, kind, is_map) = match &stage.kind {
            StageKind::ShuffleMap(dep) => (
                self.env
                    .map_output_tracker
                    .missing_partitions(dep.shuffle_id),
                TaskKind::ShuffleMap(dep.clone()),
                true,
            ),
            StageKind::Result { job_id } => {
                let Some(job) = self.jobs.get(job_id) else {
                    return;
                };
                let parts: Vec<usize> = job
                    .partitions
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| job.results[*i].is_none())
                    .map(|(_, p)| *p)
                    .collect();
                (parts, TaskKind::Result(job.func.clone()), false)
            }
        };
        let attempt = stage.attempt.map_or(0, |a| a + 1);
        stage.attempt = Some(attempt);
        stage.pending = partitions.iter().copied().collect();
        let name = stage.name.clone();
        let info = self.stage_info(stage_id, attempt, partitions.len());
        let submission_time = now_ms();
        if let Some(stage) = self.stages.get_mut(&stage_id) {
            stage.info = info.clone();
            stage.submitted_at = Some(submission_time);
        }
        self.running.insert(stage_id);
        self.log_missing_tasks(stage_id, attempt, &partitions);
        let properties = self.stage_properties(stage_id);
        self.post(SparkListenerEvent::StageSubmitted {
            stage_id: stage_id.0,
            attempt,
            name,
            num_tasks: partitions.len(),
            is_shuffle_map: is_map,
            info,
            submission_time,
            properties,
        });
        if partitions.is_empty() {
            self.mark_stage_finished(stage_id, None);
            self.submit_waiting_child_stages();
            return;
        }
        self.task_sets.insert(
            (stage_id, attempt),
            TaskSet::new(stage_id, attempt, kind, &partitions),
        );
    }

    fn mark_stage_finished(&mut self, stage_id: StageId, failure: Option<String>) {
        self.running.remove(&stage_id);
        let Some(stage) = self.stages.get_mut(&stage_id) else {
            return;
        };
        if failure.is_none() {
            stage.failed_attempt_ids.clear();
        }
        let attempt = stage.attempt.unwrap_or(0);
        if let Some(ts) = self.task_sets.get_mut(&(stage_id, attempt)) {
            ts.zombie = true;
        }
        let info = stage.info.clone();
        let submission_time = stage.submitted_at;
        self.log_stage_finished(stage_id, failure.as_deref());
        self.post(SparkListenerEvent::StageCompleted {
            stage_id: stage_id.0,
            attempt,
            failure,
            info,
            submission_time,
            completion_time: now_ms(),
        });
    }

    fn submit_waiting_child_stages(&mut self) {
        let mut waiting: Vec<StageId> = std::mem::take(&mut self.waiting).into_iter().collect();
        waiting.sort_by_key(|s| {
            (
                self.stages
                    .get(s)
                    .map_or(JobId(usize::MAX), |st| st.first_job_id),
                *s,
            )
        });
        for s in waiting {
            self.submit_stage(s);
        }
    }

    fn resubmit_failed_stages(&mut self) {
        let mut failed: Vec<StageId> = std::mem::take(&mut self.failed).into_iter().collect();
        failed.sort_by_key(|s| {
            (
                self.stages
                    .get(s)
                    .map_or(JobId(usize::MAX), |st| st.first_job_id),
                *s,
            )
        });
        for s in failed {
            self.submit_stage(s);
        }
    }

    // ---------------------------------------------------------------- failure and cleanup

    fn abort_stage_with(&mut self, stage_id: StageId, reason: String) {
        self.abort_stage(stage_id, reason, None)
    }

    /// Aborts a stage and fails every job that needs it, with `error` when given, else
    /// `Error::JobAborted(reason)`.
    fn abort_stage(&mut self, stage_id: StageId, reason: String, error: Option<Error>) {
        if self.running.contains(&stage_id) {
            self.mark_stage_finished(stage_id, Some(reason.clone()));
        }
        let jobs: Vec<JobId> = self
            .jobs
            .iter()
            .filter(|(_, j)| j.stage_ids.contains(&stage_id))
            .map(|(id, _)| *id)
            .collect();
        for job in jobs {
            let e = error
                .clone()
                .unwrap_or_else(|| Error::JobAborted(reason.clone()));
            self.fail_job(job, e);
        }
    }

    fn fail_job(&mut self, job_id: JobId, error: Error) {
        let Some(job) = self.jobs.remove(&job_id) else {
            return;
        };
        // Spark's `cancelRunningIndependentStages`: the stages only this job needs stop, and
        // their running tasks are killed.
        self.cancel_independent_stages(&job, &error.to_string());
        self.post(SparkListenerEvent::JobEnd {
            job_id: job_id.0,
            succeeded: false,
            time: now_ms(),
            failure: Some(error.to_string()),
        });
        self.log_job_ended(job_id, false);
        let ActiveJob {
            stage_ids, reply, ..
        } = job;
        self.cleanup_job(job_id, &stage_ids);
        let _ = reply.send(Err(error));
    }

    /// Forgets the stages no other job needs (Spark's
    /// `cleanupStateForJobAndIndependentStages`). Map outputs stay in the tracker, so a later
    /// job's new stage for the same shuffle is skipped.
    fn cleanup_job(&mut self, job_id: JobId, stage_ids: &BTreeSet<StageId>) {
        for s in stage_ids {
            let Some(stage) = self.stages.get_mut(s) else {
                continue;
            };
            stage.job_ids.remove(&job_id);
            if !stage.job_ids.is_empty() {
                continue;
            }
            let stage = self.stages.remove(s).expect("looked up above");
            if let StageKind::ShuffleMap(dep) = &stage.kind {
                if self.shuffle_to_map_stage.get(&dep.shuffle_id) == Some(s) {
                    self.shuffle_to_map_stage.remove(&dep.shuffle_id);
                }
            }
            self.waiting.remove(s);
            self.running.remove(s);
            self.failed.remove(s);
            self.task_sets.retain(|(stage, _), _| stage != s);
        }
    }
}

impl Stage {
    fn new(rdd: Arc<dyn RddBase>, kind: StageKind, name: String, job_id: JobId) -> Stage {
        Stage {
            rdd,
            kind,
            name,
            job_ids: BTreeSet::from([job_id]),
            first_job_id: job_id,
            attempt: None,
            pending: BTreeSet::new(),
            failed_attempt_ids: BTreeSet::new(),
            // Set by `refresh_stage_info` once the stage is registered.
            info: Arc::new(StageInfo::empty(0, 0, 0)),
            submitted_at: None,
        }
    }
}

/// The shuffle dependencies directly above `rdd`, found by walking narrow dependencies
/// iteratively (a 10,000-step narrow lineage must not overflow the stack).
fn shuffle_dependencies(rdd: &Arc<dyn RddBase>) -> Vec<Arc<ShuffleDependency>> {
    let mut found = Vec::new();
    let mut seen_shuffles = HashSet::new();
    let mut visited = HashSet::new();
    let mut stack = vec![rdd.clone()];
    while let Some(r) = stack.pop() {
        if !visited.insert(r.core().id) {
            continue;
        }
        for dep in dependencies(&*r) {
            match dep.as_shuffle() {
                Some(s) => {
                    if seen_shuffles.insert(s.shuffle_id) {
                        found.push(s.clone());
                    }
                }
                None => stack.push(dep.rdd().clone()),
            }
        }
    }
    found.sort_by_key(|d| d.shuffle_id);
    found
}

/// Checks every RDD of the lineage can run (Spark's `getPartitions` errors, found at submit).
fn validate_lineage(rdd: &Arc<dyn RddBase>) -> Result<()> {
    let mut visited = HashSet::new();
    let mut stack = vec![rdd.clone()];
    while let Some(r) = stack.pop() {
        if !visited.insert(r.core().id) {
            continue;
        }
        r.validate()?;
        let _ = num_partitions(&*r);
        for dep in dependencies(&*r) {
            stack.push(dep.rdd().clone());
        }
    }
    Ok(())
}
