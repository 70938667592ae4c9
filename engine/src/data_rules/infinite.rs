//! Naming the infinite samples of a window, for the one rule every reader applies to them: an
//! infinity can make a gate (or a script's verdict) fail, never pass (eval/nonfinite.rs holds
//! the rule for gates; the script API refuses such windows with the same words).

use crate::format::fmt_num;

/// Infinite samples named in a message, at most.
const SHOWN: usize = 3;

/// The infinite samples of a window, as (time, value) pairs.
pub(crate) fn infinities(times: &[f64], values: &[f64]) -> Vec<(f64, f64)> {
    times
        .iter()
        .zip(values)
        .filter(|(_, v)| v.is_infinite())
        .map(|(t, v)| (*t, *v))
        .collect()
}

/// `1 infinite sample (-Inf at 2027-01-08T10:00:00Z)`, naming at most three.
pub(crate) fn describe(found: &[(f64, f64)]) -> String {
    let named: Vec<String> = found
        .iter()
        .take(SHOWN)
        .map(|(t, v)| format!("{} at {}", fmt_num(*v), crate::snapshot::format_time(*t)))
        .collect();
    let more = if found.len() > SHOWN {
        format!(", and {} more", found.len() - SHOWN)
    } else {
        String::new()
    };
    let plural = if found.len() == 1 { "" } else { "s" };
    format!(
        "{} infinite sample{plural} ({}{more})",
        found.len(),
        named.join(", ")
    )
}

/// The infinite samples of a window, in words: what a script is told when its window holds
/// any.
pub(crate) fn describe_window(times: &[f64], values: &[f64]) -> String {
    describe(&infinities(times, values))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INF: f64 = f64::INFINITY;

    #[test]
    fn finds_and_names_infinite_samples() {
        let f = infinities(&[0.0, 60.0, 120.0], &[0.5, -INF, 1.0]);
        assert_eq!(f, vec![(60.0, -INF)]);
        assert_eq!(
            describe(&f),
            "1 infinite sample (-Inf at 1970-01-01T00:01:00Z)"
        );
        let many: Vec<(f64, f64)> = (0..5).map(|i| (f64::from(i), INF)).collect();
        assert!(describe(&many).starts_with("5 infinite samples (+Inf at "));
        assert!(describe(&many).ends_with(", and 2 more)"));
    }
}
