//! Spark's `JobScheduler` and `JobSet` for one batch: the batch's jobs, numbered by output
//! operation, run in order, and the listener events around them (`BatchSubmitted`,
//! `BatchStarted`, `OutputOperationStarted` / `Completed`, `BatchCompleted`; see
//! `streaming::listener` for their order).
//!
//! Spark's `JobSet.toBatchInfo` is [`JobSet::info`]: it is built when the jobs are submitted
//! (records from the `InputInfoTracker`, every output operation listed without times), and
//! each job's start and end fill it in. Times come from the streaming clock.
//!
//! Layering: called by `StreamingEnv::run_batch`; uses the DStream graph's output streams and
//! the streaming listener bus. No lock is held while a job (user code) runs.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::streaming::env::StreamingEnv;
use crate::streaming::graph::{OutputDStream, StreamingJob};
use crate::streaming::listener::{BatchInfo, OutputOperationInfo, StreamingListenerEvent as E};
use crate::streaming::time::Time;

/// Spark's streaming `Job`: one output operation's work for one batch.
pub(crate) struct Job {
    info: OutputOperationInfo,
    run: StreamingJob,
}

/// Spark's `DStreamGraph.generateJobs`: one job per output stream that has an RDD for `time`,
/// in registration order; a job's id is its place among the batch's jobs (Spark's
/// `outputOpId`). The outputs are a copy taken out of the graph lock.
pub(crate) fn generate_jobs(outputs: &[Arc<dyn OutputDStream>], time: Time) -> Result<Vec<Job>> {
    let mut jobs = Vec::new();
    for o in outputs {
        let Some(run) = o.generate_job(time)? else {
            continue;
        };
        let parents: Vec<String> = o
            .dependencies()
            .iter()
            .map(|p| format!("{}[{}]", p.class_name(), p.core().id))
            .collect();
        let info = OutputOperationInfo {
            batch_time: time,
            id: jobs.len(),
            name: "foreachRDD".to_string(),
            description: format!(
                "{}[{}] at foreachRDD over {}",
                o.class_name(),
                o.core().id,
                parents.join(", ")
            ),
            start_time: None,
            end_time: None,
            failure_reason: None,
        };
        jobs.push(Job { info, run });
    }
    Ok(jobs)
}

/// Spark's `JobSet`: a batch's jobs in progress.
pub(crate) struct JobSet {
    pub(crate) info: BatchInfo,
}

impl JobSet {
    /// Spark's `JobScheduler.submitJobSet`: posts `BatchSubmitted` (unless there is no job).
    pub(crate) fn submit(env: &StreamingEnv, time: Time, submitted_ms: u64, jobs: &[Job]) -> Self {
        let mut info = BatchInfo::new(time, Time::new(submitted_ms));
        for i in env.input_info_tracker.get_info(time) {
            info.stream_id_to_num_records
                .insert(i.input_stream_id, i.num_records);
        }
        info.num_records = env.input_info_tracker.num_records(time);
        for job in jobs {
            info.output_operation_infos
                .insert(job.info.id, job.info.clone());
        }
        if jobs.is_empty() {
            log::info!(
                target: crate::logging::JOB_SCHEDULER,
                "No jobs added for time {time}"
            );
        } else {
            env.listener_bus.post(E::BatchSubmitted(info.clone()));
        }
        JobSet { info }
    }

    /// Runs the jobs in order (Spark's `JobHandler` with one concurrent job), posting each
    /// job's start and completion and the batch's start and completion. Returns the first
    /// failed job's error; later jobs still run.
    pub(crate) fn run(&mut self, env: &StreamingEnv, jobs: Vec<Job>) -> Option<Error> {
        let mut first_error = None;
        let any = !jobs.is_empty();
        for Job { mut info, run } in jobs {
            let start = Time::new(env.clock.time_ms());
            if self.info.processing_start_time.is_none() {
                self.info.processing_start_time = Some(start);
                env.listener_bus.post(E::BatchStarted(self.info.clone()));
            }
            info.start_time = Some(start);
            self.info
                .output_operation_infos
                .insert(info.id, info.clone());
            env.listener_bus
                .post(E::OutputOperationStarted(info.clone()));
            let result = run();
            info.end_time = Some(Time::new(env.clock.time_ms()));
            if let Err(e) = result {
                info.failure_reason = Some(e.to_string());
                first_error.get_or_insert(e);
            }
            self.info
                .output_operation_infos
                .insert(info.id, info.clone());
            env.listener_bus
                .post(E::OutputOperationCompleted(info.clone()));
        }
        if any {
            self.info.processing_end_time = Some(Time::new(env.clock.time_ms()));
            env.listener_bus.post(E::BatchCompleted(self.info.clone()));
        }
        first_error
    }
}
