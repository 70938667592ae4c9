//! `rollgate init`: every starter validates and its tests pass, wherever it is written; an
//! existing file is never overwritten (and then nothing is written).

use crate::common::fixtures::scratch_dir;
use crate::common::{rollgate, run};

#[test]
fn every_starter_validates_and_passes_its_tests() {
    for t in ["canary", "blue-green", "monitor", "slo"] {
        let dir = scratch_dir(&format!("init-{t}"));
        let policy = dir.join("rollout.yaml");
        let out = run(rollgate()
            .args(["init", "--template", t, "--out"])
            .arg(&policy));
        assert_eq!(out.code, 0, "{t}: {out:?}");
        let test = dir.join("rollout.test.yaml");
        let text = std::fs::read_to_string(&test).unwrap();
        assert!(text.contains("policy: rollout.yaml"), "{t}: {text}");
        let v = run(rollgate().arg("validate").arg(&policy).arg(&test));
        assert_eq!(v.code, 0, "{t}: {v:?}");
        assert!(
            !v.stderr.contains("warning"),
            "{t}: a starter has no warnings: {v:?}"
        );
        let r = run(rollgate().arg("test").arg(&test));
        assert_eq!(r.code, 0, "{t}: {r:?}");
        assert!(r.stdout.contains(" passed, 0 failed"), "{t}: {}", r.stdout);
    }
}

#[test]
fn existing_files_are_never_overwritten() {
    let dir = scratch_dir("init-exists");
    let policy = dir.join("slo.yaml");
    std::fs::write(dir.join("slo.test.yaml"), "mine").unwrap();
    let out = run(rollgate()
        .args(["init", "--template", "slo", "--out"])
        .arg(&policy));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("exists; nothing was written"),
        "{out:?}"
    );
    assert!(!policy.exists(), "nothing was written");
    assert_eq!(
        std::fs::read_to_string(dir.join("slo.test.yaml")).unwrap(),
        "mine"
    );
    let bad = run(rollgate()
        .args(["init", "--template", "slo", "--out"])
        .arg(dir.join("x.txt")));
    assert_eq!(bad.code, 2, "{bad:?}");
}
