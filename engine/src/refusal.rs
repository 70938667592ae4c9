//! Why an evaluation cannot start: an environment or stage the policy does not declare, or a
//! snapshot taken for another policy, environment or stage. Kept apart from `eval` so the
//! plan, which finds the first two, does not depend on the evaluator.

/// Why nothing could be evaluated (the CLI exits 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("policy `{policy}` has no environment `{env}` (declared: {declared})")]
    UnknownEnvironment {
        policy: String,
        env: String,
        declared: String,
        help: Option<String>,
    },
    #[error("policy `{policy}` has no stage `{stage}` (stages: {declared})")]
    UnknownStage {
        policy: String,
        stage: String,
        declared: String,
        help: Option<String>,
    },
    #[error("the snapshot is for {what} `{snapshot}`, but the evaluation is for `{requested}`")]
    SnapshotMismatch {
        what: &'static str,
        snapshot: String,
        requested: String,
    },
    #[error("policy `{policy}` has no param `{name}` (params: {declared})")]
    UnknownParam {
        policy: String,
        name: String,
        declared: String,
        help: Option<String>,
    },
    #[error("param `{name}` of policy `{policy}` is required: give `--param {name}=VALUE`{what}")]
    MissingParam {
        policy: String,
        name: String,
        /// The param's description, as `" (DESCRIPTION)"`.
        what: String,
    },
    #[error("`{value}` is not a value of param `{name}`: it must match `{pattern}`")]
    BadParam {
        name: String,
        value: String,
        pattern: String,
    },
}

impl EvalError {
    /// A "did you mean" hint, when there is one.
    pub fn help(&self) -> Option<&str> {
        match self {
            EvalError::UnknownEnvironment { help, .. } | EvalError::UnknownStage { help, .. } => {
                help.as_deref()
            }
            EvalError::UnknownParam { help, .. } => help.as_deref(),
            EvalError::SnapshotMismatch { .. }
            | EvalError::MissingParam { .. }
            | EvalError::BadParam { .. } => None,
        }
    }
}
