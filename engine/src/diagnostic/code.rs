//! Stable codes for every kind of problem in a user's file. Messages are reworded as the
//! project learns; a code is what scripts, editors and tests hold on to, and what
//! `docs/diagnostics.md` explains (a test keeps the two lists equal).
//!
//! The hundreds say where the problem is: `RG0xx` the file as YAML and its shape against the
//! schema, `RG1xx` names and references, `RG2xx` gate definitions, `RG3xx` sources, `RG4xx`
//! scripts, `RG5xx` test files (whose shape is checked with the `RG0xx` codes), `RG9xx` warnings. A code is never reused for another meaning.

use std::fmt;

use serde::{Serialize, Serializer};

macro_rules! codes {
    ($($variant:ident = $text:literal: $summary:literal,)*) => {
        /// What kind of problem a diagnostic reports.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $(#[doc = $summary] $variant,)*
        }

        impl Code {
            /// Every code, in order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as printed: `RG012`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }

            /// One line saying what the code means.
            pub fn summary(self) -> &'static str {
                match self {
                    $(Code::$variant => $summary,)*
                }
            }
        }
    };
}

codes! {
    YamlSyntax = "RG001": "the file is not valid YAML",
    DuplicateKey = "RG002": "a key appears twice in one map",
    DocumentLimit = "RG003": "the document is empty, too large, too deep, holds several documents or expands through aliases",
    NonFiniteNumber = "RG004": "a number in the policy is NaN or infinite",
    UnknownKey = "RG010": "a key the format does not have",
    MissingKey = "RG011": "a required key is missing",
    WrongType = "RG012": "a value of the wrong type",
    NotAnOption = "RG013": "a value that is not one of the allowed words",
    BadFormat = "RG014": "a value that does not have the required form (a duration, a time, a name)",
    OutOfRange = "RG015": "a value too small, too large, too long, empty or with repeated items",
    BadStructure = "RG016": "the document does not have the expected structure",
    UnknownGate = "RG101": "a stage, guard or composite names a gate that does not exist",
    UnknownMetric = "RG102": "a gate or script names a metric that does not exist",
    UnknownRecords = "RG103": "a gate or script names a record set that does not exist",
    UnknownEnvironment = "RG104": "a per-environment map names an environment the policy does not have",
    MissingEnvironmentValue = "RG105": "a per-environment value has no entry for an environment",
    ListedTwice = "RG106": "an id or value is listed twice where each must be unique",
    BadPolicyReference = "RG107": "a test file's `policy:` cannot be read or is not a valid policy",
    InvalidValue = "RG108": "a value that is well formed but cannot be used (an unknown time zone, a date that does not exist, a path outside the policy's directory)",
    UnknownStage = "RG109": "a guard names a stage that does not exist",
    UnknownTemplateName = "RG110": "a source template names a parameter, var or value that does not exist",
    GateKind = "RG201": "a gate has no kind, or more than one",
    KeyOfAnotherKind = "RG202": "a key that belongs to another gate kind",
    KindNeedsKey = "RG203": "a gate kind is missing a setting it needs",
    NothingCanPass = "RG204": "bounds or expectations that no value could satisfy",
    NothingCanFail = "RG205": "a gate that could never fail, whatever the data",
    BadAggregate = "RG206": "an aggregate that does not exist",
    StageChecksNothing = "RG207": "a stage with no gates, guards or hold",
    CompositeShape = "RG208": "a composite gate that contains itself, nests too deep, or names a key member it does not weigh",
    ShadowMode = "RG209": "`enforce_from` that contradicts `mode: enforce`, or is not a date or time",
    SourceKind = "RG301": "a source has no kind, or more than one",
    BadSource = "RG302": "a source setting that cannot work (an empty query or program, a bad pointer or issue selection)",
    SecretInPolicy = "RG303": "a credential written into the policy, or an environment variable it may not read",
    BadUrl = "RG304": "a URL that is not http(s)",
    ScriptSyntax = "RG401": "a script that is empty or does not compile",
    ScriptReadsNothing = "RG402": "a script that reads no data",
    ScriptGateRead = "RG403": "a script's `gate(...)` with a computed id, or reading its own gate",
    TestUnknownName = "RG502": "a test names an environment, stage, gate, metric or record set the policy does not have",
    TestBadValue = "RG503": "a test's time, interval or series notation does not parse",
    GuardInStage = "RG901": "a guard is also listed in a stage (warning)",
    UnusedGate = "RG902": "a gate no stage or guard uses (warning)",
    ShadowGraduated = "RG903": "a shadow gate whose `enforce_from` has passed: `mode` and `enforce_from` can go (warning)",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_well_formed_and_ordered() {
        let texts: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        let mut sorted = texts.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(texts, sorted, "codes are unique and listed in order");
        for t in texts {
            assert!(
                t.len() == 5 && t.starts_with("RG") && t[2..].bytes().all(|b| b.is_ascii_digit()),
                "{t}"
            );
        }
    }
}

#[cfg(test)]
mod documented {
    use super::Code;

    /// `docs/diagnostics.md` has a `### RGnnn` heading for every code and for nothing else.
    #[test]
    fn every_code_is_documented_and_every_documented_code_exists() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/diagnostics.md");
        let doc = std::fs::read_to_string(path).expect("docs/diagnostics.md");
        let headings: Vec<&str> = doc
            .lines()
            .filter_map(|l| l.strip_prefix("### "))
            .map(str::trim)
            .collect();
        let codes: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            headings, codes,
            "docs/diagnostics.md lists every code once, in order"
        );
    }
}
