//! Hostile policies: a policy arrives in a pull request and CI runs it with the repository's
//! secrets in its environment. Every way to send a credential elsewhere, reach a metadata or
//! link-local address, read a file outside the workspace or run an unlisted program is
//! refused; the recording listener sees nothing it should not; the verdict is never GO. The
//! operator's allowances (flags and environment, as a CI job passes them) still open each
//! path.

use crate::common::httpd::{Response, Server, route};
use crate::common::policy_text;
use crate::common::run;
use crate::sources::{Case, http_metric, records};

const SECRET: &str = "hostile-e2e-secret-77ab";
const AWS: &str = "AKIAhostileAwsSecret0042";
const GH: &str = "ghp_hostileGithubToken99";

/// The CI's secrets, as a job's environment holds them.
fn ci_env(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut env = vec![
        ("AWS_SECRET_ACCESS_KEY", AWS),
        ("GITHUB_TOKEN", GH),
        ("ROLLGATE_PROMETHEUS_TOKEN", SECRET),
        ("ROLLGATE_SECRET_TRACE", SECRET),
    ];
    env.extend_from_slice(extra);
    env
}

/// The listener saw no request at all.
fn untouched(srv: &Server) {
    let seen = srv.requests();
    assert!(seen.is_empty(), "the policy reached the listener: {seen:?}");
}

/// Nothing shows a secret, and the verdict is not GO.
fn refused(case: &Case, extra: &[&str], env: &[(&str, &str)], name: &str, why: &str) -> String {
    let (out, decision) = case.run(extra, env);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert_ne!(out.code, 0, "a refused source gave GO:\n{all}");
    if out.code != 2 {
        assert_eq!(decision["verdict"], "no-go", "{all}");
    }
    for s in [SECRET, AWS, GH] {
        assert!(!all.contains(s), "a secret was shown:\n{all}");
    }
    let f = case.fetch(extra, env);
    assert_ne!(f.out.code, 0, "{}", f.shown());
    let err = f
        .error(name)
        .unwrap_or_else(|| panic!("no error for `{name}`:\n{}", f.shown()));
    assert!(err.contains(why), "`{why}` not in: {err}");
    err
}

// --- credentials -----------------------------------------------------------------------------

#[test]
fn a_header_secret_goes_only_to_a_host_the_operator_allowed() {
    let srv = Server::start(vec![route("/metric", Response::json(200, r#"{"v": 0}"#))]);
    let case = Case::new("hostile-header");
    case.policy(&http_metric(
        &format!("{}/metric", srv.base()),
        "        pointer: /v\n        headers:\n          X-Trace: { env: ROLLGATE_SECRET_TRACE }\n",
    ));
    let host = format!("127.0.0.1:{}", srv.port());
    let env = ci_env(&[]);

    let err = refused(&case, &[], &env, "m", "refused to send header `X-Trace`");
    assert!(err.contains(&format!("--allow-host {host}")), "{err}");
    // Another port of the same address, or a wildcard elsewhere, is not this host.
    let other = format!("127.0.0.1:{}", srv.port().wrapping_add(1));
    refused(
        &case,
        &["--allow-host", &other],
        &env,
        "m",
        "refused to send",
    );
    refused(
        &case,
        &["--allow-host", "*.example.com"],
        &env,
        "m",
        "refused",
    );
    untouched(&srv);

    // Allowed by flag, then by the environment: sent, and still never shown.
    for (flags, extra) in [
        (vec!["--allow-host", host.as_str()], vec![]),
        (vec![], vec![("ROLLGATE_ALLOW_HOSTS", host.as_str())]),
    ] {
        let mut env = env.clone();
        env.extend(extra);
        let (out, decision) = case.run(&flags, &env);
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        assert_eq!(decision["verdict"], "go");
        assert!(!out.stdout.contains(SECRET) && !out.stderr.contains(SECRET));
    }
    let seen = srv.requests();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|r| r.header("x-trace") == Some(SECRET)));
}

#[test]
fn a_policy_cannot_name_the_ci_secrets() {
    let srv = Server::start(vec![route("/metric", Response::json(200, r#"{"v": 0}"#))]);
    let case = Case::new("hostile-env-name");
    case.policy(&http_metric(
        &format!("{}/metric", srv.base()),
        "        pointer: /v\n        headers:\n          X-Trace: { env: AWS_SECRET_ACCESS_KEY }\n",
    ));
    let host = format!("127.0.0.1:{}", srv.port());
    // Even with the host allowed: the name itself is refused, before anything runs.
    let (out, _) = case.run(
        &["--allow-host", &host, "--report-dir", "reports"],
        &ci_env(&[]),
    );
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("ROLLGATE_SECRET_"), "{}", out.stderr);
    assert!(out.stderr.contains("policy.yaml:"), "{}", out.stderr);
    assert!(!out.stderr.contains(AWS));
    assert!(
        !case.dir.join("reports").exists(),
        "invalid input wrote a report"
    );
    untouched(&srv);
}

#[test]
fn the_github_token_goes_only_to_the_operators_api() {
    let collector = Server::start(vec![route("/", Response::json(200, "{}"))]);
    let api = Server::start(vec![route(
        "/repos/a/b/issues/1",
        Response::json(
            200,
            r#"{"number": 1, "title": "t", "state": "closed", "labels": [], "html_url": "x"}"#,
        ),
    )]);
    let case = Case::new("hostile-github");
    case.policy(&format!(
        r#"records:
  issues:
    source:
      github_issues: {{ repo: a/b, numbers: [1], api_url: "{}" }}
gates:
  closed: {{ records: issues, expect: {{ state: closed }} }}
stages:
  - id: canary
    gates: [closed]
"#,
        collector.base()
    ));
    let err = refused(
        &case,
        &[],
        &ci_env(&[]),
        "issues",
        "refused to send GITHUB_TOKEN",
    );
    assert!(err.contains("--allow-host"), "{err}");
    untouched(&collector);

    // The operator's API URL wins over the policy's, and receives the token.
    let mut env: Vec<(&str, &str)> = ci_env(&[]);
    env.push(("ROLLGATE_GITHUB_API_URL", api.base()));
    let (out, decision) = case.run(&[], &env);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(decision["verdict"], "go");
    untouched(&collector);
    let seen = api.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Bearer {GH}").as_str())
    );
}

#[test]
fn the_prometheus_token_goes_only_to_the_operators_server() {
    let collector = Server::start(vec![route("/", Response::json(200, "{}"))]);
    let prom = Server::start(vec![
        route(
            "/api/v1/query_range",
            Response::json(
                200,
                r#"{"status": "success", "data": {"resultType": "matrix", "result": [{"metric": {}, "values": [[1795348800, "0"]]}]}}"#,
            ),
        ),
        // The age probe (`min(timestamp(up))` at now): the data is fresh.
        route(
            "/api/v1/query",
            Response::json(
                200,
                r#"{"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1795348800, "1795348800"]}]}}"#,
            ),
        ),
    ]);
    let case = Case::new("hostile-prometheus");
    case.policy(&format!(
        r#"metrics:
  m:
    source:
      prometheus: {{ query: "up", url: "{}" }}
gates:
  g: {{ metric: m, aggregate: last, max: 1 }}
stages:
  - id: canary
    gates: [g]
"#,
        collector.base()
    ));
    let err = refused(
        &case,
        &[],
        &ci_env(&[]),
        "m",
        "refused to send ROLLGATE_PROMETHEUS_TOKEN",
    );
    assert!(err.contains("--prometheus-url"), "{err}");
    untouched(&collector);

    let (out, decision) = case.run(&["--prometheus-url", prom.base()], &ci_env(&[]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(decision["verdict"], "go");
    untouched(&collector);
    let seen = prom.requests();
    assert!(!seen.is_empty());
    assert!(
        seen.iter()
            .all(|r| r.header("authorization") == Some(format!("Bearer {SECRET}").as_str()))
    );
}

// --- addresses -------------------------------------------------------------------------------

#[test]
fn metadata_and_link_local_addresses_are_never_reached() {
    for (i, url) in [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[fe80::1]:8080/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[::ffff:169.254.169.254]/",
        "http://169.254.170.2/v2/credentials",
    ]
    .iter()
    .enumerate()
    {
        let case = Case::new(&format!("hostile-address-{i}"));
        case.write(
            "policy.yaml",
            &format!(
                r#"version: 1
policy: sources-e2e
environments: [production]
records:
  health:
    source:
      http: {{ url: "{url}", response: true }}
gates:
  healthy: {{ records: health, expect: {{ ok: true }} }}
stages:
  - id: canary
    gates: [healthy]
"#
            ),
        );
        let started = std::time::Instant::now();
        let err = refused(&case, &[], &ci_env(&[]), "health", "refused to connect");
        assert!(err.contains("--allow-host"), "{err}");
        // Refused before any connection attempt: no timeouts, no retries.
        assert!(!err.contains("attempts"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }
}

#[test]
fn a_redirect_toward_the_metadata_address_is_not_followed() {
    let srv = Server::start(vec![route(
        "/v",
        Response::status(302).header("Location", "http://169.254.169.254/latest/meta-data/"),
    )]);
    let case = Case::new("hostile-redirect");
    case.policy(&http_metric(
        &format!("{}/v", srv.base()),
        "        pointer: /v\n",
    ));
    let err = refused(&case, &[], &ci_env(&[]), "m", "redirect");
    assert!(err.contains("not followed"), "{err}");
}

// --- files -----------------------------------------------------------------------------------

/// A policy with one `file` metric at `path` (as written in the policy).
fn file_policy(case: &Case, path: &str, format: &str) {
    case.policy(&format!(
        r#"metrics:
  m:
    source:
      file: {{ path: "{path}", pointer: /v{format} }}
gates:
  g: {{ metric: m, aggregate: last, max: 1000 }}
stages:
  - id: canary
    gates: [g]
"#
    ));
}

#[test]
fn files_outside_the_policy_and_working_directories_are_not_read() {
    let outside = Case::new("hostile-files-outside");
    let secret_file = outside.write("secret.json", &format!(r#"{{"v": 1, "key": "{SECRET}"}}"#));
    let case = Case::new("hostile-files");
    let abs = secret_file.display().to_string();
    let rel = format!(
        "../{}/secret.json",
        outside.dir.file_name().unwrap().to_string_lossy()
    );
    #[cfg(unix)]
    std::os::unix::fs::symlink(&secret_file, case.dir.join("link.json")).unwrap();
    for path in [abs.as_str(), rel.as_str(), "link.json", "/etc/passwd"] {
        file_policy(&case, path, "");
        let err = refused(&case, &[], &ci_env(&[]), "m", "refused to read");
        assert!(err.contains("--allow-path"), "{err}");
        assert!(!err.contains(SECRET) && !err.contains("root:"), "{err}");
    }
    // The operator opens the directory: read.
    file_policy(&case, &abs, "");
    let dir = outside.dir.display().to_string();
    let (out, decision) = case.run(&["--allow-path", &dir], &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(decision["verdict"], "go");
}

#[test]
fn file_errors_never_show_the_files_contents() {
    let case = Case::new("hostile-file-contents");
    case.write("creds.json", &format!(r#"{{"aws_secret": "{SECRET}"}}"#));
    case.write("creds.csv", &format!("time,value\n1,{SECRET}\n"));
    for (path, format) in [("creds.json", ""), ("creds.csv", ", format: csv")] {
        file_policy(&case, path, format);
        let (out, decision) = case.run(&["--report-dir", "reports"], &[]);
        assert_eq!(decision["verdict"], "no-go", "{}{}", out.stdout, out.stderr);
        let f = case.fetch(&[], &[]);
        let err = f.error("m").unwrap();
        assert!(
            !err.contains(SECRET) && !err.contains("aws_secret"),
            "{err}"
        );
        assert!(!out.stderr.contains(SECRET) && !out.stdout.contains(SECRET));
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_blocking() {
    let case = Case::new("hostile-fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(case.dir.join("pipe.json"))
        .status()
        .unwrap();
    assert!(made.success());
    file_policy(&case, "pipe.json", "");
    refused(&case, &[], &[], "m", "not a regular file");
}

// --- programs --------------------------------------------------------------------------------

/// Records `tests` from the command `argv` (a YAML flow list), read by gate `pass`.
fn command_policy(case: &Case, argv: &str) {
    case.policy(&policy_text::command_policy("tests", "pass", argv, ""));
}

#[cfg(unix)]
#[test]
fn only_the_programs_allow_exec_lists_run() {
    use std::os::unix::fs::PermissionsExt;
    let case = Case::new("hostile-exec");
    let script = case.write("check.sh", "#!/bin/sh\necho checked > ran.txt\n");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A program not in the list, even one the list names a prefix of.
    command_policy(&case, r#"[sh, -c, "echo pwned > ran.txt"]"#);
    let err = refused(
        &case,
        &["--allow-exec=./check.sh,true"],
        &[],
        "tests",
        "not among",
    );
    assert!(err.contains("`./check.sh`"), "{err}");
    assert!(
        !case.dir.join("ran.txt").exists(),
        "an unlisted program ran"
    );

    // Listed: runs, also when written as another path to the same file.
    for argv in ["[./check.sh]", "[./sub/../check.sh]"] {
        std::fs::create_dir_all(case.dir.join("sub")).unwrap();
        command_policy(&case, argv);
        let (out, decision) = case.run(&["--allow-exec=./check.sh"], &[]);
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        assert_eq!(decision["verdict"], "go");
    }
    let ran = std::fs::read_to_string(case.dir.join("ran.txt")).unwrap();
    assert_eq!(ran, "checked\n");

    // `--allow-exec=` with nothing listed never widens to every program.
    let (out, _) = case.run(&["--allow-exec="], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--allow-exec"), "{}", out.stderr);
}

// --- stored bodies ---------------------------------------------------------------------------

#[test]
fn a_stored_response_body_is_cut_at_4_kib() {
    let big = format!(r#"{{"pad": "{}"}}"#, "x".repeat(10_000));
    let srv = Server::start(vec![
        route("/big", Response::json(200, big.clone())),
        route("/small", Response::json(200, r#"{"status": "ok"}"#)),
    ]);
    let case = Case::new("hostile-body");
    case.policy(&format!(
        r#"records:
  big:
    source:
      http: {{ url: "{0}/big", response: true }}
  small:
    source:
      http: {{ url: "{0}/small", response: true }}
gates:
  big-ok: {{ records: big, expect: {{ ok: true }} }}
  small-ok: {{ records: small, expect: {{ body.status: ok }} }}
stages:
  - id: canary
    gates: [big-ok, small-ok]
"#,
        srv.base()
    ));
    let f = case.fetch(&[], &[]);
    assert_eq!(f.out.code, 0, "{}", f.shown());
    let r = &records(&f.snap, "big")[0];
    assert_eq!(r["body"].as_str().map(str::len), Some(4096));
    assert_eq!(r["body_truncated"], true);
    assert_eq!(r["body_bytes"], big.len());
    let warnings = f.snap["evidence"]["big"]["warnings"].to_string();
    assert!(warnings.contains("only the first 4096"), "{warnings}");
    assert!(
        f.text.len() < 4096 + 3000,
        "the snapshot holds the whole body"
    );
    let small = &records(&f.snap, "small")[0];
    assert_eq!(small["body"]["status"], "ok");
    assert!(small.get("body_truncated").is_none());
}

// --- watch -----------------------------------------------------------------------------------

#[test]
fn watch_keeps_the_same_rules() {
    let srv = Server::start(vec![route("/metric", Response::json(200, r#"{"v": 0}"#))]);
    let case = Case::new("hostile-watch");
    case.policy(&http_metric(
        &format!("{}/metric", srv.base()),
        "        pointer: /v\n        headers:\n          X-Trace: { env: ROLLGATE_SECRET_TRACE }\n",
    ));
    let mut cmd = case.cmd("watch");
    cmd.args(["--every", "1s", "--for", "1s"]).envs(ci_env(&[]));
    let out = run(&mut cmd);
    assert_ne!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(all.contains("refused to send"), "{all}");
    assert!(!all.contains(SECRET));
    untouched(&srv);
}
