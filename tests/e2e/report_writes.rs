//! Writing a report under faults (issue 12, "Other defects"): a write that fails part-way
//! leaves no file of the report behind and says "could not write"; a symbolic link inside the
//! report directory is refused; two evaluations racing for one stamp both get a report and
//! both exit with their verdict.
//!
//! Failures are injected with a file-size limit (`prlimit --fsize`, SIGXFSZ ignored), which
//! works for any user, root included (a read-only directory does not stop root).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::fixtures::file_names as files;
use crate::common::fixtures::scratch_dir;
use crate::common::{Run, rollgate, run};

const DIR: &str = "tests/fixtures/ledger";
const POLICY: &str = "tests/fixtures/ledger/policy.yaml";

fn scratch(name: &str) -> PathBuf {
    scratch_dir(&format!("report-writes-{name}"))
}

/// `rollgate eval` of a ledger fixture snapshot at 03:00, entered at midnight, reports in
/// `rd`.
fn eval_args(cmd: &mut Command, snapshot: &str, rd: &Path) {
    cmd.args(["eval", "--policy", POLICY, "--env", "production"])
        .args([
            "--stage",
            "canary",
            "--snapshot",
            &format!("{DIR}/{snapshot}"),
        ])
        .args(["--now", "2026-01-01T03:00:00Z"])
        .args(["--entered-at", "2026-01-01T00:00:00Z", "--format", "json"])
        .arg("--report-dir")
        .arg(rd);
}

/// The same command under a limit of `bytes` per file written (a full disk, as far as the
/// writer can tell: EFBIG after a partial write).
pub fn limited(bytes: u64) -> Command {
    let real = rollgate();
    let mut cmd = Command::new("sh");
    cmd.current_dir(real.get_current_dir().unwrap())
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_STEP_SUMMARY")
        .arg("-c")
        .arg(r#"trap '' XFSZ; exec prlimit --fsize="$0" -- "$@""#)
        .arg(bytes.to_string())
        .arg(real.get_program());
    cmd
}

/// The markdown (about 1.4 KB) fits under the limit, the decision JSON (about 3 KB) does not:
/// before, the first file stayed behind as an orphan and the run said nothing of a write.
#[test]
fn a_report_that_cannot_be_written_whole_leaves_nothing() {
    let dir = scratch("partial");
    let rd = dir.join("rd");
    // The sizes the limit sits between, from a report written without one.
    let mut free = rollgate();
    eval_args(&mut free, "green.json", &dir.join("sizes"));
    assert_eq!(run(&mut free).code, 0);
    let stem = dir.join("sizes/ledger-demo/production/canary/20260101T030000Z");
    let md = std::fs::metadata(stem.with_extension("md")).unwrap().len();
    let json = std::fs::metadata(stem.with_extension("json"))
        .unwrap()
        .len();
    assert!(md < json, "{md} {json}");

    let mut cmd = limited((md + json) / 2);
    eval_args(&mut cmd, "green.json", &rd);
    let out = run(&mut cmd);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("could not write")
            && out.stderr.contains("20260101T030000Z.json")
            && out.stderr.contains("no file of the report was kept"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("invalid input"), "{}", out.stderr);
    assert_eq!(out.stdout, "", "no decision is printed without its report");
    assert_eq!(files(&rd), Vec::<String>::new(), "nothing left behind");

    // The same for `run`, whose set has three files.
    let rd = dir.join("rd-run");
    let mut cmd = limited((md + json) / 2);
    cmd.args(["run", "--policy", &format!("{DIR}/run-policy.yaml")])
        .args(["--env", "production", "--stage", "canary"])
        .args(["--now", "2026-01-01T03:00:00Z", "--format", "json"])
        .arg("--report-dir")
        .arg(&rd);
    let out = run(&mut cmd);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("could not write"), "{}", out.stderr);
    assert_eq!(files(&rd), Vec::<String>::new(), "nothing left behind");
}

/// A directory of the report path that is a symbolic link (here the policy's, pointing
/// outside the report dir) is refused; nothing is written on either side.
#[test]
fn a_symlinked_directory_in_the_report_dir_is_refused() {
    let dir = scratch("symlink");
    let rd = dir.join("rd");
    let outside = dir.join("outside");
    std::fs::create_dir_all(&rd).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, rd.join("ledger-demo")).unwrap();
    let mut cmd = rollgate();
    eval_args(&mut cmd, "green.json", &rd);
    let out = run(&mut cmd);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("is a symbolic link")
            && out
                .stderr
                .contains("only written inside the report directory"),
        "{}",
        out.stderr
    );
    assert_eq!(files(&outside), Vec::<String>::new());

    // Deeper down (the stage's directory) as well.
    std::fs::remove_file(rd.join("ledger-demo")).unwrap();
    std::fs::create_dir_all(rd.join("ledger-demo/production")).unwrap();
    std::os::unix::fs::symlink(&outside, rd.join("ledger-demo/production/canary")).unwrap();
    let out = run(&mut cmd);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("is a symbolic link"), "{}", out.stderr);
    assert_eq!(files(&outside), Vec::<String>::new());
}

/// Two evaluations of different data at the same instant, started together, several times:
/// both reports are written (one under the stamp, the other with a suffix from its evaluation
/// id) and each run exits with its own verdict. Before, the loser exited 2 "already exists".
#[test]
fn concurrent_evaluations_with_one_stamp_both_get_a_report() {
    let dir = scratch("race");
    for round in 0..8 {
        let rd = dir.join(format!("rd{round}"));
        let children: Vec<_> = [("green.json", 0), ("red.json", 1)]
            .into_iter()
            .map(|(snapshot, code)| {
                let mut cmd = rollgate();
                eval_args(&mut cmd, snapshot, &rd);
                let child = cmd
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                (child, code)
            })
            .collect();
        for (child, code) in children {
            let o = child.wait_with_output().unwrap();
            let out = Run {
                code: o.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            };
            assert_eq!(out.code, code, "round {round}: {}", out.stderr);
        }
        let all = files(&rd);
        // Two reports and their decisions, and the one policy copy they share.
        assert_eq!(all.len(), 5, "round {round}: {all:?}");
        assert_eq!(
            all.iter().filter(|f| f.starts_with("policies/")).count(),
            1,
            "round {round}: {all:?}"
        );
        assert_eq!(
            all.iter()
                .filter(|f| f.contains("20260101T030000Z-"))
                .count(),
            2,
            "round {round}: one suffixed report: {all:?}"
        );
    }
}
