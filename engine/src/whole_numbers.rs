//! Whole numbers written as floats where the typed policy needs an integer: `min_samples: 10.0`,
//! `1e3`, or `1e23` (beyond 64 bits). The JSON Schema accepts them (10.0 is an integer to it),
//! so only the typed policy refuses them, and its error names no place. This finds each one,
//! by trying the typed policy with every such number made an integer and then with one put
//! back at a time, and reports it at its line. Only run once the typed policy has failed, so a
//! float bound (`max: 1e30`) that is fine where it stands is never reported.

use serde_json::{Number, Value};

use crate::diagnostic::{Code, Diagnostic};
use crate::locate::place;
use crate::policy::raw::RawPolicy;
use crate::yaml::{PointerIndex, escape_token};

/// The floats that stop the typed policy, each reported where it stands.
pub(crate) fn misplaced_floats(doc: &Value, index: &PointerIndex) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    integral_floats(doc, &mut String::new(), &mut found);
    let mut fixed = doc.clone();
    for (ptr, f) in &found {
        if let Some(v) = fixed.pointer_mut(ptr) {
            *v = Value::Number(as_integer(*f).unwrap_or_else(|| Number::from(0u64)));
        }
    }
    if !types(&fixed) {
        return Vec::new();
    }
    found
        .iter()
        .filter(|(ptr, f)| {
            let mut one = fixed.clone();
            if let Some(v) = one.pointer_mut(ptr) {
                *v = Number::from_f64(*f).map_or(Value::Null, Value::Number);
            }
            !types(&one)
        })
        .map(|(ptr, f)| report(doc, index, ptr, *f))
        .collect()
}

fn report(doc: &Value, index: &PointerIndex, ptr: &str, f: f64) -> Diagnostic {
    let what = place(doc, ptr);
    let at = index.value_pos(ptr);
    match as_integer(f) {
        Some(n) => Diagnostic::error(
            Code::WrongType,
            at,
            ptr,
            format!("{what} must be a whole number, found `{f:?}`"),
        )
        .with_help(Some(format!("write `{n}`"))),
        None => Diagnostic::error(
            Code::OutOfRange,
            at,
            ptr,
            format!(
                "{what} is too large: whole numbers here go up to {}",
                u64::MAX
            ),
        ),
    }
}

fn types(doc: &Value) -> bool {
    serde_json::from_value::<RawPolicy>(doc.clone()).is_ok()
}

/// `f` as an integer, when it is one that 64 bits hold.
fn as_integer(f: f64) -> Option<Number> {
    if (0.0..18_446_744_073_709_551_616.0).contains(&f) {
        Some(Number::from(f as u64))
    } else if (-9_223_372_036_854_775_808.0..0.0).contains(&f) {
        Some(Number::from(f as i64))
    } else {
        None
    }
}

/// Every number of the document that is a float with no fractional part, with its pointer.
fn integral_floats(v: &Value, ptr: &mut String, out: &mut Vec<(String, f64)>) {
    match v {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64().filter(|f| f.is_finite() && f.fract() == 0.0) {
                out.push((ptr.clone(), f));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = ptr.len();
                ptr.push_str(&format!("/{i}"));
                integral_floats(item, ptr, out);
                ptr.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(&escape_token(k));
                integral_floats(item, ptr, out);
                ptr.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::load::load_policy;

    fn problems(gate_extra: &str) -> Vec<String> {
        let text = format!(
            "version: 1\npolicy: p\nenvironments: [production]\nmetrics:\n  m: {{}}\n\
             gates:\n  g: {{ metric: m, max: 1e30{gate_extra} }}\nstages:\n  - {{ id: s, gates: [g] }}\n"
        );
        match load_policy(&text) {
            Ok(_) => Vec::new(),
            Err(d) => d.iter().map(|d| format!("{} [{}]", d, d.code)).collect(),
        }
    }

    #[test]
    fn whole_numbers_written_as_floats_are_reported_at_their_place() {
        // A float bound beside them is fine and never reported.
        assert_eq!(problems(""), Vec::<String>::new());
        assert_eq!(
            problems(", min_samples: 10.0"),
            [
                "7:43: `min_samples` of gate `g` must be a whole number, found `10.0`; write `10` [RG012]"
            ]
        );
        assert_eq!(
            problems(", min_samples: 1e3"),
            [
                "7:43: `min_samples` of gate `g` must be a whole number, found `1000.0`; write `1000` [RG012]"
            ]
        );
        assert_eq!(
            problems(", min_samples: 1e23"),
            [
                "7:43: `min_samples` of gate `g` is too large: whole numbers here go up to 18446744073709551615 [RG015]"
            ]
        );
    }
}
