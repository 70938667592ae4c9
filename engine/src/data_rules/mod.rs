//! The rules every reader of data follows, gates and scripts alike: when data is too old
//! (`freshness`), which expected series are missing (`expected`), and how infinite samples are
//! named (`infinite`). They sit below both the evaluator and the script API, which each apply
//! them, so neither depends on the other to do so.

pub(crate) mod expected;
pub(crate) mod freshness;
pub(crate) mod infinite;
