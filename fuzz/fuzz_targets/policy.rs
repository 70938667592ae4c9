//! Policy loading and validation: any text either loads or gives located diagnostics, and
//! loading is deterministic. A policy that loads is evaluated against an empty snapshot at
//! each of its stages, which must never say GO (no data).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rollgate_engine::decision::{Inputs, Verdict};
use rollgate_engine::eval::{EvalContext, evaluate};
use rollgate_engine::load::load_policy;
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
                        owner: None,
                        inputs: Inputs::default(),
                    };
                    if let Ok(d) = evaluate(p, &Snapshot::default(), &cx) {
                        // A stage with no gates has nothing to lose; one with gates has lost it all.
                        assert!(
                            stage.gates.is_empty() || d.verdict != Verdict::Go,
                            "GO on an empty snapshot at stage {}",
                            stage.id
                        );
                    }
                }
            }
        }
    }
});
