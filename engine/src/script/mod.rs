//! Rhai scripting: the hardened sandbox, the API scripts see, compiling (once, when the
//! policy loads) and running, and mapping script positions back to the YAML file.

pub mod api;
pub mod run;
pub mod sandbox;
mod stats_api;
pub mod watchdog;

use rhai::{AST, ASTNode, Expr};

use crate::diagnostic::Pos;

/// A script that does not compile, at its own line and column (1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SyntaxError {
    pub message: String,
    pub line: u32,
    pub col: u32,
}

/// Compiles a script with the sandbox's settings: undefined variables are compile errors
/// (the script's world is `env`, `stage`, `vars` and `now`), expression depth is bounded so a
/// hostile script cannot exhaust the stack while parsing.
pub fn compile(source: &str) -> Result<AST, SyntaxError> {
    let engine = sandbox::build(Default::default(), None);
    // Names only: as constants, the optimizer would fold these placeholder values into the
    // AST. At run time they are constants (a script cannot reassign them).
    let mut scope = rhai::Scope::new();
    for name in ["env", "stage", "vars", "now"] {
        scope.push_dynamic(name, rhai::Dynamic::UNIT);
    }
    engine.compile_with_scope(&scope, source).map_err(|e| {
        let pos = e.position();
        SyntaxError {
            message: e.err_type().to_string(),
            line: pos.line().map_or(1, |l| l as u32),
            col: pos.position().map_or(1, |c| c as u32),
        }
    })
}

/// A call of `series`, `series_all`, `records` or `gate` in a script, with its literal name if
/// the first argument is a string literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataRead {
    pub function: String,
    pub name: Option<String>,
    pub line: u32,
    pub col: u32,
}

/// The data a script reads, found statically, for validation.
pub fn data_reads(ast: &AST) -> Vec<DataRead> {
    let mut out = Vec::new();
    ast.walk(&mut |path: &[ASTNode]| {
        if let Some(ASTNode::Expr(Expr::FnCall(call, pos))) = path.last() {
            let f = call.name.as_str();
            if matches!(f, "series" | "series_all" | "records" | "gate") {
                let (name, at) = match call.args.first() {
                    Some(Expr::StringConstant(s, p)) => (Some(s.to_string()), *p),
                    _ => (None, *pos),
                };
                out.push(DataRead {
                    function: f.to_owned(),
                    name,
                    line: at.line().map_or(1, |l| l as u32),
                    col: at.position().map_or(1, |c| c as u32),
                });
            }
        }
        true
    });
    out
}

/// Where the script's line 1, column 1 stands in the YAML file, given the position of the
/// `script:` value. For a block scalar (`|` or `>`), the text starts on the next line, at its
/// indentation; otherwise at the value (after an opening quote).
pub fn origin(source: &str, value: Pos) -> Pos {
    let lines: Vec<&str> = source.lines().collect();
    let Some(line) = lines.get(value.line.saturating_sub(1) as usize) else {
        return value;
    };
    let rest: String = line
        .chars()
        .skip(value.col.saturating_sub(1) as usize)
        .collect();
    let rest = rest.trim_start();
    if rest.starts_with('|') || rest.starts_with('>') {
        // First non-blank line after the indicator.
        for (i, l) in lines.iter().enumerate().skip(value.line as usize) {
            if !l.trim().is_empty() {
                let indent = l.len() - l.trim_start().len();
                return Pos {
                    line: i as u32 + 1,
                    col: indent as u32 + 1,
                };
            }
        }
        return value;
    }
    if rest.starts_with('"') || rest.starts_with('\'') {
        return Pos {
            line: value.line,
            col: value.col + 1,
        };
    }
    value
}

/// The YAML position of a script position (1-based line and column within the script).
pub fn yaml_pos(origin: Pos, line: u32, col: u32) -> Pos {
    if line <= 1 {
        Pos {
            line: origin.line,
            col: origin.col + col.saturating_sub(1),
        }
    } else {
        // Block scalars keep the indentation of their first line.
        Pos {
            line: origin.line + line - 1,
            col: origin.col + col.saturating_sub(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_syntax_errors_with_positions() {
        let e = compile("let x = 1;\nx +* 2").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(compile("series(\"a\").p(95) < 250.0").is_ok());
        let e = compile("undefined_thing > 1").unwrap_err();
        assert!(e.message.contains("undefined_thing"), "{}", e.message);
        assert!(compile("vars.budget > 1 && env == \"production\" && now > 0.0").is_ok());
    }

    #[test]
    fn maps_block_scalars() {
        let src = "gates:\n  g:\n    script: |\n      let a = 1;\n      a > 0\n";
        let o = origin(src, Pos { line: 3, col: 13 });
        assert_eq!(o, Pos { line: 4, col: 7 });
        assert_eq!(yaml_pos(o, 2, 3), Pos { line: 5, col: 9 });
    }
}

#[cfg(test)]
mod read_tests {
    use super::*;

    #[test]
    fn finds_literal_data_reads() {
        let ast = compile("let w = series(\"lat\", #{surface: \"web\"});\nlet r = records(\"jobs\");\nlet n = \"x\";\nseries_all(n).len() > 0").unwrap();
        let reads = data_reads(&ast);
        let named: Vec<_> = reads
            .iter()
            .map(|r| (r.function.as_str(), r.name.as_deref(), r.line))
            .collect();
        assert_eq!(
            named,
            vec![
                ("series", Some("lat"), 1),
                ("records", Some("jobs"), 2),
                ("series_all", None, 4)
            ]
        );
        assert!(data_reads(&compile("1 + 1 > 0").unwrap()).is_empty());
    }
}

#[cfg(test)]
mod hostile;
