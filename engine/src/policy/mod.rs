//! The policy language: raw (as written), validated model, and the value types they share.

pub mod duration;
pub mod model;
pub mod params;
pub(crate) mod patterns;
pub mod per_env;
pub mod raw;
pub mod raw_kinds;
pub mod raw_source;
pub mod window;
