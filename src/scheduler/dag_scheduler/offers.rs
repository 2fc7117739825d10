//! Task offers (the offer half of Spark's `TaskSchedulerImpl.resourceOffers`): every free
//! executor slot takes the next pending task, oldest job first, executors in round robin.

use super::*;

impl DagScheduler {
    pub(super) fn resource_offers(&mut self) {
        loop {
            let mut launched = false;
            for executor_id in self.executor_order.clone() {
                let free = self.free_slots.get(&executor_id).copied().unwrap_or(0);
                if free == 0 {
                    continue;
                }
                let Some(key) = self.next_task_set() else {
                    return;
                };
                let Some(executor) = self.env.executor(executor_id.as_str()) else {
                    self.free_slots.insert(executor_id, 0);
                    continue;
                };
                let ts = self
                    .task_sets
                    .get_mut(&key)
                    .expect("next_task_set returns a live key");
                let Some((partition, attempt)) = ts.next_task() else {
                    continue;
                };
                let task_id = TaskId(self.next_task_id);
                let launch_time = now_ms();
                self.next_task_id += 1;
                let kill = Arc::new(crate::scheduler::kill::TaskKill::default());
                let task = Task {
                    task_id,
                    stage_id: ts.stage_id,
                    stage_attempt: ts.stage_attempt,
                    partition,
                    attempt_number: attempt,
                    kind: ts.kind.clone(),
                    kill: kill.clone(),
                };
                self.running_tasks.insert(
                    task_id,
                    RunningTask {
                        stage_id: ts.stage_id,
                        stage_attempt: ts.stage_attempt,
                        partition,
                        attempt,
                        executor_id: executor_id.clone(),
                        kind: ts.kind.clone(),
                        launch_time,
                        kill,
                    },
                );
                self.free_slots.insert(executor_id.clone(), free - 1);
                self.post(SparkListenerEvent::TaskStart {
                    stage_id: task.stage_id.0,
                    stage_attempt: task.stage_attempt,
                    partition,
                    attempt,
                    task_id: task_id.0,
                    executor_id: executor_id.0.clone(),
                    launch_time,
                });
                self.log_task_start(&task, &executor_id);
                executor.launch(task, self.env.clone(), self.events.clone());
                launched = true;
            }
            if !launched {
                return;
            }
        }
    }

    /// The task set to take the next task from: the oldest job's, then the lowest stage.
    pub(super) fn next_task_set(&self) -> Option<(StageId, u32)> {
        self.task_sets
            .iter()
            .filter(|(_, ts)| ts.has_pending())
            .min_by_key(|((stage, _), _)| {
                (
                    self.stages
                        .get(stage)
                        .map_or(JobId(usize::MAX), |s| s.first_job_id),
                    *stage,
                )
            })
            .map(|(k, _)| *k)
    }
}
