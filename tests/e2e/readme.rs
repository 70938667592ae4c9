//! The README's commands work: every `rollgate ...` or `cargo run --release -- ...` line in
//! a `sh` block runs against the real binary and is valid usage (not exit 2). The first one,
//! the quick-start evaluation, is a NO-GO.

use crate::common::{rollgate, root, run};

fn commands() -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut out = Vec::new();
    let mut in_sh = false;
    for line in text.lines() {
        match line.trim() {
            "```sh" => in_sh = true,
            "```" => in_sh = false,
            l if in_sh => {
                let args = l
                    .strip_prefix("cargo run --release -- ")
                    .or_else(|| l.strip_prefix("rollgate "));
                if let Some(args) = args {
                    out.push(args.split_whitespace().map(str::to_owned).collect());
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn readme_commands_run() {
    let cmds = commands();
    assert!(cmds.len() >= 2, "{cmds:?}");
    for (i, args) in cmds.iter().enumerate() {
        let mut args = args.clone();
        // Never write into the repository from a test.
        if args.first().is_some_and(|a| a == "eval") && !args.iter().any(|a| a == "--no-report") {
            args.push("--no-report".into());
        }
        let out = run(rollgate().args(&args));
        assert_ne!(out.code, 2, "README command {args:?}:\n{}", out.stderr);
        if i == 0 {
            assert_eq!(out.code, 1, "the quick start is a NO-GO");
            assert!(out.stdout.starts_with("NO-GO"), "{}", out.stdout);
        }
    }
}

/// The two reports shown in the README are exactly what rollgate renders today.
#[test]
fn readme_reports_are_current() {
    let text = std::fs::read_to_string(root().join("README.md")).unwrap();
    let blocks: Vec<&str> = text
        .split("````markdown\n")
        .skip(1)
        .map(|b| b.split("\n````").next().unwrap())
        .collect();
    assert_eq!(blocks.len(), 2, "a GO and a NO-GO report");
    for (block, args) in blocks.iter().zip([
        [
            "policies/weathervane-monitor.yaml",
            "production",
            "post-promotion",
            "examples/weathervane-monitor/go-production-healthy.json",
        ],
        [
            "policies/khala-ws-only.yaml",
            "production",
            "broad-25",
            "examples/khala-ws-only/no-go-replay-regression-ios.json",
        ],
    ]) {
        let out = run(rollgate().args([
            "eval",
            "--policy",
            args[0],
            "--env",
            args[1],
            "--stage",
            args[2],
            "--snapshot",
            args[3],
            "--no-report",
            "--format",
            "markdown",
        ]));
        assert_eq!(
            out.stdout.trim_end(),
            block.trim_end(),
            "README's report for {} is stale: regenerate it",
            args[3]
        );
    }
}
