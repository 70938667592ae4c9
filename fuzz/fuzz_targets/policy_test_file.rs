//! Policy test files (`*.test.yaml`): any text either loads or gives located diagnostics; a
//! file that loads is checked against every bundled policy, and each case that checks clean
//! builds its snapshot and runs without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rollgate_engine::decision::Inputs;
use rollgate_engine::policy::model::Policy;
use rollgate_engine::policy_test::{build_snapshot, check_against, load_test_file, run_case};

thread_local! {
    // Loaded once; a policy holds compiled scripts, which are not `Sync`.
    static POLICIES: &'static [Policy] = Box::leak(
        rollgate_fuzz::bundled_policies()
            .iter()
            .map(|(id, text)| {
                rollgate_engine::load_policy(text)
                    .unwrap_or_else(|e| panic!("{id}: {e:?}"))
                    .policy
            })
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
}

fn policies() -> &'static [Policy] {
    POLICIES.with(|p| *p)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let tests = match load_test_file(text) {
        Err(diags) => {
            assert!(!diags.is_empty());
            rollgate_fuzz::assert_located(text, &diags);
            return;
        }
        Ok(t) => t,
    };
    for policy in policies() {
        let problems = check_against(&tests, policy);
        rollgate_fuzz::assert_located(text, &problems);
        if !problems.is_empty() {
            continue;
        }
        for case in &tests.file.tests {
            if build_snapshot(case).is_ok() {
                let _ = run_case(policy, case, &[], Inputs::default(), None);
            }
        }
    }
});
