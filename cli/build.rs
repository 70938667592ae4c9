//! Records the Rhai version from Cargo.lock, for `rollgate --version`.

fn main() {
    let lock = std::fs::read_to_string("../Cargo.lock").unwrap_or_default();
    let mut version = "unknown".to_owned();
    let mut in_rhai = false;
    for line in lock.lines() {
        if line == "name = \"rhai\"" {
            in_rhai = true;
        } else if in_rhai && let Some(v) = line.strip_prefix("version = \"") {
            version = v.trim_end_matches('"').to_owned();
            break;
        }
    }
    println!("cargo:rustc-env=ROLLGATE_RHAI_VERSION={version}");
    println!("cargo:rerun-if-changed=../Cargo.lock");
}
