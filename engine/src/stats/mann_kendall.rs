//! The Mann-Kendall trend test, as `pymannkendall.original_test` (the trend gate, policy-v1
//! "Trend").
//!
//! `S = sum over i < j of sign(x_j - x_i)`; its variance under "no trend" is corrected for tied
//! values, `var(S) = (n(n-1)(2n+5) - sum_t t(t-1)(2t+5)) / 18` over tie groups of size `t`;
//! `z = (S - sign(S)) / sqrt(var(S))` (continuity correction, 0 when S = 0); the two-sided
//! p-value is `2 (1 - Phi(|z|))`; Kendall's tau is `S / (n(n-1)/2)`.
//!
//! S, var(S), z and tau reproduce pymannkendall's arithmetic (S and the tie sums are exact
//! integers). The p-value is the same quantity computed as `erfc(|z| / sqrt 2)`, which keeps
//! its relative accuracy in the tail: pymannkendall's `2 * (1 - norm.cdf(|z|))` loses the
//! digits of small p-values to cancellation and is exactly 0 beyond |z| ~ 8.3. The two agree
//! to ~1e-16 absolute everywhere (and to 1e-9 relative for p > 1e-7), so a gate's `p < alpha`
//! decision is the same.
//!
//! Cost: O(n log n). S is counted with Knight's method: time order has no ties, so sorting
//! the values by a merge sort that counts strict inversions gives the discordant pairs, and
//! the sorted run lengths give the tied pairs; concordant = all - tied - discordant.
//! 86,400 samples take ~15 ms in a release build.

use super::inversions::sort_counting_inversions;
use super::normal;

/// One Mann-Kendall test result (pymannkendall's `s`, `var_s`, `z`, `p`, `Tau`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannKendall {
    /// Kendall's S: concordant minus discordant pairs (positive: increasing).
    pub s: f64,
    /// Variance of S under the null hypothesis, tie-corrected.
    pub var_s: f64,
    /// Continuity-corrected standard score.
    pub z: f64,
    /// Two-sided p-value.
    pub p: f64,
    /// Kendall's tau, S over the number of pairs.
    pub tau: f64,
}

/// Runs the test on a series in time order. NaN samples are skipped, as pymannkendall does.
/// `None` for fewer than two (non-NaN) values; the gate itself calls fewer than four
/// inconclusive. Allocates two buffers of `n` values.
pub fn original_test(values: &[f64]) -> Option<MannKendall> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    let n = sorted.len();
    if n < 2 {
        return None;
    }
    let mut scratch = vec![0.0; n];
    let discordant = sort_counting_inversions(&mut sorted, &mut scratch);

    // Tie groups are the runs of equal values in the sorted series.
    let (mut tied_pairs, mut tie_var) = (0_u64, 0_u128);
    let mut start = 0;
    while start < n {
        let end = start + sorted[start..].partition_point(|&v| v == sorted[start]);
        let t = (end - start) as u64;
        tied_pairs += t * (t - 1) / 2;
        tie_var += u128::from(t * (t - 1)) * u128::from(2 * t + 5);
        start = end;
    }
    let n64 = n as u64;
    let pairs = n64 * (n64 - 1) / 2;
    let concordant = pairs - tied_pairs - discordant;
    // |S| <= pairs < 2^53 for any n a window can hold, so these conversions are exact.
    let s = concordant as f64 - discordant as f64;
    let all_var = u128::from(n64 * (n64 - 1)) * u128::from(2 * n64 + 5);
    let var_s = (all_var - tie_var) as f64 / 18.0;

    let z = if s > 0.0 {
        (s - 1.0) / var_s.sqrt()
    } else if s < 0.0 {
        (s + 1.0) / var_s.sqrt()
    } else {
        0.0
    };
    // 2 * sf(|z|), without the cancellation of 2 * (1 - cdf(|z|)).
    let p = (2.0 * normal::sf(z.abs())).min(1.0);
    let tau = s / (0.5 * n as f64 * (n - 1) as f64);
    Some(MannKendall {
        s,
        var_s,
        z,
        p,
        tau,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// S by its definition, O(n^2): the cross-check for Knight's method.
    fn s_quadratic(x: &[f64]) -> f64 {
        let mut s = 0.0;
        for i in 0..x.len() {
            for j in i + 1..x.len() {
                if x[j] > x[i] {
                    s += 1.0;
                } else if x[j] < x[i] {
                    s -= 1.0;
                }
            }
        }
        s
    }

    fn wave(n: u32, step: f64, slope: f64) -> Vec<f64> {
        (0..n)
            .map(|i| (f64::from(i) * step).sin() + f64::from(i) * slope)
            .collect()
    }

    /// The inputs of the reference rows, by name.
    fn input(name: &str) -> Vec<f64> {
        match name {
            "two" => vec![1.0, 2.0],
            "two_equal" => vec![3.0, 3.0],
            "all_equal" => vec![5.0; 10],
            "four_increasing" => vec![1.0, 2.0, 3.0, 4.0],
            "ties" => vec![1.0, 2.0, 2.0, 3.0, 1.0, 4.0, 4.0, 4.0, 5.0, 2.0],
            "negative" => vec![-3.5, -2.0, -2.5, -1.0, -1.5, 0.5, -0.25, 1.0],
            "decreasing_noisy" => vec![9.0, 7.5, 8.0, 6.0, 6.5, 5.0, 5.5, 3.0, 4.0, 2.0, 2.5, 1.0],
            "large_trend" => wave(1000, 0.1, 0.001),
            "large_weak" => wave(1000, 0.1, 0.00001),
            "large_ties" => (0..1000)
                .map(|i| (3.0 * (f64::from(i) * 0.1).sin()).round())
                .collect(),
            _ => unreachable!("unknown case {name}"),
        }
    }

    /// pymannkendall 1.4.3 `original_test(x)` from scripts/stats_reference.py:
    /// [s, var_s, z, tau, p (pymannkendall), p accurate = 2 * scipy.stats.norm.sf(|z|)].
    #[rustfmt::skip]
    const REFERENCE: [(&str, [f64; 6]); 10] = [
        ("two", [1.0, 1.0, 0.0, 1.0, 1.0, 1.0]),
        ("two_equal", [0.0, 0.0, 0.0, 0.0, 1.0, 1.0]),
        ("all_equal", [0.0, 0.0, 0.0, 0.0, 1.0, 1.0]),
        ("four_increasing", [6.0, 8.666666666666666, 1.6984155512168937, 1.0, 0.08942935902899363, 0.08942935902899353]),
        ("ties", [22.0, 116.66666666666667, 1.944222209522358, 0.4888888888888889, 0.05186866065193829, 0.05186866065193838]),
        ("negative", [22.0, 65.33333333333333, 2.598076211353316, 0.7857142857142857, 0.009374768459434968, 0.009374768459434876]),
        ("decreasing_noisy", [-56.0, 212.66666666666666, -3.771490147280579, -0.8484848484848485, 0.00016227556647607777, 0.00016227556647604302]),
        ("large_trend", [118526.0, 111277500.0, 11.235859087856182, 0.2372892892892893, 0.0, 2.7183665722280754e-29]),
        ("large_weak", [-11904.0, 111277500.0, -1.1283731763151414, -0.02383183183183183, 0.25916235113255404, 0.25916235113255404]),
        ("large_ties", [-14772.0, 108634363.33333333, -1.4171841497922715, -0.029573573573573573, 0.15642909466003463, 0.15642909466003466]),
    ];

    fn close(got: f64, want: f64, rel: f64) -> bool {
        got == want || (got - want).abs() <= rel * want.abs()
    }

    #[test]
    fn matches_pymannkendall() {
        for (name, [s, var_s, z, tau, p_pymk, p_accurate]) in REFERENCE {
            let got = original_test(&input(name)).unwrap_or_else(|| panic!("{name}: None"));
            assert_eq!(got.s, s, "{name} s");
            assert_eq!(got.var_s, var_s, "{name} var_s");
            assert_eq!(got.z, z, "{name} z");
            assert_eq!(got.tau, tau, "{name} tau");
            assert!(
                close(got.p, p_accurate, 1e-12),
                "{name} p {:e} vs {p_accurate:e}",
                got.p
            );
            // Against pymannkendall's own (cancelling) p: equal to rounding in absolute terms.
            assert!(
                (got.p - p_pymk).abs() <= 1e-15,
                "{name} p {:e} vs {p_pymk:e}",
                got.p
            );
            assert!(
                p_pymk < 1e-7 || close(got.p, p_pymk, 1e-9),
                "{name} p relative"
            );
        }
    }

    #[test]
    fn too_short_and_nan() {
        assert_eq!(original_test(&[]), None);
        assert_eq!(original_test(&[1.0]), None);
        assert_eq!(original_test(&[1.0, f64::NAN]), None);
        // NaN is skipped, not compared.
        let with_nan = original_test(&[1.0, f64::NAN, 2.0, 3.0, f64::NAN, 4.0]);
        assert_eq!(with_nan, original_test(&[1.0, 2.0, 3.0, 4.0]));
    }

    #[test]
    fn knight_matches_quadratic_on_random_data() {
        let mut state = 12_345_u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            state >> 11
        };
        for n in [2_usize, 3, 5, 33, 100, 500, 1234] {
            // Continuous values, heavy ties, and a few infinities.
            for modulus in [0_u64, 4, 50] {
                let x: Vec<f64> = (0..n)
                    .map(|_| {
                        let r = next();
                        match modulus {
                            0 if r % 97 == 0 => f64::INFINITY,
                            0 => r as f64 / (1_u64 << 53) as f64 - 0.5,
                            m => (r % m) as f64,
                        }
                    })
                    .collect();
                let got = original_test(&x).map(|r| r.s);
                assert_eq!(got, Some(s_quadratic(&x)), "n={n} modulus={modulus}");
            }
        }
    }

    /// `cargo test --release -p rollgate-engine mk_86400 -- --ignored --nocapture`
    #[test]
    #[ignore = "timing, run in release"]
    #[allow(clippy::print_stdout)] // a timing report is this test's output
    #[allow(clippy::disallowed_methods)] // a timing test reads the clock; nothing it times is evaluated
    fn mk_86400_timing() {
        let x = wave(86_400, 0.001, 0.00001);
        let mut best = std::time::Duration::MAX;
        let mut result = None;
        for _ in 0..5 {
            let started = std::time::Instant::now();
            result = original_test(&x);
            best = best.min(started.elapsed());
        }
        println!("Mann-Kendall on 86,400 values: best of 5 {best:?} ({result:?})");
        assert!(result.is_some());
    }
}
