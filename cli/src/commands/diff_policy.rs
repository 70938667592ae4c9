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

use super::eval::load_policy_file;
use crate::args::DiffPolicyArgs;
use crate::exit::Exit;

pub fn run(args: &DiffPolicyArgs) -> Exit {
    let Ok((_, old)) = load_policy_file(&args.old) else {
        return Exit::Invalid;
    };
    let Ok((_, new)) = load_policy_file(&args.new) else {
        return Exit::Invalid;
    };
    if !args.snapshots.is_dir() {
        eprintln!("{}: not a directory", args.snapshots.display());
        return Exit::Invalid;
    }
    let mut files = Vec::new();
    find(&args.snapshots, &mut files);
    files.sort();
    let (mut compared, mut skipped, mut flips) = (0, 0, 0);
    // Snapshots neither version can evaluate (another policy's, an unknown stage): named,
    // never dropped without a word.
    let mut refused: Vec<String> = Vec::new();
    for f in &files {
        let Some(snap) = read_snapshot(f) else {
            skipped += 1;
            continue;
        };
        let (Some(env), Some(stage), Some(now)) = (&snap.environment, &snap.stage, snap.taken_at)
        else {
            skipped += 1;
            continue;
        };
        let decide = |p: &Policy| {
            let cx = EvalContext {
                environment: env.clone(),
                stage: stage.clone(),
                now,
                entered_at: snap.stage_entered_at,
                owner: None,
                clock: Some(crate::clock::monotonic()),
                inputs: Inputs::default(),
            };
            evaluate(p, &snap, &cx)
        };
        compared += 1;
        let shown = f.display();
        match (decide(&old.policy), decide(&new.policy)) {
            (Ok(a), Ok(b)) => {
                let changes = gate_changes(&a, &b);
                if a.verdict != b.verdict {
                    flips += 1;
                    println!(
                        "FLIP  {shown} ({env}/{stage} at {}): {} -> {}",
                        a.evaluated_at,
                        a.verdict.label(),
                        b.verdict.label()
                    );
                    for c in &changes {
                        println!("      {c}");
                    }
                } else if !changes.is_empty() {
                    println!(
                        "same  {shown} ({env}/{stage}): {} either way; gates changed:",
                        a.verdict.label()
                    );
                    for c in &changes {
                        println!("      {c}");
                    }
                }
            }
            (Err(e), Ok(b)) => {
                flips += 1;
                println!(
                    "FLIP  {shown}: the old policy refuses it ({e}); the new one says {}",
                    b.verdict.label()
                );
            }
            (Ok(a), Err(e)) => {
                flips += 1;
                println!(
                    "FLIP  {shown}: the old policy says {}; the new one refuses it ({e})",
                    a.verdict.label()
                );
            }
            (Err(_), Err(e)) => {
                compared -= 1;
                refused.push(format!("{shown}: {e}"));
            }
        }
    }
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
    if !refused.is_empty() {
        println!(
            "{} not compared: neither policy evaluates {}:",
            plural(refused.len() as u64, "snapshot", "snapshots"),
            if refused.len() == 1 { "it" } else { "them" }
        );
        for r in &refused {
            println!("      {r}");
        }
    }
    if flips > 0 { Exit::NoGo } else { Exit::Go }
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
