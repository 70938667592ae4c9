//! Policy loading and validation: any text either loads or gives located diagnostics, and
//! loading is deterministic. A policy that loads is evaluated against an empty snapshot at
//! each of its stages; a stage with a blocking gate that reads series (threshold, per-check,
//! trend, compare) has lost all its data and must not say GO. (Script and records gates may
//! legitimately pass on nothing; a policy that mentions `absent:` may read absence as zero.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use rollgate_engine::decision::{Inputs, Verdict};
use rollgate_engine::{EvalContext, evaluate};
use rollgate_engine::load_policy;
use rollgate_engine::policy::model::{GateKind, OnFail, Policy};
use rollgate_engine::snapshot::Snapshot;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match load_policy(text) {
        Err(diags) => {
            assert!(!diags.is_empty(), "rejected without a diagnostic");
            rollgate_fuzz::assert_located(text, &diags);
            let again = load_policy(text).expect_err("second load differs");
            assert_eq!(
                format!("{diags:?}"),
                format!("{again:?}"),
                "diagnostics differ between two loads"
            );
        }
        Ok(loaded) => {
            rollgate_fuzz::assert_located(text, &loaded.warnings);
            let p = &loaded.policy;
            let envs: Vec<String> = if p.environments.is_empty() {
                vec!["default".into()]
            } else {
                p.environments.clone()
            };
            for stage in &p.stages {
                for env in envs.iter().take(2) {
                    let cx = EvalContext {
                        environment: env.clone(),
                        stage: stage.id.clone(),
                        now: 1_800_000_000.0,
                        entered_at: None,
                        rollout_started_at: None,
                        params: Default::default(),
                        owner: None,
                        // No watchdog: fuzzing must not depend on time (the operation limit bounds scripts).
                        clock: None,
                        inputs: Inputs::default(),
                    };
                    if let Ok(d) = evaluate(p, &Snapshot::default(), &cx) {
                        assert!(
                            !reads_series(p, &stage.gates, text) || d.verdict != Verdict::Go,
                            "GO on an empty snapshot at stage {}",
                            stage.id
                        );
                    }
                }
            }
        }
    }
});

/// Whether a blocking gate of the stage reads series, so an empty snapshot is lost data.
fn reads_series(p: &Policy, gates: &[String], text: &str) -> bool {
    !text.contains("absent:")
        && gates.iter().filter_map(|g| p.gates.get(g)).any(|g| {
            g.on_fail != OnFail::Warn
                && matches!(
                    g.kind,
                    GateKind::Threshold { .. }
                        | GateKind::PerCheck { .. }
                        | GateKind::Trend { .. }
                        | GateKind::Compare { .. }
                )
        })
}
