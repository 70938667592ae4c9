//! Validation of script gates: the script compiles, and the metrics and record sets it names
//! are declared. Problems are reported at their line in the YAML file.

use super::Sink;
use super::gate::{Names, list};
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::policy::model::Script;
use crate::policy::raw::RawGate;

pub(super) fn check(
    g: &RawGate,
    ptr: &str,
    names: &Names<'_>,
    sink: &mut Sink<'_>,
) -> Option<Script> {
    let source = g.script.as_ref()?;
    let sptr = format!("{ptr}/script");
    let origin = crate::script::origin(sink.source, sink.index.value_pos(&sptr));
    if source.trim().is_empty() {
        sink.error(Code::ScriptSyntax, &sptr, "the script is empty");
        return None;
    }
    let ast = match crate::script::compile(source) {
        Ok(ast) => ast,
        Err(e) => {
            let pos = crate::script::yaml_pos(origin, e.line, e.col);
            sink.error_at(
                Code::ScriptSyntax,
                pos,
                &sptr,
                format!("script syntax error: {}", script_message(&e.message)),
            );
            return None;
        }
    };
    let reads = crate::script::data_reads(&ast);
    if reads.is_empty() {
        sink.error(Code::ScriptReadsNothing,
            &sptr,
            "the script reads no data: call `series`, `series_all` or `records`, or the gate passes or fails whatever the rollout does",
        );
        return None;
    }
    let mut ok = true;
    for r in &reads {
        // Names computed at run time cannot be checked here.
        let Some(name) = &r.name else { continue };
        let (declared, what, collection, code) = match r.function.as_str() {
            "records" => (
                &names.records,
                "record set",
                "records",
                Code::UnknownRecords,
            ),
            _ => (&names.metrics, "metric", "metrics", Code::UnknownMetric),
        };
        if declared.contains(name.as_str()) {
            continue;
        }
        ok = false;
        let help = did_you_mean(name, declared.iter().copied()).or_else(|| {
            Some(format!(
                "declare it under `{collection}` (declared: {})",
                list(declared)
            ))
        });
        let pos = crate::script::yaml_pos(origin, r.line, r.col);
        sink.diags.push(
            Diagnostic::error(
                code,
                pos,
                sptr.clone(),
                format!("unknown {what} `{name}` in `{}(...)`", r.function),
            )
            .with_help(help),
        );
    }
    ok.then(|| Script {
        source: source.clone(),
        origin,
        ast,
    })
}

/// Rhai's parse messages in our style: lowercase, quoted code in backticks.
fn script_message(message: &str) -> String {
    let mut chars = message.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default();
    if out.matches('\'').count().is_multiple_of(2) {
        out = out.replace('\'', "`");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restyles_script_messages() {
        assert_eq!(script_message("Unexpected '}'"), "unexpected `}`");
        assert_eq!(
            script_message("Script is incomplete"),
            "script is incomplete"
        );
    }
}
