//! Policy texts that several test files write, built in one place so that a change of the
//! policy language is made once.

/// A policy whose record set `record` comes from a command source running `argv` (a YAML
/// flow list; JSON is one), with `extra` lines (already indented under `command:`) after
/// it, and gate `gate` of stage `canary` expecting exit code 0.
pub fn command_policy(record: &str, gate: &str, argv: &str, extra: &str) -> String {
    format!(
        r#"records:
  {record}:
    source:
      command:
        argv: {argv}
{extra}gates:
  {gate}:
    records: {record}
    expect: {{ exit_code: 0 }}
stages:
  - id: canary
    gates: [{gate}]
"#
    )
}
