//! Listener events as the lines of Spark's event log (Spark's `JsonProtocol`, 4.3's names and
//! shapes): one compact JSON object a line, `"Event"` its first key, through serde_json.
//!
//! Each event becomes zero, one or two lines: an `ExecutorAdded` is followed by Spark's
//! `BlockManagerAdded` for its block manager (and `ExecutorRemoved` by `BlockManagerRemoved`),
//! a `BlockLost` is Spark's `BlockUpdated` to level NONE, and a streaming batch is sparklet's own
//! `SparkletStreamingBatchCompleted` (the History Server drops event classes it does not know).
//! Fields sparklet has no counterpart for keep Spark's names with neutral values (an empty
//! `Accumulables`, zero GC times, `PROCESS_LOCAL`), so the History Server reads every line.
//!
//! Layering: reads listener events only; knows no RDDs, scheduler or storage.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::scheduler::listener::{
    AccumulableInfo, SparkListenerEvent as E, StageInfo, StageRddInfo, TaskEndKind, TaskMetrics,
};
use crate::storage::StorageLevel;

/// The host every executor reports (executors are threads of this process).
pub(crate) const HOST: &str = "localhost";
/// The port every block manager reports: executors have no network port, and Spark's
/// `BlockManagerId` requires a positive one.
const BLOCK_MANAGER_PORT: u16 = 7337;

/// The first line of every log (Spark's `SparkListenerLogStart`) and Spark's default resource
/// profile, which Spark writes before any other event.
pub(crate) fn header_lines() -> Vec<String> {
    vec![
        r#"{"Event":"SparkListenerLogStart","Spark Version":"4.3.0"}"#.to_string(),
        concat!(
            r#"{"Event":"SparkListenerResourceProfileAdded","Resource Profile Id":0,"#,
            r#""Executor Resource Requests":{"cores":{"Resource Name":"cores","Amount":1,"#,
            r#""Discovery Script":"","Vendor":""},"memory":{"Resource Name":"memory","#,
            r#""Amount":1024,"Discovery Script":"","Vendor":""},"offHeap":{"Resource Name":"#,
            r#""offHeap","Amount":0,"Discovery Script":"","Vendor":""}},"#,
            r#""Task Resource Requests":{"cpus":{"Resource Name":"cpus","Amount":1.0}}}"#
        )
        .to_string(),
    ]
}

/// Appends the lines of `event` to `out`. BlockUpdated lines (and lost blocks) only with
/// `block_updates`, as Spark's `spark.eventLog.logBlockUpdates.enabled`.
pub(crate) fn render(event: &E, block_updates: bool, out: &mut Vec<String>) {
    let mut push = |v: &dyn erased::Line| {
        if let Some(line) = v.line() {
            out.push(line);
        }
    };
    match event {
        E::ApplicationStart {
            app_name,
            app_id,
            time,
            user,
        } => push(&AppStart {
            event: "SparkListenerApplicationStart",
            app_name,
            app_id,
            timestamp: *time,
            user,
        }),
        E::ApplicationEnd { time } => push(&AppEnd {
            event: "SparkListenerApplicationEnd",
            timestamp: *time,
            exit_code: 0,
        }),
        E::EnvironmentUpdate {
            spark_properties,
            system_properties,
        } => push(&Environment {
            event: "SparkListenerEnvironmentUpdate",
            jvm: Pairs(&[
                ("Java Home".into(), String::new()),
                ("Java Version".into(), String::new()),
                ("Scala Version".into(), String::new()),
            ]),
            spark: Pairs(spark_properties),
            hadoop: Pairs(&[]),
            system: Pairs(system_properties),
            metrics: Pairs(&[]),
            classpath: Pairs(&[]),
        }),
        E::JobStart {
            job_id,
            stage_ids,
            time,
            stage_infos,
            properties,
        } => push(&JobStart {
            event: "SparkListenerJobStart",
            job_id: *job_id,
            submission_time: *time,
            stage_infos: stage_infos
                .iter()
                .map(|i| StageJson::new(i, None, None, None))
                .collect(),
            stage_ids,
            properties: Pairs(properties),
        }),
        E::JobEnd {
            job_id,
            time,
            failure,
            ..
        } => push(&JobEnd {
            event: "SparkListenerJobEnd",
            job_id: *job_id,
            completion_time: *time,
            job_result: match failure {
                None => JobResult {
                    result: "JobSucceeded",
                    exception: None,
                },
                Some(message) => JobResult {
                    result: "JobFailed",
                    exception: Some(ExceptionJson {
                        message,
                        stack_trace: [],
                    }),
                },
            },
        }),
        E::StageSubmitted {
            info,
            submission_time,
            properties,
            ..
        } => push(&StageSubmitted {
            event: "SparkListenerStageSubmitted",
            stage_info: StageJson::new(info, Some(*submission_time), None, None),
            properties: Pairs(properties),
        }),
        E::StageCompleted {
            info,
            failure,
            submission_time,
            completion_time,
            ..
        } => push(&StageCompleted {
            event: "SparkListenerStageCompleted",
            stage_info: StageJson::new(
                info,
                *submission_time,
                Some(*completion_time),
                failure.as_deref(),
            ),
        }),
        E::TaskStart {
            stage_id,
            stage_attempt,
            partition,
            attempt,
            task_id,
            executor_id,
            launch_time,
        } => push(&TaskStart {
            event: "SparkListenerTaskStart",
            stage_id: *stage_id,
            stage_attempt_id: *stage_attempt,
            task_info: TaskInfoJson::new(
                *task_id,
                *partition,
                *attempt,
                *launch_time,
                0,
                executor_id,
                None,
            ),
        }),
        E::TaskEnd {
            stage_id,
            stage_attempt,
            partition,
            attempt,
            task_id,
            executor_id,
            reason,
            launch_time,
            finish_time,
            is_shuffle_map,
            metrics,
            accumulables,
        } => push(&TaskEnd {
            event: "SparkListenerTaskEnd",
            stage_id: *stage_id,
            stage_attempt_id: *stage_attempt,
            task_type: if *is_shuffle_map {
                "ShuffleMapTask"
            } else {
                "ResultTask"
            },
            reason: ReasonJson::new(reason, executor_id, *partition),
            task_info: TaskInfoJson::new(
                *task_id,
                *partition,
                *attempt,
                *launch_time,
                *finish_time,
                executor_id,
                Some(reason),
            )
            .with_accumulables(accumulables),
            executor_metrics: ZeroExecutorMetrics,
            task_metrics: MetricsJson::new(metrics),
        }),
        E::ExecutorAdded {
            executor_id,
            time,
            cores,
            max_memory,
        } => {
            push(&ExecutorAdded {
                event: "SparkListenerExecutorAdded",
                timestamp: *time,
                executor_id,
                executor_info: ExecutorInfo {
                    host: HOST,
                    total_cores: *cores,
                    log_urls: Pairs(&[]),
                    attributes: Pairs(&[]),
                    resources: Pairs(&[]),
                    resource_profile_id: 0,
                },
            });
            push(&BlockManagerAdded {
                event: "SparkListenerBlockManagerAdded",
                block_manager_id: BlockManagerId::of(executor_id),
                maximum_memory: *max_memory,
                timestamp: *time,
                maximum_onheap_memory: *max_memory,
                maximum_offheap_memory: 0,
            });
        }
        E::ExecutorRemoved {
            executor_id,
            reason,
            time,
            ..
        } => {
            push(&ExecutorRemoved {
                event: "SparkListenerExecutorRemoved",
                timestamp: *time,
                executor_id,
                removed_reason: reason,
            });
            push(&BlockManagerRemoved {
                event: "SparkListenerBlockManagerRemoved",
                block_manager_id: BlockManagerId::of(executor_id),
                timestamp: *time,
            });
        }
        E::BlockUpdated {
            block_id,
            executor_id,
            storage_level,
            memory_size,
            disk_size,
        } if block_updates => push(&BlockUpdated {
            event: "SparkListenerBlockUpdated",
            info: BlockUpdatedInfo {
                block_manager_id: BlockManagerId::of(executor_id),
                block_id,
                storage_level: LevelJson::new(*storage_level),
                memory_size: *memory_size,
                disk_size: *disk_size,
            },
        }),
        E::BlockLost {
            block_id,
            executor_id,
            ..
        } if block_updates => push(&BlockUpdated {
            event: "SparkListenerBlockUpdated",
            info: BlockUpdatedInfo {
                block_manager_id: BlockManagerId::of(executor_id),
                block_id,
                storage_level: LevelJson::new(StorageLevel::NONE),
                memory_size: 0,
                disk_size: 0,
            },
        }),
        E::UnpersistRdd { rdd_id } => push(&Unpersist {
            event: "SparkListenerUnpersistRDD",
            rdd_id: *rdd_id,
        }),
        E::StreamingBatchCompleted {
            batch_time,
            submission_time,
            processing_start_time,
            processing_end_time,
            num_records,
            inputs,
            checkpoint,
            output_operations,
            state,
        } => push(&StreamingBatch {
            event: "SparkletStreamingBatchCompleted",
            batch_time: *batch_time,
            submission_time: *submission_time,
            processing_start_time: *processing_start_time,
            processing_end_time: *processing_end_time,
            num_records: *num_records,
            inputs: inputs
                .iter()
                .map(|i| StreamInput {
                    stream_id: i.stream_id,
                    stream: &i.stream,
                    num_records: i.num_records,
                })
                .collect(),
            checkpoint: *checkpoint,
            output_operations: *output_operations,
            state: state
                .iter()
                .map(|s| StreamState {
                    stream_id: s.stream_id,
                    stream: &s.stream,
                    keys: s.keys,
                })
                .collect(),
        }),
        _ => {}
    }
}

/// One line from a serializable value (serde_json cannot fail on these shapes: string keys,
/// no non-finite floats; a failure would drop the line rather than corrupt the log).
mod erased {
    pub(super) trait Line {
        fn line(&self) -> Option<String>;
    }
    impl<T: serde::Serialize> Line for T {
        fn line(&self) -> Option<String> {
            serde_json::to_string(self).ok()
        }
    }
}

/// String pairs as a JSON object, in their order.
struct Pairs<'a>(&'a [(String, String)]);

impl Serialize for Pairs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct AppStart<'a> {
    #[serde(rename = "Event")]
    event: &'static str,
    #[serde(rename = "App Name")]
    app_name: &'a str,
    #[serde(rename = "App ID")]
    app_id: &'a str,
    #[serde(rename = "Timestamp")]
    timestamp: u64,
    #[serde(rename = "User")]
    user: &'a str,
}

#[derive(Serialize)]
struct AppEnd {
    #[serde(rename = "Event")]
    event: &'static str,
    #[serde(rename = "Timestamp")]
    timestamp: u64,
    #[serde(rename = "ExitCode")]
    exit_code: i32,
}

#[derive(Serialize)]
struct Environment<'a> {
    #[serde(rename = "Event")]
    event: &'static str,
    #[serde(rename = "JVM Information")]
    jvm: Pairs<'a>,
    #[serde(rename = "Spark Properties")]
    spark: Pairs<'a>,
    #[serde(rename = "Hadoop Properties")]
    hadoop: Pairs<'a>,
    #[serde(rename = "System Properties")]
    system: Pairs<'a>,
    #[serde(rename = "Metrics Properties")]
    metrics: Pairs<'a>,
    #[serde(rename = "Classpath Entries")]
    classpath: Pairs<'a>,
}

#[derive(Serialize)]
struct JobStart<'a> {
    #[serde(rename = "Event")]
    event: &'static str,
    #[serde(rename = "Job ID")]
    job_id: usize,
    #[serde(rename = "Submission Time")]
    submission_time: u64,
    #[serde(rename = "Stage Infos")]
    stage_infos: Vec<StageJson<'a>>,
    #[serde(rename = "Stage IDs")]
    stage_ids: &'a [usize],
    #[serde(rename = "Properties")]
    properties: Pairs<'a>,
}

#[derive(Serialize)]
struct JobEnd<'a> {
    #[serde(rename = "Event")]
    event: &'static str,
    #[serde(rename = "Job ID")]
    job_id: usize,
    #[serde(rename = "Completion Time")]
    completion_time: u64,
    #[serde(rename = "Job Result")]
    job_result: JobResult<'a>,
}

#[derive(Serialize)]
struct JobResult<'a> {
    #[serde(rename = "Result")]
    result: &'static str,
    #[serde(rename = "Exception", skip_serializing_if = "Option::is_none")]
    exception: Option<ExceptionJson<'a>>,
}

#[derive(Serialize)]
struct ExceptionJson<'a> {
    #[serde(rename = "Message")]
    message: &'a str,
    #[serde(rename = "Stack Trace")]
    stack_trace: [u8; 0],
}

#[derive(Serialize)]
struct StageSubmitted<'a> {
    #[serde(rename = "Event")]
    event: &'static str,
    #[serde(rename = "Stage Info")]
    stage_info: StageJson<'a>,
    #[serde(rename = "Properties")]
    properties: Pairs<'a>,
}

#[derive(Serialize)]
struct StageCompleted<'a> {
    #[serde(rename = "Event")]
    event: &'static str,
    #[serde(rename = "Stage Info")]
    stage_info: StageJson<'a>,
}

#[derive(Serialize)]
struct StageJson<'a> {
    #[serde(rename = "Stage ID")]
    stage_id: usize,
    #[serde(rename = "Stage Attempt ID")]
    attempt: u32,
    #[serde(rename = "Stage Name")]
    name: &'a str,
    #[serde(rename = "Number of Tasks")]
    num_tasks: usize,
    #[serde(rename = "RDD Info")]
    rdd_info: Vec<RddJson<'a>>,
    #[serde(rename = "Parent IDs")]
    parent_ids: &'a [usize],
    #[serde(rename = "Details")]
    details: &'a str,
    #[serde(rename = "Submission Time", skip_serializing_if = "Option::is_none")]
    submission_time: Option<u64>,
    #[serde(rename = "Completion Time", skip_serializing_if = "Option::is_none")]
    completion_time: Option<u64>,
    #[serde(rename = "Failure Reason", skip_serializing_if = "Option::is_none")]
    failure_reason: Option<&'a str>,
    #[serde(rename = "Accumulables")]
    accumulables: Vec<AccumulableJson<'a>>,
    #[serde(rename = "Resource Profile Id")]
    resource_profile_id: u32,
    #[serde(rename = "Shuffle Push Enabled")]
    shuffle_push_enabled: bool,
    #[serde(rename = "Shuffle Push Mergers Count")]
    shuffle_push_mergers_count: u32,
}

impl<'a> StageJson<'a> {
    fn new(
        info: &'a StageInfo,
        submission_time: Option<u64>,
        completion_time: Option<u64>,
        failure_reason: Option<&'a str>,
    ) -> Self {
        StageJson {
            stage_id: info.stage_id,
            attempt: info.attempt,
            name: &info.name,
            num_tasks: info.num_tasks,
            rdd_info: info.rdd_infos.iter().map(RddJson::new).collect(),
            parent_ids: &info.parent_ids,
            details: &info.details,
            submission_time,
            completion_time,
            failure_reason,
            accumulables: info.accumulables.iter().map(AccumulableJson::new).collect(),
            resource_profile_id: 0,
            shuffle_push_enabled: false,
            shuffle_push_mergers_count: 0,
        }
    }
}

#[derive(Serialize)]
struct RddJson<'a> {
    #[serde(rename = "RDD ID")]
    rdd_id: usize,
    #[serde(rename = "Name")]
    name: &'a str,
    /// Spark's `RDDOperationScope` as JSON text inside the string.
    #[serde(rename = "Scope")]
    scope: String,
    #[serde(rename = "Callsite")]
    callsite: &'a str,
    #[serde(rename = "Parent IDs")]
    parent_ids: &'a [usize],
    #[serde(rename = "Storage Level")]
    storage_level: LevelJson,
    #[serde(rename = "Barrier")]
    barrier: bool,
    #[serde(rename = "DeterministicLevel")]
    deterministic_level: &'static str,
    #[serde(rename = "Number of Partitions")]
    num_partitions: usize,
    #[serde(rename = "Number of Cached Partitions")]
    num_cached_partitions: usize,
    #[serde(rename = "Memory Size")]
    memory_size: u64,
    #[serde(rename = "Disk Size")]
    disk_size: u64,
}

impl<'a> RddJson<'a> {
    fn new(info: &'a StageRddInfo) -> Self {
        #[derive(Serialize)]
        struct Scope<'s> {
            id: String,
            name: &'s str,
        }
        let scope = serde_json::to_string(&Scope {
            id: info.rdd_id.to_string(),
            name: &info.scope,
        })
        .unwrap_or_default();
        RddJson {
            rdd_id: info.rdd_id,
            name: &info.name,
            scope,
            callsite: &info.callsite,
            parent_ids: &info.parent_ids,
            storage_level: LevelJson::new(info.storage_level),
            barrier: false,
            deterministic_level: info.deterministic_level,
            num_partitions: info.num_partitions,
            num_cached_partitions: 0,
            memory_size: 0,
            disk_size: 0,
        }
    }
}

#[derive(Serialize)]
struct LevelJson {
    #[serde(rename = "Use Disk")]
    use_disk: bool,
    #[serde(rename = "Use Memory")]
    use_memory: bool,
    #[serde(rename = "Use Off Heap")]
    use_off_heap: bool,
    #[serde(rename = "Deserialized")]
    deserialized: bool,
    #[serde(rename = "Replication")]
    replication: usize,
}

impl LevelJson {
    fn new(level: StorageLevel) -> Self {
        LevelJson {
            use_disk: level.use_disk(),
            use_memory: level.use_memory(),
            use_off_heap: level.use_off_heap(),
            deserialized: level.deserialized(),
            replication: level.replication(),
        }
    }
}

#[derive(Serialize)]
struct TaskStart<'a> {
    #[serde(rename = "Event")]
    event: &'static str,
    #[serde(rename = "Stage ID")]
    stage_id: usize,
    #[serde(rename = "Stage Attempt ID")]
    stage_attempt_id: u32,
    #[serde(rename = "Task Info")]
    task_info: TaskInfoJson<'a>,
}

#[derive(Serialize)]
struct TaskEnd<'a> {
    #[serde(rename = "Event")]
    event: &'static str,
    #[serde(rename = "Stage ID")]
    stage_id: usize,
    #[serde(rename = "Stage Attempt ID")]
    stage_attempt_id: u32,
    #[serde(rename = "Task Type")]
    task_type: &'static str,
    #[serde(rename = "Task End Reason")]
    reason: ReasonJson<'a>,
    #[serde(rename = "Task Info")]
    task_info: TaskInfoJson<'a>,
    #[serde(rename = "Task Executor Metrics")]
    executor_metrics: ZeroExecutorMetrics,
    #[serde(rename = "Task Metrics")]
    task_metrics: MetricsJson,
}

#[derive(Serialize)]
struct TaskInfoJson<'a> {
    #[serde(rename = "Task ID")]
    task_id: u64,
    /// Spark's index in the task set; here the partition (equal for a stage's first attempt).
    #[serde(rename = "Index")]
    index: usize,
    #[serde(rename = "Attempt")]
    attempt: u32,
    #[serde(rename = "Partition ID")]
    partition_id: usize,
    #[serde(rename = "Launch Time")]
    launch_time: u64,
    #[serde(rename = "Executor ID")]
    executor_id: &'a str,
    #[serde(rename = "Host")]
    host: &'static str,
    #[serde(rename = "Locality")]
    locality: &'static str,
    #[serde(rename = "Speculative")]
    speculative: bool,
    #[serde(rename = "Getting Result Time")]
    getting_result_time: u64,
    #[serde(rename = "Finish Time")]
    finish_time: u64,
    #[serde(rename = "Failed")]
    failed: bool,
    #[serde(rename = "Killed")]
    killed: bool,
    #[serde(rename = "Accumulables")]
    accumulables: Vec<AccumulableJson<'a>>,
}

/// Spark's `accumulableInfoToJson`: a program's accumulator's update and value as strings
/// (Spark's `accumValueToJson` for names outside `internal.metrics.`), no update in a stage's
/// info.
#[derive(Serialize)]
struct AccumulableJson<'a> {
    #[serde(rename = "ID")]
    id: u64,
    #[serde(rename = "Name")]
    name: &'a str,
    #[serde(rename = "Update", skip_serializing_if = "Option::is_none")]
    update: Option<&'a str>,
    #[serde(rename = "Value")]
    value: &'a str,
    #[serde(rename = "Internal")]
    internal: bool,
    #[serde(rename = "Count Failed Values")]
    count_failed_values: bool,
}

impl<'a> AccumulableJson<'a> {
    fn new(a: &'a AccumulableInfo) -> Self {
        AccumulableJson {
            id: a.id,
            name: &a.name,
            update: a.update.as_deref(),
            value: &a.value,
            internal: a.internal,
            count_failed_values: a.count_failed_values,
        }
    }
}

impl<'a> TaskInfoJson<'a> {
    /// The named accumulators a task's end reports (Spark's `TaskInfo.accumulables`).
    fn with_accumulables(mut self, accumulables: &'a [AccumulableInfo]) -> Self {
        self.accumulables = accumulables.iter().map(AccumulableJson::new).collect();
        self
    }

    fn new(
        task_id: u64,
        partition: usize,
        attempt: u32,
        launch_time: u64,
        finish_time: u64,
        executor_id: &'a str,
        reason: Option<&TaskEndKind>,
    ) -> Self {
        let killed = matches!(
            reason,
            Some(TaskEndKind::Ignored | TaskEndKind::TaskKilled(_))
        );
        let failed = !killed && !matches!(reason, None | Some(TaskEndKind::Success));
        TaskInfoJson {
            task_id,
            index: partition,
            attempt,
            partition_id: partition,
            launch_time,
            executor_id,
            host: HOST,
            locality: "PROCESS_LOCAL",
            speculative: false,
            getting_result_time: 0,
            finish_time,
            failed,
            killed,
            accumulables: Vec::new(),
        }
    }
}

/// Spark's `TaskEndReason` shapes: the reason's name, then its fields.
#[derive(Serialize)]
#[serde(tag = "Reason")]
enum ReasonJson<'a> {
    Success,
    FetchFailed {
        #[serde(rename = "Shuffle ID")]
        shuffle_id: usize,
        #[serde(rename = "Map ID")]
        map_id: usize,
        #[serde(rename = "Map Index")]
        map_index: usize,
        #[serde(rename = "Reduce ID")]
        reduce_id: usize,
        #[serde(rename = "Message")]
        message: &'static str,
    },
    ExceptionFailure {
        #[serde(rename = "Class Name")]
        class_name: &'static str,
        #[serde(rename = "Description")]
        description: &'a str,
        #[serde(rename = "Stack Trace")]
        stack_trace: [u8; 0],
        #[serde(rename = "Full Stack Trace")]
        full_stack_trace: &'a str,
        #[serde(rename = "Accumulator Updates")]
        accumulator_updates: [u8; 0],
    },
    ExecutorLostFailure {
        #[serde(rename = "Executor ID")]
        executor_id: &'a str,
        #[serde(rename = "Exit Caused By App")]
        exit_caused_by_app: bool,
        #[serde(rename = "Loss Reason")]
        loss_reason: &'a str,
    },
    TaskKilled {
        #[serde(rename = "Kill Reason")]
        kill_reason: &'a str,
        #[serde(rename = "Accumulator Updates")]
        accumulator_updates: [u8; 0],
    },
}

impl<'a> ReasonJson<'a> {
    fn new(reason: &'a TaskEndKind, executor_id: &'a str, partition: usize) -> Self {
        match reason {
            TaskEndKind::Success => ReasonJson::Success,
            TaskEndKind::FetchFailed { shuffle_id, map_id } => ReasonJson::FetchFailed {
                shuffle_id: *shuffle_id,
                map_id: *map_id,
                map_index: *map_id,
                reduce_id: partition,
                message: "",
            },
            TaskEndKind::ExceptionFailure(message) => ReasonJson::ExceptionFailure {
                class_name: "sparklet.TaskFailure",
                description: message,
                stack_trace: [],
                full_stack_trace: message,
                accumulator_updates: [],
            },
            TaskEndKind::ExecutorLost(why) => ReasonJson::ExecutorLostFailure {
                executor_id,
                exit_caused_by_app: false,
                loss_reason: why,
            },
            TaskEndKind::Ignored => ReasonJson::TaskKilled {
                kill_reason: "another attempt succeeded",
                accumulator_updates: [],
            },
            TaskEndKind::TaskKilled(why) => ReasonJson::TaskKilled {
                kill_reason: why,
                accumulator_updates: [],
            },
        }
    }
}

/// Spark's executor memory metrics at a task's end: none of them exists here, all zero.
struct ZeroExecutorMetrics;

const EXECUTOR_METRICS: [&str; 23] = [
    "JVMHeapMemory",
    "JVMOffHeapMemory",
    "OnHeapExecutionMemory",
    "OffHeapExecutionMemory",
    "OnHeapStorageMemory",
    "OffHeapStorageMemory",
    "OnHeapUnifiedMemory",
    "OffHeapUnifiedMemory",
    "DirectPoolMemory",
    "MappedPoolMemory",
    "ProcessTreeJVMVMemory",
    "ProcessTreeJVMRSSMemory",
    "ProcessTreePythonVMemory",
    "ProcessTreePythonRSSMemory",
    "ProcessTreeOtherVMemory",
    "ProcessTreeOtherRSSMemory",
    "MinorGCCount",
    "MinorGCTime",
    "MajorGCCount",
    "MajorGCTime",
    "TotalGCTime",
    "ConcurrentGCCount",
    "ConcurrentGCTime",
];

impl Serialize for ZeroExecutorMetrics {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(EXECUTOR_METRICS.len()))?;
        for k in EXECUTOR_METRICS {
            m.serialize_entry(k, &0)?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct MetricsJson {
    #[serde(rename = "Executor Deserialize Time")]
    deserialize_time: u64,
    #[serde(rename = "Executor Deserialize CPU Time")]
    deserialize_cpu_time: u64,
    #[serde(rename = "Executor Run Time")]
    run_time: u64,
    #[serde(rename = "Executor CPU Time")]
    cpu_time: u64,
    #[serde(rename = "Peak Execution Memory")]
    peak_execution_memory: u64,
    #[serde(rename = "Peak On Heap Execution Memory")]
    peak_on_heap: u64,
    #[serde(rename = "Peak Off Heap Execution Memory")]
    peak_off_heap: u64,
    #[serde(rename = "Result Size")]
    result_size: u64,
    #[serde(rename = "JVM GC Time")]
    gc_time: u64,
    #[serde(rename = "Result Serialization Time")]
    result_serialization_time: u64,
    #[serde(rename = "Memory Bytes Spilled")]
    memory_bytes_spilled: u64,
    #[serde(rename = "Disk Bytes Spilled")]
    disk_bytes_spilled: u64,
    #[serde(rename = "Shuffle Read Metrics")]
    shuffle_read: ShuffleReadJson,
    #[serde(rename = "Shuffle Write Metrics")]
    shuffle_write: ShuffleWriteJson,
    #[serde(rename = "Input Metrics")]
    input: InputJson,
    #[serde(rename = "Output Metrics")]
    output: OutputJson,
    #[serde(rename = "Updated Blocks")]
    updated_blocks: [u8; 0],
}

impl MetricsJson {
    fn new(m: &TaskMetrics) -> Self {
        MetricsJson {
            deserialize_time: 0,
            deserialize_cpu_time: 0,
            run_time: m.executor_run_time,
            cpu_time: 0,
            peak_execution_memory: 0,
            peak_on_heap: 0,
            peak_off_heap: 0,
            result_size: m.result_size,
            gc_time: 0,
            result_serialization_time: 0,
            memory_bytes_spilled: m.memory_bytes_spilled,
            disk_bytes_spilled: m.disk_bytes_spilled,
            shuffle_read: ShuffleReadJson {
                remote_blocks_fetched: m.remote_blocks_fetched,
                local_blocks_fetched: m.local_blocks_fetched,
                fetch_wait_time: 0,
                remote_bytes_read: m.remote_bytes_read,
                remote_bytes_read_to_disk: 0,
                local_bytes_read: m.local_bytes_read,
                total_records_read: m.shuffle_records_read,
                remote_requests_duration: 0,
                push_based: ZeroPushBased,
            },
            shuffle_write: ShuffleWriteJson {
                bytes_written: m.shuffle_bytes_written,
                write_time: 0,
                records_written: m.shuffle_records_written,
            },
            input: InputJson {
                bytes_read: 0,
                records_read: 0,
            },
            output: OutputJson {
                bytes_written: 0,
                records_written: 0,
            },
            updated_blocks: [],
        }
    }
}

#[derive(Serialize)]
struct ShuffleReadJson {
    #[serde(rename = "Remote Blocks Fetched")]
    remote_blocks_fetched: u64,
    #[serde(rename = "Local Blocks Fetched")]
    local_blocks_fetched: u64,
    #[serde(rename = "Fetch Wait Time")]
    fetch_wait_time: u64,
    #[serde(rename = "Remote Bytes Read")]
    remote_bytes_read: u64,
    #[serde(rename = "Remote Bytes Read To Disk")]
    remote_bytes_read_to_disk: u64,
    #[serde(rename = "Local Bytes Read")]
    local_bytes_read: u64,
    #[serde(rename = "Total Records Read")]
    total_records_read: u64,
    #[serde(rename = "Remote Requests Duration")]
    remote_requests_duration: u64,
    #[serde(rename = "Push Based Shuffle")]
    push_based: ZeroPushBased,
}

/// Spark's push-based shuffle counters (no such shuffle here: all zero).
struct ZeroPushBased;

const PUSH_BASED: [&str; 9] = [
    "Corrupt Merged Block Chunks",
    "Merged Fetch Fallback Count",
    "Merged Remote Blocks Fetched",
    "Merged Local Blocks Fetched",
    "Merged Remote Chunks Fetched",
    "Merged Local Chunks Fetched",
    "Merged Remote Bytes Read",
    "Merged Local Bytes Read",
    "Merged Remote Requests Duration",
];

impl Serialize for ZeroPushBased {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(PUSH_BASED.len()))?;
        for k in PUSH_BASED {
            m.serialize_entry(k, &0)?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct ShuffleWriteJson {
    #[serde(rename = "Shuffle Bytes Written")]
    bytes_written: u64,
    #[serde(rename = "Shuffle Write Time")]
    write_time: u64,
    #[serde(rename = "Shuffle Records Written")]
    records_written: u64,
}

#[derive(Serialize)]
struct InputJson {
    #[serde(rename = "Bytes Read")]
    bytes_read: u64,
    #[serde(rename = "Records Read")]
    records_read: u64,
}

#[derive(Serialize)]
struct OutputJson {
    #[serde(rename = "Bytes Written")]
    bytes_written: u64,
    #[serde(rename = "Records Written")]
    records_written: u64,
}

#[derive(Serialize)]
struct ExecutorAdded<'a> {
    #[serde(rename = "Event")]
    event: &'static str,
    #[serde(rename = "Timestamp")]
    timestamp: u64,
    #[serde(rename = "Executor ID")]
    executor_id: &'a str,
    #[serde(rename = "Executor Info")]
    executor_info: ExecutorInfo<'a>,
}

#[derive(Serialize)]
struct ExecutorInfo<'a> {
    #[serde(rename = "Host")]
    host: &'static str,
    #[serde(rename = "Total Cores")]
    total_cores: usize,
    #[serde(rename = "Log Urls")]
    log_urls: Pairs<'a>,
    #[serde(rename = "Attributes")]
    attributes: Pairs<'a>,
    #[serde(rename = "Resources")]
    resources: Pairs<'a>,
    #[serde(rename = "Resource Profile Id")]
    resource_profile_id: u32,
}

#[derive(Serialize)]
struct BlockManagerId<'a> {
    #[serde(rename = "Executor ID")]
    executor_id: &'a str,
    #[serde(rename = "Host")]
    host: &'static str,
    #[serde(rename = "Port")]
    port: u16,
}

impl<'a> BlockManagerId<'a> {
    fn of(executor_id: &'a str) -> Self {
        BlockManagerId {
            executor_id,
            host: HOST,
            port: BLOCK_MANAGER_PORT,
        }
    }
}

#[derive(Serialize)]
struct BlockManagerAdded<'a> {
    #[serde(rename = "Event")]
    event: &'static str,
    #[serde(rename = "Block Manager ID")]
    block_manager_id: BlockManagerId<'a>,
    #[serde(rename = "Maximum Memory")]
    maximum_memory: u64,
    #[serde(rename = "Timestamp")]
    timestamp: u64,
    #[serde(rename = "Maximum Onheap Memory")]
    maximum_onheap_memory: u64,
    #[serde(rename = "Maximum Offheap Memory")]
    maximum_offheap_memory: u64,
}

#[derive(Serialize)]
struct ExecutorRemoved<'a> {
    #[serde(rename = "Event")]
    event: &'static str,
    #[serde(rename = "Timestamp")]
    timestamp: u64,
    #[serde(rename = "Executor ID")]
    executor_id: &'a str,
    #[serde(rename = "Removed Reason")]
    removed_reason: &'a str,
}

#[derive(Serialize)]
struct BlockManagerRemoved<'a> {
    #[serde(rename = "Event")]
    event: &'static str,
    #[serde(rename = "Block Manager ID")]
    block_manager_id: BlockManagerId<'a>,
    #[serde(rename = "Timestamp")]
    timestamp: u64,
}

#[derive(Serialize)]
struct BlockUpdated<'a> {
    #[serde(rename = "Event")]
    event: &'static str,
    #[serde(rename = "Block Updated Info")]
    info: BlockUpdatedInfo<'a>,
}

#[derive(Serialize)]
struct BlockUpdatedInfo<'a> {
    #[serde(rename = "Block Manager ID")]
    block_manager_id: BlockManagerId<'a>,
    #[serde(rename = "Block ID")]
    block_id: &'a str,
    #[serde(rename = "Storage Level")]
    storage_level: LevelJson,
    #[serde(rename = "Memory Size")]
    memory_size: u64,
    #[serde(rename = "Disk Size")]
    disk_size: u64,
}

#[derive(Serialize)]
struct Unpersist {
    #[serde(rename = "Event")]
    event: &'static str,
    #[serde(rename = "RDD ID")]
    rdd_id: usize,
}

#[derive(Serialize)]
struct StreamingBatch<'a> {
    #[serde(rename = "Event")]
    event: &'static str,
    #[serde(rename = "Batch Time")]
    batch_time: u64,
    #[serde(rename = "Submission Time")]
    submission_time: u64,
    #[serde(rename = "Processing Start Time")]
    processing_start_time: u64,
    #[serde(rename = "Processing End Time")]
    processing_end_time: u64,
    #[serde(rename = "Num Records")]
    num_records: u64,
    #[serde(rename = "Input")]
    inputs: Vec<StreamInput<'a>>,
    #[serde(rename = "Checkpoint")]
    checkpoint: bool,
    #[serde(rename = "Output Operations")]
    output_operations: usize,
    #[serde(rename = "State")]
    state: Vec<StreamState<'a>>,
}

#[derive(Serialize)]
struct StreamInput<'a> {
    #[serde(rename = "Stream Id")]
    stream_id: usize,
    #[serde(rename = "Stream")]
    stream: &'a str,
    #[serde(rename = "Num Records")]
    num_records: u64,
}

#[derive(Serialize)]
struct StreamState<'a> {
    #[serde(rename = "Stream Id")]
    stream_id: usize,
    #[serde(rename = "Stream")]
    stream: &'a str,
    #[serde(rename = "Keys")]
    keys: u64,
}
