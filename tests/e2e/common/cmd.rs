//! Helpers shared by the end-to-end tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A `rollgate` command, run from the repository root with a clean environment for output
/// that depends on it (no color, not a terminal).
pub fn rollgate() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rollgate"));
    cmd.current_dir(root());
    cmd.env_remove("GITHUB_STEP_SUMMARY");
    cmd.env("NO_COLOR", "1");
    cmd
}

/// What a run printed and how it exited, for assertions and snapshots.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("rollgate runs");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// `rollgate eval --policy POLICY --env ENV --stage STAGE --snapshot SNAPSHOT`, to which a
/// test adds its output options.
pub fn eval_cmd(policy: &str, env: &str, stage: &str, snapshot: &str) -> Command {
    let mut cmd = rollgate();
    cmd.args(["eval", "--policy", policy, "--env", env, "--stage", stage])
        .args(["--snapshot", snapshot]);
    cmd
}
