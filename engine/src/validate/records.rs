//! Validation of records gates: the record set they read, their dotted paths, and what every
//! counted record must satisfy.

use indexmap::IndexMap;

use super::gate::{Names, list};
use super::{EnvCheck, Sink};
use crate::diagnostic::{Code, did_you_mean};
use crate::policy::model::{Expectation, Records};
use crate::policy::per_env::PerEnv;
use crate::policy::raw::{RawCheck, RawExpectation, RawGate, Scalar};
use crate::yaml::escape_token;

/// A record set's `key`: dotted paths, each once.
pub(super) fn key(key: Option<&[String]>, ptr: &str, sink: &mut Sink<'_>) {
    for (i, p) in key.unwrap_or_default().iter().enumerate() {
        let kptr = format!("{ptr}/key/{i}");
        if p.is_empty() || p.split('.').any(str::is_empty) {
            sink.error(
                Code::BadFormat,
                &kptr,
                format!("`{p}` is not a dotted path like `job.id`"),
            );
        } else if key.unwrap_or_default()[..i].contains(p) {
            sink.error(
                Code::ListedTwice,
                &kptr,
                format!("`{p}` is listed twice in `key`"),
            );
        }
    }
}

pub(super) fn check(
    g: &RawGate,
    ptr: &str,
    names: &Names<'_>,
    envs: &EnvCheck<'_>,
    sink: &mut Sink<'_>,
) -> Option<Records> {
    let name = g.records.as_ref()?;
    if !names.records.contains(name.0.as_str()) {
        sink.error_help(
            Code::UnknownRecords,
            &format!("{ptr}/records"),
            format!("unknown record set `{}`", name.0),
            did_you_mean(&name.0, names.records.iter().copied()).or_else(|| {
                Some(format!(
                    "declare it under `records` (declared: {})",
                    list(&names.records)
                ))
            }),
        );
    }
    let mut ok = true;
    let mut path_ok = |sink: &mut Sink<'_>, p: &str, key: &str| {
        if key.is_empty() || key.split('.').any(str::is_empty) {
            sink.error_on_key(
                Code::BadFormat,
                p,
                format!("`{key}` is not a dotted path like `execution_meta.worker_request_id`"),
            );
            ok = false;
        }
    };
    let filter: IndexMap<String, serde_json::Value> = g.where_.clone().unwrap_or_default();
    for key in filter.keys() {
        path_ok(sink, &format!("{ptr}/where/{}", escape_token(key)), key);
    }
    let mut expect = IndexMap::new();
    for (key, e) in g.expect.iter().flatten() {
        let eptr = format!("{ptr}/expect/{}", escape_token(key));
        path_ok(sink, &eptr, key);
        expect.insert(key.clone(), expectation(e, &eptr, sink)?);
    }
    if g.expect.as_ref().is_none_or(IndexMap::is_empty) && g.min_count.is_none() {
        sink.error_on_key(
            Code::KindNeedsKey,
            ptr,
            format!(
                "records {} needs `expect` (what every record must satisfy), `min_count`, or both",
                crate::locate::place(sink.doc, ptr)
            ),
        );
        return None;
    }
    let min_count = match &g.min_count {
        Some(m) => envs.resolve(m, &format!("{ptr}/min_count"), sink, |n| Ok(*n))?,
        None => PerEnv::one(1),
    };
    ok.then_some(Records {
        records: name.0.clone(),
        filter,
        expect,
        min_count,
    })
}

fn expectation(e: &RawExpectation, ptr: &str, sink: &mut Sink<'_>) -> Option<Expectation> {
    match e {
        RawExpectation::Equals(s) => Some(Expectation::Equals(scalar(s))),
        RawExpectation::Check(RawCheck {
            present,
            in_,
            max,
            min,
            equals,
        }) => {
            let mut all = Vec::new();
            if let Some(p) = present {
                all.push(Expectation::Present(*p));
            }
            if let Some(list) = in_ {
                if list.is_empty() {
                    sink.error(
                        Code::NothingCanPass,
                        &format!("{ptr}/in"),
                        "`in` with an empty list can never hold",
                    );
                    return None;
                }
                all.push(Expectation::In(list.clone()));
            }
            if let (Some(hi), Some(lo)) = (max, min)
                && lo > hi
            {
                sink.error(
                    Code::NothingCanPass,
                    &format!("{ptr}/min"),
                    format!("`min` ({lo}) is above `max` ({hi})"),
                );
                return None;
            }
            if max.is_some() || min.is_some() {
                all.push(Expectation::Range {
                    max: *max,
                    min: *min,
                });
            }
            if let Some(v) = equals {
                all.push(Expectation::Equals(v.clone()));
            }
            if all.is_empty() {
                sink.error(
                    Code::KindNeedsKey,
                    ptr,
                    "an expectation needs `present`, `in`, `max`, `min` or `equals`",
                );
                return None;
            }
            Some(if all.len() == 1 {
                all.remove(0)
            } else {
                Expectation::All(all)
            })
        }
    }
}

fn scalar(s: &Scalar) -> serde_json::Value {
    match s {
        Scalar::Bool(b) => serde_json::Value::Bool(*b),
        Scalar::Int(i) => serde_json::Value::from(*i),
        Scalar::Float(f) => serde_json::Value::from(*f),
        Scalar::Text(t) => serde_json::Value::String(t.clone()),
    }
}
