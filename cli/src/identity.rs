//! The identity of an evaluation, computed from what it reads, never from what it decides.
//!
//! CI retries jobs; a retried evaluation must be recorded once and reported once. Comparing
//! outputs cannot tell a retry from another evaluation (a retry sees the first attempt's
//! decision, and `run`'s evidence carries the wall-clock time of its fetch), so both the
//! ledger append and the report write compare this id instead. It is a sha256 over, in a fixed
//! order: the policy digest, the snapshot's identity digest, the environment, the stage, the
//! evaluation time, the entry time and owner given to it, the rollgate version, and a digest
//! of the ledger entries it read. Any store (the JSONL file today, a database later) can keep
//! it beside a decision and make it unique.

use rollgate_engine::EvalContext;
use rollgate_engine::snapshot::{self, Snapshot};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::ledger::{Entry, Kind};

/// Bumped when the identity's definition changes (old ids then never match new ones).
const VERSION: u32 = 1;

/// What the id is the digest of. Field order is the hashed order.
#[derive(Serialize)]
struct Identity<'a> {
    identity_version: u32,
    policy_sha256: &'a str,
    snapshot: &'a str,
    environment: &'a str,
    stage: &'a str,
    now: f64,
    entered_at: Option<f64>,
    owner: Option<&'a str>,
    rollgate_version: &'a str,
    ledger: &'a str,
    /// Left out when absent, so evaluations without them keep the ids they always had.
    #[serde(skip_serializing_if = "Option::is_none")]
    rollout_started_at: Option<f64>,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    params: &'a std::collections::BTreeMap<String, String>,
}

/// The evaluation id of a context, given its snapshot's identity digest and its ledger digest.
pub fn evaluation_id(cx: &EvalContext, snapshot_identity: &str, ledger: &str) -> String {
    let id = Identity {
        identity_version: VERSION,
        policy_sha256: &cx.inputs.policy_sha256,
        snapshot: snapshot_identity,
        environment: &cx.environment,
        stage: &cx.stage,
        now: cx.now,
        entered_at: cx.entered_at,
        owner: cx.owner.as_deref(),
        rollgate_version: &cx.inputs.rollgate_version,
        ledger,
        rollout_started_at: cx.rollout_started_at,
        params: &cx.params,
    };
    let text = serde_json::to_string(&id).unwrap_or_default();
    crate::files::sha256_hex(text.as_bytes())
}

/// The identity digest of a snapshot fetched by rollgate: its JSON without the evidence's
/// `fetched_at`, the wall-clock time of the fetch, which differs between two fetches of the
/// same data. (A snapshot read from a file is identified by its bytes' digest.)
pub fn fetched_snapshot(snap: &Snapshot) -> String {
    let mut s = snap.clone();
    for ev in s.evidence.values_mut() {
        ev.fetched_at = None;
    }
    crate::files::sha256_hex(snapshot::to_json(&s).as_bytes())
}

/// What an entry contributes to the ledger digest: its content without its chain fields.
pub fn content(e: &Entry) -> String {
    let content = serde_json::json!([e.time, e.kind, e.actor, e.payload]);
    serde_json::to_string(&content).unwrap_or_default()
}

/// Folds the ledger entries an evaluation of (policy, env, stage) at `now` reads into one
/// digest: the stage's entries up to `now`, except decisions at `now` itself (a retry's
/// first attempt, or another evaluation of the same instant: neither is an input). Entries
/// are taken by content, without their chain fields, so the digest does not depend on where
/// in a file or a database they sit, nor on unrelated entries around them.
#[derive(Default)]
pub struct LedgerDigest {
    hasher: Sha256,
    count: u64,
}

impl LedgerDigest {
    /// Takes an entry into the digest when the evaluation reads it (tests).
    #[cfg(test)]
    pub fn add(&mut self, e: &Entry, policy: &str, env: &str, stage: &str, now: f64) {
        self.add_content(e, None, policy, env, stage, now);
    }

    /// Takes an entry into the digest when the evaluation reads it, given its `content`
    /// when it was computed before (`watch` keeps it
    /// between ticks instead of serializing every entry again).
    pub fn add_content(
        &mut self,
        e: &Entry,
        known: Option<&str>,
        policy: &str,
        env: &str,
        stage: &str,
        now: f64,
    ) {
        if e.policy != policy || e.env != env || e.stage != stage {
            return;
        }
        let Some(at) = snapshot::parse_time(&e.time) else {
            return;
        };
        if at > now || (at == now && e.kind == Kind::Decision) {
            return;
        }
        match known {
            Some(text) => self.hasher.update(text.as_bytes()),
            None => self.hasher.update(content(e).as_bytes()),
        }
        self.hasher.update(b"\n");
        self.count += 1;
    }

    /// The hex digest (of nothing, without a ledger or entries).
    pub fn finish(self) -> String {
        let mut s = String::with_capacity(64);
        for b in self.hasher.finalize() {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rollgate_engine::decision::Inputs;
    use serde_json::json;

    fn cx(now: f64) -> EvalContext {
        EvalContext {
            environment: "production".into(),
            stage: "canary".into(),
            now,
            entered_at: None,
            rollout_started_at: None,
            params: Default::default(),
            owner: None,
            clock: None,
            inputs: Inputs {
                policy_sha256: "p".into(),
                snapshot_sha256: "s".into(),
                rollgate_version: "v".into(),
                ..Default::default()
            },
        }
    }

    fn e(kind: Kind, time: &str, stage: &str) -> Entry {
        crate::ledger::entry(
            kind,
            time.into(),
            "pol",
            "production",
            stage,
            "ci",
            json!({}),
        )
    }

    fn digest(entries: &[Entry], now: f64) -> String {
        let mut d = LedgerDigest::default();
        for x in entries {
            d.add(x, "pol", "production", "canary", now);
        }
        d.finish()
    }

    #[test]
    fn the_id_depends_on_inputs_only() {
        let a = evaluation_id(&cx(100.0), "snap", "ledger");
        assert_eq!(a, evaluation_id(&cx(100.0), "snap", "ledger"));
        assert_ne!(a, evaluation_id(&cx(101.0), "snap", "ledger"));
        assert_ne!(a, evaluation_id(&cx(100.0), "other", "ledger"));
        assert_ne!(a, evaluation_id(&cx(100.0), "snap", "other"));
        let mut owned = cx(100.0);
        owned.owner = Some("lane".into());
        assert_ne!(a, evaluation_id(&owned, "snap", "ledger"));
        // Parameters and the rollout's start are inputs too (the same snapshot evaluated for
        // two services is two evaluations).
        let mut a_service = cx(100.0);
        a_service.params.insert("service".into(), "a".into());
        let mut b_service = cx(100.0);
        b_service.params.insert("service".into(), "b".into());
        let (ia, ib) = (
            evaluation_id(&a_service, "snap", "ledger"),
            evaluation_id(&b_service, "snap", "ledger"),
        );
        assert!(ia != ib && ia != a, "{ia} {ib}");
        let mut started = cx(100.0);
        started.rollout_started_at = Some(50.0);
        assert_ne!(a, evaluation_id(&started, "snap", "ledger"));
    }

    #[test]
    fn the_ledger_digest_ignores_decisions_at_now_later_entries_and_other_stages() {
        let now = snapshot::parse_time("2026-01-01T03:00:00Z").unwrap();
        let base = vec![e(Kind::Enter, "2026-01-01T00:00:00Z", "canary")];
        let d0 = digest(&base, now);
        let mut more = base.clone();
        more.push(e(Kind::Decision, "2026-01-01T03:00:00Z", "canary"));
        more.push(e(Kind::Approve, "2026-01-01T02:00:00Z", "business"));
        more.push(e(Kind::Approve, "2026-01-01T04:00:00Z", "canary"));
        assert_eq!(digest(&more, now), d0);
        let mut earlier = base.clone();
        earlier.push(e(Kind::Decision, "2026-01-01T02:00:00Z", "canary"));
        assert_ne!(digest(&earlier, now), d0);
        let mut approved = base;
        approved.push(e(Kind::Approve, "2026-01-01T02:30:00Z", "canary"));
        assert_ne!(digest(&approved, now), d0);
    }

    #[test]
    fn fetch_times_are_not_part_of_a_fetched_snapshot() {
        let text = r#"{"version": 1, "taken_at": "2026-01-01T03:00:00Z", "series": {},
            "evidence": {"m": {"source": "file", "fetched_at": "2026-11-26T10:00:00Z"}}}"#;
        let a = snapshot::from_json(text.as_bytes()).unwrap();
        let b = snapshot::from_json(
            text.replace("2026-11-26T10:00:00Z", "2026-11-26T10:00:07Z")
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(fetched_snapshot(&a), fetched_snapshot(&b));
        let c = snapshot::from_json(text.replace("\"file\"", "\"http\"").as_bytes()).unwrap();
        assert_ne!(fetched_snapshot(&a), fetched_snapshot(&c));
    }
}
