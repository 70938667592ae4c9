//! Record identity: a record set may declare `key: [paths]`; records with the same key count
//! once toward `min_count` and the rest (default key: the whole record, so identical records
//! count once), and the same key with different content is an error. A `jobs` list written
//! twice must not turn "4 of 9, at least 5 needed" into GO.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::records::lookup;

/// The records of a set, each identity once, and how many copies were dropped.
#[derive(Debug)]
pub(crate) struct Unique<'a> {
    /// (position in the set, record), in the set's order, first copy kept.
    pub records: Vec<(usize, &'a Map<String, Value>)>,
    pub duplicates: usize,
}

/// Keeps the first record of each identity. Err: why the set cannot be counted (a record
/// without its key, or one key with two contents), in words.
pub(crate) fn unique<'a>(
    all: &'a [Map<String, Value>],
    key: Option<&[String]>,
) -> Result<Unique<'a>, String> {
    let mut seen: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut out = Unique {
        records: Vec::with_capacity(all.len()),
        duplicates: 0,
    };
    for (i, r) in all.iter().enumerate() {
        let content = canonical(&Value::Object(r.clone()));
        let id = match key {
            None => content.clone(),
            Some(paths) => {
                let mut parts = Vec::with_capacity(paths.len());
                for p in paths {
                    match lookup(r, p) {
                        Some(v) if !v.is_null() => parts.push(canonical(v)),
                        _ => {
                            return Err(format!(
                                "record {} has no `{p}`, part of the set's `key`: it cannot be told apart from the others",
                                i + 1
                            ));
                        }
                    }
                }
                format!("[{}]", parts.join(","))
            }
        };
        match seen.get(&id) {
            None => {
                seen.insert(id, (i, content));
                out.records.push((i, r));
            }
            Some((_, first)) if *first == content => out.duplicates += 1,
            Some((j, _)) => {
                let named = key.unwrap_or_default().join(", ");
                return Err(format!(
                    "records {} and {} have the same key ({named} = {id}) but different content: which one is true is unknown",
                    j + 1,
                    i + 1
                ));
            }
        }
    }
    Ok(out)
}

/// JSON text with object keys sorted and numbers by value (`1` and `1.0` are one), so equal
/// records give equal text whatever their key order.
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical(&m[k])))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        Value::Number(n) => match n.as_f64() {
            Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
            Some(x) => format!("{x:?}"),
            None => n.to_string(),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recs(text: &str) -> Vec<Map<String, Value>> {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn identical_records_count_once_by_default() {
        let all = recs(r#"[{"id": 1, "s": "ok"}, {"s": "ok", "id": 1.0}, {"id": 2, "s": "ok"}]"#);
        let u = unique(&all, None).unwrap();
        assert_eq!((u.records.len(), u.duplicates), (2, 1));
        assert_eq!(u.records[1].0, 2);
    }

    #[test]
    fn a_key_identifies_and_conflicts_are_errors() {
        let key = ["job.id".to_owned()];
        let all = recs(r#"[{"job": {"id": "a"}, "s": 1}, {"job": {"id": "a"}, "s": 1}]"#);
        let u = unique(&all, Some(&key)).unwrap();
        assert_eq!((u.records.len(), u.duplicates), (1, 1));
        let all = recs(r#"[{"job": {"id": "a"}, "s": 1}, {"job": {"id": "a"}, "s": 2}]"#);
        assert_eq!(
            unique(&all, Some(&key)).err().unwrap(),
            "records 1 and 2 have the same key (job.id = [\"a\"]) but different content: which one is true is unknown"
        );
        let all = recs(r#"[{"job": {}, "s": 1}]"#);
        assert!(
            unique(&all, Some(&key))
                .unwrap_err()
                .starts_with("record 1 has no `job.id`")
        );
    }
}
