//! `rollgate validate FILE...`: every problem of every file, located; exit 0 or 2.

use std::path::Path;

use rollgate_engine::diagnostic::Severity;

use crate::diagnostics::{Style, emit};
use crate::exit::Exit;
use crate::files;

pub fn run(paths: &[std::path::PathBuf], now: Option<f64>) -> Exit {
    let style = Style::detect();
    let now = now.unwrap_or_else(crate::evaluate::clock_now);
    let mut failed = 0usize;
    for path in paths {
        let shown = path.display().to_string();
        let (source, diags) = match files::read_text(path) {
            Ok(text) => {
                let diags = if is_test_file(path) {
                    files::check_test_file(path, &text)
                } else {
                    match rollgate_engine::load_policy(&text) {
                        Ok(loaded) => {
                            let mut diags = loaded.warnings;
                            diags.extend(loaded.policy.graduated_shadows(now));
                            diags.sort_by_key(|d| (d.pos.line, d.pos.col));
                            diags
                        }
                        Err(diags) => diags,
                    }
                };
                (text, diags)
            }
            Err(message) => {
                eprintln!("{shown}: {message}");
                failed += 1;
                continue;
            }
        };
        emit(&shown, &source, &diags, style);
        let errors = diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        let warnings = diags.len() - errors;
        if errors > 0 {
            failed += 1;
        } else {
            println!("{shown}: ok{}", plural_warnings(warnings));
        }
    }
    if failed > 0 {
        eprintln!(
            "{failed} of {} file{} invalid",
            paths.len(),
            if paths.len() == 1 { "" } else { "s" }
        );
        Exit::Invalid
    } else {
        Exit::Go
    }
}

fn plural_warnings(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => " (1 warning)".into(),
        n => format!(" ({n} warnings)"),
    }
}

/// Policy test files are recognised by name, as `rollgate test` finds them.
pub fn is_test_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".test.yaml") || n.ends_with(".test.yml"))
}
