//! A layered layout of a small DAG with clusters, drawn top-down as Spark's DAG visualization
//! draws a job (Spark lays it out with dagre-d3 in the browser; here the crate lays it out, so
//! the page needs no script).
//!
//! How it works (a reduced Sugiyama layout):
//! 1. **Longest-path layering**: a node's layer is one more than its deepest parent's, so every
//!    edge points down (found in Kahn's topological order; nodes on a cycle, which a lineage
//!    never has, go below the rest).
//! 2. **Clusters as columns**: each cluster (a stage) owns a column, in the order given, so
//!    cluster boxes never overlap; an edge between stages crosses columns.
//! 3. **Barycentric ordering**: within a cluster's layer, nodes are sorted by the mean position
//!    of their parents (downward sweep) and then of their children (upward sweep), a few
//!    rounds, which removes most crossings of a lineage's fan-ins.

/// A node's size and the gaps, in SVG pixels.
pub(crate) const NODE_W: f64 = 150.0;
pub(crate) const NODE_H: f64 = 34.0;
const GAP_X: f64 = 24.0;
const LAYER_H: f64 = 70.0;
const CLUSTER_PAD: f64 = 16.0;
const TOP: f64 = 34.0;

/// One laid-out graph.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Layout {
    /// Each node's centre, in input order.
    pub nodes: Vec<(f64, f64)>,
    /// Each cluster's box (x, y, width, height), in input order; clusters without nodes get a
    /// zero-height box.
    pub clusters: Vec<(f64, f64, f64, f64)>,
    pub width: f64,
    pub height: f64,
}

/// Lays out `n` nodes, `parents[i]` the parents of node `i`, `cluster[i]` its cluster (an index
/// below `num_clusters`).
pub(crate) fn layout(parents: &[Vec<usize>], cluster: &[usize], num_clusters: usize) -> Layout {
    let n = parents.len();
    let layers = longest_path_layers(parents);
    let depth = layers.iter().copied().max().map_or(0, |d| d + 1);
    let mut children = vec![Vec::new(); n];
    for (c, ps) in parents.iter().enumerate() {
        for &p in ps {
            if p < n {
                children[p].push(c);
            }
        }
    }
    // rows[c][l]: the nodes of cluster c in layer l, in order.
    let mut rows = vec![vec![Vec::new(); depth]; num_clusters];
    for v in 0..n {
        if cluster[v] < num_clusters {
            rows[cluster[v]][layers[v]].push(v);
        }
    }
    let mut pos = vec![0.0f64; n];
    let place = |rows: &Vec<Vec<Vec<usize>>>, pos: &mut Vec<f64>| {
        for (c, layers) in rows.iter().enumerate() {
            for row in layers {
                for (k, &v) in row.iter().enumerate() {
                    pos[v] = c as f64 * 1000.0 + k as f64;
                }
            }
        }
    };
    place(&rows, &mut pos);
    for _ in 0..4 {
        for l in 0..depth {
            for layers in rows.iter_mut() {
                sort_by_barycenter(&mut layers[l], &pos, parents);
            }
            place(&rows, &mut pos);
        }
        for l in (0..depth).rev() {
            for layers in rows.iter_mut() {
                sort_by_barycenter(&mut layers[l], &pos, &children);
            }
            place(&rows, &mut pos);
        }
    }
    coordinates(&rows, n, depth)
}

fn coordinates(rows: &[Vec<Vec<usize>>], n: usize, depth: usize) -> Layout {
    let mut nodes = vec![(0.0, 0.0); n];
    let mut clusters = Vec::with_capacity(rows.len());
    let mut x = GAP_X / 2.0;
    for layers in rows {
        let widest = layers.iter().map(Vec::len).max().unwrap_or(0).max(1) as f64;
        let col_w = widest * NODE_W + (widest - 1.0) * GAP_X + 2.0 * CLUSTER_PAD;
        let (mut top, mut bottom) = (usize::MAX, 0);
        for (l, row) in layers.iter().enumerate() {
            if row.is_empty() {
                continue;
            }
            top = top.min(l);
            bottom = bottom.max(l);
            let row_w = row.len() as f64 * NODE_W + (row.len() as f64 - 1.0) * GAP_X;
            let mut nx = x + (col_w - row_w) / 2.0 + NODE_W / 2.0;
            for &v in row {
                nodes[v] = (nx, TOP + l as f64 * LAYER_H + NODE_H / 2.0 + CLUSTER_PAD);
                nx += NODE_W + GAP_X;
            }
        }
        if top == usize::MAX {
            clusters.push((x, TOP, col_w, 0.0));
        } else {
            let y0 = TOP + top as f64 * LAYER_H;
            let y1 = TOP + bottom as f64 * LAYER_H + NODE_H + 2.0 * CLUSTER_PAD;
            clusters.push((x, y0, col_w, y1 - y0));
        }
        x += col_w + GAP_X;
    }
    Layout {
        nodes,
        clusters,
        width: x.max(NODE_W),
        height: TOP + depth as f64 * LAYER_H + NODE_H + 2.0 * CLUSTER_PAD,
    }
}

/// Sorts a row by the mean position of each node's neighbours (nodes without any keep their
/// place); the sort is stable, so ties keep the previous order.
fn sort_by_barycenter(row: &mut [usize], pos: &[f64], neighbours: &[Vec<usize>]) {
    let key = |v: usize, fallback: f64| {
        let ns: Vec<f64> = neighbours[v]
            .iter()
            .filter(|&&p| p < pos.len())
            .map(|&p| pos[p])
            .collect();
        if ns.is_empty() {
            fallback
        } else {
            ns.iter().sum::<f64>() / ns.len() as f64
        }
    };
    let mut keyed: Vec<(f64, usize)> = row.iter().map(|&v| (key(v, pos[v]), v)).collect();
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (slot, (_, v)) in row.iter_mut().zip(keyed) {
        *slot = v;
    }
}

/// Each node's layer: 0 for sources, else one more than its deepest parent.
pub(crate) fn longest_path_layers(parents: &[Vec<usize>]) -> Vec<usize> {
    let n = parents.len();
    let mut indegree = vec![0usize; n];
    let mut children = vec![Vec::new(); n];
    for (c, ps) in parents.iter().enumerate() {
        for &p in ps {
            if p < n {
                indegree[c] += 1;
                children[p].push(c);
            }
        }
    }
    let mut layer = vec![0usize; n];
    let mut done = vec![false; n];
    let mut queue: Vec<usize> = (0..n).filter(|&v| indegree[v] == 0).collect();
    while let Some(v) = queue.pop() {
        done[v] = true;
        for &c in &children[v] {
            layer[c] = layer[c].max(layer[v] + 1);
            indegree[c] -= 1;
            if indegree[c] == 0 {
                queue.push(c);
            }
        }
    }
    let below = layer.iter().copied().max().map_or(0, |d| d + 1);
    for v in 0..n {
        if !done[v] {
            layer[v] = below;
        }
    }
    layer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_follow_the_longest_path() {
        // 0 → 1 → 3, 0 → 3, 2 → 3
        let parents = vec![vec![], vec![0], vec![], vec![1, 0, 2]];
        assert_eq!(longest_path_layers(&parents), vec![0, 1, 0, 2]);
    }

    #[test]
    fn a_cycle_goes_below_the_rest_without_hanging() {
        let parents = vec![vec![], vec![2], vec![1]];
        assert_eq!(longest_path_layers(&parents), vec![0, 1, 1]);
    }

    #[test]
    fn edges_point_down_and_clusters_do_not_overlap() {
        // Stage 0: 0 → 1; stage 1: 2 (parent 1) and 3 (parent 2).
        let parents = vec![vec![], vec![0], vec![1], vec![2]];
        let l = layout(&parents, &[0, 0, 1, 1], 2);
        for (c, ps) in parents.iter().enumerate() {
            for &p in ps {
                assert!(l.nodes[p].1 < l.nodes[c].1, "{p} above {c}");
            }
        }
        let (a, b) = (l.clusters[0], l.clusters[1]);
        assert!(a.0 + a.2 <= b.0, "{a:?} {b:?}");
        assert!(l.width >= b.0 + b.2);
    }

    #[test]
    fn barycentric_ordering_uncrosses_a_fan_in() {
        // Layer 0: 0, 1; layer 1: 2 (child of 1), 3 (child of 0), listed crossed.
        let parents = vec![vec![], vec![], vec![1], vec![0]];
        let l = layout(&parents, &[0, 0, 0, 0], 1);
        assert!(l.nodes[0].0 < l.nodes[1].0);
        assert!(l.nodes[3].0 < l.nodes[2].0, "{:?}", l.nodes);
    }
}
