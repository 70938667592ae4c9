//! Gates that could never fail. A significance test whose smallest possible p-value at the
//! gate's `min_samples` is not below `alpha` passes whenever the data sit at that floor, however
//! bad they are; `alpha: 0` is never reached at all. Such a gate says GO without having looked,
//! so `validate` refuses it, naming the smallest `min_samples` at which the test can decide.

use super::Sink;
use crate::diagnostic::Code;
use crate::policy::model::{Compare, GateKind, Trend};
use crate::policy::per_env::PerEnv;
use crate::stats::mann_whitney::{self, Alternative};
use crate::stats::{self};

/// Samples looked at most when searching the smallest sufficient `min_samples` (and the most
/// a `min_samples` is taken to mean here: beyond it every usual `alpha` is reachable, and a
/// hostile `min_samples: 1000000000000` must not allocate).
const SEARCH_MAX: u64 = 1 << 16;

/// Which test a gate runs, for messages.
#[derive(Clone, Copy)]
enum Test {
    /// Candidate vs baseline, `min_samples` on each side.
    MannWhitney,
    /// Mann-Kendall over one series.
    MannKendall,
}

impl Test {
    fn name(self) -> &'static str {
        match self {
            Test::MannWhitney => "the Mann-Whitney test",
            Test::MannKendall => "the Mann-Kendall test",
        }
    }

    /// The smallest p-value the test can give with `n` samples (a side): the most extreme
    /// arrangement, no ties, through the same code the gate runs (the exact distribution
    /// where the gate uses it).
    fn smallest_p(self, n: u64) -> f64 {
        let n = n.min(SEARCH_MAX) as usize;
        match self {
            Test::MannWhitney => {
                let high: Vec<f64> = (0..n).map(|i| (n + i) as f64).collect();
                let low: Vec<f64> = (0..n).map(|i| i as f64).collect();
                mann_whitney::test(&high, &low, Alternative::Greater).map_or(1.0, |m| m.p)
            }
            Test::MannKendall => {
                let rising: Vec<f64> = (0..n).map(|i| i as f64).collect();
                stats::mann_kendall::original_test(&rising).map_or(1.0, |m| m.p)
            }
        }
    }

    /// The smallest sample count at which the test can give p < alpha, if any below
    /// [`SEARCH_MAX`]. The smallest p falls as samples grow, so a doubling then a bisection.
    fn samples_needed(self, alpha: f64, floor: u64) -> Option<u64> {
        let reaches = |n: u64| self.smallest_p(n) < alpha;
        let mut hi = floor.max(1);
        while !reaches(hi) {
            if hi >= SEARCH_MAX {
                return None;
            }
            hi = (hi * 2).min(SEARCH_MAX);
        }
        let mut lo = floor.max(1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if reaches(mid) { hi = mid } else { lo = mid + 1 }
        }
        Some(hi)
    }
}

/// Refuses a gate whose test can never fail at the gate's `min_samples` (in any
/// environment), or whose `alpha` is 0.
pub(super) fn check(ptr: &str, kind: &GateKind, min_samples: &PerEnv<u64>, sink: &mut Sink<'_>) {
    let (test, alpha, alpha_ptr, other_way) = match kind {
        GateKind::Compare(Compare {
            test: Some(_),
            alpha,
            ..
        }) => (
            Test::MannWhitney,
            *alpha,
            format!("{ptr}/compare/alpha"),
            false,
        ),
        GateKind::Trend(Trend {
            alpha, max_slope, ..
        }) => (
            Test::MannKendall,
            *alpha,
            format!("{ptr}/trend/alpha"),
            // A slope limit can still fail the gate: the test only adds a reason.
            max_slope.is_some(),
        ),
        _ => return,
    };
    if alpha <= 0.0 {
        sink.error(Code::NothingCanFail,
            &alpha_ptr,
            format!(
                "`alpha: 0` is never reached (a p-value is never below 0): {} could never fail the gate; use a level such as 0.05",
                test.name()
            ),
        );
        return;
    }
    if other_way {
        return;
    }
    // A trend is inconclusive below its own minimum, whatever `min_samples` says.
    let floor = match test {
        Test::MannKendall => crate::eval::trend::MIN_TREND_SAMPLES as u64,
        Test::MannWhitney => 1,
    };
    // The environment with the fewest samples that cannot decide, if any.
    let entries = min_samples.default.iter().map(|v| (None, *v)).chain(
        min_samples
            .by_env
            .iter()
            .map(|(e, v)| (Some(e.as_str()), *v)),
    );
    let Some((env, n)) = entries
        .map(|(e, v)| (e, v.max(floor)))
        .filter(|(_, n)| test.smallest_p(*n) >= alpha)
        .min_by_key(|(_, n)| *n)
    else {
        return;
    };
    let side = match test {
        Test::MannWhitney => " a side",
        Test::MannKendall => "",
    };
    let need = match test.samples_needed(alpha, n) {
        Some(k) => format!("set `min_samples` to at least {k}"),
        None => format!("no `min_samples` up to {SEARCH_MAX} can reach it"),
    };
    let at = match env {
        Some(e) => format!("{ptr}/min_samples/{}", crate::yaml::escape_token(e)),
        None if min_samples.values().any(|&m| m > 1) => format!("{ptr}/min_samples"),
        None => alpha_ptr,
    };
    sink.error(Code::NothingCanFail,
        &at,
        format!(
            "with {n} sample{}{side}, {} can never give p < {alpha} (its smallest p is {}): the gate would pass however bad the data; {need}",
            if n == 1 { "" } else { "s" },
            test.name(),
            crate::format::fmt_num(test.smallest_p(n)),
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest one-sided Mann-Whitney p with k a side is 1 / C(2k, k) (exact
    /// distribution): 1/20 at 3, 1/70 at 4, 1/252 at 5.
    #[test]
    fn mann_whitney_floor_matches_the_exact_distribution() {
        for (k, want) in [
            (1, 0.5),
            (2, 1.0 / 6.0),
            (3, 0.05),
            (4, 1.0 / 70.0),
            (5, 1.0 / 252.0),
        ] {
            let got = Test::MannWhitney.smallest_p(k);
            assert!((got - want).abs() < 1e-12, "{k}: {got} vs {want}");
        }
        assert_eq!(Test::MannWhitney.samples_needed(0.05, 1), Some(4));
        assert_eq!(Test::MannWhitney.samples_needed(0.01, 1), Some(5));
        assert_eq!(Test::MannWhitney.samples_needed(0.05, 10), Some(10));
    }

    /// Mann-Kendall, two-sided with continuity correction: n = 4 gives p = 0.0894 (S = 6,
    /// var = 26/3), n = 5 gives 0.0275 (S = 10, var = 50/3): pymannkendall's original_test on
    /// [0, 1, 2, 3] and [0, 1, 2, 3, 4].
    #[test]
    fn mann_kendall_floor() {
        assert!((Test::MannKendall.smallest_p(4) - 0.089_429_4).abs() < 1e-6);
        assert!((Test::MannKendall.smallest_p(5) - 0.027_486_4).abs() < 1e-6);
        assert_eq!(Test::MannKendall.samples_needed(0.05, 4), Some(5));
        let k = Test::MannKendall.samples_needed(1e-12, 4).unwrap();
        assert!(Test::MannKendall.smallest_p(k) < 1e-12);
        assert!(Test::MannKendall.smallest_p(k - 1) >= 1e-12);
    }
}
