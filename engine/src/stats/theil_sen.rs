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
//! * Above that, the n^2 slopes are never all materialised (slope selection). The number of
//!   pairs with slope `< s` is the number of inversions of `z_i = y_i - s * x_i` taken in `x`
//!   order (for `x_i < x_j`, slope < s exactly when `z_j < z_i`), counted by merge sort in
//!   O(n log n). Bisection on `s` (over the bit patterns of f64, so brackets spanning zero or
//!   many magnitudes converge in at most 64 steps) narrows an interval `[lo, hi)` holding the
//!   middle slope(s) until it holds at most `4 n` slopes. Those are then listed (the
//!   inversions of `z(hi)` in `z(lo)` order, O(n log n + 4n)), computed with scipy's own
//!   formula, and the middle one selected: the result is scipy's, bit for bit, not an
//!   approximation to a tolerance. The one exception is a tie mass of more than `4 n` equal
//!   slopes at the median (quantised data): the bisection then runs until `lo` and `hi` are
//!   adjacent floats and reports `lo`, the exact slope or within one ulp of it (scipy's
//!   rounding of the same rational). A result below 2.2e-308 in magnitude is reported as 0.
//!
//!   `z` is computed in double-double arithmetic (exact product, difference to ~2^-106
//!   relative), so unix-second timestamps need no centring and every count is exact except
//!   for slopes within ~1e-30 relative of the probe `s`. In f64, `y_i - s x_i` would tie
//!   whenever `s (x_j - x_i)` is below an ulp of `y`, miscounting exactly the equal-valued
//!   pairs whose median slope is 0. Cost: typically 20 to 30 steps of O(n log n) (~0.1 s
//!   for 86,400 samples in a release build); a few n-sized buffers, no n^2 memory. Inputs
//!   whose slopes approach 1e290 are outside the supported range (the exact products
//!   overflow).

use super::inversions::{sort_counting_inversions, sort_reporting_inversions};

/// Largest input the exact O(n^2) path takes.
pub const EXACT_MAX: usize = 2_000;
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
    let mut pairs = Pairs::new(x, y);
    let total = pairs.count;
    if total == 0 {
        return None;
    }
    let (ymin, ymax) = y
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    // Every slope lies in [-bound, bound]; twice that brackets them all with room to spare.
    let bound = (ymax - ymin) / pairs.min_gap;
    if bound == 0.0 {
        return Some(0.0);
    }
    let outer = (2.0 * bound).min(f64::MAX);
    let limit = 4 * x.len() as u64;

    // Order statistics (0-based) of the median: one, or the two middle ones.
    let (k_low, k_high) = ((total - 1) / 2, total / 2);
    let mut low = Bracket {
        lo: -outer,
        hi: outer,
        n_lo: 0,
        n_hi: total,
    };
    let mut high = low;
    narrow(
        &mut pairs,
        k_low,
        &mut low,
        Some((k_high, &mut high)),
        limit,
    );
    let a = select_in(&pairs, &low, k_low, limit);
    if k_low == k_high {
        return Some(a);
    }
    let b = if low.n_hi > k_high {
        select_in(&pairs, &low, k_high, limit)
    } else {
        // The upper middle is >= the lower one, so low's lower end bounds it too.
        if low.lo > high.lo {
            (high.lo, high.n_lo) = (low.lo, low.n_lo);
        }
        narrow(&mut pairs, k_high, &mut high, None, limit);
        select_in(&pairs, &high, k_high, limit)
    };
    Some((a + b) / 2.0)
}

/// An interval of slopes `[lo, hi)` with the number of slopes below each end. For the order
/// statistic `k` it is after: `n_lo <= k < n_hi`.
#[derive(Debug, Clone, Copy)]
struct Bracket {
    lo: f64,
    hi: f64,
    n_lo: u64,
    n_hi: u64,
}

/// Bisects `b` (and, with the same counts, `also`) until it holds at most `limit` slopes or
/// its ends are adjacent floats (a tie mass wider than `limit`).
fn narrow(
    pairs: &mut Pairs,
    k: u64,
    b: &mut Bracket,
    mut also: Option<(u64, &mut Bracket)>,
    limit: u64,
) {
    for _ in 0..MAX_STEPS {
        if b.n_hi - b.n_lo <= limit {
            return;
        }
        let Some(mid) = bisect(b.lo, b.hi) else {
            return;
        };
        let below = pairs.count_below(mid);
        if below <= k {
            (b.lo, b.n_lo) = (mid, below);
        } else {
            (b.hi, b.n_hi) = (mid, below);
        }
        if let Some((k2, b2)) = also.as_mut() {
            if below <= *k2 && mid > b2.lo {
                (b2.lo, b2.n_lo) = (mid, below);
            } else if below > *k2 && mid < b2.hi {
                (b2.hi, b2.n_hi) = (mid, below);
            }
        }
    }
}

/// The k-th smallest slope, from a narrowed bracket: exactly, by listing the bracket's slopes,
/// when it holds at most `limit`; else (a tie mass) the bracket's estimate.
fn select_in(pairs: &Pairs, b: &Bracket, k: u64, limit: u64) -> f64 {
    if b.n_hi - b.n_lo <= limit {
        let mut slopes = pairs.slopes_between(b.lo, b.hi);
        // The listing and the counts come from the same comparisons, so they agree; should
        // they not (a slope within ~1e-30 of an end), fall back rather than guess.
        if slopes.len() as u64 == b.n_hi - b.n_lo {
            let rank = (k - b.n_lo) as usize;
            return *slopes.select_nth_unstable_by(rank, f64::total_cmp).1;
        }
    }
    estimate(b.lo, b.hi)
}

/// The samples in `x` order (ties by `y`, so a pair with equal `x` is never an inversion),
/// with the buffers the counting reuses.
struct Pairs {
    /// `(x, hi, lo)`: `x` and its Dekker halves, for exact products.
    x: Vec<(f64, f64, f64)>,
    y: Vec<f64>,
    z: Vec<(f64, f64)>,
    scratch: Vec<(f64, f64)>,
    /// Pairs with distinct `x`: the number of slopes.
    count: u64,
    /// Smallest gap between distinct `x`.
    min_gap: f64,
}

impl Pairs {
    fn new(x: &[f64], y: &[f64]) -> Self {
        let n = x.len();
        // `x + 0.0` folds -0.0 into 0.0 so equal times group together.
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
        Pairs {
            x: points
                .iter()
                .map(|p| (p.0, split(p.0).0, split(p.0).1))
                .collect(),
            y: points.iter().map(|p| p.1).collect(),
            z: vec![(0.0, 0.0); n],
            scratch: vec![(0.0, 0.0); n],
            count: n64 * (n64 - 1) / 2 - tied,
            min_gap,
        }
    }

    /// `z_i(s) = y_i - s x_i` for every sample, into `out`.
    fn fill_z<T>(&self, s: f64, out: &mut [T], make: impl Fn((f64, f64), usize) -> T) {
        let (s_hi, s_lo) = split(s);
        for (i, (slot, (&(xv, x_hi, x_lo), &yv))) in
            out.iter_mut().zip(self.x.iter().zip(&self.y)).enumerate()
        {
            *slot = make(y_minus_sx(yv, s, s_hi, s_lo, xv, x_hi, x_lo), i);
        }
    }

    /// The number of pairs with slope `< s`: inversions of `z(s)` in `x` order.
    fn count_below(&mut self, s: f64) -> u64 {
        let mut z = std::mem::take(&mut self.z);
        self.fill_z(s, &mut z, |zi, _| zi);
        let count = sort_counting_inversions(&mut z, &mut self.scratch);
        self.z = z;
        count
    }

    /// The slopes in `[lo, hi)`, each computed as scipy does. In the order of `z(lo)` (ties by
    /// `x` order), a pair precedes in `x` order exactly when its slope is `>= lo`; it is
    /// then an inversion of `z(hi)` exactly when its slope is also `< hi`.
    fn slopes_between(&self, lo: f64, hi: f64) -> Vec<f64> {
        let n = self.y.len();
        let origin = Tagged {
            z: (0.0, 0.0),
            index: 0,
        };
        let mut order = vec![origin; n];
        self.fill_z(lo, &mut order, |z, index| Tagged { z, index });
        // Stable: equal z(lo) keep x order.
        order.sort_by(|a, b| a.z.0.total_cmp(&b.z.0).then(a.z.1.total_cmp(&b.z.1)));
        let mut at_hi = vec![origin; n];
        self.fill_z(hi, &mut at_hi, |z, index| Tagged { z, index });
        let mut seq: Vec<Tagged> = order.iter().map(|t| at_hi[t.index]).collect();
        let mut slopes = Vec::new();
        sort_reporting_inversions(&mut seq, &mut at_hi, |earlier, later| {
            for e in earlier {
                let (a, b) = (e.index, later.index);
                let (xa, xb) = (self.x[a].0, self.x[b].0);
                if xb > xa {
                    slopes.push((self.y[b] - self.y[a]) / (xb - xa));
                } else if xa > xb {
                    slopes.push((self.y[a] - self.y[b]) / (xa - xb));
                }
            }
        });
        slopes
    }
}

/// A double-double `z` with the sample it belongs to; ordered by `z` alone, so samples with
/// equal `z` are ties (never inversions), whatever their index.
#[derive(Debug, Clone, Copy)]
struct Tagged {
    z: (f64, f64),
    index: usize,
}

impl PartialEq for Tagged {
    fn eq(&self, other: &Self) -> bool {
        self.z == other.z
    }
}

impl PartialOrd for Tagged {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.z.partial_cmp(&other.z)
    }
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
/// order of their exact values; `+ 0.0` removes negative zeros, so `total_cmp` agrees with it.
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
    (hi + 0.0, (lo - (hi - t)) + 0.0)
}

/// f64 -> i64 preserving order (negative floats have their magnitude bits flipped).
fn key(v: f64) -> i64 {
    let bits = v.to_bits() as i64;
    if bits < 0 { bits ^ i64::MAX } else { bits }
}

fn from_key(k: i64) -> f64 {
    f64::from_bits((if k < 0 { k ^ i64::MAX } else { k }) as u64)
}

/// The midpoint of `[lo, hi]` in bit-pattern order, or `None` when the ends are adjacent.
fn bisect(lo: f64, hi: f64) -> Option<f64> {
    let (a, b) = (i128::from(key(lo)), i128::from(key(hi)));
    let mid = (a + b).div_euclid(2);
    (mid != a && mid != b).then(|| from_key(mid as i64))
}

/// The value reported for a bracket whose slopes were not listed: its lower end when the ends
/// are adjacent floats (a tie mass: the slope is `lo`, or within an ulp), else the midpoint
/// (only if the listing disagreed with the counts, or the step limit was hit). Subnormal
/// results are flushed to 0: below 2.2e-308 per second the products `s * x` underflow and
/// lose the precision the comparisons need, and such a slope is zero for every purpose.
fn estimate(lo: f64, hi: f64) -> f64 {
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
        // Slope-selection path at n = 3000: scipy's value, bit for bit.
        let got = slope(&times(3000, 10.0), &wave(3000, 0.01, 0.0002));
        assert_eq!(got, Some(1.4115949715057932e-05), "bisection_3000");
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
            let exact = slope_exact(x, y);
            assert!(exact.is_some(), "{name}");
            assert_eq!(slope_bisection(x, y), exact, "{name}");
        }
    }

    #[test]
    fn bisection_on_a_tie_mass() {
        // y = floor(i / 3): the pairs three apart (and their multiples) all have slope 1/3,
        // far more than the listing limit, and the median is one of them.
        let n = 1_800;
        let x: Vec<f64> = (0..n).map(f64::from).collect();
        let y: Vec<f64> = (0..n).map(|i| f64::from(i / 3)).collect();
        let exact = slope_exact(&x, &y).unwrap_or(f64::NAN);
        assert_eq!(exact, 1.0 / 3.0);
        let bisect = slope_bisection(&x, &y).unwrap_or(f64::NAN);
        assert!((bisect - exact).abs() <= f64::EPSILON * exact, "{bisect:e}");
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
    #[allow(clippy::disallowed_methods)] // a timing test reads the clock; nothing it times is evaluated
    fn theil_86400_timing() {
        for n in [EXACT_MAX as u32, 86_400] {
            let (x, y) = (times(n, 1.0), wave(n, 0.001, 0.00001));
            let mut best = std::time::Duration::MAX;
            let mut result = None;
            for _ in 0..5 {
                let started = std::time::Instant::now();
                result = slope(&x, &y);
                best = best.min(started.elapsed());
            }
            println!("Theil-Sen on {n} values: best of 5 {best:?} ({result:?})");
            assert!(result.is_some());
        }
    }
}
