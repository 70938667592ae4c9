//! The statistics scripts may call: `mann_whitney(a, b)`, the one-sided p that `a` is
//! greater than `b` (as a compare gate's test), and `mann_kendall(s)`, the trend test of a
//! trend gate: `#{trend, p, slope_per_hour}`. Each takes series (cut to the gate's window,
//! NaN skipped) or arrays of numbers.

use rhai::{Array, Dynamic, Engine, EvalAltResult, FLOAT, Map};

use super::api::{ScriptSeries, runtime};
use crate::stats::mann_whitney::{self, Alternative};

/// The significance level `mann_kendall(s)` names a trend at (pymannkendall's default).
const ALPHA: f64 = 0.05;

/// A sample: the series' window without NaN, with its times.
struct Sample {
    times: Option<Vec<f64>>,
    values: Vec<f64>,
}

fn of_series(s: &ScriptSeries) -> Sample {
    let (t, v): (Vec<f64>, Vec<f64>) = s.times[s.start..s.end]
        .iter()
        .zip(&s.values[s.start..s.end])
        .filter(|(_, v)| !v.is_nan())
        .map(|(t, v)| (*t, *v))
        .unzip();
    Sample {
        times: Some(t),
        values: v,
    }
}

fn of_array(a: &Array, f: &str) -> Result<Sample, Box<EvalAltResult>> {
    let mut values = Vec::with_capacity(a.len());
    for (i, x) in a.iter().enumerate() {
        let v = if let Ok(v) = x.as_float() {
            v
        } else if let Ok(v) = x.as_int() {
            v as FLOAT
        } else {
            return Err(runtime(format!(
                "{f}: item {i} of the array is {}, not a number",
                x.type_name()
            )));
        };
        if !v.is_nan() {
            values.push(v);
        }
    }
    Ok(Sample {
        times: None,
        values,
    })
}

fn whitney(a: Sample, b: Sample) -> Result<FLOAT, Box<EvalAltResult>> {
    mann_whitney::test(&a.values, &b.values, Alternative::Greater)
        .map(|r| r.p)
        .ok_or_else(|| {
            runtime(format!(
                "mann_whitney needs two samples with values: they hold {} and {}",
                a.values.len(),
                b.values.len()
            ))
        })
}

fn kendall(s: Sample, alpha: FLOAT) -> Result<Map, Box<EvalAltResult>> {
    if !(0.0..=1.0).contains(&alpha) {
        return Err(runtime(format!(
            "mann_kendall: alpha {alpha} is not between 0 and 1"
        )));
    }
    let mk = crate::stats::mann_kendall::original_test(&s.values).ok_or_else(|| {
        runtime(format!(
            "mann_kendall needs at least 2 values; the sample holds {}",
            s.values.len()
        ))
    })?;
    let trend = match (mk.p < alpha, mk.z > 0.0) {
        (true, true) => "increasing",
        (true, false) => "decreasing",
        (false, _) => "no trend",
    };
    // An array has no times, so no slope per hour.
    let slope = s
        .times
        .as_deref()
        .and_then(|t| crate::stats::theil_sen::slope(t, &s.values))
        .map_or(Dynamic::UNIT, |x| Dynamic::from_float(x * 3600.0));
    let mut m = Map::new();
    m.insert("trend".into(), Dynamic::from(trend.to_owned()));
    m.insert("p".into(), Dynamic::from_float(mk.p));
    m.insert("slope_per_hour".into(), slope);
    Ok(m)
}

pub fn register(engine: &mut Engine) {
    engine.register_fn("mann_whitney", |a: &mut ScriptSeries, b: ScriptSeries| {
        whitney(of_series(a), of_series(&b))
    });
    engine.register_fn("mann_whitney", |a: &mut ScriptSeries, b: Array| {
        whitney(of_series(a), of_array(&b, "mann_whitney")?)
    });
    engine.register_fn("mann_whitney", |a: Array, b: ScriptSeries| {
        whitney(of_array(&a, "mann_whitney")?, of_series(&b))
    });
    engine.register_fn("mann_whitney", |a: Array, b: Array| {
        whitney(of_array(&a, "mann_whitney")?, of_array(&b, "mann_whitney")?)
    });
    engine.register_fn("mann_kendall", |s: &mut ScriptSeries| {
        kendall(of_series(s), ALPHA)
    });
    engine.register_fn("mann_kendall", |s: &mut ScriptSeries, alpha: FLOAT| {
        kendall(of_series(s), alpha)
    });
    engine.register_fn("mann_kendall", |a: Array| {
        kendall(of_array(&a, "mann_kendall")?, ALPHA)
    });
    engine.register_fn("mann_kendall", |a: Array, alpha: FLOAT| {
        kendall(of_array(&a, "mann_kendall")?, alpha)
    });
}

#[cfg(test)]
mod tests {
    use crate::decision::GateStatus;
    use crate::eval::{EvalContext, evaluate};

    /// A script gate returning `value` (an expression), with a series `m` it reads.
    fn value_of(expr: &str) -> (GateStatus, Option<f64>, String) {
        let text = format!(
            "version: 1\npolicy: p\nmetrics:\n  m: {{}}\ngates:\n  g:\n    max_age: none\n    script: |\n      let s = series(\"m\");\n      #{{ pass: true, value: {expr} }}\nstages:\n  - id: s\n    gates: [g]\n"
        );
        let policy = crate::load::load_policy(&text).unwrap().policy;
        let snap = crate::snapshot::from_json(
            br#"{"version": 1, "series": {"m": [{"labels": {}, "samples": [[0, 1], [3600, 2], [7200, 3], [10800, 2], [14400, 4], [18000, 5], [21600, 6], [25200, 5], [28800, 7], [32400, 8]]}]}}"#,
        )
        .unwrap();
        let d = evaluate(&policy, &snap, &EvalContext::for_test(32400.0)).unwrap();
        let g = &d.gates[0];
        (g.status, g.value, g.message.clone())
    }

    /// scipy 1.17.1 `mannwhitneyu([3,4,5,6,7,8], [1,2,3,4,5,6], alternative="greater")`: p =
    /// 0.0627651351317076 (ties: the normal approximation with continuity correction).
    #[test]
    fn mann_whitney_matches_scipy() {
        let (status, value, msg) = value_of("mann_whitney([3,4,5,6,7,8], [1,2,3,4,5,6])");
        assert_eq!(status, GateStatus::Pass, "{msg}");
        assert!(
            (value.unwrap() - 0.0627651351317076).abs() < 1e-12,
            "{value:?}"
        );
        // A series against an array: the series' window, NaN skipped.
        let (_, value, msg) = value_of("mann_whitney(s, [0.0, 0.5, 1.0])");
        assert!(value.unwrap() < 0.05, "{value:?} {msg}");
    }

    /// pymannkendall 1.4.3 `original_test([1,2,3,2,4,5,6,5,7,8])`: increasing, p =
    /// 0.0006117636822975392; Sen's slope 0.75 per step, here a step is an hour.
    #[test]
    fn mann_kendall_matches_pymannkendall() {
        let (_, value, msg) = value_of("mann_kendall(s).p");
        assert!(
            (value.unwrap() - 0.0006117636822975392).abs() < 1e-15,
            "{value:?} {msg}"
        );
        let (_, value, _) = value_of("mann_kendall(s).slope_per_hour");
        assert_eq!(value, Some(0.75));
        let (_, value, _) =
            value_of("if mann_kendall(s).trend == \"increasing\" { 1.0 } else { 0.0 }");
        assert_eq!(value, Some(1.0));
        let (_, value, _) = value_of(
            "if mann_kendall([1,2,3,2,4,5,6,5,7,8]).slope_per_hour == () { 1.0 } else { 0.0 }",
        );
        assert_eq!(value, Some(1.0), "an array has no times");
        let (status, _, msg) = value_of("mann_kendall([1, \"x\"]).p");
        assert_eq!(status, GateStatus::Error);
        assert!(
            msg.contains("item 1 of the array is string, not a number"),
            "{msg}"
        );
    }
}
