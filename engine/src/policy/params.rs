//! Resolving a policy's parameters for one evaluation: each from `--param` (or a test case's
//! `params`), else the snapshot's `params`, else its `default`; every value matched against
//! its pattern. Also the one text a set of values is known by, in report paths and ledger
//! keys.

use std::collections::BTreeMap;

use super::model::Policy;
use crate::refusal::EvalError;

impl Policy {
    /// The parameters in force: `given` first, then `snapshot`, then defaults. An unknown
    /// given name, a required parameter with no value, or a value its pattern refuses is an
    /// error (exit 2: nothing is evaluated or fetched).
    pub fn resolve_params(
        &self,
        given: &[(String, String)],
        snapshot: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, EvalError> {
        for (name, _) in given {
            if !self.params.contains_key(name) {
                return Err(EvalError::UnknownParam {
                    policy: self.id.clone(),
                    name: name.clone(),
                    declared: if self.params.is_empty() {
                        "none".into()
                    } else {
                        self.params
                            .keys()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                    help: crate::diagnostic::did_you_mean(
                        name,
                        self.params.keys().map(String::as_str),
                    ),
                });
            }
        }
        let mut out = BTreeMap::new();
        for (name, p) in &self.params {
            let value = given
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .or_else(|| snapshot.get(name).cloned())
                .or_else(|| p.default.clone());
            let Some(value) = value else {
                return Err(EvalError::MissingParam {
                    policy: self.id.clone(),
                    name: name.clone(),
                    what: p
                        .description
                        .as_deref()
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default(),
                });
            };
            if !p.accepts(&value) {
                return Err(EvalError::BadParam {
                    name: name.clone(),
                    value,
                    pattern: p.pattern_text.clone(),
                });
            }
            out.insert(name.clone(), value);
        }
        Ok(out)
    }
}

/// The text a set of parameter values is known by: `name=value` joined by `,` in name order,
/// each value with every byte outside `[A-Za-z0-9_.:-]` percent-encoded, so that no value
/// can make two sets read alike, a path leave its directory, or a key hold a separator.
pub fn params_text(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .map(|(k, v)| {
            let mut enc = String::new();
            for b in v.bytes() {
                if b.is_ascii_alphanumeric() || b"_.:-".contains(&b) {
                    enc.push(b as char);
                } else {
                    enc.push_str(&format!("%{b:02X}"));
                }
            }
            format!("{k}={enc}")
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        let text = "version: 1\npolicy: p\nparams:\n  service: { description: the service, pattern: '^[a-z0-9-]{1,63}$' }\n  region: { default: us-east-1 }\nstages:\n  - id: s\n    hold: 1h\n";
        crate::load::load_policy(text).unwrap().policy
    }

    fn given(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).into(), (*b).into()))
            .collect()
    }

    #[test]
    fn flags_then_snapshot_then_defaults() {
        let p = policy();
        let mut snap = BTreeMap::new();
        snap.insert("service".to_owned(), "cart".to_owned());
        let r = p
            .resolve_params(&given(&[("service", "checkout")]), &snap)
            .unwrap();
        assert_eq!(r["service"], "checkout");
        assert_eq!(r["region"], "us-east-1");
        let r = p.resolve_params(&[], &snap).unwrap();
        assert_eq!(r["service"], "cart");
        assert_eq!(params_text(&r), "region=us-east-1,service=cart");
    }

    #[test]
    fn unknown_missing_and_refused_values_are_errors() {
        let p = policy();
        let none = BTreeMap::new();
        let e = p
            .resolve_params(&given(&[("servce", "x")]), &none)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "policy `p` has no param `servce` (params: `service`, `region`)"
        );
        assert_eq!(e.help(), Some("did you mean `service`?"));
        let e = p.resolve_params(&[], &none).unwrap_err();
        assert_eq!(
            e.to_string(),
            "param `service` of policy `p` is required: give `--param service=VALUE` (the service)"
        );
        for bad in ["Checkout", "a\"}", "", "x y", "a/b"] {
            let e = p
                .resolve_params(&given(&[("service", bad)]), &none)
                .unwrap_err();
            assert!(matches!(e, EvalError::BadParam { .. }), "{bad}: {e}");
        }
        // The default pattern refuses quotes, braces and slashes too.
        let e = p
            .resolve_params(&given(&[("service", "a"), ("region", "eu\"}")]), &none)
            .unwrap_err();
        assert!(e.to_string().contains("^[A-Za-z0-9_.:-]{1,128}$"), "{e}");
    }

    #[test]
    fn params_text_encodes_what_could_read_alike() {
        let mut a = BTreeMap::new();
        a.insert("a".to_owned(), "x,b=y".to_owned());
        let mut b = BTreeMap::new();
        b.insert("a".to_owned(), "x".to_owned());
        b.insert("b".to_owned(), "y".to_owned());
        assert_ne!(params_text(&a), params_text(&b));
        assert_eq!(params_text(&a), "a=x%2Cb%3Dy");
        let mut c = BTreeMap::new();
        c.insert("f".to_owned(), "../etc".to_owned());
        assert_eq!(params_text(&c), "f=..%2Fetc");
    }
}
