//! Small pictures of a window: a unicode sparkline for table rows, and a Mermaid
//! `xychart-beta` (GitHub and GitLab render Mermaid in markdown) for failing gates.

use super::escape;

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A sparkline of at most `width` characters (points averaged into buckets).
pub fn sparkline(points: &[[f64; 2]], width: usize) -> String {
    let values: Vec<f64> = points
        .iter()
        .map(|p| p[1])
        .filter(|v| v.is_finite())
        .collect();
    if values.is_empty() || width == 0 {
        return String::new();
    }
    let buckets = values.len().min(width);
    let mut avg = Vec::with_capacity(buckets);
    for b in 0..buckets {
        let from = b * values.len() / buckets;
        let to = ((b + 1) * values.len() / buckets).max(from + 1);
        let part = &values[from..to];
        avg.push(part.iter().sum::<f64>() / part.len() as f64);
    }
    let lo = avg.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = avg.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    avg.iter()
        .map(|v| {
            if hi <= lo {
                BARS[3]
            } else {
                let i = ((v - lo) / (hi - lo) * 7.0).round() as usize;
                BARS[i.min(7)]
            }
        })
        .collect()
}

/// A Mermaid line chart of a series with its bounds as flat lines.
pub fn chart(title: &str, points: &[[f64; 2]], bounds: &[f64]) -> String {
    let pts: Vec<&[f64; 2]> = points.iter().filter(|p| p[1].is_finite()).collect();
    let xs: Vec<String> = pts
        .iter()
        .map(|p| {
            format!(
                "\"{}\"",
                crate::format::format_time(p[0]).get(11..16).unwrap_or("")
            )
        })
        .collect();
    let fmt = |v: f64| crate::format::fmt_num(v);
    let ys: Vec<String> = pts.iter().map(|p| fmt(p[1])).collect();
    let mut lo = pts.iter().map(|p| p[1]).fold(f64::INFINITY, f64::min);
    let mut hi = pts.iter().map(|p| p[1]).fold(f64::NEG_INFINITY, f64::max);
    for b in bounds {
        lo = lo.min(*b);
        hi = hi.max(*b);
    }
    if !lo.is_finite() || !hi.is_finite() {
        lo = 0.0;
        hi = 1.0;
    }
    let pad = if hi > lo {
        (hi - lo) * 0.1
    } else {
        hi.abs().max(1.0) * 0.1
    };
    let mut s = String::from("```mermaid\nxychart-beta\n");
    s.push_str(&format!("    title \"{}\"\n", escape::mermaid(title)));
    s.push_str(&format!("    x-axis [{}]\n", xs.join(", ")));
    s.push_str(&format!(
        "    y-axis {} --> {}\n",
        fmt(lo - pad),
        fmt(hi + pad)
    ));
    s.push_str(&format!("    line [{}]\n", ys.join(", ")));
    for b in bounds {
        let flat = vec![fmt(*b); ys.len().max(1)];
        s.push_str(&format!("    line [{}]\n", flat.join(", ")));
    }
    s.push_str("```\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_to_the_range() {
        let pts: Vec<[f64; 2]> = (0..8).map(|i| [f64::from(i), f64::from(i)]).collect();
        assert_eq!(sparkline(&pts, 8), "▁▂▃▄▅▆▇█");
        assert_eq!(sparkline(&pts, 4).chars().count(), 4);
        assert_eq!(sparkline(&[[0.0, 5.0], [1.0, 5.0]], 8), "▄▄");
        assert_eq!(sparkline(&[], 8), "");
    }

    #[test]
    fn chart_draws_the_bound() {
        let c = chart("lat \"ios\"", &[[0.0, 1.0], [60.0, 3.0]], &[2.0]);
        assert!(c.contains("title \"lat 'ios'\""));
        assert!(c.contains("line [1, 3]"));
        assert!(c.contains("line [2, 2]"));
    }
}
