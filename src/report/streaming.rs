//! The Streaming section (Spark Streaming's UI tab, `StreamingPage`): the batch timeline
//! (scheduling delay and processing time per batch), histograms of both, records per batch, the
//! state's size per batch for each stateful stream, checkpoint batches marked; from sparklet's
//! `SparkletStreamingBatchCompleted` events.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::model::AppModel;
use super::svg::{bar_chart, esc, histogram, Column};

/// The section's body.
pub(crate) fn streaming(model: &AppModel) -> String {
    let b = &model.batches;
    let label = |t: i64| format!("{t}");
    let timeline_cols: Vec<Column> = b
        .iter()
        .map(|x| Column {
            label: label(x.batch_time),
            parts: vec![
                (x.scheduling_delay() as f64, "delay"),
                (x.processing_time() as f64, "proc"),
            ],
            marked: x.checkpoint,
            tip: format!(
                "batch {}: scheduling delay {} ms, processing {} ms, {} records, {} output op(s){}",
                x.batch_time,
                x.scheduling_delay(),
                x.processing_time(),
                x.num_records,
                x.output_operations,
                if x.checkpoint { ", checkpoint" } else { "" }
            ),
        })
        .collect();
    let records: Vec<Column> = b
        .iter()
        .map(|x| Column {
            label: label(x.batch_time),
            parts: vec![(x.num_records as f64, "records")],
            marked: x.checkpoint,
            tip: format!("batch {}: {} records", x.batch_time, x.num_records),
        })
        .collect();
    let sched: Vec<i64> = b.iter().map(|x| x.scheduling_delay()).collect();
    let proc: Vec<i64> = b.iter().map(|x| x.processing_time()).collect();
    let mut html = format!(
        "<p>{} batches, {} records, {} checkpoint batch(es) (▼ marks them).</p>\
         <h3>Batch timeline</h3><p class=\"legend\"><span class=\"swatch delay\"></span> \
         scheduling delay · <span class=\"swatch proc\"></span> processing time</p>{}\
         <h3>Histograms</h3>{}{}<h3>Records per batch</h3>{}",
        b.len(),
        b.iter().map(|x| x.num_records).sum::<u64>(),
        b.iter().filter(|x| x.checkpoint).count(),
        bar_chart("time per batch (batch time, ms)", "ms", &timeline_cols),
        histogram("scheduling delay", "ms", &sched),
        histogram("processing time", "ms", &proc),
        bar_chart("records per batch", "", &records),
    );
    // One chart per stateful stream: its keys after each batch.
    let mut streams: BTreeMap<u64, String> = BTreeMap::new();
    for x in b {
        for st in &x.state {
            streams
                .entry(st.stream_id)
                .or_insert_with(|| st.stream.clone());
        }
    }
    html.push_str("<h3>State size per batch</h3>");
    if streams.is_empty() {
        html.push_str("<p class=\"empty\">No stateful streams.</p>");
    }
    for (id, class) in &streams {
        let cols: Vec<Column> = b
            .iter()
            .map(|x| {
                let keys = x
                    .state
                    .iter()
                    .find(|s| s.stream_id == *id)
                    .map_or(0, |s| s.keys);
                Column {
                    label: label(x.batch_time),
                    parts: vec![(keys as f64, "state")],
                    marked: x.checkpoint,
                    tip: format!("batch {}: {keys} keys in {class} {id}", x.batch_time),
                }
            })
            .collect();
        html.push_str(&bar_chart(
            &format!("{class} (stream {id}): keys"),
            "keys",
            &cols,
        ));
    }
    html.push_str(
        "<table><thead><tr><th>Batch time</th><th>Records</th><th>Scheduling delay</th>\
         <th>Processing time</th><th>Output ops</th><th>Checkpoint</th><th>State keys</th>\
         </tr></thead><tbody>",
    );
    for x in b {
        let state: Vec<String> = x
            .state
            .iter()
            .map(|s| format!("{} {}: {}", s.stream, s.stream_id, s.keys))
            .collect();
        let _ = write!(
            html,
            "<tr{}><td>{}</td><td>{}</td><td>{} ms</td><td>{} ms</td><td>{}</td><td>{}</td>\
             <td>{}</td></tr>",
            if x.checkpoint { " class=\"ckpt\"" } else { "" },
            x.batch_time,
            x.num_records,
            x.scheduling_delay(),
            x.processing_time(),
            x.output_operations,
            if x.checkpoint { "yes" } else { "" },
            esc(&state.join(", ")),
        );
    }
    html.push_str("</tbody></table>");
    html
}
