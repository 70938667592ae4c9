//! The Theil-Sen slope: the median of the pairwise slopes, as `scipy.stats.theilslopes(y, x)[0]`
//! (the trend gate's `max_slope`, policy-v1 "Trend").
//!
//! Pairs with equal `x` have no slope and are left out; with an even number of slopes the
//! median is the mean of the two middle ones (`np.median`). The slope is per unit of `times`
//! (seconds); the caller converts to per hour.
//!
//! # Two paths
//!
//! * Up to [`EXACT_MAX`] samples every slope is computed exactly as scipy does (same
//!   operands, same rounding) and the median selected in O(n^2) average time: the result is
//!   bit-identical to scipy's. 2,000 samples are ~2 million slopes (16 MB, transient).
//! * Above that, the n^2 slopes are never materialised. The number of pairs with slope `< s`
//!   is the number of inversions of `z_i = y_i - s * x_i` taken in `x` order (for `x_i < x_j`,
//!   slope < s exactly when `z_j < z_i`), counted by merge sort in O(n log n). Bisection on `s`
//!   (over the bit patterns of f64, so brackets spanning zero or many magnitudes also converge
//!   in at most 64 steps) narrows an interval that holds the middle slope(s) until it is
//!   narrower than 1e-12 relative to its ends, or its ends are adjacent floats. The result is
//!   the interval's midpoint, or its lower end when the ends are adjacent (then it is the
//!   exact slope, e.g. the median 0 of quantised data). `z` is computed in double-double
//!   arithmetic (exact product, ~2^-106 relative difference), so each count is exact for every
//!   slope not within ~1e-30 relative of `s`, with unix-second timestamps as they come.
//!   So the large path agrees with scipy to ~1e-12 relative (scipy's own slopes carry ~2 ulps
//!   of rounding). Slopes below 2.2e-308 in magnitude are reported as 0. Cost: up to ~55
//!   steps (more when an even number of slopes has two middles far apart) of O(n log n);
//!   three n-sized buffers of pairs and two of values.

use super::inversions::sort_counting_inversions;

/// Largest input the exact O(n^2) path takes.
pub const EXACT_MAX: usize = 2_000;
/// The bisection stops once its interval is this narrow relative to its ends.
const RELATIVE_WIDTH: f64 = 1e-12;
/// Safety net: bit-pattern bisection needs at most 64 steps.
const MAX_STEPS: usize = 128;

/// The Theil-Sen slope of `values` against `times`. `None` when fewer than two samples, the
/// slices differ in length, any input is not finite (callers drop NaN; an infinite sample
/// has no meaningful slope), or all `times` are equal (no pair has a slope).
pub fn slope(times: &[f64], values: &[f64]) -> Option<f64> {
    if times.len() != values.len() || times.len() < 2 {
        return None;
    }
    if times.iter().chain(values).any(|v| !v.is_finite()) {
        return None;
    }
    if times.len() <= EXACT_MAX {
        slope_exact(times, values)
    } else {
        slope_bisection(times, values)
    }
}

/// All pairwise slopes as scipy forms them (`(y_a - y_b) / (x_a - x_b)` with `x_a > x_b`),
/// then the median.
fn slope_exact(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    let mut slopes = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            if x[j] > x[i] {
                slopes.push((y[j] - y[i]) / (x[j] - x[i]));
            } else if x[i] > x[j] {
                slopes.push((y[i] - y[j]) / (x[i] - x[j]));
            }
        }
    }
    median(&mut slopes)
}

/// `np.median`: the middle value, or the mean of the two middle values. Reorders `v`.
fn median(v: &mut [f64]) -> Option<f64> {
    let len = v.len();
    if len == 0 {
        return None;
    }
    let (below, &mut upper, _) = v.select_nth_unstable_by(len / 2, f64::total_cmp);
    let out = if len % 2 == 1 {
        upper
    } else {
        let lower = below.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lower + upper) / 2.0
    };
    (!out.is_nan()).then_some(out)
}

/// The large path (module docs). Inputs are finite.
fn slope_bisection(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    // `x + 0.0` folds -0.0 into 0.0 so equal times group together. Ties in x are ordered by
    // y, so a pair with equal x never forms an inversion and is never counted.
    let mut points: Vec<(f64, f64)> = x.iter().zip(y).map(|(&a, &b)| (a + 0.0, b)).collect();
    points.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));

    let (mut tied, mut min_gap) = (0_u64, f64::INFINITY);
    let mut start = 0;
    while start < n {
        let end = start + points[start..].partition_point(|p| p.0 == points[start].0);
        let t = (end - start) as u64;
        tied += t * (t - 1) / 2;
        if end < n {
            min_gap = min_gap.min(points[end].0 - points[start].0);
        }
        start = end;
    }
    let n64 = n as u64;
    let pairs = n64 * (n64 - 1) / 2 - tied;
    if pairs == 0 {
        return None;
    }
    let (ymin, ymax) = y.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
        (lo.min(v), hi.max(v))
    });
    // Every slope lies in [-bound, bound]; twice that brackets them all with room to spare.
    let bound = (ymax - ymin) / min_gap;
    if bound == 0.0 {
        return Some(0.0);
    }
    let outer = (2.0 * bound).min(f64::MAX);

    // x split once for the exact products below; z and scratch are reused by every step.
    let split_x: Vec<(f64, f64, f64)> = points
        .iter()
        .map(|&(px, _)| {
            let (hi, lo) = split(px);
            (px, hi, lo)
        })
        .collect();
    let ys: Vec<f64> = points.iter().map(|p| p.1).collect();
    let mut z = vec![(0.0, 0.0); n];
    let mut scratch = vec![(0.0, 0.0); n];
    let mut count_below = |s: f64| -> u64 {
        let (s_hi, s_lo) = split(s);
        for (zi, (&(xv, x_hi, x_lo), &yv)) in z.iter_mut().zip(split_x.iter().zip(&ys)) {
            *zi = y_minus_sx(yv, s, s_hi, s_lo, xv, x_hi, x_lo);
        }
        sort_counting_inversions(&mut z, &mut scratch)
    };

    // Invariant per bracket for order statistic k (0-based): count_below(lo) <= k <
    // count_below(hi), i.e. the k-th smallest slope is in [lo, hi).
    let (k_low, k_high) = ((pairs - 1) / 2, pairs / 2);
    let mut low = (-outer, outer);
    let mut high = (-outer, outer);
    for _ in 0..MAX_STEPS {
        let Some(mid) = bisect(low) else { break };
        let c = count_below(mid);
        if c <= k_low { low.0 = mid } else { low.1 = mid }
        // The same count also narrows the upper middle's bracket for free.
        if c <= k_high { high.0 = high.0.max(mid) } else { high.1 = high.1.min(mid) }
    }
    let a = estimate(low);
    if k_low == k_high {
        return Some(a);
    }
    // The upper middle is >= the lower one, so low's lower end bounds it too.
    high.0 = high.0.max(low.0);
    for _ in 0..MAX_STEPS {
        let Some(mid) = bisect(high) else { break };
        if count_below(mid) <= k_high { high.0 = mid } else { high.1 = mid }
    }
    Some((a + estimate(high)) / 2.0)
}

/// Dekker's split of `a` into two 26-bit halves, `a = hi + lo` exactly.
fn split(a: f64) -> (f64, f64) {
    let c = 134_217_729.0 * a; // 2^27 + 1
    let hi = c - (c - a);
    (hi, a - hi)
}

/// `y - s * x` as a normalised double-double `(hi, lo)`: the product is exact (Dekker's
/// two-product from the pre-split halves), the difference exact up to ~2^-106 relative.
/// Ordering `z` in f64 instead would tie `y_i - s x_i` and `y_j - s x_j` whenever `s (x_j -
/// x_i)` is below an ulp of `y`, miscounting the many equal-valued pairs of quantised data
/// (exactly the data whose median slope is 0). Lexicographic order on normalised pairs is the
/// order of their exact values.
#[inline]
fn y_minus_sx(y: f64, s: f64, s_hi: f64, s_lo: f64, x: f64, x_hi: f64, x_lo: f64) -> (f64, f64) {
    let p = s * x;
    let p_err = ((s_hi * x_hi - p) + s_hi * x_lo + s_lo * x_hi) + s_lo * x_lo;
    // Knuth's two-sum: y - p = t + t_err exactly.
    let t = y - p;
    let yv = t + p;
    let t_err = (y - yv) + (-p - (t - yv));
    let lo = t_err - p_err;
    let hi = t + lo;
    (hi, lo - (hi - t))
}

/// f64 -> i64 preserving order (negative floats have their magnitude bits flipped).
fn key(v: f64) -> i64 {
    let bits = v.to_bits() as i64;
    if bits < 0 { bits ^ i64::MAX } else { bits }
}

fn from_key(k: i64) -> f64 {
    f64::from_bits((if k < 0 { k ^ i64::MAX } else { k }) as u64)
}

/// The next bisection point of `(lo, hi)`, or `None` once the bracket is narrow enough.
fn bisect((lo, hi): (f64, f64)) -> Option<f64> {
    if hi - lo <= RELATIVE_WIDTH * lo.abs().max(hi.abs()) {
        return None;
    }
    let (a, b) = (i128::from(key(lo)), i128::from(key(hi)));
    let mid = (a + b).div_euclid(2);
    (mid != a && mid != b).then(|| from_key(mid as i64))
}

/// The value reported for a converged bracket: its lower end when the ends are adjacent
/// floats (the slope is then exactly `lo`), else the midpoint. Subnormal results are flushed
/// to 0: below 2.2e-308 per second the products `s * x` lose the precision the comparisons
/// need, and such a slope is zero for every purpose a gate has.
fn estimate((lo, hi): (f64, f64)) -> f64 {
    let v = if key(hi) - key(lo) <= 1 {
        lo
    } else {
        lo + (hi - lo) / 2.0
    };
    if v.abs() < f64::MIN_POSITIVE { 0.0 } else { v }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wave(n: u32, step: f64, slope: f64) -> Vec<f64> {
        (0..n)
            .map(|i| (f64::from(i) * step).sin() + f64::from(i) * slope)
            .collect()
    }

    fn times(n: u32, step: f64) -> Vec<f64> {
        (0..n).map(|i| 1.7e9 + step * f64::from(i)).collect()
    }

    /// Uniform in [-0.5, 0.5) from a 64-bit LCG (the script's `lcg_noise`).
    fn lcg_noise(n: usize, seed: u64) -> Vec<f64> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (s >> 11) as f64 / (1_u64 << 53) as f64 - 0.5
            })
            .collect()
    }

    fn close(got: f64, want: f64, rel: f64) -> bool {
        got == want || (got - want).abs() <= rel * want.abs()
    }

    /// `scipy.stats.theilslopes(y, x)[0]`, scipy 1.17.1, from scripts/stats_reference.py.
    #[rustfmt::skip]
    const SMALL: [(&str, &[f64], &[f64], f64); 6] = [
        ("two", &[0.0, 10.0], &[1.0, 3.0], 0.2),
        ("three_odd_pairs", &[0.0, 1.0, 2.0], &[0.0, 5.0, 4.0], 2.0),
        ("four_even_pairs", &[0.0, 1.0, 2.0, 3.0], &[1.0, 0.0, 4.0, 2.0], 0.6666666666666666),
        ("all_equal", &[0.0, 1.0, 2.0, 3.0, 4.0], &[2.0, 2.0, 2.0, 2.0, 2.0], 0.0),
        ("duplicate_x", &[0.0, 0.0, 1.0, 2.0, 2.0, 3.0], &[1.0, 4.0, 2.0, 3.0, -1.0, 5.0], 1.0),
        ("negative_outliers", &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
         &[-1.0, -3.0, -5.5, 40.0, -9.0, -11.0, -60.0, -15.0], -2.0),
    ];

    #[test]
    fn matches_scipy_small() {
        for (name, x, y, want) in SMALL {
            assert_eq!(slope(x, y), Some(want), "{name}");
        }
    }

    #[test]
    fn matches_scipy_generated() {
        let noise = lcg_noise(50, 7);
        let unix_y: Vec<f64> = (0..50)
            .map(|i| 100.0 + 0.02 * f64::from(i) + noise[i as usize])
            .collect();
        assert_eq!(
            slope(&times(50, 60.0), &unix_y),
            Some(0.00031795131079045784)
        );
        // Exact path at n = 1000: bit-identical to scipy.
        assert_eq!(
            slope(&times(1000, 15.0), &wave(1000, 0.1, 0.001)),
            Some(6.220146021003673e-05)
        );
        // Bisection path at n = 3000.
        let got = slope(&times(3000, 10.0), &wave(3000, 0.01, 0.0002)).unwrap_or(f64::NAN);
        assert!(
            close(got, 1.4115949715057932e-05, 1e-9),
            "bisection_3000: {got:e}"
        );
    }

    #[test]
    fn no_slope() {
        assert_eq!(slope(&[], &[]), None);
        assert_eq!(slope(&[1.0], &[1.0]), None);
        assert_eq!(
            slope(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]),
            None,
            "all x equal"
        );
        assert_eq!(slope(&[1.0, 2.0], &[1.0]), None, "not parallel");
        assert_eq!(slope(&[1.0, 2.0], &[1.0, f64::INFINITY]), None);
        let x: Vec<f64> = vec![5.0; 2500];
        assert_eq!(slope_bisection(&x, &wave(2500, 0.1, 0.0)), None);
    }

    /// Both paths on the same n = 1,500 random data: continuous, tied values, tied times.
    #[test]
    fn bisection_matches_exact() {
        let n = 1_500;
        let x_cont: Vec<f64> = lcg_noise(n, 1)
            .iter()
            .map(|v| 1.7e9 + 86_400.0 * (v + 0.5))
            .collect();
        let mut x_tied: Vec<f64> = (0..n).map(|i| 1.7e9 + 60.0 * (i / 3) as f64).collect();
        x_tied.reverse(); // unsorted input is fine
        let y_cont: Vec<f64> = lcg_noise(n, 2)
            .iter()
            .enumerate()
            .map(|(i, v)| v * 50.0 + i as f64 * 0.01)
            .collect();
        let y_ints: Vec<f64> = lcg_noise(n, 3).iter().map(|v| (v * 6.0).round()).collect();
        let y_odd: Vec<f64> = y_cont[..n - 1].to_vec();
        let cases: [(&str, &[f64], &[f64]); 5] = [
            ("continuous", &x_cont, &y_cont),
            ("integer values", &x_cont, &y_ints),
            ("tied times", &x_tied, &y_cont),
            ("tied both", &x_tied, &y_ints),
            ("odd n", &x_cont[..n - 1], &y_odd),
        ];
        for (name, x, y) in cases {
            let exact = slope_exact(x, y).unwrap_or(f64::NAN);
            let bisect = slope_bisection(x, y).unwrap_or(f64::NAN);
            let ok = close(bisect, exact, 1e-10) || (exact == 0.0 && bisect.abs() < 1e-300);
            assert!(ok, "{name}: exact {exact:e}, bisection {bisect:e}");
        }
    }

    #[test]
    fn bisection_finds_an_exact_zero() {
        // Mostly-constant integer data: the median slope is exactly 0.
        let n = 2_500;
        let x: Vec<f64> = (0..n).map(f64::from).collect();
        let y: Vec<f64> = (0..n)
            .map(|i| if i % 97 == 0 { 5.0 } else { 1.0 })
            .collect();
        assert_eq!(slope(&x, &y), Some(0.0));
    }

    #[test]
    fn key_order() {
        let vals = [
            f64::MIN,
            -1.0,
            -f64::MIN_POSITIVE,
            -0.0,
            0.0,
            5e-324,
            1.0,
            f64::MAX,
        ];
        for w in vals.windows(2) {
            assert!(key(w[0]) < key(w[1]), "{} {}", w[0], w[1]);
            assert_eq!(from_key(key(w[0])).to_bits(), w[0].to_bits());
        }
    }

    /// `cargo test --release -p rollgate-engine theil_86400 -- --ignored --nocapture`
    #[test]
    #[ignore = "timing, run in release"]
    #[allow(clippy::print_stdout)] // a timing report is this test's output
    fn theil_86400_timing() {
        let (x, y) = (times(86_400, 1.0), wave(86_400, 0.001, 0.00001));
        let started = std::time::Instant::now();
        let result = slope(&x, &y);
        println!(
            "Theil-Sen on 86,400 values: {:?} ({result:?})",
            started.elapsed()
        );
        assert!(result.is_some());
    }
}
