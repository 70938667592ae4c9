//! `rollgate replay REPORT.json`: re-evaluates a stored decision from the policy and snapshot
//! it recorded (both must still match their digests) and confirms the decision is
//! byte-identical, or shows where it differs (exit 1).

use std::path::{Path, PathBuf};

use rollgate_engine::EvalContext;

use super::eval::{ledger_view, load_policy_file, load_snapshot_file};
use crate::exit::Exit;

pub fn run(report: &Path, ledger: Option<&Path>) -> Exit {
    // The `.md` report or its `.json` decision.
    let json_path: PathBuf = if report.extension().is_some_and(|e| e == "md") {
        report.with_extension("json")
    } else {
        report.to_owned()
    };
    let shown = json_path.display().to_string();
    let Ok((text, stored)) = crate::files::read_decision(&json_path) else {
        return Exit::Invalid;
    };
    let (Some(policy_path), Some(snapshot_path)) =
        (&stored.inputs.policy_path, &stored.inputs.snapshot_path)
    else {
        eprintln!(
            "{shown}: the decision does not record its policy and snapshot paths; it cannot be replayed"
        );
        return Exit::Invalid;
    };
    let (policy_path, copied) = policy_source(&json_path, &stored.inputs, policy_path);
    let Ok((policy_text, loaded)) = load_policy_file(&policy_path) else {
        return Exit::Invalid;
    };
    let policy_sha = crate::files::sha256_hex(policy_text.as_bytes());
    if policy_sha != stored.inputs.policy_sha256 {
        let what = if copied {
            "the stored policy copy does not match its digest: it was changed"
        } else {
            "has changed since the decision"
        };
        println!(
            "NOT REPRODUCIBLE: `{}` {what} (sha256 {} then, {policy_sha} now)",
            policy_path.display(),
            stored.inputs.policy_sha256
        );
        return Exit::NoGo;
    }
    let Ok((snap, snap_sha)) = load_snapshot_file(Path::new(snapshot_path)) else {
        return Exit::Invalid;
    };
    if snap_sha != stored.inputs.snapshot_sha256 {
        println!(
            "NOT REPRODUCIBLE: `{snapshot_path}` has changed since the decision (sha256 {} then, {snap_sha} now)",
            stored.inputs.snapshot_sha256
        );
        return Exit::NoGo;
    }
    let Some(now) = rollgate_engine::snapshot::parse_time(&stored.evaluated_at) else {
        eprintln!("{shown}: `evaluated_at` is not a time");
        return Exit::Invalid;
    };
    let entered_at = stored
        .entered_at
        .as_deref()
        .and_then(rollgate_engine::snapshot::parse_time);
    // A ledger that no longer holds the entry that recorded the decision lost entries.
    if let (Some(l), Some(claim)) = (ledger, crate::ledger::Claim::of(&json_path, &stored)) {
        match crate::ledger::check_claim(l, &claim) {
            Ok(None) => {}
            Ok(Some(problem)) => {
                println!("LEDGER CHANGED: {}: {problem}", l.display());
                return Exit::NoGo;
            }
            Err(e) => {
                eprintln!("{}", e.located(l));
                return Exit::Invalid;
            }
        }
    }
    let view = match ledger_view(
        ledger,
        &loaded.policy.id,
        &stored.environment,
        &stored.stage,
        now,
    ) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let cx = EvalContext {
        environment: stored.environment.clone(),
        stage: stored.stage.clone(),
        now,
        entered_at,
        owner: stored.owner.clone(),
        clock: Some(crate::clock::monotonic()),
        inputs: stored.inputs.clone(),
    };
    let mut again =
        match rollgate_engine::evaluate_with_history(&loaded.policy, &snap, &cx, &view.history) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("error: {e}");
                return Exit::Invalid;
            }
        };
    again.report = stored.report.clone();
    // Where the decision was recorded is not recomputed: it was checked above.
    again.inputs.ledger_head = stored.inputs.ledger_head.clone();
    let fresh = rollgate_engine::render::json::to_string(&again);
    if fresh == text {
        println!(
            "REPRODUCED: {} for `{}` in `{}` at `{}` ({}), byte for byte",
            stored.verdict.label(),
            stored.policy,
            stored.environment,
            stored.stage,
            stored.evaluated_at
        );
        return Exit::Go;
    }
    println!("DIFFERS: re-evaluating gives another decision than `{shown}`:");
    let (a, b): (Vec<&str>, Vec<&str>) = (text.lines().collect(), fresh.lines().collect());
    let mut shown_lines = 0;
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or(""),
            b.get(i).copied().unwrap_or(""),
        );
        if x != y {
            let (x, y) = if x.trim() == y.trim() {
                // Only whitespace differs: show it, or the two lines would look the same.
                (visible(x), visible(y))
            } else {
                (x.trim().to_owned(), y.trim().to_owned())
            };
            println!("  line {}:\n  - {x}\n  + {y}", i + 1);
            shown_lines += 1;
            if shown_lines == 10 {
                println!("  ...");
                break;
            }
        }
    }
    Exit::NoGo
}

/// The policy to re-evaluate with: the copy kept beside the reports (`policies/<sha256>.yaml`
/// under the report directory, four levels above `POLICY/ENV/STAGE/STAMP.json`), so an edit
/// of the policy file since (a comment) does not matter; the recorded path when there is no
/// copy, said on stderr. `true` when it is the copy.
fn policy_source(
    json_path: &Path,
    inputs: &rollgate_engine::decision::Inputs,
    recorded: &str,
) -> (PathBuf, bool) {
    let report_dir = json_path.ancestors().nth(4);
    if let Some(dir) = report_dir {
        let copy = crate::write::policy_copy(dir, &inputs.policy_sha256);
        if copy.exists() {
            return (copy, true);
        }
        eprintln!(
            "note: no stored copy of the policy at `{}`; reading `{recorded}`",
            copy.display()
        );
    }
    (PathBuf::from(recorded), false)
}

/// A line with its whitespace made visible (`·` a space, `→` a tab), for lines that differ
/// only there.
fn visible(line: &str) -> String {
    format!(
        "{} (whitespace shown: · space, → tab)",
        line.replace(' ', "·").replace('\t', "→")
    )
}
