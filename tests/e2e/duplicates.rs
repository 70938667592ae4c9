//! Duplicate records count once (issue: "a `jobs` list written twice turns '4 of 9, at least
//! 5 needed' into GO"), and one key with two contents is an error that blocks.

use serde_json::Value;

use crate::common::{rollgate, root, run};

const EXAMPLE: &str = "examples/kodosumi-canary/no-go-canary-only-4-jobs.json";

fn eval(snap: &Value, name: &str) -> Value {
    let dir = std::env::temp_dir().join(format!("rollgate-dup-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("snap.json");
    std::fs::write(&path, serde_json::to_vec(snap).unwrap()).unwrap();
    let out = run(rollgate()
        .args([
            "eval",
            "--policy",
            "policies/kodosumi-canary.yaml",
            "--env",
            "production",
            "--stage",
            "canary",
            "--no-report",
            "--format",
            "json",
            "--snapshot",
        ])
        .arg(&path));
    std::fs::remove_dir_all(&dir).unwrap();
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stderr))
}

fn gate<'a>(d: &'a Value, id: &str) -> &'a Value {
    d["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == id)
        .unwrap()
}

fn example() -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join(EXAMPLE)).unwrap()).unwrap()
}

#[test]
fn a_jobs_list_written_twice_still_counts_four_jobs() {
    let mut snap = example();
    let jobs = snap["records"]["jobs"].as_array_mut().unwrap();
    assert_eq!(jobs.len(), 9);
    let again = jobs.clone();
    jobs.extend(again);
    let d = eval(&snap, "twice");
    assert_eq!(d["verdict"], "no-go");
    let g = gate(&d, "canary-job-facts");
    assert_eq!(g["status"], "inconclusive", "{g:#}");
    assert_eq!(
        g["message"],
        "4 of 9 records match `where` (9 duplicates counted once); at least 5 needed"
    );
}

#[test]
fn one_job_id_with_two_contents_is_an_error() {
    let mut snap = example();
    let jobs = snap["records"]["jobs"].as_array_mut().unwrap();
    let mut other = jobs[0].clone();
    other["status"] = Value::from("failed");
    jobs.push(other);
    let d = eval(&snap, "conflict");
    assert_eq!(d["verdict"], "no-go");
    let g = gate(&d, "control-job-count");
    assert_eq!(g["status"], "error", "{g:#}");
    assert!(
        g["message"]
            .as_str()
            .unwrap()
            .starts_with("records `jobs`: records 1 and 10 have the same key (id = "),
        "{g:#}"
    );
}
