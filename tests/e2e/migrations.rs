//! `examples/migrations/`: each other tool's configuration beside the rollgate policy that
//! says the same thing; the policies validate without warnings and every case (the verdict
//! the other tool reaches on the same data) passes. Each original names its public source.

use crate::common::{rollgate, root, run};

const TOOLS: [&str; 5] = [
    "argo-rollouts",
    "flagger",
    "keptn",
    "kayenta",
    "slo-burn-rate",
];

#[test]
fn each_migration_reaches_the_other_tools_verdicts() {
    for tool in TOOLS {
        let dir = format!("examples/migrations/{tool}");
        let v = run(rollgate().args([
            "validate",
            &format!("{dir}/policy.yaml"),
            &format!("{dir}/policy.test.yaml"),
        ]));
        assert_eq!(v.code, 0, "{tool}: {v:?}");
        assert!(!v.stderr.contains("warning"), "{tool}: {v:?}");
        let t = run(rollgate().args(["test", &dir]));
        assert_eq!(t.code, 0, "{tool}: {}{}", t.stdout, t.stderr);
        assert!(
            t.stdout.contains(" passed, 0 failed"),
            "{tool}: {}",
            t.stdout
        );
    }
}

#[test]
fn every_original_names_its_public_source() {
    for tool in TOOLS {
        let dir = root().join("examples/migrations").join(tool);
        let originals: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                !name.starts_with("policy.")
            })
            .collect();
        assert!(!originals.is_empty(), "{tool}: no original");
        let sourced = originals.iter().any(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .contains("https://github.com/")
        });
        assert!(sourced, "{tool}: no file names the original's URL");
    }
}
