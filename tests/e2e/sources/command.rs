//! The command source: needs `--allow-exec`, records exit code and tail, never runs a shell
//! line, and its timeout kills it and its children.

use super::*;
use crate::common::policy_text;

/// A policy whose records `tests` come from `argv` (with `extra` options), read by gate
/// `tests-pass`.
fn command_policy(case: &Case, argv: &Value, extra: &str) {
    case.policy(&policy_text::command_policy(
        "tests",
        "tests-pass",
        &argv.to_string(),
        extra,
    ));
}

// --- command ---------------------------------------------------------------------------------

/// The tail as lines, whether kept as one text or a list of lines.
fn tail_lines(r: &Value) -> Vec<String> {
    match &r["tail"] {
        Value::String(s) => s.lines().map(str::to_string).collect(),
        Value::Array(a) => a
            .iter()
            .map(|l| l.as_str().unwrap_or_default().trim_end().to_string())
            .collect(),
        other => panic!("tail: {other}"),
    }
}

#[test]
fn command_needs_allow_exec() {
    let case = Case::new("cmd-no-exec");
    command_policy(&case, &json!(["sh", "-c", "touch ran.marker"]), "");
    let f = case.fetch(&[], &[]);
    assert_eq!(f.out.code, 1, "{}", f.shown());
    let err = f
        .error("tests")
        .unwrap_or_else(|| panic!("no error: {}", f.text));
    assert!(err.contains("--allow-exec"), "{err}");
    assert_no_data(&f, "tests");
    assert!(!case.dir.join("ran.marker").exists(), "the command ran");

    let (out, decision) = case.run(&[], &[]);
    assert_eq!(out.code, 1);
    assert_eq!(gate_status(&decision, "tests-pass"), "error");
}

#[test]
fn command_records_exit_code_and_tail() {
    let case = Case::new("cmd-exit");
    let script = "for i in $(seq 1 30); do echo line $i; done; echo oops >&2; exit 3";
    let argv = json!(["sh", "-c", script]);
    command_policy(&case, &argv, "        tail_lines: 5\n");
    let f = case.fetch(&["--allow-exec"], &[]);
    assert_eq!(f.out.code, 0, "the command answered: {}", f.shown());
    let recs = records(&f.snap, "tests");
    assert_eq!(recs.len(), 1, "{}", f.text);
    let r = &recs[0];
    assert_eq!(r["exit_code"], 3, "{r}");
    assert_eq!(r["timed_out"], false, "{r}");
    assert!(r["duration_ms"].as_f64().is_some_and(|d| d >= 0.0), "{r}");
    assert_eq!(
        tail_lines(r),
        ["line 27", "line 28", "line 29", "line 30", "oops"],
        "{r}"
    );
    assert!(
        r["sha256"]
            .as_str()
            .is_some_and(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())),
        "{r}"
    );
    match &r["command"] {
        Value::Array(_) => assert_eq!(r["command"], argv, "{r}"),
        Value::String(s) => assert!(s.starts_with("sh") && s.contains("seq 1 30"), "{r}"),
        other => panic!("command: {other}"),
    }
    let ev = &f.snap["evidence"]["tests"];
    assert_eq!(ev["source"], "command", "{ev}");
    assert_eq!(ev["exit_code"], 3, "{ev}");

    let (out, decision) = case.run(&["--allow-exec"], &[]);
    assert_eq!(out.code, 1);
    assert_eq!(gate_status(&decision, "tests-pass"), "fail");
}

#[test]
fn command_argv_is_never_a_shell_line() {
    let case = Case::new("cmd-argv");
    let arg = "$HOME; echo injected > pwned.txt";
    command_policy(&case, &json!(["echo", arg]), "");
    let f = case.fetch(&["--allow-exec"], &[]);
    assert_eq!(f.out.code, 0, "{}", f.shown());
    let r = &records(&f.snap, "tests")[0];
    assert_eq!(r["exit_code"], 0, "{r}");
    assert_eq!(tail_lines(r), [arg], "{r}");
    assert!(!case.dir.join("pwned.txt").exists());

    let (out, decision) = case.run(&["--allow-exec"], &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(decision["verdict"], "go");
}

#[test]
fn command_timeout_kills_it() {
    let case = Case::new("cmd-timeout");
    // `sleep` is a child of `sh`: it holds the output pipes until it too is killed.
    command_policy(
        &case,
        &json!(["sh", "-c", "echo started; sleep 30; echo finished"]),
        "        timeout: 1s\n",
    );
    let f = case.fetch(&["--allow-exec"], &[]);
    assert_ne!(f.out.code, 2, "{}", f.shown());
    assert!(f.elapsed < Duration::from_secs(10), "{:?}", f.elapsed);
    let recs = records(&f.snap, "tests");
    assert_eq!(recs.len(), 1, "{}", f.text);
    let r = &recs[0];
    assert_eq!(r["timed_out"], true, "{r}");
    assert_ne!(r["exit_code"], 0, "{r}");
    let tail = tail_lines(r);
    assert!(tail.contains(&"started".to_string()), "{r}");
    assert!(!tail.contains(&"finished".to_string()), "{r}");

    let (out, decision) = case.run(&["--allow-exec"], &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_ne!(gate_status(&decision, "tests-pass"), "pass");
}

#[test]
fn command_timeout_kills_its_children_too() {
    let case = Case::new("cmd-timeout-children");
    // Without a shell of its own: the subshell would outlive `sh` unless the whole process
    // group is stopped.
    command_policy(
        &case,
        &json!([
            "sh",
            "-c",
            "(sleep 2; touch late.marker) & echo started; wait"
        ]),
        "        timeout: 1s\n",
    );
    let start = Instant::now();
    let f = case.fetch(&["--allow-exec"], &[]);
    assert_ne!(f.out.code, 2, "{}", f.shown());
    std::thread::sleep(Duration::from_millis(3500).saturating_sub(start.elapsed()));
    assert!(
        !case.dir.join("late.marker").exists(),
        "a child of the timed-out command kept running"
    );
}
