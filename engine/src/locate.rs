//! Naming a place in a document for people: a JSON pointer such as `/stages/0/hold` becomes
//! "`hold` of stage `a`". Both the schema check and the semantic validation word their
//! diagnostics this way, so it lives apart from both.

use serde_json::Value;

/// Words for the place a pointer names: "gate `auth-errors`", "`max` of gate `x`",
/// "`hold` of stage `external-5`" (stages and tests are named by their id or name when the
/// document has one).
pub fn place(doc: &Value, pointer: &str) -> String {
    let segs: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    if segs.is_empty() {
        return "the document".into();
    }
    let mut i = 0;
    let mut owner: Option<String> = None;
    if segs.len() >= 2 {
        let named = |field: &str| {
            doc.pointer(&format!("/{}/{}/{field}", segs[0], segs[1]))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let label = match segs[0].as_str() {
            "gates" => Some(format!("gate `{}`", segs[1])),
            "metrics" => Some(format!("metric `{}`", segs[1])),
            "records" => Some(format!("record set `{}`", segs[1])),
            "vars" => Some(format!("var `{}`", segs[1])),
            "stages" => Some(named("id").map_or_else(
                || format!("stage #{}", segs[1].parse::<usize>().map_or(0, |n| n + 1)),
                |id| format!("stage `{id}`"),
            )),
            "tests" => Some(named("name").map_or_else(
                || format!("test #{}", segs[1].parse::<usize>().map_or(0, |n| n + 1)),
                |n| format!("test `{n}`"),
            )),
            _ => None,
        };
        if label.is_some() {
            owner = label;
            i = 2;
        }
    }
    let mut rest = &segs[i..];
    // A list item is named by its place in the list: "item 2 of `calendar.holidays`".
    let item = match rest.split_last() {
        Some((last, init)) if !init.is_empty() => last.parse::<usize>().ok().map(|n| {
            rest = init;
            format!("item {} of ", n + 1)
        }),
        _ => None,
    }
    .unwrap_or_default();
    match (owner, rest.is_empty()) {
        (Some(o), true) => o,
        (Some(o), false) => format!("{item}`{}` of {o}", rest.join(".")),
        (None, _) => format!("{item}`{}`", rest.join(".")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_places() {
        let doc = serde_json::json!({"stages": [{"id": "a"}, {"hold": 1}]});
        assert_eq!(place(&doc, ""), "the document");
        assert_eq!(place(&doc, "/gates/auth-errors"), "gate `auth-errors`");
        assert_eq!(
            place(&doc, "/gates/a/max/production"),
            "`max.production` of gate `a`"
        );
        assert_eq!(place(&doc, "/stages/0/hold"), "`hold` of stage `a`");
        assert_eq!(place(&doc, "/stages/1/hold"), "`hold` of stage #2");
        assert_eq!(place(&doc, "/calendar/timezone"), "`calendar.timezone`");
        assert_eq!(
            place(&doc, "/calendar/holidays/1"),
            "item 2 of `calendar.holidays`"
        );
        assert_eq!(
            place(&doc, "/stages/0/gates/2"),
            "item 3 of `gates` of stage `a`"
        );
    }
}
