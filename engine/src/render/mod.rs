//! Decision -> output formats. Each renderer is a pure function of the decision.

pub mod text;
