//! Statistics for the gates: aggregates (threshold gates), the Mann-Kendall test and the
//! Theil-Sen slope (trend gates) and the Mann-Whitney U test (compare gates).
//!
//! Each function reproduces a named reference implementation (numpy, scipy, pymannkendall,
//! Prometheus) because policy authors reason with those tools, and a gate that disagrees with
//! the notebook it was tuned in is a gate nobody trusts. The unit tests pin reference values
//! produced by `scripts/stats_reference.py` (library versions recorded there); the module docs
//! of each file state where and by how much a result may differ from its reference.
//!
//! Everything here is pure and deterministic: no I/O, no clock, no randomness, the same
//! answer for the same input on every platform (plain IEEE arithmetic; no fused multiply-add,
//! no parallel reductions). The tests run without Python.

pub mod aggregate;
mod inversions;
pub mod mann_kendall;
pub mod mann_whitney;
pub mod normal;
pub mod theil_sen;
