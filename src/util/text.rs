//! Spark's text helpers (`Utils.bytesToString`, `RDD.toDebugString`'s prefix trimming), shared by
//! the RDD layer's `to_debug_string` and the report, which draws the same layout from an event
//! log. A leaf: uses nothing of the crate.

/// Spark's `prefix.replaceAll("\\|\\s+$", "")`.
pub(crate) fn strip_bar(prefix: &str) -> String {
    let trimmed = prefix.trim_end();
    if trimmed.len() < prefix.len() && trimmed.ends_with('|') {
        trimmed[..trimmed.len() - 1].to_string()
    } else {
        prefix.to_string()
    }
}

/// Spark's `Utils.bytesToString`: one decimal, the largest unit of which there are at least 2.
pub(crate) fn bytes_to_string(size: u64) -> String {
    const UNITS: [(&str, u64); 6] = [
        ("EiB", 1 << 60),
        ("PiB", 1 << 50),
        ("TiB", 1 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ];
    for (unit, bytes) in UNITS {
        if size >= 2 * bytes {
            return format!("{:.1} {unit}", size as f64 / bytes as f64);
        }
    }
    format!("{:.1} B", size as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_like_spark() {
        assert_eq!(bytes_to_string(0), "0.0 B");
        assert_eq!(bytes_to_string(2047), "2047.0 B");
        assert_eq!(bytes_to_string(2048), "2.0 KiB");
        assert_eq!(bytes_to_string(3 << 20), "3.0 MiB");
    }

    #[test]
    fn strips_a_trailing_bar() {
        assert_eq!(strip_bar(" |  "), " ");
        assert_eq!(strip_bar("    |  "), "    ");
        assert_eq!(strip_bar(" | |  "), " | ");
        assert_eq!(strip_bar("abc"), "abc");
    }
}
