//! `rollgate test [PATH...]`: runs policy test files (`*.test.yaml`), as promtool tests
//! alerting rules. Every file is validated first; an invalid one exits 2 before anything
//! runs. The last line is exactly `N passed, N failed`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rollgate_engine::decision::{GateStatus, Inputs};
use rollgate_engine::policy::model::Policy;
use rollgate_engine::policy_test::{self, CaseResult};

use crate::args::{TestArgs, TestFormat};
use crate::diagnostics::{Style, emit};
use crate::error::CliError;
use crate::exit::Exit;
use crate::files;

/// A test file, loaded with its policy.
struct Loaded {
    path: PathBuf,
    policy_path: PathBuf,
    policy: Policy,
    tests: policy_test::LoadedTests,
}

pub fn run(args: &TestArgs) -> Result<Exit, CliError> {
    let paths = test_files(&args.paths)?;
    let filter = args
        .run
        .as_deref()
        .map(regex::Regex::new)
        .transpose()
        .map_err(|e| CliError::usage(format!("--run: {e}")))?;
    let loaded = load_all(&paths)?;
    let results = run_cases(&loaded, filter.as_ref(), &args.params)?;
    let passed = results.iter().filter(|(_, r)| r.passed()).count();
    let failed = results.len() - passed;
    match args.format {
        TestFormat::Text => print_text(&results),
        TestFormat::Junit => print!("{}", junit(&results)),
    }
    let mut exit = if failed == 0 { Exit::Go } else { Exit::NoGo };
    if results.is_empty() {
        eprintln!(
            "no test ran{}",
            if filter.is_some() {
                " (no test name matches --run)"
            } else {
                ""
            }
        );
        exit = Exit::NoGo;
    }
    if (args.coverage || args.coverage_threshold.is_some())
        && coverage(&loaded, &results, args.coverage_threshold.as_deref())?
    {
        exit = Exit::NoGo;
    }
    let summary = format!("{passed} passed, {failed} failed");
    match args.format {
        TestFormat::Text => println!("{summary}"),
        TestFormat::Junit => eprintln!("{summary}"),
    }
    Ok(exit)
}

/// The test files named (a directory: every `*.test.yaml` below it; none: the current
/// directory), sorted, each once.
fn test_files(named: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let roots: Vec<PathBuf> = if named.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        named.to_vec()
    };
    let mut paths = Vec::new();
    for r in &roots {
        if r.is_dir() {
            find(r, &mut paths);
        } else if r.exists() {
            paths.push(r.clone());
        } else {
            return Err(CliError::file(r, "no such file or directory"));
        }
    }
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// Validates every file before anything runs: each invalid one is said, then the run is
/// refused.
fn load_all(paths: &[PathBuf]) -> Result<Vec<Loaded>, CliError> {
    let mut loaded = Vec::new();
    let mut invalid = false;
    for p in paths {
        match load(p) {
            Ok(l) => loaded.push(l),
            Err(e) => {
                e.report();
                invalid = true;
            }
        }
    }
    if invalid {
        return Err(CliError::Reported);
    }
    Ok(loaded)
}

/// Runs every case whose name matches `filter`; a case that cannot run refuses the run.
fn run_cases<'a>(
    loaded: &'a [Loaded],
    filter: Option<&regex::Regex>,
    params: &[(String, String)],
) -> Result<Vec<(&'a Loaded, CaseResult)>, CliError> {
    let mut results = Vec::new();
    for l in loaded {
        for case in &l.tests.file.tests {
            if filter.is_some_and(|f| !f.is_match(&case.name)) {
                continue;
            }
            let inputs = Inputs {
                policy_sha256: String::new(),
                snapshot_sha256: String::new(),
                rollgate_version: rollgate_engine::VERSION.to_owned(),
                policy_path: Some(l.policy_path.display().to_string()),
                snapshot_path: None,
                evaluation_id: None,
                ledger_head: None,
            };
            let clock = Some(crate::clock::monotonic());
            let r = policy_test::run_case(&l.policy, case, params, inputs, clock)
                .map_err(|e| CliError::file(&l.path, format!("test `{}`: {e}", case.name)))?;
            results.push((l, r));
        }
    }
    Ok(results)
}

/// One line a case, its failures below a failed one.
fn print_text(results: &[(&Loaded, CaseResult)]) {
    for (l, r) in results {
        if r.passed() {
            println!("ok      {}: {}", l.path.display(), r.name);
        } else {
            println!("FAILED  {}: {}", l.path.display(), r.name);
            for f in &r.failures {
                println!("        {f}");
            }
        }
    }
}

/// Every `*.test.yaml` below `dir` (hidden directories and `target/` skipped).
fn find(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() {
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                find(&p, out);
            }
        } else if crate::commands::validate::is_test_file(&p) {
            out.push(p);
        }
    }
}

fn load(path: &Path) -> Result<Loaded, CliError> {
    let shown = path.display().to_string();
    let text = files::read_text(path).map_err(|m| CliError::file(path, m))?;
    let diags = files::check_test_file(path, &text);
    if diags
        .iter()
        .any(|d| d.severity == rollgate_engine::diagnostic::Severity::Error)
    {
        emit(&shown, &text, &diags, Style::detect());
        return Err(CliError::Reported);
    }
    let tests = policy_test::load_test_file(&text).map_err(|d| {
        emit(&shown, &text, &d, Style::detect());
        CliError::Reported
    })?;
    let policy_path = path
        .parent()
        .unwrap_or(Path::new("."))
        .join(&tests.file.policy);
    let policy = crate::load::policy_file(&policy_path)?.1.policy;
    Ok(Loaded {
        path: path.to_owned(),
        policy_path,
        policy,
        tests,
    })
}

/// Prints coverage per policy; Ok(true) when below the threshold.
fn coverage(
    loaded: &[Loaded],
    results: &[(&Loaded, CaseResult)],
    threshold: Option<&str>,
) -> Result<bool, CliError> {
    let limit = threshold
        .map(parse_percent)
        .transpose()
        .map_err(|m| CliError::usage(format!("--coverage-threshold: {m}")))?;
    let mut policies: BTreeMap<String, &Policy> = BTreeMap::new();
    for l in loaded {
        policies.insert(l.policy_path.display().to_string(), &l.policy);
    }
    let mut below = false;
    for (path, policy) in policies {
        let mut evaluated = BTreeSet::new();
        let mut failed = BTreeSet::new();
        for (l, r) in results {
            if l.policy_path.display().to_string() != path {
                continue;
            }
            // Members (of composites, and gates scripts read) count where they are nested.
            let mut stack: Vec<&rollgate_engine::decision::GateResult> =
                r.decision.gates.iter().collect();
            while let Some(g) = stack.pop() {
                evaluated.insert(g.id.clone());
                if g.status == GateStatus::Fail {
                    failed.insert(g.id.clone());
                }
                stack.extend(g.members.iter());
            }
        }
        let total = policy.gates.len() as u128;
        let covered = (evaluated.len() + failed.len()) as u128;
        // Shown truncated, never rounded up: 99.99% is not 100%.
        let tenths = if total == 0 {
            1000
        } else {
            covered * 1000 / (2 * total)
        };
        println!(
            "coverage {path}: {covered} of {} gate outcomes ({}.{}%)",
            2 * total,
            tenths / 10,
            tenths % 10
        );
        let never_eval: Vec<&str> = policy
            .gates
            .keys()
            .filter(|g| !evaluated.contains(*g))
            .map(String::as_str)
            .collect();
        let never_fail: Vec<&str> = policy
            .gates
            .keys()
            .filter(|g| !failed.contains(*g))
            .map(String::as_str)
            .collect();
        if !never_eval.is_empty() {
            println!("  never evaluated: {}", never_eval.join(", "));
        }
        if !never_fail.is_empty() {
            println!("  never seen failing: {}", never_fail.join(", "));
        }
        if let Some((num, den)) = limit {
            // covered / (2 * total) * 100 >= num / den, in integers.
            if total > 0 && covered * 100 * den < num * 2 * total {
                println!("  below the coverage threshold");
                below = true;
            }
        }
    }
    Ok(below)
}

/// A percentage as an exact fraction: `87.5` -> (875, 10).
fn parse_percent(s: &str) -> Result<(u128, u128), String> {
    let t = s.trim().trim_end_matches('%');
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits_ok = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits_ok(int) || !digits_ok(frac) || frac.len() > 6 {
        return Err(format!("`{s}` is not a percentage like `90` or `87.5`"));
    }
    let den = 10u128.pow(frac.len() as u32);
    let num: u128 = format!("{int}{frac}")
        .parse()
        .map_err(|_| format!("`{s}` is too large"))?;
    if num > 100 * den {
        return Err(format!("`{s}` is above 100"));
    }
    Ok((num, den))
}

fn junit(results: &[(&Loaded, CaseResult)]) -> String {
    use rollgate_engine::render::escape::xml;
    let failures = results.iter().filter(|(_, r)| !r.passed()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"rollgate test\" tests=\"{}\" failures=\"{failures}\" errors=\"0\">\n",
        results.len()
    ));
    let mut files: Vec<&Path> = results.iter().map(|(l, _)| l.path.as_path()).collect();
    files.dedup();
    for (id, file) in files.iter().enumerate() {
        let cases: Vec<&CaseResult> = results
            .iter()
            .filter(|(l, _)| l.path == *file)
            .map(|(_, r)| r)
            .collect();
        let f = cases.iter().filter(|r| !r.passed()).count();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" package=\"rollgate\" id=\"{id}\" tests=\"{}\" failures=\"{f}\" errors=\"0\" skipped=\"0\" time=\"0\" timestamp=\"1970-01-01T00:00:00\" hostname=\"rollgate\">\n    <properties/>\n",
            xml(&file.display().to_string()),
            cases.len()
        ));
        for r in cases {
            out.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"{}\" time=\"0\"",
                xml(&r.name),
                xml(&file.display().to_string())
            ));
            if r.passed() {
                out.push_str("/>\n");
            } else {
                out.push_str(&format!(
                    ">\n      <failure message=\"{}\" type=\"expectation\">{}</failure>\n    </testcase>\n",
                    xml(&r.failures[0]),
                    xml(&r.failures.join("\n"))
                ));
            }
        }
        out.push_str(
            "    <system-out></system-out>\n    <system-err></system-err>\n  </testsuite>\n",
        );
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_exact_fractions() {
        assert_eq!(parse_percent("87.5"), Ok((875, 10)));
        assert_eq!(parse_percent("100"), Ok((100, 1)));
        assert_eq!(parse_percent("90%"), Ok((90, 1)));
        assert!(parse_percent("100.1").is_err());
        assert!(parse_percent("abc").is_err());
        assert!(parse_percent("-5").is_err());
    }
}
