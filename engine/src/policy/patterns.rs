//! The text patterns of the policy and test-file formats, written once: the JSON Schema
//! carries them (`#[schemars(regex(pattern = ...))]` in the raw types) and the schema check
//! explains a value that misses one by looking its pattern up here.

pub(crate) const ID: &str = r"^[a-z0-9][a-z0-9-]*$";
pub(crate) const NAME: &str = r"^[a-z0-9][a-z0-9_-]*$";
pub(crate) const IDENTIFIER: &str = r"^[A-Za-z_][A-Za-z0-9_]*$";
pub(crate) const DURATION: &str = r"^([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$";
pub(crate) const MAX_AGE: &str = r"^(([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?|none)$";
pub(crate) const HOLD: &str = r"^(([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?|[0-9]+bd)$";
pub(crate) const WINDOW: &str =
    r"^(([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?|[0-9]+ checks?|stage|rollout)$";
pub(crate) const DATE: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
pub(crate) const DATE_OR_TIME: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?$";
pub(crate) const CLOCK: &str = r"^([01][0-9]|2[0-3]):[0-5][0-9]$";
pub(crate) const PERCENT: &str = r"^[0-9]+(\.[0-9]+)?%$";
pub(crate) const REPOSITORY: &str = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$";

/// Each pattern and what a value matching it is, in words.
const MEANINGS: &[(&str, &str)] = &[
    (ID, "a valid id (lowercase letters, digits and `-`)"),
    (
        NAME,
        "a valid name (lowercase letters, digits, `-` and `_`)",
    ),
    (
        IDENTIFIER,
        "a valid name (letters, digits and `_`, not starting with a digit)",
    ),
    (
        DURATION,
        "a duration (a number and a unit, like `30s`, `5m`, `1h30m` or `2d`)",
    ),
    (
        MAX_AGE,
        "a duration like `30s`, `15m` or `1h`, or `none` (staleness not checked)",
    ),
    (
        HOLD,
        "a hold: a duration like `60m` or `24h`, or business days like `1bd`",
    ),
    (
        WINDOW,
        "a window: a duration (`1h`), a number of checks (`5 checks`), `stage` or `rollout`",
    ),
    (DATE, "a date like `2026-12-25`"),
    (
        DATE_OR_TIME,
        "a date like `2027-01-15` or a time like `2027-01-15T09:00` (local to the calendar's zone) or `2027-01-15T09:00:00Z`",
    ),
    (PERCENT, "a percentage like `10%`"),
    (CLOCK, "a time of day like `09:00` (24-hour)"),
    (REPOSITORY, "a repository like `owner/name`"),
];

/// What a value matching `pattern` is, in words.
pub(crate) fn meaning(pattern: &str) -> &'static str {
    MEANINGS
        .iter()
        .find(|(p, _)| *p == pattern)
        .map_or("in the expected form", |(_, m)| m)
}

#[cfg(test)]
mod tests {
    /// Every pattern the published schemas use has its words here, so no value is ever
    /// explained as just "in the expected form".
    #[test]
    fn every_schema_pattern_has_a_meaning() {
        for kind in ["policy", "test"] {
            let path = format!(
                "{}/../schemas/{kind}.schema.json",
                env!("CARGO_MANIFEST_DIR")
            );
            let text = std::fs::read_to_string(&path).unwrap();
            let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
            let mut patterns = Vec::new();
            collect(&schema, &mut patterns);
            assert!(!patterns.is_empty(), "{path}");
            for p in patterns {
                assert_ne!(super::meaning(&p), "in the expected form", "{path}: {p}");
            }
        }
    }

    fn collect(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(p) = m.get("pattern").and_then(serde_json::Value::as_str) {
                    out.push(p.to_owned());
                }
                m.values().for_each(|x| collect(x, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
            _ => {}
        }
    }
}
