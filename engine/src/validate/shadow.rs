//! `mode: shadow` and `enforce_from`: a gate evaluated and reported without counting, until a
//! graduation date when given. `enforce_from` alone means shadow until then.

use super::Sink;
use crate::diagnostic::Code;
use crate::policy::model::{Calendar, GateMode, Shadow};
use crate::policy::raw::RawGate;
use crate::yaml::escape_token;

/// The gate's shadow settings; None when enforced (or on an error, which is reported).
pub(super) fn check(id: &str, g: &RawGate, cal: &Calendar, sink: &mut Sink<'_>) -> Option<Shadow> {
    let ptr = format!("/gates/{}", escape_token(id));
    let from_ptr = format!("{ptr}/enforce_from");
    match (g.mode.unwrap_or_default(), &g.enforce_from) {
        (GateMode::Enforce, None) => None,
        (GateMode::Enforce, Some(_)) if g.mode.is_some() => {
            sink.error_on_key(
                Code::ShadowMode,
                &from_ptr,
                format!("gate `{id}` has `mode: enforce` and `enforce_from`: `enforce_from` keeps a gate in shadow until then; write `mode: shadow` or drop `enforce_from`"),
            );
            None
        }
        (_, None) => Some(Shadow {
            enforce_from: None,
            pos: sink.index.key_pos(&ptr),
        }),
        (_, Some(text)) => match cal.instant(text) {
            Ok(at) => Some(Shadow {
                enforce_from: Some(at),
                pos: sink.index.key_pos(&from_ptr),
            }),
            Err(why) => {
                sink.error(
                    Code::ShadowMode,
                    &from_ptr,
                    format!("`enforce_from`: {why}"),
                );
                None
            }
        },
    }
}
