//! `rollgate init --template canary|blue-green|monitor|slo [--out FILE]`: a commented starter
//! policy and its test file, which validate and pass (a test keeps them so), so a new user
//! starts from something that works. Nothing existing is overwritten.

use std::path::{Path, PathBuf};

use crate::args::InitTemplate;
use crate::error::CliError;
use crate::exit::Exit;

/// The starter's name, policy text and test text (whose `policy:` is `POLICY_FILE`).
pub fn starter(t: InitTemplate) -> (&'static str, &'static str, &'static str) {
    match t {
        InitTemplate::Canary => (
            "canary",
            include_str!("../../templates/init/canary.yaml"),
            include_str!("../../templates/init/canary.test.yaml"),
        ),
        InitTemplate::BlueGreen => (
            "blue-green",
            include_str!("../../templates/init/blue-green.yaml"),
            include_str!("../../templates/init/blue-green.test.yaml"),
        ),
        InitTemplate::Monitor => (
            "monitor",
            include_str!("../../templates/init/monitor.yaml"),
            include_str!("../../templates/init/monitor.test.yaml"),
        ),
        InitTemplate::Slo => (
            "slo",
            include_str!("../../templates/init/slo.yaml"),
            include_str!("../../templates/init/slo.test.yaml"),
        ),
    }
}

pub fn run(t: InitTemplate, out: Option<&Path>) -> Result<Exit, CliError> {
    let (name, policy, test) = starter(t);
    let policy_path: PathBuf =
        out.map_or_else(|| PathBuf::from(format!("{name}.yaml")), Path::to_owned);
    let file_name = policy_path
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
        .ok_or_else(|| {
            CliError::usage(format!(
                "`{}` is not a `.yaml` file name: the test file is named after it",
                policy_path.display()
            ))
        })?
        .to_owned();
    let stem = file_name.trim_end_matches(".yaml").trim_end_matches(".yml");
    let test_path = policy_path.with_file_name(format!("{stem}.test.yaml"));
    let test = test.replace("POLICY_FILE", &file_name);
    // Both files are new, or nothing is written.
    for p in [&policy_path, &test_path] {
        if p.exists() {
            return Err(CliError::usage(format!(
                "`{}` exists; nothing was written (choose another `--out`)",
                p.display()
            )));
        }
    }
    crate::files::write_new(&policy_path, policy.as_bytes()).map_err(|e| {
        CliError::usage(format!("could not write `{}`: {e}", policy_path.display()))
    })?;
    if let Err(e) = crate::files::write_new(&test_path, test.as_bytes()) {
        let _ = std::fs::remove_file(&policy_path);
        return Err(CliError::usage(format!(
            "could not write `{}`: {e}; nothing was written",
            test_path.display()
        )));
    }
    println!(
        "wrote {} and {}; next: `rollgate validate {0} {1}` and `rollgate test {1}`",
        policy_path.display(),
        test_path.display()
    );
    Ok(Exit::Go)
}
