//! Small SVG charts drawn by the crate: a timeline of bars, a histogram and a bar chart with
//! marked bars. Every shape carries a `<title>` (the browser's own tooltip, no script needed)
//! and a `data-tip` for the page's hover box. All text goes through [`esc`].

use std::fmt::Write as _;

/// Escapes text for HTML and SVG content and attribute values.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One bar of a timeline.
pub(crate) struct Span {
    pub label: String,
    pub start: i64,
    pub end: i64,
    /// A CSS class: `succeeded`, `failed`, `running`, `skipped`.
    pub class: &'static str,
    pub tip: String,
}

/// Horizontal bars on a shared time axis, one row each (Spark's event timeline).
pub(crate) fn timeline(spans: &[Span]) -> String {
    if spans.is_empty() {
        return "<p class=\"empty\">Nothing to show.</p>".into();
    }
    let t0 = spans.iter().map(|s| s.start).min().unwrap_or(0);
    let t1 = spans
        .iter()
        .map(|s| s.end)
        .max()
        .unwrap_or(0)
        .max(t0.saturating_add(1));
    let (label_w, plot_w, row_h) = (190.0, 700.0, 22.0);
    let height = spans.len() as f64 * row_h + 30.0;
    let scale = plot_w / (t1 as f64 - t0 as f64);
    let mut svg = format!(
        "<svg class=\"timeline\" width=\"{w}\" height=\"{height}\" viewBox=\"0 0 {w} {height}\" \
         role=\"img\">",
        w = label_w + plot_w + 10.0
    );
    for (k, span) in spans.iter().enumerate() {
        let y = k as f64 * row_h + 4.0;
        let x = label_w + (span.start as f64 - t0 as f64) * scale;
        let w = ((span.end as f64 - span.start as f64) * scale).max(2.0);
        let _ = write!(
            svg,
            "<text x=\"{lx}\" y=\"{ty}\" class=\"label\">{label}</text>\
             <rect class=\"bar {class}\" x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"16\" \
             data-tip=\"{tip}\"><title>{tip}</title></rect>",
            lx = label_w - 6.0,
            ty = y + 12.0,
            label = esc(&span.label),
            class = span.class,
            tip = esc(&span.tip),
        );
    }
    let axis_y = spans.len() as f64 * row_h + 16.0;
    let _ = write!(
        svg,
        "<text x=\"{label_w}\" y=\"{axis_y}\" class=\"axis\">0 ms</text>\
         <text x=\"{x}\" y=\"{axis_y}\" class=\"axis end\">{d} ms</text></svg>",
        x = label_w + plot_w,
        d = t1 as i128 - t0 as i128
    );
    svg
}

/// One bar of a bar chart over batches.
pub(crate) struct Column {
    pub label: String,
    /// Stacked parts, bottom first, each with its CSS class.
    pub parts: Vec<(f64, &'static str)>,
    /// Drawn with a marker above it (a checkpoint batch).
    pub marked: bool,
    pub tip: String,
}

/// Vertical (stacked) bars, one per column, with a marker above marked ones.
pub(crate) fn bar_chart(title: &str, unit: &str, columns: &[Column]) -> String {
    let max = columns
        .iter()
        .map(|c| c.parts.iter().map(|p| p.0).sum::<f64>())
        .fold(0.0f64, f64::max)
        .max(1.0);
    let (left, plot_h, top) = (50.0, 140.0, 26.0);
    let bar_w = (640.0 / columns.len().max(1) as f64).clamp(3.0, 40.0);
    let width = left + bar_w * columns.len() as f64 + 20.0;
    let height = top + plot_h + 34.0;
    let mut svg = format!(
        "<svg class=\"chart\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} \
         {height}\" role=\"img\"><text x=\"{left}\" y=\"14\" class=\"title\">{t}</text>\
         <text x=\"{lx}\" y=\"{top}\" class=\"axis end\">{max} {u}</text>\
         <text x=\"{lx}\" y=\"{y0}\" class=\"axis end\">0</text>\
         <line class=\"axisline\" x1=\"{left}\" y1=\"{y0}\" x2=\"{width}\" y2=\"{y0}\"/>",
        t = esc(title),
        u = esc(unit),
        lx = left - 4.0,
        y0 = top + plot_h,
        max = fmt_num(max),
    );
    for (k, col) in columns.iter().enumerate() {
        let x = left + k as f64 * bar_w + 1.0;
        let mut y = top + plot_h;
        let _ = write!(svg, "<g class=\"col\" data-tip=\"{}\">", esc(&col.tip));
        for &(v, class) in &col.parts {
            let h = v / max * plot_h;
            y -= h;
            let _ = write!(
                svg,
                "<rect class=\"bar {class}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" \
                 height=\"{h:.1}\"/>",
                w = (bar_w - 2.0).max(1.0)
            );
        }
        let _ = write!(svg, "<title>{}</title>", esc(&col.tip));
        if col.marked {
            let cx = x + (bar_w - 2.0) / 2.0;
            let _ = write!(
                svg,
                "<path class=\"marker\" d=\"M{:.1} {:.1} l5 -8 h-10 z\"/>",
                cx,
                y - 2.0
            );
        }
        svg.push_str("</g>");
        if columns.len() <= 20 || k % (columns.len() / 10).max(1) == 0 {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" class=\"axis mid\">{}</text>",
                x + bar_w / 2.0,
                top + plot_h + 14.0,
                esc(&col.label)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// A histogram of `values` in ten bins (Spark Streaming's delay histograms).
pub(crate) fn histogram(title: &str, unit: &str, values: &[i64]) -> String {
    let lo = values.iter().copied().min().unwrap_or(0);
    let hi = values.iter().copied().max().unwrap_or(0);
    let bins = 10usize;
    let width = ((hi as f64 - lo as f64) / bins as f64).max(1.0);
    let mut counts = vec![0u64; bins];
    for &v in values {
        let k = (((v as f64 - lo as f64) / width) as usize).min(bins - 1);
        counts[k] += 1;
    }
    let columns: Vec<Column> = counts
        .iter()
        .enumerate()
        .map(|(k, &c)| {
            let from = lo as f64 + k as f64 * width;
            Column {
                label: fmt_num(from),
                parts: vec![(c as f64, "hist")],
                marked: false,
                tip: format!(
                    "{c} batch(es) with {title} in [{}, {}) {unit}",
                    fmt_num(from),
                    fmt_num(from + width)
                ),
            }
        })
        .collect();
    bar_chart(&format!("{title} ({unit}), batches per bin"), "", &columns)
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn histogram_counts_every_value_once() {
        let svg = histogram("processing time", "ms", &[0, 1, 2, 3, 10, 10]);
        assert_eq!(svg.matches("class=\"bar hist\"").count(), 10);
        assert!(svg.contains("2 batch(es) with processing time in [9, 10) ms"));
    }
}
