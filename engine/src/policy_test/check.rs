//! A test file's references checked against its (valid) policy: environments, stages, gates,
//! metrics and record sets exist; times, intervals and series notation parse. Problems come
//! in the order of the test case's keys, each at its place.

use super::{LoadedTests, RawTestCase, TestSeries, explicit_sample};
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::policy::model::Policy;
use crate::yaml::{PointerIndex, escape_token};

/// Checks every test case of the file against the policy.
pub fn check_against(tests: &LoadedTests, policy: &Policy) -> Vec<Diagnostic> {
    let mut c = Check {
        index: &tests.doc.index,
        out: Vec::new(),
    };
    for (i, t) in tests.file.tests.iter().enumerate() {
        let base = format!("/tests/{i}");
        c.place(&base, t, policy);
        c.times(&base, t);
        for (name, series) in &t.series {
            c.series(&format!("{base}/series/{}", escape_token(name)), series);
        }
        c.interval(&base, t);
        c.names(&base, t, policy);
    }
    c.out
}

struct Check<'a> {
    index: &'a PointerIndex,
    out: Vec<Diagnostic>,
}

impl Check<'_> {
    fn err(&mut self, code: Code, ptr: String, msg: String, help: Option<String>) {
        let pos = self.index.value_pos(&ptr);
        self.out
            .push(Diagnostic::error(code, pos, ptr, msg).with_help(help));
    }

    /// The environment and stage the case evaluates.
    fn place(&mut self, base: &str, t: &RawTestCase, policy: &Policy) {
        if !policy.knows_env(&t.env) {
            self.err(
                Code::TestUnknownName,
                format!("{base}/env"),
                format!("policy `{}` has no environment `{}`", policy.id, t.env),
                did_you_mean(&t.env, policy.environments.iter().map(String::as_str)),
            );
        }
        if policy.stage(&t.stage).is_none() {
            self.err(
                Code::TestUnknownName,
                format!("{base}/stage"),
                format!("policy `{}` has no stage `{}`", policy.id, t.stage),
                did_you_mean(&t.stage, policy.stages.iter().map(|s| s.id.as_str())),
            );
        }
    }

    /// `now` and `entered_at` are RFC 3339 times rollgate can represent.
    fn times(&mut self, base: &str, t: &RawTestCase) {
        for (key, value) in [
            ("now", Some(&t.now)),
            ("entered_at", t.entered_at.as_ref()),
            ("rollout_started_at", t.rollout_started_at.as_ref()),
        ] {
            if let Some(v) = value
                && v.parse::<jiff::Timestamp>().is_err()
            {
                self.err(
                    Code::TestBadValue,
                    format!("{base}/{key}"),
                    crate::snapshot::time_problem(v),
                    None,
                );
            }
        }
    }

    /// A series' notation parses, and each labelled series gives `values` or `samples`, with
    /// well-formed samples.
    fn series(&mut self, sptr: &str, series: &TestSeries) {
        let texts: Vec<(String, &str)> = match series {
            TestSeries::Notation(n) => vec![(sptr.to_owned(), n.as_str())],
            TestSeries::Labelled(list) => list
                .iter()
                .enumerate()
                .filter_map(|(j, l)| {
                    l.values
                        .as_deref()
                        .map(|v| (format!("{sptr}/{j}/values"), v))
                })
                .collect(),
        };
        for (ptr, text) in texts {
            if let Err(e) = crate::notation::parse(text) {
                self.err(
                    Code::TestBadValue,
                    ptr,
                    format!("series notation: {e}"),
                    None,
                );
            }
        }
        let TestSeries::Labelled(list) = series else {
            return;
        };
        for (j, l) in list.iter().enumerate() {
            if l.values.is_some() == l.samples.is_some() {
                self.err(
                    Code::BadStructure,
                    format!("{sptr}/{j}"),
                    "give either `values` (notation) or `samples` (`[time, value]` pairs)".into(),
                    None,
                );
            }
            for (k, (t, v)) in l.samples.iter().flatten().enumerate() {
                if explicit_sample(t, v).is_none() {
                    self.err(
                        Code::TestBadValue,
                        format!("{sptr}/{j}/samples/{k}"),
                        "a sample is `[time, value]`: unix seconds or RFC 3339, and a number or numeric text".into(),
                        None,
                    );
                }
            }
        }
    }

    /// The spacing of notation samples is a duration longer than zero.
    fn interval(&mut self, base: &str, t: &RawTestCase) {
        let Some(iv) = &t.interval else { return };
        let why = match crate::policy::duration::Duration::parse(&iv.0) {
            Ok(d) if d.seconds > 0 => return,
            Ok(_) => "the interval must be longer than zero".to_owned(),
            Err(e) => e.to_string(),
        };
        self.err(Code::TestBadValue, format!("{base}/interval"), why, None);
    }

    /// The metrics, record sets, gates and next stage the case names exist in the policy.
    fn names<'a>(&mut self, base: &str, t: &'a RawTestCase, policy: &Policy) {
        let metrics = || policy.metrics.keys().map(String::as_str);
        for name in t.series.keys().filter(|n| !policy.metrics.contains_key(*n)) {
            self.err(
                Code::TestUnknownName,
                format!("{base}/series/{}", escape_token(name)),
                format!("policy `{}` declares no metric `{name}`", policy.id),
                did_you_mean(name, metrics()),
            );
        }
        let records = || policy.records.keys().map(String::as_str);
        for name in t
            .records
            .keys()
            .filter(|n| !policy.records.contains_key(*n))
        {
            self.err(
                Code::TestUnknownName,
                format!("{base}/records/{}", escape_token(name)),
                format!("policy `{}` declares no record set `{name}`", policy.id),
                did_you_mean(name, records()),
            );
        }
        let gate_ids = || policy.gates.keys().map(String::as_str);
        let expected = t
            .expect
            .gates
            .keys()
            .map(|g| (format!("gates/{}", escape_token(g)), g));
        let listed = |key: &'static str, list: &'a Option<Vec<String>>| {
            list.iter()
                .flatten()
                .enumerate()
                .map(move |(j, g)| (format!("{key}/{j}"), g))
        };
        let pairs = t
            .expect
            .pairs
            .keys()
            .map(|g| (format!("pairs/{}", escape_token(g)), g));
        let named = expected
            .chain(listed("blockers", &t.expect.blockers))
            .chain(listed("shadow", &t.expect.shadow))
            .chain(listed("awaiting_approval", &t.expect.awaiting_approval))
            .chain(pairs);
        for (at, gate) in named.filter(|(_, g)| !policy.gates.contains_key(*g)) {
            self.err(
                Code::TestUnknownName,
                format!("{base}/expect/{at}"),
                format!("policy `{}` has no gate `{gate}`", policy.id),
                did_you_mean(gate, gate_ids()),
            );
        }
        for name in t.params.keys().filter(|n| !policy.params.contains_key(*n)) {
            self.err(
                Code::TestUnknownName,
                format!("{base}/params/{}", escape_token(name)),
                format!("policy `{}` declares no param `{name}`", policy.id),
                did_you_mean(name, policy.params.keys().map(String::as_str)),
            );
        }
        if let Some(Some(next)) = &t.expect.next_stage
            && policy.stage(next).is_none()
        {
            self.err(
                Code::TestUnknownName,
                format!("{base}/expect/next_stage"),
                format!("policy `{}` has no stage `{next}`", policy.id),
                did_you_mean(next, policy.stages.iter().map(|s| s.id.as_str())),
            );
        }
    }
}
