//! Templates in sources: the Prometheus query, HTTP URL and literal header values, command
//! argv items and file paths may say `{{ params.X }}`, `{{ vars.X }}`, `{{ env }}`,
//! `{{ stage }}`, `{{ window }}`, `{{ now }}`, `{{ window_start }}` and `{{ window_end }}`.
//! Each is parsed here; a name that does not exist is an error at its field.

use super::Sink;
use crate::diagnostic::{Code, did_you_mean};
use crate::policy::model::Source;
use crate::policy::model::source::Header;
use crate::template::{NAMES, Template};
use crate::yaml::escape_token;

/// The parameters and vars a template may name.
pub(super) struct Known<'a> {
    pub params: Vec<&'a str>,
    pub vars: Vec<&'a str>,
}

/// Checks every templated field of `source` (validated already), at `ptr`.
pub(super) fn check(source: &Source, ptr: &str, known: &Known<'_>, sink: &mut Sink<'_>) {
    for (field, text) in fields(source, ptr, sink) {
        let template = match Template::parse(text) {
            Ok(t) => t,
            Err(e) => {
                sink.error(Code::BadFormat, &field, format!("`{text}`: {e}"));
                continue;
            }
        };
        for name in template.names() {
            if !known_name(name, known) {
                let all = NAMES
                    .iter()
                    .map(|n| (*n).to_owned())
                    .chain(known.params.iter().map(|p| format!("params.{p}")))
                    .chain(known.vars.iter().map(|v| format!("vars.{v}")))
                    .collect::<Vec<_>>();
                sink.error_help(
                    Code::UnknownTemplateName,
                    &field,
                    format!(
                        "`{{{{ {name} }}}}` names nothing: {}",
                        what_is_missing(name)
                    ),
                    did_you_mean(name, all.iter().map(String::as_str)),
                );
            }
        }
    }
}

fn known_name(name: &str, known: &Known<'_>) -> bool {
    match (name.strip_prefix("params."), name.strip_prefix("vars.")) {
        (Some(p), _) => known.params.contains(&p),
        (_, Some(v)) => known.vars.contains(&v),
        _ => NAMES.contains(&name),
    }
}

fn what_is_missing(name: &str) -> String {
    if let Some(p) = name.strip_prefix("params.") {
        format!("the policy declares no param `{p}` under `params`")
    } else if let Some(v) = name.strip_prefix("vars.") {
        format!("the policy declares no var `{v}` under `vars`")
    } else {
        format!(
            "templates know `params.NAME`, `vars.NAME`, {}",
            NAMES.map(|n| format!("`{n}`")).join(", ")
        )
    }
}

/// The templatable fields of a source, each with its pointer.
fn fields<'s>(source: &'s Source, ptr: &str, sink: &Sink<'_>) -> Vec<(String, &'s str)> {
    match source {
        Source::Prometheus(p) => {
            // The short form `prometheus: QUERY` or the full `prometheus: {query: ...}`.
            let full = format!("{ptr}/prometheus/query");
            let at = if sink.index.contains(&full) {
                full
            } else {
                format!("{ptr}/prometheus")
            };
            vec![(at, p.query.as_str())]
        }
        Source::Http(h) => {
            let mut out = vec![(format!("{ptr}/http/url"), h.url.as_str())];
            for (name, value) in &h.headers {
                if let Header::Literal(text) = value {
                    out.push((
                        format!("{ptr}/http/headers/{}", escape_token(name)),
                        text.as_str(),
                    ));
                }
            }
            out
        }
        Source::Command(c) => c
            .argv
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("{ptr}/command/argv/{i}"), a.as_str()))
            .collect(),
        Source::File(f) => vec![(format!("{ptr}/file/path"), f.path.as_str())],
        Source::GithubIssues(_) => Vec::new(),
    }
}
