//! Script gates, run in the evaluation's sandbox (created on first use, shared by every
//! script gate of the evaluation).

use std::cell::OnceCell;

use super::{EvalContext, Outcome, apply};
use crate::decision::{GateResult, GateStatus};
use crate::plan::{GatePlan, Plan};
use crate::policy::model::Script;
use crate::script::api::to_dynamic;
use crate::script::run::Sandbox;
use crate::snapshot::Snapshot;

/// What running a script gate needs from the evaluation.
pub(crate) struct Run<'a, 'p> {
    pub plan: &'a Plan<'p>,
    pub gp: &'a GatePlan<'p>,
    pub snapshot: &'a Snapshot,
    pub cx: &'a EvalContext,
    pub sandbox: &'a OnceCell<Sandbox>,
}

/// Runs `script`; `read_gates` are the results of the gates it reads with `gate("id")`.
pub(crate) fn evaluate(
    run: &Run<'_, '_>,
    script: &Script,
    read_gates: &[GateResult],
    result: &mut GateResult,
) {
    let Run {
        plan,
        gp,
        snapshot,
        cx,
        sandbox,
    } = *run;
    let env = cx.environment.as_str();
    let sandbox = sandbox.get_or_init(|| {
        Sandbox::new(
            plan.policy,
            snapshot,
            cx.now,
            crate::window::Anchors {
                entered_at: cx.entered_at,
                rollout_started_at: cx.rollout_started_at,
            },
            cx.clock.clone(),
        )
    });
    let vars: rhai::Map = plan
        .vars
        .iter()
        .map(|(k, v)| ((*k).into(), to_dynamic(v)))
        .collect();
    let gates = read_gates
        .iter()
        .map(|g| (g.id.clone(), (g.status, g.value)))
        .collect();
    let r = sandbox.run(script, gp.rules, env, &cx.stage, vars, gates);
    result.samples = r.samples.unwrap_or(0);
    if let (Ok(_), Some(why)) = (&r.pass, &r.inconclusive) {
        return apply(
            result,
            Outcome::new(GateStatus::Inconclusive, None, why.clone()),
        );
    }
    if let (Ok(true), Some(why)) = (&r.pass, &r.infinite) {
        return apply(
            result,
            Outcome::new(
                GateStatus::Inconclusive,
                None,
                format!(
                    "the script returned pass, but {why}: an infinity can make a gate fail, never pass it"
                ),
            ),
        );
    }
    let outcome = match r.pass {
        Ok(pass) => {
            let status = if pass {
                GateStatus::Pass
            } else {
                GateStatus::Fail
            };
            let message = if r.message.is_empty() {
                format!("the script returned {}", if pass { "pass" } else { "fail" })
            } else {
                r.message
            };
            Outcome::new(status, r.value, message)
        }
        Err(cause) => {
            let mut message = format!("script error in gate `{}`: {cause}", gp.gate.id);
            if !r.message.is_empty() {
                message.push_str(&format!("; {}", r.message));
            }
            Outcome::new(GateStatus::Error, None, message)
        }
    };
    apply(result, outcome);
}

#[cfg(test)]
mod tests {
    use crate::eval::{EvalContext, evaluate};

    /// Numbers a script writes into its message are rounded like the report's other numbers
    /// (the message read "p95 229.32999999999987 ms").
    #[test]
    fn script_numbers_in_text_are_rounded() {
        let policy = "version: 1\npolicy: p\nmetrics:\n  m: {}\ngates:\n  s:\n    window: 1h\n    script: |\n      let x = series(\"m\").last() + 228.33 - 0.00000000000013;\n      #{ pass: true, value: x, message: `p95 ${x} ms; ` + x + \" / \" + (x / 3.0) }\nstages:\n  - id: s\n    gates: [s]\n";
        let policy = crate::load::load_policy(policy).unwrap().policy;
        let now = 1_800_000_000.0;
        let snap = crate::snapshot::from_json(
            format!(r#"{{"version": 1, "series": {{"m": {{"samples": [[{now}, 1]]}}}}}}"#)
                .as_bytes(),
        )
        .unwrap();
        let cx = EvalContext::for_test(now);
        let d = evaluate(&policy, &snap, &cx).unwrap();
        assert_eq!(d.gates[0].message, "p95 229.33 ms; 229.33 / 76.4433");
    }
}
