//! The reference in `docs/` stays honest: every key of the policy schema is described in
//! `docs/language.md`, every subcommand and long flag of `rollgate` in `docs/commands.md`, and
//! every link of the README and the docs leads to a file (and heading) inside the repository.
//! Adding a key or a flag without documenting it fails here.

use std::collections::BTreeSet;

use crate::common::{rollgate, root, run};

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every property name of the schema: top level and every definition, recursively through
/// nested object schemas.
fn schema_keys(schema: &serde_json::Value, out: &mut BTreeSet<String>) {
    match schema {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(props)) = map.get("properties") {
                out.extend(props.keys().cloned());
            }
            for v in map.values() {
                schema_keys(v, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| schema_keys(v, out)),
        _ => {}
    }
}

#[test]
fn every_policy_key_is_in_the_language_reference() {
    let schema: serde_json::Value =
        serde_json::from_str(&read("schemas/policy.schema.json")).unwrap();
    let mut keys = BTreeSet::new();
    schema_keys(&schema, &mut keys);
    assert!(keys.len() > 50, "the schema's keys were found: {keys:?}");
    let doc = read("docs/language.md");
    let missing: Vec<&String> = keys
        .iter()
        .filter(|k| !doc.contains(&format!("`{k}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/language.md does not describe these policy keys (as `key`): {missing:?}"
    );
}

/// The subcommands listed under "Commands:" and the long flags under "Options:" of a
/// `--help` text.
fn help_items(help: &str) -> (Vec<String>, Vec<String>) {
    let (mut subs, mut flags) = (Vec::new(), Vec::new());
    let mut in_commands = false;
    for line in help.lines() {
        if line.starts_with("Commands:") {
            in_commands = true;
            continue;
        }
        if !line.starts_with(' ') {
            in_commands = false;
        }
        if in_commands && line.starts_with("  ") && !line.starts_with("   ") {
            subs.extend(line.split_whitespace().next().map(str::to_owned));
        }
        let trimmed = line.trim_start();
        let flag_part = trimmed
            .strip_prefix("-")
            .and_then(|_| trimmed.split_whitespace().find(|w| w.starts_with("--")));
        if let Some(f) = flag_part {
            let name: String = f
                .trim_end_matches(',')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            flags.push(name);
        }
    }
    (subs, flags)
}

/// Walks `rollgate --help` and each subcommand's (and sub-subcommand's) `--help`.
fn cli_surface() -> (Vec<Vec<String>>, BTreeSet<String>) {
    let mut commands = Vec::new();
    let mut flags = BTreeSet::new();
    let mut todo: Vec<Vec<String>> = vec![Vec::new()];
    while let Some(path) = todo.pop() {
        let out = run(rollgate().args(&path).arg("--help"));
        assert_eq!(out.code, 0, "rollgate {path:?} --help: {}", out.stderr);
        let (subs, fl) = help_items(&out.stdout);
        flags.extend(fl);
        for s in subs {
            let mut p = path.clone();
            p.push(s);
            if p.last().is_some_and(|s| s != "help") {
                todo.push(p.clone());
            }
            commands.push(p);
        }
    }
    (commands, flags)
}

#[test]
fn every_command_and_flag_is_in_the_commands_reference() {
    let (commands, flags) = cli_surface();
    assert!(
        commands.len() > 15 && flags.len() > 30,
        "{commands:?} {flags:?}"
    );
    let doc = read("docs/commands.md");
    let mut missing = Vec::new();
    for c in &commands {
        let full = format!("`rollgate {}", c.join(" "));
        let nested = format!("`{}", c.join(" "));
        if !(doc.contains(&full) || c.len() > 1 && doc.contains(&nested)) {
            missing.push(format!("command `rollgate {}`", c.join(" ")));
        }
    }
    for f in &flags {
        // As a token of its own: after a backtick, a space or `[`, and not a prefix of a
        // longer flag.
        let documented = doc.match_indices(f.as_str()).any(|(i, m)| {
            let before = doc[..i].chars().next_back();
            let after = doc[i + m.len()..].chars().next();
            matches!(before, Some('`' | ' ' | '['))
                && after.is_some_and(|c| !(c.is_ascii_alphanumeric() || c == '-'))
        });
        if !documented {
            missing.push(format!("flag `{f}`"));
        }
    }
    assert!(missing.is_empty(), "docs/commands.md lacks: {missing:?}");
}

/// GitHub's anchor of a heading: lowercase, punctuation dropped, spaces as `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a markdown file's headings (outside code fences), and its links.
fn anchors_and_links(text: &str) -> (BTreeSet<String>, Vec<String>) {
    let (mut anchors, mut links) = (BTreeSet::new(), Vec::new());
    let mut fence: Option<&str> = None;
    for line in text.lines() {
        let t = line.trim_start();
        let ticks = t.len() - t.trim_start_matches('`').len();
        if ticks >= 3 {
            let mark = &t[..ticks];
            match fence {
                None => fence = Some(mark),
                Some(open) if t.trim_end() == open => fence = None,
                Some(_) => {}
            }
            continue;
        }
        if fence.is_some() {
            continue;
        }
        if let Some(h) = t.strip_prefix('#') {
            let base = slug(h.trim_start_matches('#'));
            let mut a = base.clone();
            let mut n = 0;
            while anchors.contains(&a) {
                n += 1;
                a = format!("{base}-{n}");
            }
            anchors.insert(a);
        }
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let end = after.find(')').unwrap_or(after.len());
            links.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    (anchors, links)
}

#[test]
fn links_of_the_readme_and_docs_stay_inside_the_repository() {
    let root = root().canonicalize().unwrap();
    let mut files = vec!["README.md".to_owned()];
    for e in std::fs::read_dir(root.join("docs")).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".md") {
            files.push(format!("docs/{name}"));
        }
    }
    let mut bad = Vec::new();
    for file in &files {
        let (own, links) = anchors_and_links(&read(file));
        assert!(!own.is_empty(), "{file} has headings");
        let dir = root.join(file).parent().unwrap().to_path_buf();
        for link in links {
            let (path, anchor) = link.split_once('#').unwrap_or((&link, ""));
            if link.contains("://") || link.starts_with("mailto:") {
                bad.push(format!("{file}: `{link}` leads outside the repository"));
                continue;
            }
            let target = if path.is_empty() {
                root.join(file)
            } else {
                match dir.join(path).canonicalize() {
                    Ok(t) if t.starts_with(&root) => t,
                    _ => {
                        bad.push(format!("{file}: `{link}` is not a file of the repository"));
                        continue;
                    }
                }
            };
            if !anchor.is_empty() && target.extension().is_some_and(|x| x == "md") {
                let text = std::fs::read_to_string(&target).unwrap();
                if !anchors_and_links(&text).0.contains(anchor) {
                    bad.push(format!("{file}: `{link}`: no such heading"));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn anchors_follow_githubs_rules() {
    assert_eq!(slug(" Staleness (`max_age`)"), "staleness-max_age");
    assert_eq!(
        slug(" Fetching: `fetch`, `run`, `watch`"),
        "fetching-fetch-run-watch"
    );
    let (anchors, links) = anchors_and_links("# A\n```\n# B [x](y)\n```\n# A\nsee [z](w#q)\n");
    assert_eq!(
        anchors,
        BTreeSet::from(["a".to_owned(), "a-1".to_owned()]),
        "fenced headings are not headings"
    );
    assert_eq!(links, vec!["w#q".to_owned()]);
}
