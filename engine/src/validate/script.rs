//! Validation of script gates: the script compiles, and the metrics and record sets it names
//! are declared. Problems are reported at their line in the YAML file.

use super::Sink;
use super::gate::{Names, list};
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::policy::model::Script;
use crate::policy::raw::RawGate;

pub(super) fn check(
    id: &str,
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
    let all_reads = crate::script::data_reads(&ast);
    let (gate_reads, reads): (Vec<_>, Vec<_>) =
        all_reads.into_iter().partition(|r| r.function == "gate");
    let gates = gate_reads_of(id, &gate_reads, origin, &sptr, names, sink);
    if reads.is_empty() && gate_reads.is_empty() {
        sink.error(Code::ScriptReadsNothing,
            &sptr,
            "the script reads no data: call `series`, `series_all`, `records` or `gate`, or the gate passes or fails whatever the rollout does",
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
    let gates = gates?;
    ok.then(|| Script {
        source: source.clone(),
        origin,
        ast,
        gates,
    })
}

/// The gates a script reads with `gate("id")`: literal ids of declared gates other than
/// itself (a computed id could name any gate, so its order of evaluation could not be
/// known). None when one is reported.
fn gate_reads_of(
    id: &str,
    reads: &[crate::script::DataRead],
    origin: crate::diagnostic::Pos,
    sptr: &str,
    names: &Names<'_>,
    sink: &mut Sink<'_>,
) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    let mut ok = true;
    for r in reads {
        let pos = crate::script::yaml_pos(origin, r.line, r.col);
        let (code, message, help) = match &r.name {
            None => (
                Code::ScriptGateRead,
                "`gate(...)` needs a literal gate id (`gate(\"errors\")`): the gates a script reads are evaluated before it".to_owned(),
                None,
            ),
            Some(n) if n == id => (
                Code::ScriptGateRead,
                format!("gate `{id}` reads itself with `gate(\"{id}\")`"),
                None,
            ),
            Some(n) if names.gates.contains(n) => {
                if !out.contains(n) {
                    out.push(n.clone());
                }
                continue;
            }
            Some(n) => (
                Code::UnknownGate,
                format!("unknown gate `{n}` in `gate(...)`"),
                did_you_mean(n, names.gates.iter().map(String::as_str)),
            ),
        };
        ok = false;
        sink.diags
            .push(Diagnostic::error(code, pos, sptr.to_owned(), message).with_help(help));
    }
    ok.then_some(out)
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
