//! Evaluation: (policy, snapshot, context) -> decision. Pure and deterministic: time comes in
//! the context, and the same inputs give the same decision, bit for bit.

mod approve;
mod burn_rate;
mod closed;
mod compare;
mod composite;
mod dedup;
mod nonfinite;
mod per_check;
mod prepare;
mod records;
mod script;
mod threshold;
pub(crate) mod trend;
mod verdict;

use std::collections::HashMap;

use crate::decision::{Bound, Decision, GateResult, GateStatus, Inputs, SeriesResult};
use crate::plan::{GatePlan, Plan};

use crate::policy::model::{Gate, GateKind, Policy};
pub use crate::refusal::EvalError;
use crate::snapshot::Snapshot;

pub use threshold::headroom;

/// Everything an evaluation needs besides the policy and the snapshot.
#[derive(Debug, Clone)]
pub struct EvalContext {
    pub environment: String,
    pub stage: String,
    /// Evaluation time, unix seconds.
    pub now: f64,
    /// When the stage was entered (flag or snapshot), unix seconds.
    pub entered_at: Option<f64>,
    /// When the environment entered the policy's first stage: the start of `window: rollout`
    /// (flag, ledger or snapshot), unix seconds.
    pub rollout_started_at: Option<f64>,
    /// The policy's parameters, resolved (flags, snapshot, defaults), in name order.
    pub params: std::collections::BTreeMap<String, String>,
    /// Overrides the policy's owner in the decision statement.
    pub owner: Option<String>,
    /// The monotonic clock of the script watchdog (`Limits::watchdog`), provided by the
    /// caller: the engine reads no clock of its own. None: no watchdog; the operation limit
    /// still bounds every script, and is what stops runaway scripts in practice.
    pub clock: Option<crate::script::watchdog::SharedClock>,
    pub inputs: Inputs,
}

#[cfg(test)]
impl EvalContext {
    /// Stage `s` of environment `default` at `now`, entered at 0: the context unit tests of
    /// single gates use.
    pub(crate) fn for_test(now: f64) -> Self {
        EvalContext {
            environment: "default".into(),
            stage: "s".into(),
            now,
            entered_at: Some(0.0),
            rollout_started_at: None,
            params: Default::default(),
            owner: None,
            clock: None,
            inputs: Inputs::default(),
        }
    }
}

/// Evaluates one stage of one environment.
pub fn evaluate(
    policy: &Policy,
    snapshot: &Snapshot,
    cx: &EvalContext,
) -> Result<Decision, EvalError> {
    evaluate_with_history(policy, snapshot, cx, &crate::history::History::default())
}

/// Evaluates with the ledger's memory of the stage: hold restarts, approvals, waivers.
pub fn evaluate_with_history(
    policy: &Policy,
    snapshot: &Snapshot,
    cx: &EvalContext,
    history: &crate::history::History,
) -> Result<Decision, EvalError> {
    let plan = policy.plan(&cx.environment, &cx.stage)?;
    check_snapshot(snapshot, cx)?;
    let sandbox = std::cell::OnceCell::new();
    let plans: HashMap<&str, &GatePlan<'_>> = plan
        .gates
        .iter()
        .chain(&plan.members)
        .map(|gp| (gp.gate.id.as_str(), gp))
        .collect();
    // The gates some other gate is judged from: only their results are kept for reuse.
    let read: std::collections::HashSet<&str> = plans
        .values()
        .flat_map(|gp| gp.gate.kind.members())
        .collect();
    let mut run = Run {
        policy,
        plan: &plan,
        plans,
        read,
        snapshot,
        cx,
        sandbox: &sandbox,
        done: HashMap::new(),
    };
    let results = plan
        .gates
        .iter()
        .map(|gp| {
            let mut r = run.result_of(gp.gate.id.as_str());
            r.guard = gp.guard;
            r
        })
        .collect();
    Ok(verdict::decide(policy, &plan, results, cx, history))
}

/// One evaluation's gates, each evaluated once, after the gates it is judged from.
struct Run<'r, 'p> {
    policy: &'p Policy,
    plan: &'r Plan<'p>,
    plans: HashMap<&'p str, &'r GatePlan<'p>>,
    /// Gates that are members of (or read by) another gate.
    read: std::collections::HashSet<&'p str>,
    snapshot: &'r Snapshot,
    cx: &'r EvalContext,
    sandbox: &'r std::cell::OnceCell<crate::script::run::Sandbox>,
    done: HashMap<&'p str, GateResult>,
}

impl<'p> Run<'_, 'p> {
    /// The result of gate `id`: its members (a composite's, or the gates a script reads with
    /// `gate()`) first, recursively (validation bounds the depth and rules out cycles), then
    /// the gate. Members are kept, nested, in its result.
    fn result_of(&mut self, id: &str) -> GateResult {
        if let Some(r) = self.done.get(id) {
            return r.clone();
        }
        let gp = self.plans[id];
        let members: Vec<GateResult> = gp
            .gate
            .kind
            .members()
            .into_iter()
            .map(|m| {
                let mut r = self.result_of(m);
                r.guard = false;
                r
            })
            .collect();
        let result = if gp.gate.kind.kind().is_composite() {
            let mut result = base_result(gp, self.cx);
            composite::evaluate(&gp.gate.kind, members, &mut result);
            result
        } else {
            let mut r = evaluate_gate(
                self.policy,
                self.plan,
                gp,
                self.snapshot,
                self.cx,
                self.sandbox,
                &members,
            );
            r.members = members;
            r
        };
        if self.read.contains(id) {
            self.done.insert(gp.gate.id.as_str(), result.clone());
        }
        result
    }
}

/// A snapshot taken for another environment, stage or parameter value is refused.
fn check_snapshot(snapshot: &Snapshot, cx: &EvalContext) -> Result<(), EvalError> {
    for (name, theirs) in &snapshot.params {
        if let Some(ours) = cx.params.get(name)
            && theirs != ours
        {
            return Err(EvalError::SnapshotMismatch {
                what: "param",
                snapshot: format!("{name}={theirs}"),
                requested: format!("{name}={ours}"),
            });
        }
    }
    for (what, theirs, ours) in [
        ("environment", &snapshot.environment, &cx.environment),
        ("stage", &snapshot.stage, &cx.stage),
    ] {
        if let Some(theirs) = theirs
            && theirs != ours
        {
            return Err(EvalError::SnapshotMismatch {
                what,
                snapshot: theirs.clone(),
                requested: ours.clone(),
            });
        }
    }
    Ok(())
}

/// What one gate kind computed for one series (or, for records and scripts, for the gate).
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub status: GateStatus,
    pub value: Option<f64>,
    pub message: String,
    /// How close to failing: smaller is worse. The gate reports its worst series.
    pub margin: f64,
}

impl Outcome {
    pub fn new(status: GateStatus, value: Option<f64>, message: String) -> Self {
        Outcome {
            status,
            value,
            message,
            margin: match status {
                GateStatus::Fail => f64::NEG_INFINITY,
                GateStatus::Error => -1e300,
                GateStatus::Inconclusive => -1e299,
                GateStatus::Pass => f64::INFINITY,
            },
        }
    }
}

fn evaluate_gate(
    policy: &Policy,
    plan: &Plan<'_>,
    gp: &GatePlan<'_>,
    snapshot: &Snapshot,
    cx: &EvalContext,
    sandbox: &std::cell::OnceCell<crate::script::run::Sandbox>,
    read_gates: &[GateResult],
) -> GateResult {
    let gate = gp.gate;
    let mut result = base_result(gp, cx);
    result.evidence = evidence_of(gate, snapshot);
    let series = |metric: &str,
                  result: &mut GateResult,
                  judge: &dyn Fn(&prepare::View<'_>, &mut Bound) -> Outcome| {
        match prepare::series_of(&policy.metrics[metric], gp, snapshot, cx) {
            Err(outcome) => apply(result, outcome),
            Ok(views) => judge_series(views, result, judge),
        }
    };
    match &gate.kind {
        GateKind::Records(r) => {
            records::evaluate(&policy.records[&r.records], r, gp, snapshot, &mut result)
        }
        GateKind::Script(s) => {
            let run = script::Run {
                plan,
                gp,
                snapshot,
                cx,
                sandbox,
            };
            script::evaluate(&run, s, read_gates, &mut result)
        }
        GateKind::Compare(c) => {
            compare::evaluate(&policy.metrics[&c.metric], gp, c, snapshot, cx, &mut result)
        }
        GateKind::Threshold(t) => series(&t.metric, &mut result, &|view, bound| {
            threshold::evaluate(t, gp, view, bound)
        }),
        GateKind::PerCheck(p) => series(&p.metric, &mut result, &|view, bound| {
            per_check::evaluate(p, gp, view, bound)
        }),
        GateKind::Trend(t) => series(&t.metric, &mut result, &|view, bound| {
            trend::evaluate(t, view, bound)
        }),
        GateKind::BurnRate(b) => burn_rate::evaluate(policy, b, gp, snapshot, cx, &mut result),
        GateKind::AllOf(_) | GateKind::AnyOf(_) | GateKind::Score(_) => {
            unreachable!("composites are judged from their members")
        }
    }
    note_staleness(gate, gp.rules.max_age, &mut result);
    result
}

/// A gate's result before its kind is evaluated: what the policy says of it, inconclusive.
fn base_result(gp: &GatePlan<'_>, cx: &EvalContext) -> GateResult {
    let gate = gp.gate;
    GateResult {
        id: gate.id.clone(),
        title: gate.title.clone(),
        kind: gate.kind.kind(),
        status: GateStatus::Inconclusive,
        on_fail: gate.on_fail,
        guard: gp.guard,
        value: None,
        bound: Bound::default(),
        window: gp.rules.window.to_string(),
        samples: 0,
        series: Vec::new(),
        message: String::new(),
        remediation: gate.remediation.clone(),
        line: Some(gate.pos.line),
        evidence: None,
        max_age: None,
        shadow: gate.in_shadow(cx.now),
        enforce_from: gate
            .shadow
            .and_then(|s| s.enforce_from)
            .map(crate::format::format_time),
        approval: None,
        members: Vec::new(),
        weight: None,
        key: false,
        pairs: Vec::new(),
    }
}

/// Judges each series of a threshold, per-check or trend gate, then the gate: any series
/// failing fails it (`combine`), and the message names the worst series.
fn judge_series(
    views: Vec<prepare::View<'_>>,
    result: &mut GateResult,
    judge: &dyn Fn(&prepare::View<'_>, &mut Bound) -> Outcome,
) {
    let mut worst: Option<Outcome> = None;
    let mut statuses = Vec::new();
    let absent_zero = views.iter().any(|v| v.absent_zero);
    for view in views {
        let outcome = match &view.ready {
            Err(o) => o.clone(),
            Ok(()) => judge(&view, &mut result.bound),
        };
        statuses.push(outcome.status);
        result.series.push(SeriesResult {
            labels: view.labels.clone().into_owned(),
            status: outcome.status,
            value: outcome.value,
            samples: view.values.len() as u64,
            nan_samples: view.nan,
            newest_at: view.newest.map(crate::format::format_time),
            message: outcome.message.clone(),
            points: view.points(),
        });
        if worst.as_ref().is_none_or(|w| outcome.margin < w.margin) {
            result.samples = view.values.len() as u64;
            worst = Some(outcome);
        }
    }
    let worst = worst.expect("series_of returns at least one series");
    result.value = worst.value;
    result.status = combine(&statuses);
    result.message = summary(result, &worst);
    if absent_zero {
        result.message = format!("no series: read as 0 (absent: zero); {}", result.message);
    }
}

/// Records the staleness rule of a gate that reads series, and says so in the message when
/// the policy opted out (`max_age: none`), so no report shows a pass that was not checked for
/// fresh data without saying it.
fn note_staleness(gate: &Gate, rule: crate::policy::model::MaxAge, result: &mut GateResult) {
    if matches!(gate.kind, GateKind::Records(_)) || gate.kind.kind().is_composite() {
        return;
    }
    result.max_age = Some(rule.to_string());
    if rule == crate::policy::model::MaxAge::Unchecked {
        result.message.push_str("; staleness not checked");
    }
}

/// The snapshot's evidence for what the gate reads.
fn evidence_of(gate: &Gate, snapshot: &Snapshot) -> Option<crate::snapshot::Evidence> {
    let name = match &gate.kind {
        GateKind::Records(r) => r.records.as_str(),
        GateKind::Script(_) | GateKind::AllOf(_) | GateKind::AnyOf(_) | GateKind::Score(_) => {
            return None;
        }
        // The bad (or good) events counter's evidence, unless the total's source failed.
        GateKind::BurnRate(b) => {
            let (crate::policy::model::BadEvents::Bad(m)
            | crate::policy::model::BadEvents::Good(m)) = &b.bad;
            let total_failed = snapshot
                .evidence
                .get(&b.total)
                .is_some_and(|e| e.error.is_some());
            if total_failed { &b.total } else { m }
        }
        kind => kind.metric()?,
    };
    let mut e = snapshot.evidence.get(name).cloned()?;
    // Evidence is data: a snapshot written by hand or by another tool may hold a URL with
    // credentials, which must not reach a decision or a report.
    e.url = e.url.map(|u| crate::format::redact_url(&u));
    Some(e)
}

/// One failing series fails the gate; otherwise an error or missing data decides.
pub(crate) fn combine(statuses: &[GateStatus]) -> GateStatus {
    for s in [
        GateStatus::Fail,
        GateStatus::Error,
        GateStatus::Inconclusive,
    ] {
        if statuses.contains(&s) {
            return s;
        }
    }
    GateStatus::Pass
}

fn summary(result: &GateResult, worst: &Outcome) -> String {
    let n = result.series.len();
    if n <= 1 {
        return worst.message.clone();
    }
    let failing = result
        .series
        .iter()
        .filter(|s| s.status != GateStatus::Pass)
        .count();
    let labels = result
        .series
        .iter()
        .find(|s| s.message == worst.message)
        .map(|s| crate::format::label_text(&s.labels))
        .unwrap_or_default();
    if failing == 0 {
        format!("all {n} series pass; closest: {labels} {}", worst.message)
    } else {
        format!(
            "{failing} of {n} series do not pass; worst: {labels} {}",
            worst.message
        )
    }
}

pub(crate) fn apply(result: &mut GateResult, o: Outcome) {
    result.status = o.status;
    result.value = o.value;
    result.message = o.message;
}

#[cfg(test)]
mod expect_tests;
#[cfg(test)]
mod infinite_tests;
#[cfg(test)]
mod props;
#[cfg(test)]
mod readings;
#[cfg(test)]
mod staleness_tests;
#[cfg(test)]
mod tests;
