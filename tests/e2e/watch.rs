//! `watch` on the wall clock: signals (SIGTERM like Ctrl-C, a second one at once, exit 130 /
//! 143), `--for` as a bound on wall time, late and skipped ticks after slow fetches or a stall
//! (SIGSTOP), and what a tick line says (with `--now`, no server: a source that fails).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{rollgate, run};

/// A policy whose one gate reads the record of `sleep SECS` (`true` when SECS is 0).
fn slow_policy(dir: &Path, secs: &str) -> PathBuf {
    let argv = if secs == "0" {
        "[\"true\"]".to_owned()
    } else {
        format!("[\"sleep\", \"{secs}\"]")
    };
    let path = dir.join("slow.yaml");
    std::fs::write(
        &path,
        format!(
            "version: 1\npolicy: watch-live\ntitle: A slow source\nowner: e2e\n\
             environments: [production]\nrecords:\n  slow:\n    source:\n      command:\n\
             \x20       argv: {argv}\ngates:\n  slow-ok:\n    records: slow\n    expect:\n\
             \x20     exit_code: 0\nstages:\n  - id: only\n    gates: [slow-ok]\n"
        ),
    )
    .unwrap();
    path
}

fn fresh(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("watch-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A watch running on the clock, its stdout lines arriving on a channel.
struct Live {
    child: Child,
    lines: Receiver<String>,
    started: Instant,
}

fn live(policy: &Path, every: &str, period: &str, ledger: &Path) -> Live {
    let mut cmd: Command = rollgate();
    cmd.args(["watch", "--policy"])
        .arg(policy)
        .args(["--env", "production", "--stage", "only", "--every", every])
        .args(["--for", period, "--allow-exec=sleep,true", "--ledger"])
        .arg(ledger)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().expect("rollgate starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Live {
        child,
        lines,
        started,
    }
}

impl Live {
    fn line(&self, within: Duration) -> String {
        self.lines
            .recv_timeout(within)
            .unwrap_or_else(|e| panic!("no tick line within {within:?}: {e}"))
    }

    fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args(["-s", name, &self.child.id().to_string()])
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "kill -s {name}");
    }

    /// Waits for the exit: code (-1 when killed by a signal), the lines not yet read,
    /// stderr, and the wall time since the start.
    fn finish(mut self) -> (i32, Vec<String>, String, Duration) {
        let status = self.child.wait().unwrap();
        let elapsed = self.started.elapsed();
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        let rest: Vec<String> = self.lines.iter().collect();
        (status.code().unwrap_or(-1), rest, err, elapsed)
    }
}

fn decisions_in(ledger: &Path) -> usize {
    std::fs::read_to_string(ledger)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("\"decision\""))
        .count()
}

/// SIGTERM during a tick: the tick finishes, its decision is printed and recorded, and the
/// watch exits 143 (it used to die at once, the tick lost).
#[test]
fn sigterm_finishes_the_tick_in_progress() {
    let dir = fresh("sigterm");
    let ledger = dir.join("ledger.jsonl");
    let w = live(&slow_policy(&dir, "2"), "1s", "1m", &ledger);
    std::thread::sleep(Duration::from_millis(700));
    w.signal("TERM");
    let (code, lines, err, elapsed) = w.finish();
    assert_eq!(code, 143, "{lines:?}\n{err}");
    assert_eq!(lines.len(), 1, "{lines:?}\n{err}");
    assert!(lines[0].starts_with("tick 1/61 "), "{lines:?}");
    assert!(err.contains("SIGTERM"), "{err}");
    assert!(err.contains("interrupted after tick 1"), "{err}");
    assert!(elapsed >= Duration::from_millis(1900), "{elapsed:?}");
    assert_eq!(decisions_in(&ledger), 1);
}

/// A second signal stops at once, without waiting for the tick.
#[test]
fn a_second_signal_stops_at_once() {
    let dir = fresh("twice");
    let ledger = dir.join("ledger.jsonl");
    let w = live(&slow_policy(&dir, "5"), "1s", "1m", &ledger);
    std::thread::sleep(Duration::from_millis(600));
    w.signal("TERM");
    std::thread::sleep(Duration::from_millis(300));
    w.signal("INT");
    let (code, lines, err, elapsed) = w.finish();
    assert_eq!(code, 130, "{lines:?}\n{err}");
    assert!(lines.is_empty(), "{lines:?}");
    assert!(err.contains("stopping at once"), "{err}");
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
}

/// Ctrl-C between ticks: exit 130 at once, not 0 or the verdict as if the period ended.
#[test]
fn sigint_between_ticks_exits_130() {
    let dir = fresh("sigint");
    let ledger = dir.join("ledger.jsonl");
    let w = live(&slow_policy(&dir, "0"), "30s", "10m", &ledger);
    let first = w.line(Duration::from_secs(20));
    assert!(first.starts_with("tick 1/21 "), "{first}");
    assert!(first.contains("GO"), "{first}");
    w.signal("INT");
    let (code, _, err, elapsed) = w.finish();
    assert_eq!(code, 130, "{err}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    assert_eq!(decisions_in(&ledger), 1);
}

/// Each 2.5 s tick every 1 s for 6 s: the period bounds wall time (it used to run 7 ticks,
/// 17.5 s); a tick past its slot runs at once for the latest slot due, says it is late and how
/// many slots it skipped; every tick has its own `evaluated_at`.
#[test]
fn the_period_bounds_wall_time_and_missed_ticks_are_skipped() {
    let dir = fresh("slow");
    let ledger = dir.join("ledger.jsonl");
    let w = live(&slow_policy(&dir, "2.5"), "1s", "6s", &ledger);
    let (code, lines, err, elapsed) = w.finish();
    assert_eq!(code, 0, "{lines:?}\n{err}");
    assert!(elapsed < Duration::from_secs(11), "{elapsed:?}\n{lines:?}");
    assert!((2..=3).contains(&lines.len()), "{lines:?}");
    assert!(lines[0].starts_with("tick 1/7 "), "{lines:?}");
    assert!(
        lines[1].contains("late by") && lines[1].contains("missed tick"),
        "{lines:?}"
    );
    let stamps: Vec<&str> = lines.iter().map(|l| l.split(' ').nth(2).unwrap()).collect();
    assert!(stamps.windows(2).all(|w| w[0] < w[1]), "{stamps:?}");
}

/// Suspended (SIGSTOP) for 3.5 s: on resuming, one tick, saying how many it skipped; never a
/// burst of ticks with the same `evaluated_at`.
#[test]
fn after_a_stall_missed_ticks_are_skipped() {
    let dir = fresh("stall");
    let ledger = dir.join("ledger.jsonl");
    let w = live(&slow_policy(&dir, "0"), "1s", "1m", &ledger);
    let mut lines = vec![
        w.line(Duration::from_secs(20)),
        w.line(Duration::from_secs(5)),
    ];
    w.signal("STOP");
    std::thread::sleep(Duration::from_millis(3500));
    w.signal("CONT");
    lines.push(w.line(Duration::from_secs(5)));
    lines.push(w.line(Duration::from_secs(5)));
    w.signal("TERM");
    let (code, rest, err, _) = w.finish();
    assert_eq!(code, 143, "{err}");
    lines.extend(rest);
    let stamps: Vec<&str> = lines.iter().map(|l| l.split(' ').nth(2).unwrap()).collect();
    assert!(
        stamps.windows(2).all(|w| w[0] < w[1]),
        "ticks with the same evaluated_at: {lines:#?}"
    );
    assert!(
        lines[2].contains("missed ticks skipped"),
        "the tick after the stall: {lines:#?}"
    );
}

#[test]
fn a_zero_interval_is_refused_plainly() {
    for (flag, value) in [("--every", "0s"), ("--for", "0m")] {
        let out = run(rollgate().args([
            "watch",
            "--policy",
            "policies/weathervane-monitor.yaml",
            "--env",
            "production",
            "--stage",
            "post-promotion",
            flag,
            value,
        ]));
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(out.stderr.contains("is zero"), "{}", out.stderr);
        assert!(!out.stderr.contains("not a duration"), "{}", out.stderr);
    }
}

/// `--format json`: one summary per tick; the second says which sources failed and that
/// every gate not passing is an error or a warning.
fn assert_json_ticks(stdout: &str) {
    let ticks: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(ticks.len(), 2);
    assert_eq!(ticks[1]["tick"], 2);
    assert_eq!(ticks[1]["of"], 2);
    assert_eq!(ticks[1]["evaluated_at"], "2026-11-21T16:01:00Z");
    assert_eq!(ticks[1]["verdict"], "no-go");
    assert_eq!(ticks[1]["exit_code"], 1);
    let failed = &ticks[1]["sources_failed"][0];
    assert!(
        failed["error"].as_str().unwrap().contains("127.0.0.1:9"),
        "{failed}"
    );
    assert!(
        ticks[1]["not_passing"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["status"] == "error" || g["status"] == "warning"),
        "{:#}",
        ticks[1]
    );
}

/// A failing source's reason is on the tick line, with each gate that does not pass and its
/// status; `--format json` prints one summary per tick; `-o json=PATH` keeps the last
/// decision as `eval` writes it.
#[test]
fn tick_lines_say_what_does_not_pass_and_why() {
    let dir = fresh("lines");
    let last = dir.join("last.json");
    let base = [
        "watch",
        "--policy",
        "policies/weathervane-monitor.yaml",
        "--env",
        "production",
        "--stage",
        "post-promotion",
        "--now",
        "2026-11-21T16:00:00Z",
        "--entered-at",
        "2026-11-21T15:55:00Z",
        "--every",
        "1m",
        "--for",
        "1m",
        "--prometheus-url",
        "http://127.0.0.1:9",
        "--timeout",
        "2s",
    ];
    let out = run(rollgate().args(base));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    for l in &lines {
        assert!(l.contains("NO-GO"), "{l}");
        assert!(l.contains("error-rate-rollback: error"), "{l}");
        assert!(l.contains("source failed ("), "{l}");
        assert!(l.contains("127.0.0.1:9"), "{l}");
    }
    let out = run(rollgate()
        .args(base)
        .args(["--format", "json", "-o"])
        .arg(format!("json={}", last.display())));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_json_ticks(&out.stdout);
    let decision: Value = serde_json::from_str(&std::fs::read_to_string(&last).unwrap()).unwrap();
    assert_eq!(decision["evaluated_at"], "2026-11-21T16:01:00Z");
    assert_eq!(decision["verdict"], "no-go");
}
