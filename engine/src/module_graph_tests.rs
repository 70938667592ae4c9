//! The top-level modules must form a graph without cycles, so each can be read, tested and
//! changed from the bottom up (text formatting below both the evaluator and the renderers,
//! document locations below both the schema check and the validation). This reads the sources
//! (`crate::x` paths, `use crate::{x, y}` groups) and fails on any cycle, naming the modules
//! in it. There is no list of tolerated cycles: the last one (the script API reusing the
//! evaluator's data checks) was broken by moving those checks into `data_rules`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every top-level module's name with the text of all its non-test code: the graph is about
/// what the library needs, and tests may load a policy to evaluate it.
fn modules(src: &Path) -> BTreeMap<String, String> {
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let test_only = test_mods(&lib);
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" || name == "main" || test_only.contains(&name) {
            continue;
        }
        let text = out.entry(name).or_insert_with(String::new);
        collect(&path, text);
    }
    out
}

/// The modules a file declares under `#[cfg(test)]` (`#[cfg(test)] mod tests;`).
fn test_mods(text: &str) -> BTreeSet<String> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    lines
        .windows(2)
        .filter(|w| w[0] == "#[cfg(test)]")
        .filter_map(|w| w[1].strip_prefix("mod ")?.strip_suffix(';'))
        .map(str::to_owned)
        .collect()
}

/// A file's code before its inline `#[cfg(test)] mod tests { .. }`, which ends a file here.
fn non_test(text: &str) -> &str {
    for (i, _) in text.match_indices("#[cfg(test)]") {
        let after = text[i + "#[cfg(test)]".len()..].trim_start();
        if after.starts_with("mod ") && !after.split('\n').next().unwrap_or("").ends_with(';') {
            return &text[..i];
        }
    }
    text
}

fn collect(path: &Path, text: &mut String) {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        let mod_rs = std::fs::read_to_string(path.join("mod.rs")).unwrap_or_default();
        let tests = test_mods(&mod_rs);
        for p in entries {
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            if !tests.contains(&stem) {
                collect(&p, text);
            }
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        let own = std::fs::read_to_string(path).unwrap();
        text.push_str(non_test(&own));
        text.push('\n');
    }
}

/// The modules one module's code names through `crate::`, comments left out.
fn uses(text: &str, names: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            let group = rest
                .strip_prefix('{')
                .map_or(rest, |g| g.split('}').next().unwrap_or(""));
            for item in group.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if names.contains(&name) {
                    out.insert(name);
                }
            }
        }
    }
    out
}

/// The graph's strongly connected components of more than one module (Tarjan's algorithm).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct T<'g> {
        g: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on: BTreeSet<&'g str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'g>(t: &mut T<'g>, v: &'g str) {
        let n = t.index.len();
        t.index.insert(v, n);
        t.low.insert(v, n);
        t.stack.push(v);
        t.on.insert(v);
        for w in &t.g[v] {
            if !t.index.contains_key(w.as_str()) {
                visit(t, w);
                let lw = t.low[w.as_str()];
                t.low.insert(v, t.low[v].min(lw));
            } else if t.on.contains(w.as_str()) {
                let iw = t.index[w.as_str()];
                t.low.insert(v, t.low[v].min(iw));
            }
        }
        if t.low[v] == t.index[v] {
            let mut scc = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                scc.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 {
                scc.sort();
                t.out.push(scc);
            }
        }
    }
    let mut t = T {
        g: graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out
}

fn graph_of(mods: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let names: BTreeSet<String> = mods.keys().cloned().collect();
    mods.iter()
        .map(|(m, text)| {
            let mut to = uses(text, &names);
            to.remove(m);
            (m.clone(), to)
        })
        .collect()
}

#[test]
fn top_level_modules_have_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = graph_of(&modules(&src));
    assert!(graph.contains_key("eval") && graph.contains_key("format"));
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "module cycles: {found:?}\ngraph: {graph:#?}"
    );
}

#[test]
fn finds_a_cycle_and_reads_use_groups() {
    let mods: BTreeMap<String, String> = [
        ("a", "use crate::{b, c::X};"),
        ("b", "fn f() { crate::c::g() } // crate::a"),
        ("c", "use crate::a::Y;"),
        ("d", "use crate::a;"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let found = cycles(&graph_of(&mods));
    assert_eq!(found, vec![vec!["a".to_owned(), "b".into(), "c".into()]]);
}
