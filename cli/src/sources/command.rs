//! Commands as evidence ("contract tests pass"): run without a shell, only with
//! `--allow-exec` (and, when it lists programs, only those), bounded by a timeout; one record with the exit code, duration, the last
//! lines of output and their digest.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rollgate_engine::policy::model::source::Command;
use rollgate_engine::snapshot::{Evidence, format_time};
use serde_json::Value;
use tokio::io::AsyncReadExt;

use super::reach::{Exec, Reach};
use super::{Data, Fetched, Job, Options, clock};

/// Output kept per stream (its end: the tail is what a person reads).
const KEEP: usize = 1 << 20;
/// Output read per stream at most: past it, the command is stopped (a runaway loop printing
/// forever would otherwise hold the fetch until its timeout).
const MAX_PRINTED: u64 = 64 << 20;

/// One stream's output: its last [`KEEP`] bytes, and how much was printed and dropped.
#[derive(Debug, Default)]
struct Drained {
    kept: Vec<u8>,
    total: u64,
    dropped: u64,
}

/// Reads a pipe to its end, keeping its last [`KEEP`] bytes; past [`MAX_PRINTED`] it flags the
/// limit and stops the command's process group.
async fn drain(
    mut pipe: Box<dyn tokio::io::AsyncRead + Unpin + Send>,
    pid: Option<u32>,
    over_limit: Arc<AtomicBool>,
) -> Drained {
    let mut d = Drained::default();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        d.total += n as u64;
        d.kept.extend_from_slice(&buf[..n]);
        if d.kept.len() > 2 * KEEP {
            let cut = d.kept.len() - KEEP;
            d.kept.drain(..cut);
            d.dropped += cut as u64;
        }
        if d.total > MAX_PRINTED {
            over_limit.store(true, Ordering::Relaxed);
            kill_group(pid);
            break;
        }
    }
    if d.kept.len() > KEEP {
        let cut = d.kept.len() - KEEP;
        d.kept.drain(..cut);
        d.dropped += cut as u64;
    }
    d
}

pub(crate) async fn fetch(_job: &Job, src: &Command, opts: &Options) -> Fetched {
    let mut ev = Evidence {
        source: "command".into(),
        command: Some(src.argv.clone()),
        ..Evidence::default()
    };
    let ran = match allowed(&opts.reach, &src.argv[0]) {
        Ok(()) => run(src).await,
        Err(why) => Err(why),
    };
    ev.fetched_at = Some(format_time(clock()));
    let ran = match ran {
        Ok(r) => r,
        Err(why) => return Err((ev, why)),
    };
    let r = record(src, ran, &mut ev);
    Ok((Data::Records(vec![r]), ev))
}

/// What one run of a command did.
struct Ran {
    code: Option<i32>,
    timed_out: bool,
    duration_ms: u64,
    stdout: Drained,
    stderr: Drained,
    /// It printed more than [`MAX_PRINTED`] and was stopped.
    limit_hit: bool,
}

/// Runs the command in its own process group, with no stdin, until it exits or its timeout
/// passes; then stops whatever it left running. Err only when it could not be run at all.
async fn run(src: &Command) -> Result<Ran, String> {
    let timeout = src.timeout.map_or(Duration::from_secs(600), |d| {
        Duration::from_secs(d.seconds.max(1) as u64)
    });
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
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run `{}`: {e}", src.argv[0]))?;
    let pid = child.id();
    let (Some(out), Some(err)) = (child.stdout.take(), child.stderr.take()) else {
        kill_group(pid);
        return Err(format!("`{}`: its output could not be read", src.argv[0]));
    };
    let over_limit = Arc::new(AtomicBool::new(false));
    let (out_task, err_task) = (
        tokio::spawn(drain(Box::new(out), pid, over_limit.clone())),
        tokio::spawn(drain(Box::new(err), pid, over_limit.clone())),
    );
    let (timed_out, code) = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) => (false, status.code()),
        Ok(Err(e)) => {
            kill_group(pid);
            return Err(format!("`{}` failed to run: {e}", src.argv[0]));
        }
        Err(_) => {
            kill_group(pid);
            let _ = child.kill().await;
            (true, None)
        }
    };
    // Whatever it left running in the background goes with it: a gate's command must not
    // outlive the fetch.
    kill_group(pid);
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
    Ok(Ran {
        code,
        timed_out,
        duration_ms: started.elapsed().as_millis() as u64,
        stdout,
        stderr,
        limit_hit: over_limit.load(Ordering::Relaxed),
    })
}

/// The run as one record (command, exit code, duration, timeout, the tail of its output and
/// the digest of what was kept), with warnings for a timeout and for output cut short.
fn record(src: &Command, ran: Ran, ev: &mut Evidence) -> serde_json::Map<String, Value> {
    let tail_lines = src.tail_lines.unwrap_or(20) as usize;
    let truncated = ran.stdout.dropped + ran.stderr.dropped > 0;
    let printed = ran.stdout.total + ran.stderr.total;
    let mut all = ran.stdout.kept;
    all.extend_from_slice(&ran.stderr.kept);
    let digest = crate::files::sha256_hex(&all);
    ev.sha256 = Some(digest.clone());
    ev.exit_code = ran.code;
    let text = String::from_utf8_lossy(&all);
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(tail_lines)..].join("\n");
    let mut r = serde_json::Map::new();
    r.insert("command".into(), Value::from(src.argv.join(" ")));
    r.insert(
        "exit_code".into(),
        ran.code.map_or(Value::Null, Value::from),
    );
    r.insert("duration_ms".into(), Value::from(ran.duration_ms));
    r.insert("timed_out".into(), Value::from(ran.timed_out));
    r.insert("tail".into(), Value::from(tail));
    r.insert("sha256".into(), Value::from(digest));
    if truncated || ran.limit_hit {
        // The digest then covers the output kept (the end of each stream), not all of it.
        r.insert("output_bytes".into(), Value::from(printed));
        r.insert("output_truncated".into(), Value::from(true));
    }
    if ran.limit_hit {
        r.insert("output_limit".into(), Value::from(true));
        ev.warnings.push(format!(
            "`{}` printed more than {} MiB and was stopped at the output limit; the last lines are kept",
            src.argv[0],
            MAX_PRINTED >> 20
        ));
    } else if truncated {
        ev.warnings.push(format!(
            "`{}` printed {printed} bytes; the last {} MiB of each stream are kept",
            src.argv[0],
            KEEP >> 20
        ));
    }
    if ran.timed_out {
        // Still a record (with `timed_out: true` and what it printed): gates expecting an exit
        // code fail on it, and the report shows how far it got.
        ev.warnings.push(format!(
            "`{}` did not finish within its timeout and was stopped",
            src.argv[0]
        ));
    }
    r
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
