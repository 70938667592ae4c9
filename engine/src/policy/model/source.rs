//! Validated data sources: exactly one kind per source, durations parsed, header values
//! typed. Validation builds these from `RawSource`; the CLI's fetchers `match` on [`Source`],
//! so adding a source kind is one variant here and the compiler names every place to teach.

use indexmap::IndexMap;

use super::values::FileFormat;
use crate::policy::duration::Duration;

/// The only environment variables a policy may read (header secrets): the operator puts a
/// secret there on purpose, so a policy from a pull request cannot name `AWS_SECRET_ACCESS_KEY`
/// or `GITHUB_TOKEN` and have it sent.
pub const SECRET_PREFIX: &str = "ROLLGATE_SECRET_";

/// Where a metric or record set comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Prometheus(Prometheus),
    Http(Http),
    Command(Command),
    GithubIssues(GithubIssues),
    File(File),
}

impl Source {
    /// The source kinds as a policy spells their keys, in the order diagnostics list them.
    /// The one list of names: validation and the evidence's `source` field read it.
    pub const KINDS: [&'static str; 5] = ["prometheus", "http", "command", "github_issues", "file"];

    /// The kind's key, as the policy and the evidence spell it.
    pub fn kind(&self) -> &'static str {
        let [prometheus, http, command, github_issues, file] = Self::KINDS;
        match self {
            Source::Prometheus(_) => prometheus,
            Source::Http(_) => http,
            Source::Command(_) => command,
            Source::GithubIssues(_) => github_issues,
            Source::File(_) => file,
        }
    }

    /// The policy's fixed Prometheus step, if this is a Prometheus source that sets one.
    /// The source with its templates rendered (the query, the HTTP URL and literal header
    /// values, argv items, the file path): what is fetched and what the evidence records.
    pub fn render(&self, v: &crate::template::Values) -> Source {
        let r = |t: &str| crate::template::render_text(t, v);
        match self {
            Source::Prometheus(p) => Source::Prometheus(Prometheus {
                query: r(&p.query),
                ..p.clone()
            }),
            Source::Http(h) => Source::Http(Http {
                url: r(&h.url),
                headers: h
                    .headers
                    .iter()
                    .map(|(k, hv)| {
                        let hv = match hv {
                            Header::Literal(t) => Header::Literal(r(t)),
                            secret => secret.clone(),
                        };
                        (k.clone(), hv)
                    })
                    .collect(),
                ..h.clone()
            }),
            Source::Command(c) => Source::Command(Command {
                argv: c.argv.iter().map(|a| r(a)).collect(),
                ..c.clone()
            }),
            Source::File(f) => Source::File(File {
                path: r(&f.path),
                ..f.clone()
            }),
            Source::GithubIssues(g) => Source::GithubIssues(g.clone()),
        }
    }

    pub fn prometheus_step(&self) -> Option<Duration> {
        match self {
            Source::Prometheus(p) => p.step,
            _ => None,
        }
    }
}

/// A PromQL range query.
#[derive(Debug, Clone, PartialEq)]
pub struct Prometheus {
    pub query: String,
    /// Base URL, unless the operator overrides it.
    pub url: Option<String>,
    /// Resolution step (longer than zero); None: chosen from the range.
    pub step: Option<Duration>,
}

/// An HTTP GET of a JSON document.
#[derive(Debug, Clone, PartialEq)]
pub struct Http {
    pub url: String,
    pub pointer: Option<String>,
    pub headers: IndexMap<String, Header>,
    /// Yield the response itself as one record.
    pub response: bool,
}

/// A request header's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Header {
    /// Text written in the policy (never a credential header: validation refuses those).
    Literal(String),
    /// Read at fetch time from an environment variable named `ROLLGATE_SECRET_*`.
    Secret { env: String, prefix: Option<String> },
}

/// A command run without a shell.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// The program (not empty) and its arguments.
    pub argv: Vec<String>,
    /// Longer than zero; None: the default.
    pub timeout: Option<Duration>,
    pub tail_lines: Option<u32>,
}

/// Issues of a GitHub repository.
#[derive(Debug, Clone, PartialEq)]
pub struct GithubIssues {
    /// `owner/name`.
    pub repo: String,
    pub select: Issues,
    pub api_url: Option<String>,
}

/// Which issues are read: exactly one of the two ways.
#[derive(Debug, Clone, PartialEq)]
pub enum Issues {
    Numbers(Vec<u64>),
    Labels(Vec<String>),
}

/// A JSON or CSV file.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub path: String,
    pub format: Option<FileFormat>,
    pub pointer: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_variant_names_its_own_key() {
        let sources = [
            Source::Prometheus(Prometheus {
                query: "up".into(),
                url: None,
                step: Some(Duration { seconds: 30 }),
            }),
            Source::Http(Http {
                url: "https://x".into(),
                pointer: None,
                headers: IndexMap::new(),
                response: false,
            }),
            Source::Command(Command {
                argv: vec!["true".into()],
                timeout: None,
                tail_lines: None,
            }),
            Source::GithubIssues(GithubIssues {
                repo: "o/r".into(),
                select: Issues::Numbers(vec![1]),
                api_url: None,
            }),
            Source::File(File {
                path: "a.json".into(),
                format: None,
                pointer: None,
            }),
        ];
        let kinds: Vec<&str> = sources.iter().map(Source::kind).collect();
        assert_eq!(kinds, Source::KINDS);
        assert_eq!(sources[0].prometheus_step(), Some(Duration { seconds: 30 }));
        assert_eq!(sources[1].prometheus_step(), None);
    }
}
