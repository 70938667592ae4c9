//! One module per command.

pub mod meta;
pub mod validate;
