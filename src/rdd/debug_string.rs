//! Spark's `RDD.toDebugString`: the lineage as indented lines.
//!
//! Each RDD prints as `"{toString} [{storage level}]"`, followed by a
//! `CachedPartitions: ...` line when it has cached blocks. The root line starts with its
//! partition count `(N)`; a parent across a shuffle starts a new block `+-(N)` indented one
//! step, and narrow parents continue the current block behind a `|`. As in Spark, the storage
//! level printed on every line is the *root* RDD's (Spark's `debugSelf` reads the outer
//! `storageLevel`). The walk is iterative, so a 10,000-step lineage cannot overflow the stack.

use std::sync::Arc;

use crate::rdd::{dependencies, describe, num_partitions, RddBase};
use crate::storage::StorageLevel;
use crate::util::text::{bytes_to_string, strip_bar};

/// The debug string of `root`'s lineage.
pub(crate) fn to_debug_string(root: &Arc<dyn RddBase>) -> String {
    let level = root.core().storage_level();
    let persistence = if level != StorageLevel::NONE {
        level.to_string()
    } else {
        String::new()
    };
    let infos = root.core().sc.get_rdd_storage_info();
    let self_lines = |rdd: &Arc<dyn RddBase>| -> Vec<String> {
        let mut lines = vec![format!("{} [{}]", describe(&**rdd), persistence)];
        if let Some(info) = infos.iter().find(|i| i.id == rdd.core().id.0) {
            lines.push(format!(
                "    CachedPartitions: {}; MemorySize: {}; DiskSize: {}",
                info.num_cached_partitions,
                bytes_to_string(info.mem_size),
                bytes_to_string(info.disk_size)
            ));
        }
        lines
    };
    let mut out = Vec::new();
    let part = format!("({})", num_partitions(&**root));
    let left = (part.len() - 1) / 2;
    let next_prefix = format!("{}|{}", " ".repeat(left), " ".repeat(part.len() - left));
    for (i, line) in self_lines(root).into_iter().enumerate() {
        out.push(if i == 0 {
            format!("{part} {line}")
        } else {
            format!("{next_prefix} {line}")
        });
    }
    // (rdd, prefix, is_shuffle, is_last_child), popped in order.
    let mut stack: Vec<(Arc<dyn RddBase>, String, bool, bool)> = Vec::new();
    push_children(&mut stack, root, &next_prefix);
    while let Some((rdd, prefix, is_shuffle, is_last)) = stack.pop() {
        if is_shuffle {
            let part = format!("({})", num_partitions(&*rdd));
            let left = (part.len() - 1) / 2;
            let this_prefix = strip_bar(&prefix);
            let next_prefix = format!(
                "{this_prefix}{}{}|{}",
                if is_last { "  " } else { "| " },
                " ".repeat(left),
                " ".repeat(part.len() - left)
            );
            for (i, line) in self_lines(&rdd).into_iter().enumerate() {
                out.push(if i == 0 {
                    format!("{this_prefix}+-{part} {line}")
                } else {
                    format!("{next_prefix}{line}")
                });
            }
            push_children(&mut stack, &rdd, &next_prefix);
        } else {
            for line in self_lines(&rdd) {
                out.push(format!("{prefix}{line}"));
            }
            push_children(&mut stack, &rdd, &prefix);
        }
    }
    out.join("\n")
}

fn push_children(
    stack: &mut Vec<(Arc<dyn RddBase>, String, bool, bool)>,
    rdd: &Arc<dyn RddBase>,
    prefix: &str,
) {
    let deps = dependencies(&**rdd);
    let n = deps.len();
    for (i, d) in deps.into_iter().enumerate().rev() {
        stack.push((
            d.rdd().clone(),
            prefix.to_string(),
            d.is_shuffle(),
            i + 1 == n,
        ));
    }
}
