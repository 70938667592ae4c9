//! A series that disappears does not pass (issue: "drop the ios series of a 3-surface metric
//! and `replay-latency` says all 2 series pass"): the bundled khala policy expects web,
//! desktop and ios, so without ios the gate is inconclusive and names it.

use serde_json::Value;

use crate::common::{rollgate, root, run};

const EXAMPLE: &str = "examples/khala-ws-only/go-internal-canary.json";

#[test]
fn dropping_the_ios_series_is_never_go() {
    let mut snap: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(EXAMPLE)).unwrap()).unwrap();
    let list = snap["series"]["replay_bootstrap_latency_ms"]
        .as_array_mut()
        .unwrap();
    let before = list.len();
    list.retain(|s| s["labels"]["surface"] != "ios");
    assert_eq!(list.len(), before - 1);
    let dir = std::env::temp_dir().join(format!("rollgate-expected-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("no-ios.json");
    std::fs::write(&path, serde_json::to_vec(&snap).unwrap()).unwrap();
    let eval = |snapshot: &std::path::Path| {
        let out = run(rollgate()
            .args([
                "eval",
                "--policy",
                "policies/khala-ws-only.yaml",
                "--env",
                "production",
                "--stage",
                "internal-canary",
                "--no-report",
                "--format",
                "json",
                "--snapshot",
            ])
            .arg(snapshot));
        serde_json::from_str::<Value>(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stderr))
    };
    assert_eq!(
        eval(&root().join(EXAMPLE))["verdict"],
        "go",
        "the example itself"
    );
    let d = eval(&path);
    assert_ne!(d["verdict"], "go");
    let gate = |id: &str| {
        d["gates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["id"] == id)
            .unwrap()
            .clone()
    };
    let g = gate("replay-latency");
    assert_eq!(g["status"], "inconclusive", "{g:#}");
    assert_eq!(
        g["message"],
        "1 of 3 series do not pass; worst: {surface=\"ios\"} no series with surface=ios"
    );
    // The script gate over the same metric sees the same gap.
    let g = gate("replay-latency-budget");
    assert_eq!(g["status"], "inconclusive", "{g:#}");
    assert!(
        g["message"]
            .as_str()
            .unwrap()
            .contains("no series with surface=ios"),
        "{g:#}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
