//! The bundled examples (`examples/<policy>/<verdict>-<what>.json`, written by
//! `scripts/gen_examples.py`): each one, evaluated by the real binary against its policy,
//! gives the verdict its name starts with, and the same bytes when evaluated again.

use std::path::Path;

use serde_json::Value;

use crate::common::{rollgate, root, run};

/// Name prefixes, longest first (`no-go-` also ends in `go-`), with verdict and exit code.
const PREFIXES: [(&str, &str, i32); 4] = [
    ("no-go-", "no-go", 1),
    ("go-", "go", 0),
    ("hold-", "hold", 3),
    ("rollback-", "rollback", 4),
];

/// Files over this size make the repository heavy; the generator uses the gate windows.
const MAX_BYTES: u64 = 300 * 1024;

#[derive(Debug)]
struct Example {
    /// The directory: the policy id, `policies/<policy>.yaml`.
    policy: String,
    /// The file name without `.json`.
    name: String,
}

impl Example {
    fn path(&self) -> String {
        format!("examples/{}/{}.json", self.policy, self.name)
    }

    fn expected(&self) -> Option<(&'static str, i32)> {
        PREFIXES
            .iter()
            .find(|(prefix, ..)| self.name.starts_with(prefix))
            .map(|(_, verdict, code)| (*verdict, *code))
    }
}

fn sorted_entries(dir: &Path) -> Vec<std::fs::DirEntry> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry"))
        .collect();
    entries.sort_by_key(|e| e.file_name());
    entries
}

fn examples() -> Vec<Example> {
    let mut all = Vec::new();
    for dir in sorted_entries(&root().join("examples")) {
        // `migrations/` holds other tools' configurations beside their rollgate policies,
        // checked by `migrations.rs`.
        if !dir.path().is_dir() || dir.file_name() == "migrations" {
            continue;
        }
        let policy = dir.file_name().to_string_lossy().into_owned();
        for file in sorted_entries(&dir.path()) {
            let file_name = file.file_name().to_string_lossy().into_owned();
            if let Some(name) = file_name.strip_suffix(".json") {
                all.push(Example {
                    policy: policy.clone(),
                    name: name.to_owned(),
                });
            }
        }
    }
    assert!(
        !all.is_empty(),
        "no examples: run `python3 scripts/gen_examples.py`"
    );
    all
}

fn policy_ids() -> Vec<String> {
    sorted_entries(&root().join("policies"))
        .into_iter()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") && !n.ends_with(".test.yaml"))
        .map(|n| n.trim_end_matches(".yaml").to_owned())
        .collect()
}

/// `eval` of one example as the README shows it, JSON on stdout, nothing written.
fn eval_args(ex: &Example, env: &str, stage: &str) -> Vec<String> {
    [
        "eval",
        "--policy",
        &format!("policies/{}.yaml", ex.policy),
        "--env",
        env,
        "--stage",
        stage,
        "--snapshot",
        &ex.path(),
        "--format",
        "json",
        "--no-report",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Evaluates one example; Err says what differs from its name.
fn check(ex: &Example) -> Result<(), String> {
    let path = ex.path();
    let (verdict, code) = ex.expected().ok_or_else(|| {
        format!("{path}: the name must start with go-, hold-, no-go- or rollback-")
    })?;
    let text = std::fs::read_to_string(root().join(&path)).map_err(|e| format!("{path}: {e}"))?;
    let size = text.len() as u64;
    if size > MAX_BYTES {
        return Err(format!("{path}: {size} bytes, over {MAX_BYTES}"));
    }
    let snapshot: Value =
        serde_json::from_str(&text).map_err(|e| format!("{path}: not JSON: {e}"))?;
    let field = |key: &str| {
        snapshot[key]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{path}: no `{key}`"))
    };
    let (env, stage) = (field("environment")?, field("stage")?);
    let args = eval_args(ex, &env, &stage);
    let first = run(rollgate().args(&args));
    if first.code != code {
        return Err(format!(
            "{path}: exit {} (expected {code}, {verdict})\nstdout: {}\nstderr: {}",
            first.code,
            first.stdout.chars().take(2000).collect::<String>(),
            first.stderr
        ));
    }
    let decision: Value = serde_json::from_str(&first.stdout)
        .map_err(|e| format!("{path}: the decision is not JSON: {e}"))?;
    let blockers = || decision["blockers"].to_string();
    if decision["verdict"] != verdict {
        return Err(format!(
            "{path}: verdict {} (expected {verdict}); blockers: {}",
            decision["verdict"],
            blockers()
        ));
    }
    for (key, want) in [
        ("policy", &ex.policy),
        ("environment", &env),
        ("stage", &stage),
    ] {
        if decision[key] != want.as_str() {
            return Err(format!("{path}: decision `{key}` is {}", decision[key]));
        }
    }
    if decision["evaluated_at"] != snapshot["taken_at"] {
        return Err(format!(
            "{path}: evaluated at {}, not at the snapshot's taken_at {}",
            decision["evaluated_at"], snapshot["taken_at"]
        ));
    }
    let second = run(rollgate().args(&args));
    if second.code != first.code || second.stdout != first.stdout {
        return Err(format!(
            "{path}: a second evaluation printed different bytes"
        ));
    }
    Ok(())
}

#[test]
fn every_example_gives_the_verdict_its_name_says() {
    let failures: Vec<String> = examples().iter().filter_map(|ex| check(ex).err()).collect();
    assert!(
        failures.is_empty(),
        "{} examples differ from their names:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_policy_has_a_go_and_a_no_go_example() {
    let all = examples();
    let policies = policy_ids();
    for ex in &all {
        assert!(
            policies.contains(&ex.policy),
            "{}: examples/{}/ names no policy in policies/",
            ex.path(),
            ex.policy
        );
    }
    for policy in &policies {
        for verdict in ["go", "no-go"] {
            assert!(
                all.iter()
                    .any(|ex| &ex.policy == policy
                        && ex.expected().is_some_and(|(v, _)| v == verdict)),
                "policy {policy} has no {verdict} example in examples/{policy}/"
            );
        }
    }
}

#[test]
fn the_examples_readme_shows_every_example_and_its_command() {
    let readme = std::fs::read_to_string(root().join("examples/README.md"))
        .expect("examples/README.md exists");
    for ex in examples() {
        let text = std::fs::read_to_string(root().join(ex.path())).unwrap();
        let snapshot: Value = serde_json::from_str(&text).unwrap();
        let (env, stage) = (
            snapshot["environment"].as_str().unwrap(),
            snapshot["stage"].as_str().unwrap(),
        );
        let row = format!("({}/{}.json)", ex.policy, ex.name);
        assert!(
            readme.contains(&row),
            "the README has no row for {}",
            ex.path()
        );
        let command = format!(
            "rollgate eval --policy policies/{}.yaml --env {env} --stage {stage} --snapshot {} --format text --no-report",
            ex.policy,
            ex.path()
        );
        assert!(
            readme.contains(&command),
            "the README lacks the command for {}: {command}",
            ex.path()
        );
    }
}

/// The report of every policy in every verdict it reaches: what an auditor reads, kept
/// under review (insta).
#[test]
fn every_example_report() {
    for ex in examples() {
        let snap: Value = serde_json::from_str(
            &std::fs::read_to_string(root().join(ex.path())).expect("example readable"),
        )
        .expect("example is JSON");
        let env = snap["environment"]
            .as_str()
            .expect("environment")
            .to_owned();
        let stage = snap["stage"].as_str().expect("stage").to_owned();
        let mut args = eval_args(&ex, &env, &stage);
        for a in args.iter_mut() {
            if a == "json" {
                *a = "markdown".to_owned();
            }
        }
        let out = run(rollgate().args(&args));
        assert!(out.stdout.starts_with('#'), "{}: {}", ex.path(), out.stderr);
        insta::assert_snapshot!(format!("report_{}_{}", ex.policy, ex.name), out.stdout);
    }
}
