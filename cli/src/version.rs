//! Version strings: rollgate's, the Rhai it embeds, and the schema version.

pub const SHORT: &str = env!("CARGO_PKG_VERSION");

pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\nrhai ",
    env!("ROLLGATE_RHAI_VERSION"),
    "\npolicy language 1, schema version 1"
);
