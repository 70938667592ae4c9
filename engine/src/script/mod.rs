//! Rhai scripting: compiling scripts and mapping their positions back to the YAML file.

use crate::diagnostic::Pos;

/// A script that does not compile, at its own line and column (1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SyntaxError {
    pub message: String,
    pub line: u32,
    pub col: u32,
}

/// Compiles a script with a raw engine (no packages, no module resolver), bounding the
/// expression depth so a hostile script cannot exhaust the stack while parsing.
pub fn compile(source: &str) -> Result<rhai::AST, SyntaxError> {
    let mut engine = rhai::Engine::new_raw();
    engine.set_max_expr_depths(64, 32);
    engine.set_max_string_size(64 * 1024);
    engine.compile(source).map_err(|e| {
        let pos = e.position();
        SyntaxError {
            message: e.err_type().to_string(),
            line: pos.line().map_or(1, |l| l as u32),
            col: pos.position().map_or(1, |c| c as u32),
        }
    })
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
    }

    #[test]
    fn maps_block_scalars() {
        let src = "gates:\n  g:\n    script: |\n      let a = 1;\n      a > 0\n";
        let o = origin(src, Pos { line: 3, col: 13 });
        assert_eq!(o, Pos { line: 4, col: 7 });
        assert_eq!(yaml_pos(o, 2, 3), Pos { line: 5, col: 9 });
    }
}
