//! Validation of `params`: each pattern compiles (matched against whole values), and a
//! default matches its pattern.

use indexmap::IndexMap;

use super::Sink;
use crate::diagnostic::Code;
use crate::policy::model::{DEFAULT_PARAM_PATTERN, Param};
use crate::policy::raw::RawPolicy;
use crate::yaml::escape_token;

/// Longest compiled pattern: a policy's pattern must not cost more than a policy's text.
const PATTERN_SIZE_LIMIT: usize = 1 << 20;

pub(super) fn check(raw: &RawPolicy, sink: &mut Sink<'_>) -> IndexMap<String, Param> {
    let mut out = IndexMap::new();
    for (name, p) in &raw.params {
        let ptr = format!("/params/{}", escape_token(&name.0));
        let text = p
            .pattern
            .clone()
            .unwrap_or_else(|| DEFAULT_PARAM_PATTERN.to_owned());
        // Matched whole whatever anchors it has: `^(?:...)$`.
        let pattern = match regex::RegexBuilder::new(&format!("^(?:{text})$"))
            .size_limit(PATTERN_SIZE_LIMIT)
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                let why = e.to_string();
                let last = why.lines().last().unwrap_or_default().trim().to_owned();
                sink.error(
                    Code::BadFormat,
                    &format!("{ptr}/pattern"),
                    format!(
                        "`pattern` of param `{}` is not a regular expression: {last}",
                        name.0
                    ),
                );
                continue;
            }
        };
        let param = Param {
            name: name.0.clone(),
            description: p.description.clone(),
            pattern_text: text,
            pattern,
            default: p.default.clone(),
        };
        if let Some(d) = &p.default
            && !param.accepts(d)
        {
            sink.error(
                Code::InvalidValue,
                &format!("{ptr}/default"),
                format!(
                    "the default `{d}` of param `{}` does not match its pattern `{}`",
                    name.0, param.pattern_text
                ),
            );
        }
        out.insert(name.0.clone(), param);
    }
    out
}
