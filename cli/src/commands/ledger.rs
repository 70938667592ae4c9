//! `rollgate ledger enter|approve|waive|override|note|show|verify`.

use std::io::Write;
use std::path::Path;

use rollgate_engine::format::plural;
use serde_json::json;

use crate::args::{LedgerCommand, LedgerTarget};
use crate::error::CliError;
use crate::exit::Exit;
use crate::ledger::{self, Kind};

pub fn run(cmd: &LedgerCommand) -> Result<Exit, CliError> {
    match cmd {
        LedgerCommand::Enter(t) => add(t, Kind::Enter, json!({})),
        LedgerCommand::Approve(t) => add(t, Kind::Approve, json!({})),
        LedgerCommand::Waive {
            target,
            gate,
            until,
            reason,
            ticket,
        } => {
            if let Ok(Some(policy)) = load_if_file(&target.policy)
                && !policy.gates.contains_key(gate)
            {
                let help = rollgate_engine::diagnostic::did_you_mean(
                    gate,
                    policy.gates.keys().map(String::as_str),
                );
                return Err(CliError::usage(format!(
                    "policy `{}` has no gate `{gate}`{}",
                    policy.id,
                    help.map(|h| format!("; {h}")).unwrap_or_default()
                )));
            }
            if reason.trim().is_empty() {
                return Err(CliError::usage("a waiver needs a `--reason`"));
            }
            add(
                target,
                Kind::Waive,
                json!({ "gate": gate, "until": rollgate_engine::snapshot::format_time(*until), "reason": reason, "ticket": ticket }),
            )
        }
        LedgerCommand::Override {
            target,
            reason,
            ticket,
            until,
        } => {
            if reason.trim().is_empty() || ticket.trim().is_empty() {
                return Err(CliError::usage(
                    "an override needs a `--reason` and a `--ticket`: it is how an emergency is audited",
                ));
            }
            if target.by.as_deref().is_none_or(|b| b.trim().is_empty()) {
                return Err(CliError::usage(
                    "an override needs `--by NAME`: who decided it",
                ));
            }
            let until = until.map(rollgate_engine::snapshot::format_time);
            add(
                target,
                Kind::Override,
                json!({ "reason": reason, "ticket": ticket, "until": until }),
            )
        }
        LedgerCommand::Note { target, text } => add(target, Kind::Note, json!({ "text": text })),
        LedgerCommand::Show {
            file,
            policy,
            env,
            stage,
        } => show(file, policy.as_deref(), env.as_deref(), stage.as_deref()).map(|()| Exit::Go),
        LedgerCommand::Verify {
            file,
            repair_tail,
            against,
        } => verify(file, *repair_tail, against.as_deref()),
    }
}

/// The policy, when `--policy` names a file (then environment, stage and gates are checked).
fn load_if_file(p: &str) -> Result<Option<rollgate_engine::policy::model::Policy>, CliError> {
    let path = Path::new(p);
    if !path.is_file() {
        return Ok(None);
    }
    crate::load::policy_file(path).map(|(_, l)| Some(l.policy))
}

fn add(t: &LedgerTarget, kind: Kind, payload: serde_json::Value) -> Result<Exit, CliError> {
    let policy_key = match load_if_file(&t.policy)? {
        Some(p) => {
            if !p.knows_env(&t.env) || p.stage(&t.stage).is_none() {
                return Err(CliError::usage(format!(
                    "policy `{}` has no environment `{}` or no stage `{}`",
                    p.id, t.env, t.stage
                )));
            }
            // The same parameters (defaults included) an evaluation resolves.
            let params = p
                .resolve_params(&t.params, &Default::default())
                .map_err(|e| crate::evaluate::evaluation_refused(&e))?;
            ledger::subject(&p.id, &params)
        }
        None => {
            let ok = !t.policy.is_empty()
                && t.policy
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                return Err(CliError::usage(format!(
                    "`{}` is neither a policy file nor a policy id",
                    t.policy
                )));
            }
            let params = t.params.iter().cloned().collect();
            ledger::subject(&t.policy, &params)
        }
    };
    let at = match t.at {
        Some(a) => a,
        None => crate::sources::clock().floor(),
    };
    let e = ledger::entry(
        kind,
        rollgate_engine::snapshot::format_time(at),
        &policy_key,
        &t.env,
        &t.stage,
        &ledger::actor(t.by.as_deref()),
        payload,
    );
    let e = ledger::append(&t.file, e).map_err(|err| CliError::Located(err.located(&t.file)))?;
    println!("{}", line(&e));
    Ok(Exit::Go)
}

fn line(e: &ledger::Entry) -> String {
    let kind = serde_json::to_value(e.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let detail = match e.kind {
        Kind::Decision => format!(
            "{} (report {})",
            e.payload["verdict"].as_str().unwrap_or("?"),
            e.payload["report"].as_str().unwrap_or("none")
        ),
        Kind::Waive => format!(
            "gate {} until {}: {}",
            e.payload["gate"].as_str().unwrap_or("?"),
            e.payload["until"].as_str().unwrap_or("?"),
            e.payload["reason"].as_str().unwrap_or("")
        ),
        Kind::Note => e.payload["text"].as_str().unwrap_or("").to_owned(),
        Kind::Override => format!(
            "{} ({}){}",
            e.payload["reason"].as_str().unwrap_or(""),
            e.payload["ticket"].as_str().unwrap_or(""),
            e.payload["until"]
                .as_str()
                .map(|u| format!(" until {u}"))
                .unwrap_or_default()
        ),
        Kind::Enter | Kind::Approve => String::new(),
    };
    format!(
        "#{} {} {:<8} {}/{}/{} by {} {}",
        e.seq, e.time, kind, e.policy, e.env, e.stage, e.actor, detail
    )
    .trim_end()
    .to_owned()
}

fn show(
    file: &Path,
    policy: Option<&str>,
    env: Option<&str>,
    stage: Option<&str>,
) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let shown = ledger::scan(file, false, |e| {
        if policy.is_none_or(|p| p == e.policy)
            && env.is_none_or(|v| v == e.env)
            && stage.is_none_or(|s| s == e.stage)
        {
            let _ = writeln!(out, "{}", line(e));
        }
    });
    shown
        .map(|_| ())
        .map_err(|e| CliError::Located(e.located(file)))
}

fn verify(file: &Path, repair: bool, against: Option<&Path>) -> Result<Exit, CliError> {
    let claims = against
        .map(ledger::claims_in)
        .transpose()
        .map_err(|e| CliError::file(against.unwrap_or(file), e.to_string()))?
        .unwrap_or_default();
    if !file.exists() {
        return Err(CliError::file(file, "no such file"));
    }
    if repair {
        let now = rollgate_engine::snapshot::format_time(crate::sources::clock().floor());
        match ledger::repair_tail(file, &ledger::actor(None), now) {
            Ok(Some(r)) => println!(
                "{}:{}: dropped a torn last line ({} bytes, sha256 {}); recorded as entry {}",
                file.display(),
                r.line,
                r.bytes,
                r.sha256,
                r.note.seq
            ),
            Ok(None) => {}
            // Anything else is reported by the verification below.
            Err(ledger::LedgerError::Io(m)) => return Err(CliError::file(file, m)),
            Err(_) => {}
        }
    }
    let mut checker = ledger::Checker::new(&claims.0);
    Ok(match ledger::scan(file, true, |e| checker.see(e)) {
        Ok(head) => {
            println!(
                "{}: {}, chain valid",
                file.display(),
                plural(head.entries, "entry", "entries")
            );
            let Some(dir) = against else {
                return Ok(Exit::Go);
            };
            let problems = checker.finish(head.entries);
            println!(
                "{}: {} reports in `{}` name their ledger entry{}",
                file.display(),
                claims.0.len(),
                dir.display(),
                if claims.1 > 0 {
                    format!(" ({} other JSON files skipped)", claims.1)
                } else {
                    String::new()
                }
            );
            for p in &problems {
                println!("{}: {p}", file.display());
            }
            if problems.is_empty() {
                Exit::Go
            } else {
                Exit::NoGo
            }
        }
        Err(e @ ledger::LedgerError::Io(_)) | Err(e @ ledger::LedgerError::NotAFile(_)) => {
            return Err(CliError::Located(e.located(file)));
        }
        Err(e) => {
            // A torn, malformed or unchained line is a broken ledger: exit 1.
            println!("{}", e.located(file));
            Exit::NoGo
        }
    })
}
