//! Section 1 and 2 of the 0.2 additions: stale data fails closed by default (a derived
//! `max_age`), `defaults:`, `max_age: none`, all-NaN series, and `absent: zero`.

use super::*;
use crate::decision::{GateStatus, Verdict};
use crate::snapshot::Series;

const NOW: f64 = 1_800_000_000.0;
const WEEK: f64 = 7.0 * 86_400.0;

fn cx() -> EvalContext {
    EvalContext {
        environment: "production".into(),
        stage: "s".into(),
        now: NOW,
        entered_at: None,
        rollout_started_at: None,
        params: Default::default(),
        owner: None,
        clock: None,
        inputs: Inputs::default(),
    }
}

fn policy(top: &str, gates: &str) -> Policy {
    let text = format!(
        "version: 1\npolicy: p\nenvironments: [production, staging]\n{top}metrics:\n  m: {{}}\n  z: {{ absent: zero }}\ngates:\n{gates}stages:\n  - id: s\n    gates: [g]\n"
    );
    crate::load::load_policy(&text)
        .unwrap_or_else(|e| panic!("{e:?}\n{text}"))
        .policy
}

/// One series of `n` samples of `v` a minute apart, the newest `age` seconds before now.
fn minutely(n: usize, v: f64, age: f64) -> Series {
    let times = (0..n)
        .map(|i| NOW - age - 60.0 * (n - 1 - i) as f64)
        .collect();
    Series::new(Default::default(), times, vec![v; n])
}

fn snap(name: &str, list: Vec<Series>) -> Snapshot {
    let mut s = Snapshot::default();
    s.series.insert(name.into(), list);
    s
}

fn gate_of(p: &Policy, s: &Snapshot) -> (crate::decision::GateResult, Verdict) {
    let d = evaluate(p, s, &cx()).unwrap();
    (d.gates[0].clone(), d.verdict)
}

const THRESHOLD: &str = "  g:\n    metric: m\n    max: 10\n";

#[test]
fn week_old_data_is_stale_without_any_max_age_written() {
    let p = policy("", THRESHOLD);
    let (g, verdict) = gate_of(&p, &snap("m", vec![minutely(30, 1.0, WEEK)]));
    assert_eq!(g.status, GateStatus::Inconclusive);
    assert_eq!(
        g.message,
        "stale data: the newest sample is 7d old; `max_age` is 3m (derived: 3 x the median spacing 1m of the samples in the window, at least 1m)"
    );
    assert_eq!(g.max_age.as_deref(), Some("derived"));
    assert_ne!(verdict, Verdict::Go);
    // Within 3 x the spacing it is fresh.
    let (g, verdict) = gate_of(&p, &snap("m", vec![minutely(30, 1.0, 180.0)]));
    assert_eq!(
        (g.status, verdict),
        (GateStatus::Pass, Verdict::Go),
        "{}",
        g.message
    );
    let (g, _) = gate_of(&p, &snap("m", vec![minutely(30, 1.0, 181.0)]));
    assert_eq!(g.status, GateStatus::Inconclusive);
}

#[test]
fn the_derived_limit_follows_the_series_schedule() {
    let p = policy("", THRESHOLD);
    // Hourly data 2h after its last sample is fresh (limit 3h); 4h after, stale.
    let hourly = |age: f64| {
        let times = (0..5)
            .map(|i| NOW - age - 3600.0 * (4 - i) as f64)
            .collect();
        Series::new(Default::default(), times, vec![1.0; 5])
    };
    assert_eq!(
        gate_of(&p, &snap("m", vec![hourly(7200.0)])).0.status,
        GateStatus::Pass
    );
    let (g, _) = gate_of(&p, &snap("m", vec![hourly(4.0 * 3600.0)]));
    assert_eq!(g.status, GateStatus::Inconclusive);
    assert!(g.message.contains("`max_age` is 3h"), "{}", g.message);
    // A single sample gets 5m.
    let (g, _) = gate_of(&p, &snap("m", vec![minutely(1, 1.0, 301.0)]));
    assert!(
        g.message
            .contains("`max_age` is 5m (derived: a single sample in the window)"),
        "{}",
        g.message
    );
    assert_eq!(
        gate_of(&p, &snap("m", vec![minutely(1, 1.0, 300.0)]))
            .0
            .status,
        GateStatus::Pass
    );
}

#[test]
fn defaults_apply_and_a_gates_own_key_wins() {
    let top =
        "defaults:\n  max_age: { production: 1h, default: 2d }\n  min_samples: 3\n  window: 30m\n";
    let p = policy(top, THRESHOLD);
    let g = &p.gates["g"];
    assert_eq!(g.window.resolve("production").unwrap().to_string(), "30m");
    assert_eq!(*g.min_samples.resolve("production").unwrap(), 3);
    // Two hours old: stale under the production default of 1h.
    let (r, _) = gate_of(&p, &snap("m", vec![minutely(30, 1.0, 7200.0)]));
    assert_eq!(r.max_age.as_deref(), Some("1h"));
    assert!(
        r.message.contains("2h old; `max_age` is 1h"),
        "{}",
        r.message
    );
    // min_samples and window from defaults: 2 samples in the last 30m of 3 needed.
    let (r, _) = gate_of(&p, &snap("m", vec![minutely(2, 1.0, 0.0)]));
    assert_eq!(
        r.message,
        "2 samples in the window (30m); at least 3 needed"
    );
    // The gate's own keys win.
    let own =
        "  g:\n    metric: m\n    max: 10\n    max_age: 3h\n    min_samples: 1\n    window: 1d\n";
    let p = policy(top, own);
    let (r, _) = gate_of(&p, &snap("m", vec![minutely(2, 1.0, 7200.0)]));
    assert_eq!(
        (r.status, r.max_age.as_deref()),
        (GateStatus::Pass, Some("3h")),
        "{}",
        r.message
    );
}

#[test]
fn max_age_none_opts_out_and_says_so() {
    let gates = "  g:\n    metric: m\n    max: 10\n    max_age: none\n";
    let p = policy("", gates);
    let (g, verdict) = gate_of(&p, &snap("m", vec![minutely(30, 1.0, WEEK)]));
    assert_eq!((g.status, verdict), (GateStatus::Pass, Verdict::Go));
    assert_eq!(
        g.message,
        "last is 1, within <= 10 (30 samples); staleness not checked"
    );
    assert_eq!(g.max_age.as_deref(), Some("none"));
    // From defaults too.
    let p = policy("defaults:\n  max_age: none\n", THRESHOLD);
    let (g, _) = gate_of(&p, &snap("m", vec![minutely(30, 1.0, WEEK)]));
    assert!(
        g.message.ends_with("; staleness not checked"),
        "{}",
        g.message
    );
}

#[test]
fn an_all_nan_series_says_so_never_stale() {
    for gates in [
        THRESHOLD,
        "  g:\n    metric: m\n    max: 10\n    max_age: 5m\n",
    ] {
        let p = policy("", gates);
        let (g, verdict) = gate_of(&p, &snap("m", vec![minutely(5, f64::NAN, WEEK)]));
        assert_eq!(g.status, GateStatus::Inconclusive);
        assert_eq!(g.message, "every sample in the window is NaN (5 samples)");
        assert_ne!(verdict, Verdict::Go);
    }
}

#[test]
fn absent_zero_reads_an_empty_answer_as_zero() {
    let gates =
        "  g:\n    metric: z\n    select: { code: \"500\" }\n    max: 0\n    min_samples: 3\n";
    let p = policy("", gates);
    // The source answered with no series: one series of 0 at now, which meets min_samples.
    let (g, verdict) = gate_of(&p, &snap("z", vec![]));
    assert_eq!(
        (g.status, verdict),
        (GateStatus::Pass, Verdict::Go),
        "{}",
        g.message
    );
    assert_eq!(
        g.message,
        "no series: read as 0 (absent: zero); last is 0, within <= 0 (1 sample)"
    );
    assert_eq!(g.series[0].samples, 1);
    // Series that do not match the selection are "nothing matched" too.
    let mut other = minutely(3, 4.0, 0.0);
    other.labels.insert("code".into(), "200".into());
    assert_eq!(
        gate_of(&p, &snap("z", vec![other])).0.status,
        GateStatus::Pass
    );
    // A matching series is read as it is.
    let mut bad = minutely(3, 4.0, 0.0);
    bad.labels.insert("code".into(), "500".into());
    assert_eq!(
        gate_of(&p, &snap("z", vec![bad])).0.status,
        GateStatus::Fail
    );
    // Nothing in the snapshot at all is not an answer: inconclusive.
    let (g, _) = gate_of(&p, &Snapshot::default());
    assert_eq!(g.status, GateStatus::Inconclusive);
    // A failed source is still an error.
    let mut s = snap("z", vec![]);
    s.evidence.insert(
        "z".into(),
        serde_json::from_str(r#"{"source": "prometheus", "error": "connection refused"}"#).unwrap(),
    );
    assert_eq!(gate_of(&p, &s).0.status, GateStatus::Error);
    // The default, `absent: inconclusive`.
    let p = policy("", &gates.replace("metric: z", "metric: m"));
    let (g, verdict) = gate_of(&p, &snap("m", vec![]));
    assert_eq!(g.status, GateStatus::Inconclusive);
    assert_ne!(verdict, Verdict::Go);
}

#[test]
fn scripts_read_series_under_the_same_rule() {
    let gates = "  g:\n    script: 'series(\"m\").last() < 10.0'\n";
    let p = policy("", gates);
    let (g, verdict) = gate_of(&p, &snap("m", vec![minutely(30, 1.0, WEEK)]));
    assert_eq!(g.status, GateStatus::Inconclusive);
    assert!(
        g.message
            .contains("is stale: the newest sample is 7d old; `max_age` is 3m (derived"),
        "{}",
        g.message
    );
    assert_ne!(verdict, Verdict::Go);
    assert_eq!(
        gate_of(&p, &snap("m", vec![minutely(30, 1.0, 60.0)]))
            .0
            .status,
        GateStatus::Pass
    );
    let p_count = policy("", "  g:\n    script: 'series(\"m\").count() >= 0'\n");
    let (g, _) = gate_of(&p_count, &snap("m", vec![minutely(4, f64::NAN, 0.0)]));
    assert!(
        g.message
            .contains("every sample in the window is NaN (4 samples)"),
        "{}",
        g.message
    );
    let p = policy(
        "",
        "  g:\n    max_age: none\n    script: 'series(\"m\").last() < 10.0'\n",
    );
    let (g, _) = gate_of(&p, &snap("m", vec![minutely(30, 1.0, WEEK)]));
    assert_eq!(g.status, GateStatus::Pass);
    assert!(
        g.message.ends_with("staleness not checked"),
        "{}",
        g.message
    );
}

#[test]
fn validation_locates_max_age_and_defaults_problems() {
    let check = |top: &str, gates: &str| -> Vec<String> {
        let text = format!(
            "version: 1\npolicy: p\nenvironments: [production]\n{top}metrics:\n  m: {{}}\ngates:\n{gates}stages:\n  - id: s\n    gates: [g]\n"
        );
        match crate::load::load_policy(&text) {
            Ok(_) => vec![],
            Err(e) => e
                .iter()
                .map(|d| {
                    format!(
                        "{}:{} {} {}",
                        d.pos.line,
                        d.pos.col,
                        d.message,
                        d.help.clone().unwrap_or_default()
                    )
                })
                .collect(),
        }
    };
    let e = check("", "  g:\n    metric: m\n    max: 1\n    max_age: None\n");
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("10:14 "), "{e:?}");
    assert!(
        e[0].contains("or `none`") && e[0].ends_with("did you mean `none`?"),
        "{e:?}"
    );
    let e = check("", "  g:\n    metric: m\n    max: 1\n    max_age: 0s\n");
    assert!(
        e[0].contains("write `none` to leave staleness unchecked"),
        "{e:?}"
    );
    let e = check(
        "defaults:\n  max_agee: 5m\n",
        "  g:\n    metric: m\n    max: 1\n",
    );
    assert!(
        e[0].starts_with("5:3 ") && e[0].contains("did you mean `max_age`?"),
        "{e:?}"
    );
    let e = check(
        "defaults:\n  max_age: { staging: 5m }\n",
        "  g:\n    metric: m\n    max: 1\n",
    );
    assert!(
        e.iter()
            .any(|m| m.starts_with("5:14 `staging` is not a declared environment")),
        "{e:?}"
    );
    let e = check(
        "",
        "  g:\n    records: r\n    min_count: 1\n    max_age: 5m\n",
    );
    assert!(
        e.iter()
            .any(|m| m.contains("`max_age` does not apply to records gate")),
        "{e:?}"
    );
}
