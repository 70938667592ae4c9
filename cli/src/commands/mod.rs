//! One module per command.

pub mod eval;
pub mod meta;
pub mod render;
pub mod validate;
