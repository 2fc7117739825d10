//! The report's page: one self-contained HTML file (inline style, SVG drawn by the crate, and a
//! small inline script that only shows a hover box), with the sections of Spark's web UI: Jobs,
//! Stages (each job's DAG), Lineage, Storage, Executors, Accumulators, and Streaming when the
//! log has batches. Every piece of text from the log is escaped.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::model::{parse_rdd_block, AppModel, Job, RddInfo};
use super::stages::{cached_partitions, job_dag, lineage};
use super::streaming::streaming;
use super::svg::{esc, timeline, Span};
use crate::util::text::bytes_to_string;

const STYLE: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");

/// The whole page.
pub(crate) fn page(model: &AppModel) -> String {
    let title = model.app_name.clone().unwrap_or_else(|| "sparklet".into());
    let mut sections = vec![
        ("jobs", "Jobs", jobs(model)),
        ("stages", "Stages", stages(model)),
        ("lineage", "Lineage", lineage(model)),
        ("storage", "Storage", storage(model)),
        ("executors", "Executors", executors(model)),
        ("accumulators", "Accumulators", accumulators(model)),
    ];
    if !model.batches.is_empty() {
        sections.push(("streaming", "Streaming", streaming(model)));
    }
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{t} — sparklet report</title><style>{STYLE}</style></head><body>\
         <header><h1>{t}</h1><p class=\"meta\">{meta}</p><nav>",
        t = esc(&title),
        meta = esc(&meta(model)),
    );
    for (id, name, _) in &sections {
        let _ = write!(html, "<a href=\"#{id}\">{name}</a>");
    }
    html.push_str("</nav></header><main>");
    for (id, name, body) in &sections {
        let _ = write!(html, "<section id=\"{id}\"><h2>{name}</h2>{body}</section>");
    }
    let _ = writeln!(
        html,
        "</main><div id=\"tip\" hidden></div><script>{SCRIPT}</script></body></html>"
    );
    html
}

fn meta(model: &AppModel) -> String {
    let mut parts = Vec::new();
    if let Some(id) = &model.app_id {
        parts.push(format!("application {id}"));
    }
    if let Some(v) = &model.spark_version {
        parts.push(format!("log format of Spark {v}"));
    }
    if let (Some(s), Some(e)) = (model.start_time, model.end_time) {
        parts.push(format!("ran {}", duration(e.saturating_sub(s))));
    }
    parts.push(format!(
        "{} jobs, {} stage attempts, {} tasks",
        model.jobs.len(),
        model.attempts.len(),
        model.tasks.len()
    ));
    parts.join(" · ")
}

fn duration(ms: i64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{:.1} min", ms as f64 / 60_000.0)
    }
}

fn job_name(model: &AppModel, job: &Job) -> String {
    let last = job.stage_ids.iter().max().and_then(|s| model.stages.get(s));
    match (last, &job.description) {
        (Some(st), Some(d)) => format!("{} ({d})", st.name),
        (Some(st), None) => st.name.clone(),
        (None, Some(d)) => d.clone(),
        (None, None) => String::new(),
    }
}

fn job_status(job: &Job) -> (&'static str, String) {
    match job.result.as_deref() {
        None => ("running", "running".into()),
        Some("JobSucceeded") => ("succeeded", "succeeded".into()),
        Some(other) => ("failed", other.to_string()),
    }
}

fn jobs(model: &AppModel) -> String {
    let end_of_log = model
        .end_time
        .or_else(|| model.jobs.values().filter_map(|j| j.completion_time).max())
        .unwrap_or(0);
    let spans = timeline_spans(model, end_of_log);
    let mut html = format!("<h3>Timeline</h3>{}", timeline(&spans));
    html.push_str(
        "<table><thead><tr><th>Job</th><th>Description</th><th>Status</th><th>Duration</th>\
         <th>Stages: succeeded/total</th><th>Skipped stages</th><th>Tasks</th></tr></thead><tbody>",
    );
    for j in model.jobs.values() {
        let (class, status) = job_status(j);
        let skipped = model.skipped_stages(j);
        let done = j
            .stage_ids
            .iter()
            .filter(|s| {
                model
                    .attempts
                    .values()
                    .any(|a| a.stage_id == **s && a.completed && a.failure_reason.is_none())
            })
            .count();
        let tasks = model
            .tasks
            .values()
            .filter(|t| j.submitted_stages.contains(&t.stage_id))
            .count();
        let dur = match (j.submission_time, j.completion_time) {
            (Some(s), Some(e)) => duration(e.saturating_sub(s)),
            _ => String::new(),
        };
        let _ = write!(
            html,
            "<tr class=\"{class}\"><td>{}</td><td>{}</td><td>{}</td><td>{dur}</td>\
             <td>{done}/{}</td><td>{}</td><td>{tasks}</td></tr>",
            j.id,
            esc(&job_name(model, j)),
            esc(&status),
            j.stage_ids.len() - skipped.len(),
            list(&skipped),
        );
    }
    html.push_str("</tbody></table>");
    html
}

/// The event timeline: executors (added → removed), then each job followed by its stage
/// attempts.
fn timeline_spans(model: &AppModel, end_of_log: i64) -> Vec<Span> {
    let mut spans = Vec::new();
    for e in model.executors.values() {
        let Some(start) = e.added_time else {
            continue;
        };
        let end = e.removed_time.unwrap_or(end_of_log).max(start);
        let tip = match &e.removed_reason {
            Some(r) => format!(
                "executor {}: removed after {} ({r})",
                e.id,
                duration(end.saturating_sub(start))
            ),
            None => format!("executor {}: alive", e.id),
        };
        spans.push(Span {
            label: format!("Executor {}", e.id),
            start,
            end,
            class: if e.removed_time.is_some() {
                "failed"
            } else {
                "executor"
            },
            tip,
        });
    }
    for j in model.jobs.values() {
        let Some(start) = j.submission_time else {
            continue;
        };
        let end = j.completion_time.unwrap_or(end_of_log).max(start);
        let (class, status) = job_status(j);
        spans.push(Span {
            label: format!("Job {}", j.id),
            start,
            end,
            class,
            tip: format!(
                "Job {}: {} — {status}, {}",
                j.id,
                job_name(model, j),
                duration(end.saturating_sub(start))
            ),
        });
        for a in model.attempts.values() {
            if !j.submitted_stages.contains(&a.stage_id) {
                continue;
            }
            let Some(s) = a.submission_time.filter(|s| *s >= start) else {
                continue;
            };
            let e = a.completion_time.unwrap_or(end).max(s);
            let failed = a.failure_reason.is_some();
            spans.push(Span {
                label: format!("Stage {}.{}", a.stage_id, a.attempt),
                start: s,
                end: e,
                class: if failed { "failed" } else { "stage" },
                tip: format!(
                    "Stage {} attempt {}: {} — {}{}",
                    a.stage_id,
                    a.attempt,
                    a.name,
                    duration(e.saturating_sub(s)),
                    a.failure_reason
                        .as_deref()
                        .map(|r| format!(", failed: {r}"))
                        .unwrap_or_default()
                ),
            });
        }
    }
    spans
}

fn list(ids: &[u64]) -> String {
    ids.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn stages(model: &AppModel) -> String {
    let mut html = String::from(
        "<p class=\"legend\"><span class=\"dot\"></span> cached RDD · \
         <span class=\"swatch skipped\"></span> skipped stage · \
         <span class=\"swatch ckpt\"></span> checkpoint RDD</p>",
    );
    html.push_str("<div class=\"dags\">");
    for j in model.jobs.values() {
        let _ = write!(
            html,
            "<div class=\"card\"><h3 id=\"job-{id}\">Job {id}: {name}</h3>\
             <div class=\"scroll\">{dag}</div></div>",
            id = j.id,
            name = esc(&job_name(model, j)),
            dag = job_dag(model, j),
        );
    }
    html.push_str("</div>");
    html.push_str(
        "<h3>Stage attempts</h3><table><thead><tr><th>Stage</th><th>Attempt</th><th>Name</th>\
         <th>Status</th><th>Tasks: succeeded/failed/total</th><th>Duration</th>\
         <th>Failure reason</th></tr></thead><tbody>",
    );
    for a in model.attempts.values() {
        let tasks: Vec<_> = model
            .tasks
            .values()
            .filter(|t| t.stage_id == a.stage_id && t.stage_attempt == a.attempt)
            .collect();
        let ok = tasks
            .iter()
            .filter(|t| t.reason.as_deref() == Some("Success"))
            .count();
        let failed = tasks
            .iter()
            .filter(|t| t.reason.as_deref().is_some_and(|r| r != "Success"))
            .count();
        let (class, status) = match (a.completed, &a.failure_reason) {
            (false, _) => ("running", "running"),
            (true, None) => ("succeeded", "complete"),
            (true, Some(_)) => ("failed", "failed"),
        };
        let dur = match (a.submission_time, a.completion_time) {
            (Some(s), Some(e)) => duration(e.saturating_sub(s)),
            _ => String::new(),
        };
        let _ = write!(
            html,
            "<tr class=\"{class}\"><td>{}</td><td>{}</td><td>{}</td><td>{status}</td>\
             <td>{ok}/{failed}/{}</td><td>{dur}</td><td>{}</td></tr>",
            a.stage_id,
            a.attempt,
            esc(&a.name),
            a.num_tasks,
            esc(a.failure_reason.as_deref().unwrap_or("")),
        );
    }
    for j in model.jobs.values() {
        for s in model.skipped_stages(j) {
            let (name, tasks) = model
                .stages
                .get(&s)
                .map_or(("", 0), |st| (st.name.as_str(), st.num_tasks));
            let _ = write!(
                html,
                "<tr class=\"skipped\"><td>{s}</td><td></td><td>{}</td><td>skipped (job {})</td>\
                 <td>0/0/{tasks}</td><td></td><td></td></tr>",
                esc(name),
                j.id
            );
        }
    }
    html.push_str("</tbody></table>");
    html
}

fn storage(model: &AppModel) -> String {
    // rdd → executor → (partitions, memory, disk)
    let mut per: BTreeMap<u64, BTreeMap<String, (u64, u64, u64)>> = BTreeMap::new();
    let mut block_levels: BTreeMap<u64, String> = BTreeMap::new();
    for ((block, exec), b) in &model.blocks {
        if let Some((rdd, _)) = parse_rdd_block(block) {
            let e = per.entry(rdd).or_default().entry(exec.clone()).or_default();
            e.0 += 1;
            e.1 += b.memory_size;
            e.2 += b.disk_size;
            block_levels.insert(rdd, b.level.description());
        }
    }
    // Persisted RDDs the stages listed, and RDDs known only by their blocks.
    let mut persisted: Vec<RddInfo> = model
        .rdds
        .values()
        .filter(|r| r.storage_level.is_valid() || per.contains_key(&r.id))
        .cloned()
        .collect();
    for id in per.keys().filter(|id| !model.rdds.contains_key(id)) {
        persisted.push(RddInfo {
            id: *id,
            name: format!("RDD {id}"),
            ..RddInfo::default()
        });
    }
    let mut html = String::new();
    if persisted.is_empty() {
        html.push_str("<p class=\"empty\">No persisted RDDs.</p>");
    } else {
        html.push_str(
            "<table><thead><tr><th>RDD</th><th>Name</th><th>Storage level</th>\
             <th>Cached partitions</th><th>Fraction cached</th><th>Size in memory</th>\
             <th>Size on disk</th><th>Per executor</th></tr></thead><tbody>",
        );
        for r in &persisted {
            let execs = per.get(&r.id);
            let (mem, disk) = execs.map_or((r.memory_size, r.disk_size), |m| {
                m.values().fold((0, 0), |acc, e| (acc.0 + e.1, acc.1 + e.2))
            });
            let cached = cached_partitions(model, r.id);
            let fraction = if r.num_partitions == 0 {
                0.0
            } else {
                100.0 * cached as f64 / r.num_partitions as f64
            };
            let mut per_exec = String::new();
            for (e, (n, m, d)) in execs.into_iter().flatten() {
                let _ = write!(
                    per_exec,
                    "<div>{}: {n} partition(s), {} memory, {} disk</div>",
                    esc(e),
                    bytes_to_string(*m),
                    bytes_to_string(*d)
                );
            }
            if model.unpersisted.contains(&r.id) {
                per_exec.push_str("<div class=\"note\">unpersisted</div>");
            }
            let _ = write!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{cached}/{}</td><td>{fraction:.0}%</td>\
                 <td>{}</td><td>{}</td><td>{per_exec}</td></tr>",
                r.id,
                esc(&r.name),
                esc(&if r.storage_level.is_valid() {
                    r.storage_level.description()
                } else {
                    block_levels.get(&r.id).cloned().unwrap_or_default()
                }),
                r.num_partitions,
                bytes_to_string(mem),
                bytes_to_string(disk),
            );
        }
        html.push_str("</tbody></table>");
    }
    html
}

fn executors(model: &AppModel) -> String {
    let mut html = String::from(
        "<table><thead><tr><th>Executor</th><th>Host</th><th>Cores</th><th>Status</th>\
         <th>Tasks run</th><th>Failed tasks</th><th>Removed because</th><th>Lost with it</th>\
         <th>Replaced by</th></tr></thead><tbody>",
    );
    let mut taken = Vec::new();
    for e in model.executors.values() {
        let tasks = model
            .tasks
            .values()
            .filter(|t| t.executor_id == e.id)
            .count();
        let failed: Vec<_> = model
            .tasks
            .values()
            .filter(|t| {
                t.executor_id == e.id && t.reason.as_deref().is_some_and(|r| r != "Success")
            })
            .collect();
        let lost_tasks = failed
            .iter()
            .filter(|t| t.reason.as_deref() == Some("ExecutorLostFailure"))
            .count();
        let (class, status) = if e.removed_time.is_some() {
            ("dead", "dead")
        } else {
            ("alive", "alive")
        };
        let mut lost = String::new();
        if e.removed_time.is_some() {
            let mut stages: Vec<u64> = e.lost_map_outputs.iter().map(|m| m.0).collect();
            stages.dedup();
            let _ = write!(
                lost,
                "{} cached block(s){}; {} shuffle map output(s){}; {lost_tasks} running task(s)",
                e.lost_blocks.len(),
                if e.lost_blocks.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", esc(&e.lost_blocks.join(", ")))
                },
                e.lost_map_outputs.len(),
                if stages.is_empty() {
                    String::new()
                } else {
                    format!(" (stages {})", list(&stages))
                },
            );
        }
        // The first executor added after this one died, not yet named as a replacement.
        let replacement = e.removed_time.and_then(|died| {
            let r = model
                .executors
                .values()
                .filter(|o| o.id != e.id && o.added_time.is_some_and(|t| t >= died))
                .filter(|o| !taken.contains(&o.id))
                .min_by_key(|o| o.added_time)?;
            taken.push(r.id.clone());
            Some(r.id.clone())
        });
        let _ = write!(
            html,
            "<tr class=\"{class}\"><td>{}</td><td>{}</td><td>{}</td><td>{status}</td><td>{tasks}</td>\
             <td>{}</td><td>{}</td><td>{lost}</td><td>{}</td></tr>",
            esc(&e.id),
            esc(&e.host),
            e.cores,
            failed.len(),
            esc(e.removed_reason.as_deref().unwrap_or("")),
            esc(replacement.as_deref().unwrap_or("")),
        );
    }
    html.push_str("</tbody></table>");
    html
}

fn accumulators(model: &AppModel) -> String {
    if model.accumulables.is_empty() {
        return "<p class=\"empty\">No named accumulators in this log.</p>".into();
    }
    let mut html = String::from(
        "<table><thead><tr><th>Id</th><th>Name</th><th>Value</th><th>Stages</th></tr></thead>\
         <tbody>",
    );
    for a in model.accumulables.values() {
        let stages: Vec<u64> = a.stages.iter().copied().collect();
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            a.id,
            esc(&a.name),
            esc(&a.value),
            list(&stages)
        );
    }
    html.push_str("</tbody></table>");
    html
}
