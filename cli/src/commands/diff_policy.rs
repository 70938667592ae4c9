//! `rollgate diff-policy OLD NEW --snapshots DIR`: what a policy change does to real history.
//! Every stored snapshot is evaluated (at its recorded environment, stage and time) under
//! both versions; every decision that would flip is listed with the gates responsible.
//! Exit 0 when nothing flips, 1 when something does, 2 on invalid input.

use std::path::{Path, PathBuf};

use rollgate_engine::decision::{Decision, Inputs};
use rollgate_engine::format::plural;
use rollgate_engine::policy::model::Policy;
use rollgate_engine::snapshot::Snapshot;
use rollgate_engine::{EvalContext, evaluate};

use crate::args::DiffPolicyArgs;
use crate::error::CliError;
use crate::exit::Exit;

pub fn run(args: &DiffPolicyArgs) -> Result<Exit, CliError> {
    let (_, old) = crate::load::policy_file(&args.old)?;
    let (_, new) = crate::load::policy_file(&args.new)?;
    if !args.snapshots.is_dir() {
        return Err(CliError::file(&args.snapshots, "not a directory"));
    }
    let mut files = Vec::new();
    find(&args.snapshots, &mut files);
    files.sort();
    let mut tally = Tally::default();
    for f in &files {
        compare(f, &old.policy, &new.policy, &mut tally);
    }
    tally.print();
    Ok(if tally.flips > 0 {
        Exit::NoGo
    } else {
        Exit::Go
    })
}

/// What the comparison found so far.
#[derive(Default)]
struct Tally {
    compared: usize,
    skipped: usize,
    flips: usize,
    /// Snapshots neither version can evaluate (another policy's, an unknown stage): named,
    /// never dropped without a word.
    refused: Vec<String>,
}

/// Evaluates one file under both versions and prints what changes.
fn compare(f: &Path, old: &Policy, new: &Policy, tally: &mut Tally) {
    let Some(snap) = read_snapshot(f) else {
        tally.skipped += 1;
        return;
    };
    let (Some(env), Some(stage), Some(now)) = (&snap.environment, &snap.stage, snap.taken_at)
    else {
        tally.skipped += 1;
        return;
    };
    let decide = |p: &Policy| {
        let cx = EvalContext {
            environment: env.clone(),
            stage: stage.clone(),
            now,
            entered_at: snap.stage_entered_at,
            rollout_started_at: snap.rollout_started_at,
            params: Default::default(),
            owner: None,
            clock: Some(crate::clock::monotonic()),
            inputs: Inputs::default(),
        };
        evaluate(p, &snap, &cx)
    };
    tally.compared += 1;
    let shown = f.display();
    match (decide(old), decide(new)) {
        (Ok(a), Ok(b)) => {
            let changes = gate_changes(&a, &b);
            if a.verdict != b.verdict {
                tally.flips += 1;
                println!(
                    "FLIP  {shown} ({env}/{stage} at {}): {} -> {}",
                    a.evaluated_at,
                    a.verdict.label(),
                    b.verdict.label()
                );
            } else if !changes.is_empty() {
                println!(
                    "same  {shown} ({env}/{stage}): {} either way; gates changed:",
                    a.verdict.label()
                );
            }
            for c in &changes {
                println!("      {c}");
            }
        }
        (Err(e), Ok(b)) => {
            tally.flips += 1;
            println!(
                "FLIP  {shown}: the old policy refuses it ({e}); the new one says {}",
                b.verdict.label()
            );
        }
        (Ok(a), Err(e)) => {
            tally.flips += 1;
            println!(
                "FLIP  {shown}: the old policy says {}; the new one refuses it ({e})",
                a.verdict.label()
            );
        }
        (Err(_), Err(e)) => {
            tally.compared -= 1;
            tally.refused.push(format!("{shown}: {e}"));
        }
    }
}

impl Tally {
    /// The closing lines: counts, then the snapshots neither version evaluates.
    fn print(&self) {
        let (compared, flips, skipped) = (self.compared, self.flips, self.skipped);
        println!(
            "{compared} snapshot{} compared, {flips} decision{} would flip{}",
            if compared == 1 { "" } else { "s" },
            if flips == 1 { "" } else { "s" },
            if skipped > 0 {
                format!(
                    " ({skipped} file{} skipped: not snapshots, or without environment, stage and taken_at)",
                    if skipped == 1 { "" } else { "s" }
                )
            } else {
                String::new()
            }
        );
        if !self.refused.is_empty() {
            println!(
                "{} not compared: neither policy evaluates {}:",
                plural(self.refused.len() as u64, "snapshot", "snapshots"),
                if self.refused.len() == 1 {
                    "it"
                } else {
                    "them"
                }
            );
            for r in &self.refused {
                println!("      {r}");
            }
        }
    }
}

fn gate_changes(a: &Decision, b: &Decision) -> Vec<String> {
    let word = |s: Option<rollgate_engine::decision::GateStatus>| {
        s.map_or("absent".to_owned(), |s| format!("{s:?}").to_lowercase())
    };
    let mut ids: Vec<&str> = a
        .gates
        .iter()
        .chain(&b.gates)
        .map(|g| g.id.as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.into_iter()
        .filter_map(|id| {
            let x = a.gates.iter().find(|g| g.id == id);
            let y = b.gates.iter().find(|g| g.id == id);
            let (sx, sy) = (x.map(|g| g.status), y.map(|g| g.status));
            (sx != sy).then(|| {
                let why = y.map(|g| format!(": {}", g.message)).unwrap_or_default();
                format!("gate `{id}`: {} -> {}{why}", word(sx), word(sy))
            })
        })
        .collect()
}

fn find(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            find(&p, out);
        } else if p
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| matches!(x, "json" | "yaml" | "yml"))
        {
            out.push(p);
        }
    }
}

/// A snapshot, or None for any other file (decisions beside reports, policies...).
fn read_snapshot(path: &Path) -> Option<Snapshot> {
    let bytes = std::fs::read(path).ok()?;
    let yaml = path.extension().is_some_and(|x| x != "json");
    if yaml {
        rollgate_engine::snapshot::from_yaml(std::str::from_utf8(&bytes).ok()?).ok()
    } else {
        rollgate_engine::snapshot::from_json(&bytes).ok()
    }
}
