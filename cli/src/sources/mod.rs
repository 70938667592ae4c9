//! Fetching a stage's data from where it lives: Prometheus, HTTP JSON endpoints, commands,
//! GitHub issues and files. Every metric and record set gets evidence (where it came from,
//! when, the raw answer's digest); a source that fails after its retries records the cause
//! in the evidence, so its gates are `error` and the verdict is NO-GO (fail closed).

// A failed source returns its evidence with the cause: a few hundred bytes once per source,
// on the cold path. Boxing them would only obscure the code.
#![allow(clippy::result_large_err)]

mod client;
mod command;
mod file;
mod freshness;
mod github;
mod http;
mod prometheus;
mod promql;
mod reach;

pub use client::parse_size;
pub use github::api_url as github_api_url;
pub use reach::{Exec, Grant, Reach};

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use rollgate_engine::plan::{Plan, Span};
use rollgate_engine::policy::model::Source;
use rollgate_engine::policy::model::{GateKind, Policy};
use rollgate_engine::snapshot::{Evidence, Series, Snapshot, format_time};

/// How to fetch.
#[derive(Debug, Clone)]
pub struct Options {
    pub environment: String,
    pub stage: String,
    /// End of every range, unix seconds.
    pub now: f64,
    pub entered_at: Option<f64>,
    /// The start of `rollout` windows, when known.
    pub rollout_started_at: Option<f64>,
    /// The policy's parameters, resolved: the templates' `params`.
    pub params: std::collections::BTreeMap<String, String>,
    /// Overrides the policy's Prometheus URL (flag, else ROLLGATE_PROMETHEUS_URL).
    pub prometheus_url: Option<String>,
    /// What the operator lets the policy's sources reach: hosts for credentials, files,
    /// programs.
    pub reach: Arc<Reach>,
    /// The largest answer read from a server, in bytes (`--max-response`).
    pub max_response: u64,
    pub timeout: Duration,
    pub deadline: Duration,
    /// Range read for gates whose window is the whole snapshot, or `stage` with no entry time.
    pub lookback: f64,
    pub progress: bool,
}

/// What one source produced.
pub(crate) enum Data {
    Series(Vec<Series>),
    Records(Vec<serde_json::Map<String, serde_json::Value>>),
}

/// One thing to fetch: a metric or a record set.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub name: String,
    pub records: bool,
    pub source: Source,
    /// Seconds of history to read, ending at `now`.
    pub range: f64,
}

/// What a source's templates read: the parameters, the vars of the environment, and the
/// evaluation's names; `window` is the range fetched, as a PromQL duration (`1h`).
fn template_values(
    plan: &Plan<'_>,
    opts: &Options,
    range: f64,
) -> rollgate_engine::template::Values {
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let window = rollgate_engine::policy::duration::Duration {
        seconds: range.ceil().max(1.0) as i64,
    };
    let mut names = std::collections::BTreeMap::new();
    names.insert("env", opts.environment.clone());
    names.insert("stage", opts.stage.clone());
    names.insert("window", window.to_string());
    names.insert("now", format_time(opts.now));
    names.insert("window_start", format_time(opts.now - range));
    names.insert("window_end", format_time(opts.now));
    rollgate_engine::template::Values {
        params: opts.params.clone(),
        vars: plan
            .vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), text(v)))
            .collect(),
        names,
    }
}

/// Metrics and record sets the plan reads, each metric with the range the plan computes
/// from its gates' windows (`Plan::fetches`, the one place that does).
fn jobs(policy: &Policy, plan: &Plan<'_>, opts: &Options) -> Vec<Job> {
    let span = Span {
        now: opts.now,
        entered_at: opts.entered_at,
        rollout_started_at: opts.rollout_started_at,
        lookback: opts.lookback,
    };
    let fetches = plan.fetches(&span, |name| {
        policy.metrics.get(name).map_or(60.0, |m| {
            prometheus::step_of(m.source.as_ref(), opts.lookback)
        })
    });
    let mut out = Vec::new();
    for (name, range) in fetches.metrics {
        if let Some(src) = policy.metrics.get(&name).and_then(|m| m.source.as_ref()) {
            out.push(Job {
                name,
                records: false,
                source: src.render(&template_values(plan, opts, range)),
                range,
            });
        }
    }
    for name in fetches.records {
        if let Some(src) = policy.records.get(&name).and_then(|r| r.source.as_ref()) {
            out.push(Job {
                name,
                records: true,
                source: src.render(&template_values(plan, opts, opts.lookback)),
                range: opts.lookback,
            });
        }
    }
    out
}

/// Names the stage's gates read directly that have no source: they must come in a snapshot.
pub fn sourceless(policy: &Policy, plan: &Plan<'_>, opts: &Options) -> Vec<String> {
    let with: BTreeSet<String> = jobs(policy, plan, opts)
        .into_iter()
        .map(|j| j.name)
        .collect();
    let mut out = Vec::new();
    for gp in &plan.gates {
        let name = match &gp.gate.kind {
            GateKind::Records(r) => Some(r.records.clone()),
            GateKind::Script(_) => None,
            k => k.metric().map(str::to_owned),
        };
        if let Some(n) = name
            && !with.contains(&n)
            && !out.contains(&n)
        {
            out.push(n);
        }
    }
    out
}

/// Fetches everything the stage reads into a snapshot. Never fails as a whole: a source
/// that fails leaves its cause in the evidence.
pub fn fetch(policy: &Policy, plan: &Plan<'_>, opts: &Options) -> Snapshot {
    let jobs = jobs(policy, plan, opts);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let results = runtime.block_on(run_all(jobs, opts.clone()));
    let mut snap = Snapshot {
        taken_at: Some(opts.now),
        environment: Some(opts.environment.clone()),
        stage: Some(opts.stage.clone()),
        stage_entered_at: opts.entered_at,
        rollout_started_at: opts.rollout_started_at,
        params: opts.params.clone(),
        ..Snapshot::default()
    };
    for (job, data, evidence) in results {
        match data {
            Some(Data::Series(s)) => {
                snap.series.insert(job.name.clone(), s);
            }
            Some(Data::Records(r)) => {
                snap.records.insert(job.name.clone(), r);
            }
            None => {}
        }
        snap.evidence.insert(job.name, evidence);
    }
    snap
}

/// At most this many sources are fetched at once.
const CONCURRENCY: usize = 8;

async fn run_all(jobs: Vec<Job>, opts: Options) -> Vec<(Job, Option<Data>, Evidence)> {
    let client = match client::Client::new(opts.timeout, opts.reach.clone(), opts.max_response) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            return jobs
                .into_iter()
                .map(|j| {
                    let ev = failed(&j, &format!("cannot set up the HTTP client: {e}"));
                    (j, None, ev)
                })
                .collect();
        }
    };
    let limit = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let bar = (opts.progress && jobs.len() > 1).then(|| {
        let b = indicatif::ProgressBar::new(jobs.len() as u64);
        b.set_message("fetching");
        b
    });
    let opts = Arc::new(opts);
    let mut set = tokio::task::JoinSet::new();
    for (i, job) in jobs.iter().cloned().enumerate() {
        let (client, limit, opts) = (client.clone(), limit.clone(), opts.clone());
        set.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let (data, ev) = fetch_one(&client, &job, &opts).await;
            (i, data, ev)
        });
    }
    let mut done: Vec<Option<(Option<Data>, Evidence)>> = (0..jobs.len()).map(|_| None).collect();
    let deadline = tokio::time::sleep(opts.deadline);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            next = set.join_next() => match next {
                Some(Ok((i, data, ev))) => {
                    done[i] = Some((data, ev));
                    if let Some(b) = &bar { b.inc(1); }
                }
                Some(Err(_)) => {}
                None => break,
            },
            () = &mut deadline => {
                set.abort_all();
                break;
            }
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let deadline_text = rollgate_engine::policy::duration::Duration {
        seconds: opts.deadline.as_secs() as i64,
    };
    jobs.into_iter()
        .zip(done)
        .map(|(job, r)| match r {
            Some((data, ev)) => (job, data, ev),
            None => {
                let ev = failed(
                    &job,
                    &format!("the overall deadline ({deadline_text}) passed before it answered"),
                );
                (job, None, ev)
            }
        })
        .collect()
}

async fn fetch_one(client: &client::Client, job: &Job, opts: &Options) -> (Option<Data>, Evidence) {
    let result = match &job.source {
        Source::Prometheus(p) => prometheus::fetch(client, job, p, opts).await,
        Source::Http(h) => http::fetch(client, job, h, opts).await,
        Source::Command(c) => command::fetch(job, c, opts).await,
        Source::GithubIssues(g) => github::fetch(client, job, g).await,
        Source::File(f) => file::fetch(job, f, opts),
    };
    match result {
        Ok((data, ev)) => (Some(data), ev),
        Err((mut ev, why)) => {
            ev.error = Some(why);
            (None, ev)
        }
    }
}

/// Evidence for a source that failed before it could say more.
pub(crate) fn failed(job: &Job, why: &str) -> Evidence {
    Evidence {
        source: job.source.kind().to_owned(),
        fetched_at: Some(format_time(clock())),
        error: Some(why.to_owned()),
        ..Evidence::default()
    }
}

/// Wall-clock now (for `fetched_at`): the fetch is real, so its time is.
pub(crate) fn clock() -> f64 {
    let ts = jiff::Timestamp::now();
    ts.as_second() as f64 + f64::from(ts.subsec_millisecond()) / 1000.0
}

/// The outcome of one source: data and evidence, or evidence and the cause.
pub(crate) type Fetched = Result<(Data, Evidence), (Evidence, String)>;
