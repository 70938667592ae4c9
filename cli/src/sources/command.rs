//! Commands as evidence ("contract tests pass"): run without a shell, only with
//! `--allow-exec` (and, when it lists programs, only those), bounded by a timeout; one record with the exit code, duration, the last
//! lines of output and their digest.

use std::process::Stdio;
use std::time::{Duration, Instant};

use rollgate_engine::policy::raw::CommandSource;
use rollgate_engine::snapshot::{Evidence, format_time};
use serde_json::Value;
use tokio::io::AsyncReadExt;

use super::reach::{Exec, Reach};
use super::{Data, Fetched, Job, Options, clock};

/// Output kept in memory at most; the digest covers what was read.
const MAX_OUTPUT: usize = 8 << 20;

pub(crate) async fn fetch(_job: &Job, src: &CommandSource, opts: &Options) -> Fetched {
    let mut ev = Evidence {
        source: "command".into(),
        command: Some(src.argv.clone()),
        ..Evidence::default()
    };
    if let Err(why) = allowed(&opts.reach, &src.argv[0]) {
        ev.fetched_at = Some(format_time(clock()));
        return Err((ev, why));
    }
    let timeout = src
        .timeout
        .as_ref()
        .and_then(|t| rollgate_engine::policy::duration::Duration::parse(&t.0).ok())
        .map_or(Duration::from_secs(600), |d| {
            Duration::from_secs(d.seconds.max(1) as u64)
        });
    let tail_lines = src.tail_lines.unwrap_or(20) as usize;
    let started = Instant::now();
    let mut cmd = tokio::process::Command::new(&src.argv[0]);
    cmd.args(&src.argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // Its own process group, so a timeout stops the children too.
    #[cfg(unix)]
    cmd.process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            ev.fetched_at = Some(format_time(clock()));
            return Err((ev, format!("cannot run `{}`: {e}", src.argv[0])));
        }
    };
    let pid = child.id();
    let out = child.stdout.take().expect("piped");
    let err = child.stderr.take().expect("piped");
    let read = |mut pipe: Box<dyn tokio::io::AsyncRead + Unpin + Send>| {
        tokio::spawn(async move {
            let mut buf = Vec::new();
            let _ = (&mut pipe)
                .take(MAX_OUTPUT as u64)
                .read_to_end(&mut buf)
                .await;
            buf
        })
    };
    let (out_task, err_task) = (read(Box::new(out)), read(Box::new(err)));
    let (timed_out, code) = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) => (false, status.code()),
        Ok(Err(e)) => {
            ev.fetched_at = Some(format_time(clock()));
            return Err((ev, format!("`{}` failed to run: {e}", src.argv[0])));
        }
        Err(_) => {
            kill_group(pid);
            let _ = child.kill().await;
            (true, None)
        }
    };
    // The pipes close once every process holding them is gone; bound the wait anyway.
    let grace = Duration::from_secs(2);
    let stdout = tokio::time::timeout(grace, out_task)
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    let stderr = tokio::time::timeout(grace, err_task)
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    let duration_ms = started.elapsed().as_millis() as u64;
    ev.fetched_at = Some(format_time(clock()));
    let mut all = stdout;
    all.extend_from_slice(&stderr);
    let digest = crate::files::sha256_hex(&all);
    ev.sha256 = Some(digest.clone());
    ev.exit_code = code;
    let text = String::from_utf8_lossy(&all);
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(tail_lines)..].join("\n");
    let mut r = serde_json::Map::new();
    r.insert("command".into(), Value::from(src.argv.join(" ")));
    r.insert("exit_code".into(), code.map_or(Value::Null, Value::from));
    r.insert("duration_ms".into(), Value::from(duration_ms));
    r.insert("timed_out".into(), Value::from(timed_out));
    r.insert("tail".into(), Value::from(tail));
    r.insert("sha256".into(), Value::from(digest));
    if timed_out {
        // Still a record (with `timed_out: true` and what it printed): gates expecting an exit
        // code fail on it, and the report shows how far it got.
        ev.warnings.push(format!(
            "`{}` did not finish within its timeout and was stopped",
            src.argv[0]
        ));
    }
    Ok((Data::Records(vec![r]), ev))
}

/// Err (why, naming the flag) unless the operator lets `program` run: a bare
/// `--allow-exec` lets any run; `--allow-exec=A,B` only those, as written in `argv[0]`
/// (a path with a `/` also matches the same file written another way).
fn allowed(reach: &Reach, program: &str) -> Result<(), String> {
    match reach.exec() {
        Exec::Any => Ok(()),
        Exec::Never => Err("command sources run only with `--allow-exec`".into()),
        Exec::Only(list) => {
            let same_file = |a: &str| {
                a.contains('/')
                    && program.contains('/')
                    && matches!(
                        (std::fs::canonicalize(a), std::fs::canonicalize(program)),
                        (Ok(x), Ok(y)) if x == y
                    )
            };
            if list.iter().any(|a| a == program || same_file(a)) {
                Ok(())
            } else {
                Err(format!(
                    "`{program}` is not among the programs `--allow-exec` lists ({}); add it to run it",
                    list.iter()
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
        }
    }
}

/// Kills a process group (the command and everything it started).
fn kill_group(pid: Option<u32>) {
    #[cfg(unix)]
    if let Some(p) = pid.and_then(|p| rustix::process::Pid::from_raw(p as i32)) {
        let _ = rustix::process::kill_process_group(p, rustix::process::Signal::KILL);
    }
    #[cfg(not(unix))]
    let _ = pid;
}
