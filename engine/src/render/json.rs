//! The decision as JSON: pretty-printed for people reading it in a diff or an audit, except
//! that an array inside an array (a chart point `[time, value]`) stays on one line. Points
//! one value per line made a 40-gate decision five times longer than its content and hard
//! to scroll through; this keeps one point per line.

use std::io;

use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter, Serializer};

/// `value` as pretty JSON with inner arrays on one line, ending in a newline.
pub fn to_string<T: Serialize>(value: &T) -> String {
    let mut out = Vec::with_capacity(4096);
    let mut ser = Serializer::with_formatter(&mut out, PointsInline::default());
    // Serializing our own types into a Vec cannot fail (no maps with non-string keys).
    if value.serialize(&mut ser).is_err() {
        return String::new();
    }
    out.push(b'\n');
    String::from_utf8(out).unwrap_or_default()
}

/// PrettyFormatter, but everything inside an array that is itself inside an array is written
/// compactly (`[1795345215.0, 111.425]`).
#[derive(Default)]
struct PointsInline {
    pretty: PrettyFormatter<'static>,
    /// Open containers, innermost last: true for an array.
    open: Vec<bool>,
    /// Depth (in `open`) of the outermost inline array, when inside one.
    inline_from: Option<usize>,
}

impl PointsInline {
    /// Writes `inline` inside an inline array; elsewhere the pretty formatter writes.
    fn either<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        inline: &[u8],
        pretty: impl FnOnce(&mut PrettyFormatter<'static>, &mut W) -> io::Result<()>,
    ) -> io::Result<()> {
        if self.inline_from.is_some() {
            w.write_all(inline)
        } else {
            pretty(&mut self.pretty, w)
        }
    }
}

fn separator(first: bool) -> &'static [u8] {
    if first { b"" } else { b", " }
}

impl Formatter for PointsInline {
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.inline_from.is_none() && self.open.last() == Some(&true) {
            self.inline_from = Some(self.open.len());
        }
        self.open.push(true);
        self.either(w, b"[", |p, w| p.begin_array(w))
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open.pop();
        let written = self.either(w, b"]", |p, w| p.end_array(w));
        if self.inline_from == Some(self.open.len()) {
            self.inline_from = None;
        }
        written
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.either(w, separator(first), |p, w| p.begin_array_value(w, first))
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.either(w, b"", |p, w| p.end_array_value(w))
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open.push(false);
        self.either(w, b"{", |p, w| p.begin_object(w))
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open.pop();
        self.either(w, b"}", |p, w| p.end_object(w))
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.either(w, separator(first), |p, w| p.begin_object_key(w, first))
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.either(w, b": ", |p, w| p.begin_object_value(w))
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.either(w, b"", |p, w| p.end_object_value(w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arrays_in_arrays_stay_on_one_line() {
        let v = json!({
            "points": [[1.0, 2.5], [2.0, 3.5]],
            "tags": ["a", "b"],
            "gates": [{"id": "x", "deep": [[[1, 2], [3]], []]}],
            "empty": [],
            "nested": {"o": {}}
        });
        let want = r#"{
  "points": [
    [1.0, 2.5],
    [2.0, 3.5]
  ],
  "tags": [
    "a",
    "b"
  ],
  "gates": [
    {
      "id": "x",
      "deep": [
        [[1, 2], [3]],
        []
      ]
    }
  ],
  "empty": [],
  "nested": {
    "o": {}
  }
}
"#;
        assert_eq!(to_string(&v), want);
    }

    #[test]
    fn objects_inside_inline_arrays_are_inline_and_the_result_parses_back() {
        let v = json!([[{"a": 1, "b": [2, {"c": null}]}, "s\"q"], [true]]);
        let text = to_string(&v);
        assert_eq!(
            text,
            "[\n  [{\"a\": 1, \"b\": [2, {\"c\": null}]}, \"s\\\"q\"],\n  [true]\n]\n"
        );
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), v);
    }
}
