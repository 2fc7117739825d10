//! What listeners are told of a stage (Spark's `StageInfo.fromStage` and `RDDInfo.fromRdd`):
//! built once per stage attempt, on the event loop, and shared by that attempt's events.

use super::*;
use crate::scheduler::listener::{StageInfo, StageRddInfo};

impl DagScheduler {
    /// The info of `stage_id`'s attempt `attempt` running `num_tasks` tasks.
    pub(super) fn stage_info(
        &self,
        stage_id: StageId,
        attempt: u32,
        num_tasks: usize,
    ) -> Arc<StageInfo> {
        let Some(stage) = self.stages.get(&stage_id) else {
            return Arc::new(StageInfo::empty(stage_id.0, attempt, num_tasks));
        };
        let mut parent_ids: Vec<usize> = self.parent_stage_ids(stage).iter().map(|s| s.0).collect();
        parent_ids.sort_unstable();
        Arc::new(StageInfo {
            stage_id: stage_id.0,
            attempt,
            name: stage.name.clone(),
            num_tasks,
            rdd_infos: narrow_rdd_infos(&stage.rdd),
            parent_ids,
            details: crate::rdd::describe(&*stage.rdd),
            is_shuffle_map: matches!(stage.kind, StageKind::ShuffleMap(_)),
            accumulables: Vec::new(),
        })
    }
}

/// The stage's RDD and its narrow ancestors (Spark's `getNarrowAncestors`), walked iteratively
/// and never past a shuffle.
fn narrow_rdd_infos(rdd: &Arc<dyn RddBase>) -> Vec<StageRddInfo> {
    let mut infos = Vec::new();
    let mut visited = HashSet::new();
    let mut stack = vec![rdd.clone()];
    while let Some(r) = stack.pop() {
        if !visited.insert(r.core().id) {
            continue;
        }
        let deps = dependencies(&*r);
        let reads_shuffle = deps.iter().any(|d| d.as_shuffle().is_some());
        let core = r.core();
        infos.push(StageRddInfo {
            rdd_id: core.id.0,
            name: core
                .name
                .lock()
                .clone()
                .unwrap_or_else(|| r.class_name().to_string()),
            scope: core.op.clone(),
            callsite: core.op.clone(),
            parent_ids: deps.iter().map(|d| d.rdd().core().id.0).collect(),
            storage_level: core.storage_level(),
            num_partitions: num_partitions(&*r),
            deterministic_level: if reads_shuffle {
                "UNORDERED"
            } else {
                "DETERMINATE"
            },
        });
        for dep in deps.iter().rev() {
            if dep.as_shuffle().is_none() {
                stack.push(dep.rdd().clone());
            }
        }
    }
    infos
}
