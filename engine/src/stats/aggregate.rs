//! Reducing a series to one number: the `aggregate` of a threshold gate (policy-v1 "Threshold").
//!
//! The caller has already dropped NaN samples; `times` are ascending unix seconds, parallel to
//! `values`. Results follow numpy (`np.sum`, `np.mean`, `np.std` with ddof=0,
//! `np.percentile` with the default 'linear' method) and Prometheus (`increase`, `rate`).
//!
//! # Infinities
//!
//! `±inf` samples are legal (a quantile estimate can be `+Inf`). Where the numpy arithmetic
//! gives a number, so do we: `max` of a series with `+inf` is `+inf`, `avg` is `+inf`, and so
//! on. Where numpy gives NaN because of an `inf - inf` the question still has an answer, we
//! give the answer instead: numpy's linear interpolation computes `a + (b - a) * t`, which is
//! NaN whenever a neighbour is infinite, even for `t = 0` (`np.percentile([1, 2, inf], 50)` is
//! NaN, not 2). Here a percentile that lands exactly on a rank returns that sample, two equal
//! neighbours (`inf`, `inf`) return that value, and a finite/infinite pair with `0 < t < 1`
//! returns the infinite one (the limit of the interpolation). Results that are genuinely
//! undefined are `None`, never `Some(NaN)`, because a NaN would compare false against every
//! bound and silently pass or fail a gate: `sum`/`avg` of both `+inf` and `-inf`, `stddev` of
//! a series holding an infinity (numpy: NaN), an interpolation between `-inf` and `+inf`, and
//! `increase`/`rate` whose arithmetic meets `inf - inf`.

use crate::policy::model::Aggregate;

/// Applies `agg` to a series. `None` when there is nothing to aggregate (no samples; `rate`
/// with fewer than two samples, a zero time span, or `times` not parallel to `values`), when
/// a percentile is outside [0, 100], or when the result is undefined (see the module docs).
///
/// Allocates only for percentiles (one scratch copy, selected in O(n) average).
pub fn apply(agg: Aggregate, times: &[f64], values: &[f64]) -> Option<f64> {
    let (&first, &last) = (values.first()?, values.last()?);
    let n = values.len();
    let out = match agg {
        Aggregate::Last => last,
        Aggregate::First => first,
        Aggregate::Min => extreme::<false>(values),
        Aggregate::Max => extreme::<true>(values),
        Aggregate::Avg => sum(values) / n as f64,
        Aggregate::Sum => sum(values),
        Aggregate::Count => n as f64,
        Aggregate::Stddev => stddev(values),
        Aggregate::Increase => increase(values),
        Aggregate::Rate => {
            if n < 2 || times.len() != n {
                return None;
            }
            let span = times[n - 1] - times[0];
            if span.is_nan() || span <= 0.0 {
                return None;
            }
            increase(values) / span
        }
        Aggregate::Percentile(q) => percentile(&mut values.to_vec(), q)?,
    };
    (!out.is_nan()).then_some(out)
}

/// The largest (`LARGEST`) or smallest value, NaN ignored: the same number as
/// `values.iter().fold(-inf, f64::max)` (`fold(inf, f64::min)`), about five times faster. A
/// left fold is one long dependency chain; here eight running extremes are kept, updated by a
/// comparison (which the compiler turns into vector instructions; NaN compares false, so it
/// is skipped, as `f64::max` skips it) and combined at the end. The extreme of a set does not
/// depend on the order it is read in, except for the sign of a zero (`f64::max(-0.0, 0.0)`
/// may be either), so a zero result is recomputed by the fold.
fn extreme<const LARGEST: bool>(values: &[f64]) -> f64 {
    const LANES: usize = 8;
    let (init, pick): (f64, fn(f64, f64) -> f64) = if LARGEST {
        (f64::NEG_INFINITY, f64::max)
    } else {
        (f64::INFINITY, f64::min)
    };
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    let mut acc = [init; LANES];
    for chunk in chunks {
        for (a, &v) in acc.iter_mut().zip(chunk) {
            if (LARGEST && v > *a) || (!LARGEST && v < *a) {
                *a = v;
            }
        }
    }
    let out = rest
        .iter()
        .copied()
        .fold(acc.into_iter().fold(init, pick), pick);
    if out == 0.0 {
        return values.iter().copied().fold(init, pick);
    }
    out
}

/// The `q`-th percentile (q in [0, 100]) as `numpy.percentile(values, q)` with the default
/// 'linear' method: the virtual index `(n - 1) * (q / 100)` interpolated between the two
/// closest ranks, with numpy's exact formula (`a + (b - a) * t`, or `b - (b - a) * (1 - t)`
/// for `t >= 0.5`) so finite results agree to the last bit. Infinities: see the module docs.
///
/// Reorders `values` (it is scratch): one `select_nth_unstable` plus a linear scan for the
/// next rank, O(n) on average. `None` when `values` is empty, holds NaN, or `q` is outside
/// [0, 100] (numpy raises for the last two).
pub fn percentile(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() || !(0.0..=100.0).contains(&q) || values.iter().any(|v| v.is_nan()) {
        return None;
    }
    let n = values.len();
    let index = (n - 1) as f64 * (q / 100.0);
    let below = index.floor();
    let t = index - below;
    // `index` is in [0, n - 1], so the cast is exact and in range.
    let lo = below as usize;
    if lo >= n - 1 {
        return Some(values.iter().copied().fold(f64::NEG_INFINITY, f64::max));
    }
    let (_, &mut a, above) = values.select_nth_unstable_by(lo, f64::total_cmp);
    if t == 0.0 {
        return Some(a);
    }
    // Everything after the selected rank is >= it, so the next rank is their minimum.
    let b = above.iter().copied().fold(f64::INFINITY, f64::min);
    let out = lerp(a, b, t);
    (!out.is_nan()).then_some(out)
}

/// numpy's `_lerp` for `a <= b`, `0 < t < 1`, with the infinite cases made exact (module
/// docs) and an overflowing `b - a` between finite samples avoided.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    if a == b {
        return a;
    }
    if a.is_infinite() || b.is_infinite() {
        return match (a.is_infinite(), b.is_infinite()) {
            (true, true) => f64::NAN, // -inf .. +inf
            (true, false) => a,
            _ => b,
        };
    }
    let diff = b - a;
    if !diff.is_finite() {
        return a * (1.0 - t) + b * t;
    }
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// Neumaier-compensated sum: error independent of n (numpy's pairwise sum grows as log n),
/// so the result barely depends on the order of the samples. Measured on random series with
/// heavy cancellation: within 2.2e-16 of the exact sum, where `np.sum` was off by 1.5e-14. With an infinite sample the
/// compensation term turns NaN; the plain running sum then carries numpy's answer
/// (`inf`, or NaN for `inf + -inf`).
fn sum(values: &[f64]) -> f64 {
    sum_of(values.iter().copied())
}

/// `sum` over any sequence (stddev sums scaled samples without copying them).
fn sum_of(values: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut c) = (0.0_f64, 0.0_f64);
    for v in values {
        let t = s + v;
        c += if s.abs() >= v.abs() {
            (s - t) + v
        } else {
            (v - t) + s
        };
        s = t;
    }
    let total = s + c;
    if total.is_finite() { total } else { s }
}

/// Population standard deviation (ddof = 0, as `np.std`'s default) by the corrected
/// two-pass algorithm: deviations from the compensated mean, plus the `(sum of
/// deviations)^2 / n` term that cancels the mean's own rounding error. Stable where the
/// one-pass `E[x^2] - E[x]^2` would cancel.
///
/// The samples are first scaled by a power of two (exact) so that the largest magnitude is
/// about 1: squares of deviations near 1e155 would overflow to inf, and those near 1e-300
/// would underflow to 0, though the standard deviation itself is representable. The result
/// is scaled back. NaN (so `None`) when a sample is infinite, as numpy.
fn stddev(values: &[f64]) -> f64 {
    if values.iter().any(|v| !v.is_finite()) {
        return f64::NAN;
    }
    let peak = values.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    if peak == 0.0 {
        return 0.0;
    }
    // peak = m x 2^k with m in [0.5, 1) or so; log2 of a finite positive number is finite.
    let k = peak.log2().floor() as i32 + 1;
    // One multiplication per sample, except at the very ends of the range.
    let factor = (k.abs() <= 1000).then(|| 2f64.powi(-k));
    let scaled = || {
        values
            .iter()
            .map(move |v| factor.map_or_else(|| ldexp(*v, -k), |f| v * f))
    };
    let n = values.len() as f64;
    let mean = sum_of(scaled()) / n;
    let (mut sq, mut sq_c, mut dev) = (0.0_f64, 0.0_f64, 0.0_f64);
    for v in scaled() {
        let d = v - mean;
        dev += d;
        let d2 = d * d;
        let t = sq + d2;
        sq_c += if sq >= d2 {
            (sq - t) + d2
        } else {
            (d2 - t) + sq
        };
        sq = t;
    }
    let var = ((sq + sq_c) - dev * dev / n) / n;
    ldexp(var.max(0.0).sqrt(), k)
}

/// `x x 2^k`, exact unless the result overflows or is subnormal, for any k a scale in
/// `stddev` needs (|k| up to 1075, beyond what one `powi(2.0, k)` can represent).
fn ldexp(mut x: f64, mut k: i32) -> f64 {
    const STEP: i32 = 1000;
    while k > STEP {
        x *= 2f64.powi(STEP);
        k -= STEP;
    }
    while k < -STEP {
        x *= 2f64.powi(-STEP);
        k += STEP;
    }
    x * 2f64.powi(k)
}

/// `last - first`, with each counter reset (a sample below its predecessor) adding the
/// predecessor back, as Prometheus' `increase` does before extrapolation (rollgate does not
/// extrapolate to the window edges).
pub(crate) fn increase(values: &[f64]) -> f64 {
    let (Some(&first), Some(&last)) = (values.first(), values.last()) else {
        return f64::NAN;
    };
    let mut inc = last - first;
    for pair in values.windows(2) {
        if pair[1] < pair[0] {
            inc += pair[0];
        }
    }
    inc
}

#[cfg(test)]
mod tests {
    use super::*;

    const PCTS: [f64; 9] = [0.0, 25.0, 50.0, 90.0, 95.0, 99.0, 99.9, 100.0, 33.3];

    /// Aggregates in the order of the reference rows.
    fn all_aggregates() -> Vec<Aggregate> {
        let mut aggs = vec![
            Aggregate::Last,
            Aggregate::First,
            Aggregate::Min,
            Aggregate::Max,
            Aggregate::Avg,
            Aggregate::Sum,
            Aggregate::Count,
            Aggregate::Stddev,
        ];
        aggs.extend(PCTS.iter().map(|&q| Aggregate::Percentile(q)));
        aggs.extend([Aggregate::Increase, Aggregate::Rate]);
        aggs
    }

    /// The "large" case: times 1.7e9 + 15 i, values sin(0.1 i) + 0.001 i, i < 1000.
    fn large() -> (Vec<f64>, Vec<f64>) {
        let times = (0..1000).map(|i| 1.7e9 + 15.0 * f64::from(i)).collect();
        let values = (0..1000)
            .map(|i| (f64::from(i) * 0.1).sin() + f64::from(i) * 0.001)
            .collect();
        (times, values)
    }

    /// A reference case: name, times, values, expected aggregates.
    type Row = (&'static str, Vec<f64>, Vec<f64>, [f64; 19]);

    /// numpy 2.4.6 / Prometheus formula, from scripts/stats_reference.py. Row order: last,
    /// first, min, max, avg, sum, count, stddev, p0, p25, p50, p90, p95, p99, p99.9, p100,
    /// p33.3, increase, rate (NaN: no rate).
    #[rustfmt::skip]
    #[allow(clippy::approx_constant)] // numpy's output, which happens to be sqrt(2)
    fn reference() -> Vec<Row> {
        let (lt, lv) = large();
        vec![
            ("one", vec![100.0], vec![42.5],
             [42.5, 42.5, 42.5, 42.5, 42.5, 42.5, 1.0, 0.0, 42.5, 42.5, 42.5, 42.5, 42.5, 42.5, 42.5, 42.5, 42.5, 0.0, f64::NAN]),
            ("two", vec![0.0, 30.0], vec![3.0, -1.5],
             [-1.5, 3.0, -1.5, 3.0, 0.75, 1.5, 2.0, 2.25, -1.5, -0.375, 0.75, 2.5500000000000003, 2.775, 2.955, 2.9955000000000007, 3.0, -0.0015000000000000568, -1.5, -0.05]),
            ("all_equal", vec![0.0, 1.0, 2.0, 3.0], vec![7.0; 4],
             [7.0, 7.0, 7.0, 7.0, 7.0, 28.0, 4.0, 0.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 0.0, 0.0]),
            ("negative", vec![10.0, 20.0, 30.0, 40.0, 50.0], vec![-5.5, -1.0, -3.25, -10.0, -0.5],
             [-0.5, -5.5, -10.0, -0.5, -4.05, -20.25, 5.0, 3.4655446902326914, -10.0, -5.5, -3.25, -0.7, -0.6000000000000001, -0.52, -0.5019999999999998, -0.5, -4.753, 0.75, 0.01875]),
            ("counter_resets", vec![0.0, 15.0, 30.0, 45.0, 60.0, 75.0, 90.0], vec![10.0, 20.0, 35.0, 5.0, 15.0, 3.0, 8.0],
             [8.0, 10.0, 3.0, 35.0, 13.714285714285714, 96.0, 7.0, 10.222025039999037, 3.0, 6.5, 10.0, 26.000000000000007, 30.49999999999999, 34.099999999999994, 34.91000000000001, 35.0, 7.994, 48.0, 0.5333333333333333]),
            ("five_boundary", vec![1.0, 2.0, 3.0, 4.0, 5.0], vec![1.0, 2.0, 3.0, 4.0, 5.0],
             [5.0, 1.0, 1.0, 5.0, 3.0, 15.0, 5.0, 1.4142135623730951, 1.0, 2.0, 3.0, 4.6, 4.8, 4.96, 4.996, 5.0, 2.332, 4.0, 1.0]),
            ("large", lt, lv,
             [0.40907583868259734, 0.0, -0.9529232575641008, 1.9578274722901328, 0.5011288465636777, 501.1288465636777, 1000.0, 0.7529436512631892, -0.9529232575641008, -0.12318395374115415, 0.4952080885645995, 1.5170076408766837, 1.6892836340062105, 1.8849015489352454, 1.9556890324238931, 1.9578274722901328, 0.04494101927229948, 267.8329779328687, 0.017873405267458703]),
        ]
    }

    #[test]
    fn matches_numpy_and_prometheus() {
        for (name, times, values, want) in reference() {
            for (agg, want) in all_aggregates().into_iter().zip(want) {
                let got = apply(agg, &times, &values);
                if want.is_nan() {
                    assert_eq!(got, None, "{name} {agg:?}");
                    continue;
                }
                let got = got.unwrap_or_else(|| panic!("{name} {agg:?}: None"));
                // Percentiles, min/max/first/last/count, increase and rate use numpy's exact
                // arithmetic; sums differ from numpy's pairwise summation in the last bits.
                let tol = match agg {
                    Aggregate::Avg | Aggregate::Sum | Aggregate::Stddev => 1e-13,
                    _ => 0.0,
                };
                let ok = got == want || (got - want).abs() <= tol * want.abs();
                assert!(ok, "{name} {agg:?}: got {got:e}, numpy {want:e}");
            }
        }
    }

    #[test]
    fn nothing_to_aggregate() {
        for agg in all_aggregates() {
            assert_eq!(apply(agg, &[], &[]), None, "{agg:?}");
        }
        assert_eq!(apply(Aggregate::Rate, &[5.0], &[1.0]), None);
        assert_eq!(
            apply(Aggregate::Rate, &[5.0, 5.0], &[1.0, 2.0]),
            None,
            "zero span"
        );
        assert_eq!(
            apply(Aggregate::Rate, &[5.0], &[1.0, 2.0]),
            None,
            "not parallel"
        );
        assert_eq!(apply(Aggregate::Increase, &[5.0], &[4.0]), Some(0.0));
        assert_eq!(apply(Aggregate::Percentile(100.5), &[1.0], &[1.0]), None);
        assert_eq!(apply(Aggregate::Percentile(-1.0), &[1.0], &[1.0]), None);
        assert_eq!(percentile(&mut [1.0, f64::NAN], 50.0), None);
        assert_eq!(percentile(&mut [], 50.0), None);
    }

    #[test]
    fn infinities() {
        let inf = f64::INFINITY;
        let t = [0.0, 1.0, 2.0];
        let v = [1.0, 2.0, inf];
        assert_eq!(apply(Aggregate::Max, &t, &v), Some(inf));
        assert_eq!(apply(Aggregate::Min, &t, &v), Some(1.0));
        assert_eq!(apply(Aggregate::Avg, &t, &v), Some(inf));
        assert_eq!(apply(Aggregate::Sum, &t, &v), Some(inf));
        assert_eq!(apply(Aggregate::Stddev, &t, &v), None, "numpy: nan");
        // numpy says NaN for all three; the answers are 2 (exact rank), inf (limit), inf.
        assert_eq!(apply(Aggregate::Percentile(50.0), &t, &v), Some(2.0));
        assert_eq!(apply(Aggregate::Percentile(75.0), &t, &v), Some(inf));
        assert_eq!(apply(Aggregate::Percentile(100.0), &t, &v), Some(inf));
        let both = [-inf, 0.0, inf];
        assert_eq!(apply(Aggregate::Sum, &t, &both), None);
        assert_eq!(apply(Aggregate::Percentile(25.0), &t, &both), Some(-inf));
        assert_eq!(apply(Aggregate::Percentile(0.0), &t, &both), Some(-inf));
        assert_eq!(percentile(&mut [-inf, inf], 50.0), None);
        assert_eq!(percentile(&mut [inf, inf], 50.0), Some(inf));
        // Finite samples whose difference overflows still interpolate.
        assert_eq!(percentile(&mut [-f64::MAX, f64::MAX], 50.0), Some(0.0));
    }

    #[test]
    fn min_and_max_equal_the_left_fold() {
        let (_, large) = large();
        let inf = f64::INFINITY;
        let mut cases: Vec<Vec<f64>> = vec![
            vec![],
            vec![f64::NAN; 11],
            vec![-0.0, 0.0, -0.0, 0.0, -0.0, 0.0, -0.0, 0.0, -0.0],
            vec![0.0; 17],
            vec![-inf; 9],
            vec![-5.0, -0.0, -3.0, -1.0, -2.0, -4.0, -6.0, -7.0, -0.0, 0.0],
            vec![
                -inf,
                f64::NAN,
                -inf,
                3.0,
                inf,
                -2.5,
                f64::NAN,
                1.0,
                0.5,
                -0.0,
            ],
            large.clone(),
            large.iter().map(|v| -v).collect(),
        ];
        for n in 0..20 {
            cases.push((0..n).map(|i| ((i * 7) % 11) as f64 - 5.0).collect());
            cases.push(
                (0..n)
                    .map(|i| if i % 3 == 0 { f64::NAN } else { -(i as f64) })
                    .collect(),
            );
        }
        for v in &cases {
            let min = v.iter().copied().fold(f64::INFINITY, f64::min);
            let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(extreme::<false>(v).to_bits(), min.to_bits(), "{v:?}");
            assert_eq!(extreme::<true>(v).to_bits(), max.to_bits(), "{v:?}");
        }
    }

    #[test]
    fn stddev_is_stable_far_from_zero() {
        // One-pass E[x^2] - E[x]^2 returns garbage here; the exact answer is sqrt(2/3).
        let v = [1e9 + 1.0, 1e9 + 2.0, 1e9 + 3.0];
        let got = apply(Aggregate::Stddev, &[0.0, 1.0, 2.0], &v).unwrap_or(f64::NAN);
        assert!((got - (2.0_f64 / 3.0).sqrt()).abs() < 1e-12, "{got}");
    }

    /// (name, samples, np.std(x * 2^-k) * 2^k, statistics.pstdev(x)), from
    /// scripts/stats_reference.py: numpy's own answer without its overflow (np.std([1e155,
    /// 3e155]) is inf: the squares overflow) or underflow, and the exact one.
    #[rustfmt::skip]
    fn extreme_stddev() -> Vec<(&'static str, Vec<f64>, f64, f64)> {
        vec![
            ("e155", vec![1e155, 3e155], 1.0000000000000001e+155, 1.0000000000000001e+155),
            ("e300_tiny", vec![1e-300, 3e-300, 2e-300], 8.164965809277262e-301, 8.164965809277262e-301),
            ("subnormal", vec![1e-320, 3e-320, 2e-320, 5e-321], 9.6e-321, 9.6e-321),
            ("near_max_mixed", vec![1.5e308, -1.5e308, 1e308], 1.3123346456686353e+308, 1.3123346456686351e+308),
            ("max_twice", vec![f64::MAX, f64::MAX], 0.0, 0.0),
            ("mixed_e150", vec![-1e150, 1e150, 3e150, -2e150], 1.920286436967152e+150, 1.920286436967152e+150),
            ("offset_1e9", (0..10).map(|i| 1e9 + 0.001 * f64::from(i).sin()).collect(), 0.0006575166485062809, 0.0006575166483982163),
            ("offset_1e15", vec![1e15 + 0.5, 1e15 + 1.5, 1e15 + 2.5, 1e15 - 0.5], 1.118033988749895, 1.118033988749895),
            ("wide_range", vec![1e-300, 1e300, -1e300, 0.0], 7.071067811865476e+299, 7.071067811865476e+299),
            ("e200_noise", (0..6).map(|i| 1e200 * (1.0 + 1e-10 * f64::from(i))).collect(), 1.707825461692315e+190, 1.7078254616921037e+190),
        ]
    }

    #[test]
    fn stddev_matches_numpy_at_the_edges_of_the_range() {
        for (name, values, numpy, exact) in extreme_stddev() {
            let times: Vec<f64> = (0..values.len()).map(|i| i as f64).collect();
            let got =
                apply(Aggregate::Stddev, &times, &values).unwrap_or_else(|| panic!("{name}: None"));
            // Within 4 ulps of the exact answer; numpy's plain two-pass is within 1e-9 of it
            // (it loses digits to a large offset), and so are we of numpy.
            let close = |want: f64, tol: f64| got == want || (got - want).abs() <= tol * want.abs();
            assert!(close(exact, 1e-15), "{name}: got {got:e}, exact {exact:e}");
            assert!(close(numpy, 1e-9), "{name}: got {got:e}, numpy {numpy:e}");
        }
    }

    #[test]
    fn order_does_not_matter() {
        let (times, values) = large();
        // A fixed permutation: i -> 7 i mod 1000 (7 is coprime with 1000).
        let shuffled: Vec<f64> = (0..1000).map(|i| values[(i * 7) % 1000]).collect();
        let order_free = [
            Aggregate::Min,
            Aggregate::Max,
            Aggregate::Count,
            Aggregate::Sum,
            Aggregate::Avg,
            Aggregate::Stddev,
        ];
        for agg in order_free
            .into_iter()
            .chain(PCTS.map(Aggregate::Percentile))
        {
            let a = apply(agg, &times, &values).unwrap_or(f64::NAN);
            let b = apply(agg, &times, &shuffled).unwrap_or(f64::NAN);
            // Selection and min/max are exact; the compensated sums agree to an ulp or two.
            assert!((a - b).abs() <= 1e-15 * a.abs(), "{agg:?}: {a:e} vs {b:e}");
        }
    }
}
