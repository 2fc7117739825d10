//! The Stages section: each job's DAG of RDDs grouped by stage, as Spark's DAG visualization
//! (`RDDOperationGraph`) draws it, and the lineage of each RDD.
//!
//! A job's graph has one node per (stage, RDD) pair, since an RDD that two stages read is drawn
//! in both, as Spark does; an edge runs from each parent to its child inside a stage, and from a
//! parent stage's node to the child stage's node when the parent RDD is outside the stage (the
//! shuffle boundary). Marks follow Spark's: a cached RDD (any storage level) has a green dot; a
//! skipped stage is grey and labelled "(skipped)"; sparklet adds a checkpoint RDD
//! (`ReliableCheckpointRDD`, `LocalCheckpointRDD`) drawn dashed and an RDD cut by a checkpoint
//! marked "checkpointed".

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::dag::{layout, NODE_H, NODE_W};
use super::model::{AppModel, Job, RddInfo};
use super::svg::esc;
use crate::util::text::{bytes_to_string, strip_bar};

/// The DAG of one job as SVG.
pub(crate) fn job_dag(model: &AppModel, job: &Job) -> String {
    let skipped = model.skipped_stages(job);
    let mut stage_ids = job.stage_ids.clone();
    stage_ids.sort_unstable();
    // Nodes: (stage index, rdd id).
    let mut nodes: Vec<(usize, &RddInfo)> = Vec::new();
    let mut index: BTreeMap<(usize, u64), usize> = BTreeMap::new();
    let no_rdds = Vec::new();
    let stage_rdds: Vec<&Vec<RddInfo>> = stage_ids
        .iter()
        .map(|s| model.stages.get(s).map_or(&no_rdds, |st| &st.rdds))
        .collect();
    for (c, rdds) in stage_rdds.iter().enumerate() {
        for r in rdds.iter() {
            index.insert((c, r.id), nodes.len());
            nodes.push((c, r));
        }
    }
    let stage_pos: BTreeMap<u64, usize> =
        stage_ids.iter().enumerate().map(|(c, s)| (*s, c)).collect();
    let mut parents = vec![Vec::new(); nodes.len()];
    for (v, &(c, info)) in nodes.iter().enumerate() {
        for p in &info.parent_ids {
            if let Some(&u) = index.get(&(c, *p)) {
                parents[v].push(u);
                continue;
            }
            // Outside the stage: the parent stages' copy of it (the shuffle boundary).
            let parent_stages = model
                .stages
                .get(&stage_ids[c])
                .map(|s| s.parent_ids.clone())
                .unwrap_or_default();
            for ps in parent_stages {
                if let Some(&u) = stage_pos.get(&ps).and_then(|pc| index.get(&(*pc, *p))) {
                    parents[v].push(u);
                }
            }
        }
    }
    let cluster: Vec<usize> = nodes.iter().map(|n| n.0).collect();
    let l = layout(&parents, &cluster, stage_ids.len());
    let mut svg = format!(
        "<svg class=\"dag\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" \
         role=\"img\" aria-label=\"DAG of job {id}\"><defs><marker id=\"arrow{id}\" \
         viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" \
         orient=\"auto\"><path d=\"M0 0 L10 5 L0 10 z\" class=\"arrowhead\"/></marker></defs>",
        w = l.width,
        h = l.height,
        id = job.id
    );
    for (c, sid) in stage_ids.iter().enumerate() {
        let (x, y, w, h) = l.clusters[c];
        let is_skipped = skipped.contains(sid);
        let name = model.stages.get(sid).map(|s| s.name.as_str()).unwrap_or("");
        let label = if is_skipped {
            format!("Stage {sid} (skipped)")
        } else {
            format!("Stage {sid}")
        };
        let _ = write!(
            svg,
            "<g class=\"stage{sk}\" data-tip=\"{tip}\"><title>{tip}</title>\
             <rect class=\"cluster\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" \
             height=\"{h:.1}\" rx=\"6\"/><text class=\"clusterlabel\" x=\"{tx:.1}\" \
             y=\"{ty:.1}\">{label}</text></g>",
            sk = if is_skipped { " skipped" } else { "" },
            tip = esc(&format!("{label}: {name}")),
            tx = x + 6.0,
            ty = y + 13.0,
        );
    }
    for (v, ps) in parents.iter().enumerate() {
        for &p in ps {
            let (x1, y1) = l.nodes[p];
            let (x2, y2) = l.nodes[v];
            let _ = write!(
                svg,
                "<line class=\"edge\" x1=\"{x1:.1}\" y1=\"{:.1}\" x2=\"{x2:.1}\" y2=\"{:.1}\" \
                 marker-end=\"url(#arrow{})\"/>",
                y1 + NODE_H / 2.0,
                y2 - NODE_H / 2.0,
                job.id
            );
        }
    }
    for (v, &(c, info)) in nodes.iter().enumerate() {
        svg.push_str(&rdd_node(model, info, stage_rdds[c], l.nodes[v]));
    }
    svg.push_str("</svg>");
    svg
}

fn rdd_node(model: &AppModel, info: &RddInfo, stage: &[RddInfo], (cx, cy): (f64, f64)) -> String {
    let cached = info.storage_level.is_valid();
    let checkpoint_rdd = info.is_checkpoint_rdd();
    let checkpointed = model.is_checkpointed(info, stage);
    let mut classes = String::from("node");
    if cached {
        classes.push_str(" cached");
    }
    if checkpoint_rdd {
        classes.push_str(" checkpoint-rdd");
    }
    if checkpointed {
        classes.push_str(" checkpointed");
    }
    let mut tip = format!("[{}] {}", info.id, info.name);
    if let Some(op) = info.operation() {
        let _ = write!(tip, " ({op})");
    }
    if !info.callsite.is_empty() {
        let _ = write!(tip, " at {}", info.callsite);
    }
    if cached {
        let _ = write!(tip, "; cached: {}", info.storage_level.description());
    }
    if checkpointed {
        tip.push_str("; checkpointed (lineage cut)");
    }
    let label = truncate(&format!("[{}] {}", info.id, info.name), 22);
    let sub = info.operation().unwrap_or_default();
    let (x, y) = (cx - NODE_W / 2.0, cy - NODE_H / 2.0);
    let mut g = format!(
        "<g class=\"{classes}\" data-rdd=\"{id}\" data-tip=\"{tip}\"><title>{tip}</title>\
         <rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{NODE_W}\" height=\"{NODE_H}\" rx=\"4\"/>\
         <text x=\"{cx:.1}\" y=\"{ty:.1}\" class=\"mid\">{label}</text>\
         <text x=\"{cx:.1}\" y=\"{sy:.1}\" class=\"mid sub\">{sub}</text>",
        id = info.id,
        tip = esc(&tip),
        ty = cy - 2.0,
        sy = cy + 11.0,
        label = esc(&label),
        sub = esc(&truncate(
            &if checkpointed {
                format!("{sub} · checkpointed")
            } else {
                sub.clone()
            },
            26
        )),
    );
    if cached {
        // Spark's mark of a cached RDD: a green dot on the node.
        let _ = write!(
            g,
            "<circle class=\"cached-dot\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\"/>",
            x + NODE_W - 9.0,
            y + 9.0
        );
    }
    g.push_str("</g>");
    g
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut t: String = text.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// The lineage of every RDD the log knows, as `toDebugString` prints it (indented parents,
/// `+-` at a shuffle, storage level and cached partitions per line).
pub(crate) fn lineage(model: &AppModel) -> String {
    let mut html = String::new();
    for info in model.rdds.values().rev() {
        let text = debug_string(model, info.id);
        let _ = write!(
            html,
            "<details class=\"lineage\" id=\"rdd-{id}\"><summary>RDD {id}: {name}{cs}</summary>\
             <pre>{text}</pre></details>",
            id = info.id,
            name = esc(&info.name),
            cs = if info.callsite.is_empty() {
                String::new()
            } else {
                format!(" at {}", esc(&info.callsite))
            },
            text = esc(&text),
        );
    }
    if html.is_empty() {
        html.push_str("<p class=\"empty\">No RDDs in this log.</p>");
    }
    html
}

/// One RDD's lineage in Spark's `toDebugString` layout: `(N)` partition counts, `+-` where a
/// parent is across a shuffle, `|` for narrow parents, the root's storage level on each line
/// (Spark's `debugSelf` quirk) and a `CachedPartitions` line under cached RDDs. A parent is
/// across a shuffle when some stage holds the child but not the parent (narrow parents always
/// share the child's stage). Iterative, like Spark's layout in `rdd::debug_string`.
pub(crate) fn debug_string(model: &AppModel, root: u64) -> String {
    let level = model
        .rdds
        .get(&root)
        .map(|r| &r.storage_level)
        .filter(|l| l.is_valid())
        .map(|l| format!(" [{}]", l.description()))
        .unwrap_or_default();
    let self_lines = |id: u64| -> Vec<String> {
        let Some(info) = model.rdds.get(&id) else {
            return vec![format!("[{id}] (not in this log)")];
        };
        let mut lines = vec![format!("{}[{}] at {}{level}", info.name, id, info.callsite)];
        let cached = cached_partitions(model, id);
        if cached > 0 {
            let (mem, disk) = stored_sizes(model, info);
            lines.push(format!(
                "    CachedPartitions: {cached}; MemorySize: {}; DiskSize: {}",
                bytes_to_string(mem),
                bytes_to_string(disk)
            ));
        }
        lines
    };
    let parts = |id: u64| format!("({})", model.rdds.get(&id).map_or(0, |r| r.num_partitions));
    let mut out = Vec::new();
    let part = parts(root);
    let left = (part.len() - 1) / 2;
    let next_prefix = format!("{}|{}", " ".repeat(left), " ".repeat(part.len() - left));
    for (k, line) in self_lines(root).into_iter().enumerate() {
        out.push(if k == 0 {
            format!("{part} {line}")
        } else {
            format!("{next_prefix} {line}")
        });
    }
    // (rdd, prefix, is_shuffle, is_last_child); each RDD's parents expanded once.
    let mut expanded = std::collections::BTreeSet::from([root]);
    let mut stack: Vec<(u64, String, bool, bool)> = Vec::new();
    push_parents(model, &mut stack, root, &next_prefix);
    while let Some((id, prefix, is_shuffle, is_last)) = stack.pop() {
        let next = if is_shuffle {
            let part = parts(id);
            let left = (part.len() - 1) / 2;
            let this_prefix = strip_bar(&prefix);
            let next_prefix = format!(
                "{this_prefix}{}{}|{}",
                if is_last { "  " } else { "| " },
                " ".repeat(left),
                " ".repeat(part.len() - left)
            );
            for (k, line) in self_lines(id).into_iter().enumerate() {
                out.push(if k == 0 {
                    format!("{this_prefix}+-{part} {line}")
                } else {
                    format!("{next_prefix}{line}")
                });
            }
            next_prefix
        } else {
            for line in self_lines(id) {
                out.push(format!("{prefix}{line}"));
            }
            prefix
        };
        if expanded.insert(id) {
            push_parents(model, &mut stack, id, &next);
        }
    }
    out.join("\n")
}

fn push_parents(
    model: &AppModel,
    stack: &mut Vec<(u64, String, bool, bool)>,
    id: u64,
    prefix: &str,
) {
    let parents = model
        .rdds
        .get(&id)
        .map(|r| r.parent_ids.clone())
        .unwrap_or_default();
    let n = parents.len();
    for (k, p) in parents.into_iter().enumerate().rev() {
        // A stage that saw this edge holds the child without the parent.
        let shuffle = model.stages.values().any(|s| {
            s.rdds
                .iter()
                .any(|r| r.id == id && r.parent_ids.contains(&p))
                && !s.rdds.iter().any(|r| r.id == p)
        });
        stack.push((p, prefix.to_string(), shuffle, k + 1 == n));
    }
}

/// Memory and disk bytes of `rdd`'s stored blocks (the RDD info's own sizes without block
/// updates).
pub(crate) fn stored_sizes(model: &AppModel, rdd: &RddInfo) -> (u64, u64) {
    let mut found = false;
    let (mut mem, mut disk) = (0, 0);
    for ((b, _), blk) in &model.blocks {
        if super::model::parse_rdd_block(b).is_some_and(|(r, _)| r == rdd.id) {
            found = true;
            mem += blk.memory_size;
            disk += blk.disk_size;
        }
    }
    if found {
        (mem, disk)
    } else {
        (rdd.memory_size, rdd.disk_size)
    }
}

/// How many partitions of `rdd` are cached somewhere now (from block updates; the RDD info's
/// own count when the log has no block updates).
pub(crate) fn cached_partitions(model: &AppModel, rdd: u64) -> u64 {
    let from_blocks: std::collections::BTreeSet<u64> = model
        .blocks
        .keys()
        .filter_map(|(b, _)| super::model::parse_rdd_block(b))
        .filter(|(r, _)| *r == rdd)
        .map(|(_, split)| split)
        .collect();
    if from_blocks.is_empty() {
        model.rdds.get(&rdd).map_or(0, |r| r.num_cached_partitions)
    } else {
        from_blocks.len() as u64
    }
}
