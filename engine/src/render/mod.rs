//! Decision -> output formats. Each renderer is a pure function of the decision.

pub mod escape;
pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
mod sentences;
pub mod spark;
pub mod text;
pub mod view;
