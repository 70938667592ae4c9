//! The one hardened Rhai engine. Scripts come from policy files, which come from pull
//! requests: every script is treated as hostile.
//!
//! - `Engine::new_raw()`: no module resolver (so `import` fails), no printing to stdout, no
//!   packages beyond those registered here (arithmetic, logic, strings, arrays, maps); the
//!   `no_time` feature removes timestamps, and nothing registered reads the clock, randomness,
//!   files, the network or the environment.
//! - `eval` is disabled; `print`/`debug` are captured into the gate's message.
//! - Limits: operations, call levels, expression depth, string, array and map sizes, and a
//!   wall-clock watchdog through `on_progress`, timed on a clock the caller injects (the
//!   engine reads none of its own; see `watchdog.rs`).
//! - Type safety: plain Rhai quietly answers `false` to `0.5 < "0.01"`, which would silently
//!   flip a gate. Fast operators are turned off and every comparison between mismatched types
//!   is registered as an error; undefined variables are compile errors and missing map
//!   properties runtime errors.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicIteratorPackage, BasicMapPackage, BasicMathPackage,
    BasicStringPackage, LogicPackage, MoreStringPackage, Package,
};
use rhai::{
    Array, Dynamic, Engine, EvalAltResult, FLOAT, FuncRegistration, INT, ImmutableString, Map,
    Module, Position, Shared,
};

use super::watchdog::{Breach, CHECK_EVERY, Watchdog};

/// The bounds every script runs within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_operations: u64,
    pub max_call_levels: usize,
    pub max_expr_depth: usize,
    pub max_fn_expr_depth: usize,
    pub max_string_size: usize,
    pub max_array_size: usize,
    pub max_map_size: usize,
    /// Printed lines kept per gate.
    pub max_print_lines: usize,
    /// Wall-clock bound of one script run, timed on the caller's clock when there is one: the
    /// one non-determinism backstop. The operation limit decides in practice; this only stops
    /// scripts whose few operations are slow (see `watchdog.rs`).
    pub watchdog: Duration,
}

/// The limits of every rollgate script.
pub const LIMITS: Limits = Limits {
    max_operations: 2_000_000,
    max_call_levels: 32,
    max_expr_depth: 64,
    max_fn_expr_depth: 32,
    max_string_size: 1 << 20,
    max_array_size: 200_000,
    max_map_size: 10_000,
    max_print_lines: 20,
    watchdog: Duration::from_millis(750),
};

/// Lines a script printed (`print` and `debug`), bounded.
pub type Output = Rc<RefCell<Vec<String>>>;

/// Builds the hardened engine. `watchdog` times each run (the runner starts and stops it);
/// None: no watchdog, the operation limit alone bounds scripts. A breach of either stops the
/// script with a `Breach` as the termination token.
pub fn build(output: Output, watchdog: Option<Rc<Watchdog>>) -> Engine {
    let mut engine = Engine::new_raw();
    SHARED_MODULES.with(|modules| {
        for module in modules {
            engine.register_global_module(module.clone());
        }
    });
    engine
        .set_max_operations(LIMITS.max_operations)
        .set_max_call_levels(LIMITS.max_call_levels)
        .set_max_expr_depths(LIMITS.max_expr_depth, LIMITS.max_fn_expr_depth)
        .set_max_string_size(LIMITS.max_string_size)
        .set_max_array_size(LIMITS.max_array_size)
        .set_max_map_size(LIMITS.max_map_size)
        .set_strict_variables(true)
        .set_fail_on_invalid_map_property(true)
        .set_fast_operators(false);
    engine.disable_symbol("eval");
    let out = output.clone();
    engine.on_print(move |s| push_line(&out, s));
    let out = output;
    engine.on_debug(move |s, _, _| push_line(&out, s));
    if let Some(watchdog) = watchdog {
        engine.on_progress(move |ops| {
            if ops % CHECK_EVERY != 0 {
                return None;
            }
            watchdog.check(ops).map(Dynamic::from)
        });
    }
    engine
}

/// The limit a script was stopped by, if a limit stopped it.
pub fn breach(e: &EvalAltResult) -> Option<Breach> {
    match e {
        EvalAltResult::ErrorTooManyOperations(..) => Some(Breach::Operations {
            limit: LIMITS.max_operations,
        }),
        EvalAltResult::ErrorTerminated(token, _) => token.clone().try_cast::<Breach>(),
        _ => None,
    }
}

thread_local! {
    /// The stateless modules of every engine: the packages, then the strict comparisons
    /// (registered last, so searched first, as the engine's own functions would be). They
    /// hold several hundred functions; built once per thread and shared, an engine costs
    /// microseconds instead of about 0.2 ms, which policies with many scripts pay per script.
    static SHARED_MODULES: Vec<Shared<Module>> = shared_modules();
}

fn shared_modules() -> Vec<Shared<Module>> {
    let mut strict = Module::new();
    register_strict_comparisons(&mut strict);
    strict.build_index();
    vec![
        ArithmeticPackage::new().as_shared_module(),
        LogicPackage::new().as_shared_module(),
        BasicStringPackage::new().as_shared_module(),
        MoreStringPackage::new().as_shared_module(),
        BasicArrayPackage::new().as_shared_module(),
        BasicMapPackage::new().as_shared_module(),
        BasicMathPackage::new().as_shared_module(),
        BasicIteratorPackage::new().as_shared_module(),
        Shared::new(strict),
    ]
}

fn push_line(out: &Output, s: &str) {
    let mut lines = out.borrow_mut();
    if lines.len() < LIMITS.max_print_lines {
        lines.push(s.chars().take(500).collect());
    }
}

/// Registers an erroring overload of each comparison for a pair of mismatched types.
macro_rules! mismatch {
    ($module:expr, $a:ty, $b:ty, $an:expr, $bn:expr, [$($op:expr),*]) => {
        $(
            FuncRegistration::new($op).in_global_namespace().set_into_module(
                $module,
                |_: $a, _: $b| -> Result<bool, Box<EvalAltResult>> {
                    Err(mismatch_error($op, $an, $bn))
                },
            );
        )*
    };
}

fn mismatch_error(op: &str, a: &str, b: &str) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(
        format!("cannot compare {a} with {b} using `{op}`: convert one side first (`parse_float`, `to_string`)").into(),
        Position::NONE,
    ))
}

/// Every ordering between different types is an error; so is equality, except with `()`
/// (a JSON null or an absent value), which stays a plain test.
fn register_strict_comparisons(module: &mut Module) {
    macro_rules! pairs {
        ($(($a:ty, $an:expr)),*) => {
            pairs!(@outer [$(($a, $an)),*] [$(($a, $an)),*]);
        };
        (@outer [$(($a:ty, $an:expr)),*] $all:tt) => {
            $( pairs!(@inner ($a, $an) $all); )*
        };
        (@inner ($a:ty, $an:expr) [$(($b:ty, $bn:expr)),*]) => {
            $(
                if std::any::TypeId::of::<$a>() != std::any::TypeId::of::<$b>()
                    && !(is_number::<$a>() && is_number::<$b>())
                {
                    mismatch!(module, $a, $b, $an, $bn, ["<", "<=", ">", ">=", "==", "!="]);
                }
            )*
        };
    }
    pairs!(
        (INT, "an integer"),
        (FLOAT, "a number"),
        (bool, "a boolean"),
        (ImmutableString, "a string"),
        (char, "a character"),
        (Array, "an array"),
        (Map, "a map")
    );
    // `()` (null) may be tested for equality with anything, but never ordered.
    macro_rules! unit_order {
        ($(($a:ty, $an:expr)),*) => {
            $(
                mismatch!(module, $a, (), $an, "()", ["<", "<=", ">", ">="]);
                mismatch!(module, (), $a, "()", $an, ["<", "<=", ">", ">="]);
            )*
        };
    }
    unit_order!(
        (INT, "an integer"),
        (FLOAT, "a number"),
        (bool, "a boolean"),
        (ImmutableString, "a string"),
        (char, "a character"),
        (Array, "an array"),
        (Map, "a map")
    );
}

fn is_number<T: 'static>() -> bool {
    let t = std::any::TypeId::of::<T>();
    t == std::any::TypeId::of::<INT>() || t == std::any::TypeId::of::<FLOAT>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(engine: &Engine, script: &str) -> Result<Dynamic, String> {
        engine.eval::<Dynamic>(script).map_err(|e| e.to_string())
    }

    /// A fake clock 100 ms later at each reading trips the 750 ms watchdog at the eighth
    /// check: after 8 x 1024 operations, 800 ms, whatever the machine's speed.
    #[test]
    fn the_watchdog_trips_on_the_injected_clock() {
        use crate::script::watchdog::SteppingClock;
        let clock = SteppingClock::shared(Duration::from_millis(100));
        let dog = Rc::new(Watchdog::new(clock, LIMITS.watchdog));
        let engine = build(Output::default(), Some(dog.clone()));
        dog.start();
        let e = *engine.eval::<Dynamic>("loop { }").unwrap_err();
        dog.stop();
        assert_eq!(
            breach(&e),
            Some(Breach::Watchdog {
                limit: Duration::from_millis(750),
                elapsed: Duration::from_millis(800),
                operations: 8 * CHECK_EVERY,
            })
        );
        // Without a clock, the operation limit stops the same script.
        let e = *build(Output::default(), None)
            .eval::<Dynamic>("loop { }")
            .unwrap_err();
        assert_eq!(
            breach(&e),
            Some(Breach::Operations {
                limit: LIMITS.max_operations
            })
        );
    }

    #[test]
    fn engines_share_modules_and_stay_strict() {
        // Several engines on one thread share the modules; each one is still fully strict.
        for _ in 0..3 {
            let engine = build(Output::default(), None);
            for script in [
                "1 < \"a\"",
                "\"a\" == 1",
                "() < 1",
                "1.5 >= ()",
                "[1] == #{}",
            ] {
                let e = eval(&engine, script).unwrap_err();
                assert!(e.contains("cannot compare"), "{script}: {e}");
            }
            for (script, want) in [
                ("() == 1", false),
                ("1 != ()", true),
                ("1 == 1.0", true),
                ("2 < 2.5", true),
                ("\"b\" > \"a\"", true),
            ] {
                let got = eval(&engine, script).map(|v| v.as_bool());
                assert_eq!(got, Ok(Ok(want)), "{script}");
            }
            assert_eq!(
                eval(&engine, "[3, 1, 2].len() + \"abc\".len()").map(|v| v.as_int()),
                Ok(Ok(6))
            );
        }
    }
}
