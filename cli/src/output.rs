//! Showing and keeping a decision: the report on disk, stdout in the chosen format, `-o`
//! files, and the GitHub step summary.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use rollgate_engine::decision::Decision;
use rollgate_engine::render;

use crate::args::{Format, OutputArgs};
use crate::exit::Exit;
use crate::write;

/// GitHub's limit for one step summary.
const STEP_SUMMARY_LIMIT: usize = 1024 * 1024;

/// A markdown template and the templates it may include.
pub struct Template {
    pub path: PathBuf,
    pub text: String,
    pub includes: Vec<(String, String)>,
}

/// Loads a template and every other `*.j2` file of its directory (by file name): includes
/// resolve there and nowhere else.
pub fn load_template(path: &Path) -> Result<Template, String> {
    let text = crate::files::read_text(path).map_err(|m| format!("{}: {m}", path.display()))?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut includes = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        names.sort();
        for p in names {
            let is_j2 = p.extension().is_some_and(|e| e == "j2");
            if is_j2 && p.is_file() && p.file_name() != path.file_name() {
                let name = p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
                    .to_owned();
                let t = crate::files::read_text(&p).map_err(|m| format!("{}: {m}", p.display()))?;
                includes.push((name, t));
            }
        }
    }
    Ok(Template {
        path: path.to_owned(),
        text,
        includes,
    })
}

/// Renders markdown with the custom template, or the built-in one.
pub fn markdown(d: &Decision, template: Option<&Template>) -> Result<String, String> {
    match template {
        None => Ok(render::markdown::render(d)),
        Some(t) => render::markdown::render_with(d, &t.text, &t.includes)
            .map_err(|e| format!("template `{}`: {e}", t.path.display())),
    }
}

/// One format's text.
pub fn format(
    d: &Decision,
    f: Format,
    color: bool,
    template: Option<&Template>,
) -> Result<String, String> {
    Ok(match f {
        Format::Json => render::json::to_string(d),
        Format::Text => render::text::render(d, color),
        Format::Markdown => markdown(d, template)?,
        Format::Junit => render::junit::render(d),
        Format::Github => render::github::render(d),
    })
}

fn color_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// What keeping the report did.
#[derive(Debug, Default)]
pub struct Kept {
    /// Files written by this run (removed again if its GO cannot be recorded).
    pub written: Vec<PathBuf>,
}

/// Writes the report (unless `--no-report`), or finds this evaluation's report written by an
/// earlier attempt and replaces the decision by the stored one (what the retry prints). A failure is printed and returns
/// Exit::Invalid; nothing is then left on disk.
///
/// `stamp` runs on the decision once its report path is known, before it is rendered (the
/// ledger names the entry that will record it, which holds that path).
pub fn keep(
    decision: &mut Decision,
    args: &OutputArgs,
    template: Option<&Template>,
    extra: Vec<(String, Vec<u8>)>,
    policy: &str,
    stamp: &dyn Fn(&mut Decision),
) -> Result<Kept, Exit> {
    let fail = |m: String| {
        eprintln!("error: {m}");
        Exit::Invalid
    };
    // A custom template is tried before anything is written: its error must leave nothing
    // behind. (The built-in one renders every decision; it is not rendered for nothing.)
    if template.is_some() {
        markdown(decision, template).map_err(fail)?;
    }
    if args.no_report {
        return Ok(Kept::default());
    }
    // The policy bytes first, kept beside the reports for `replay`; removed again if the
    // report set cannot be written.
    let copy = write::store_policy(&args.report_dir, &decision.inputs.policy_sha256, policy)
        .map_err(|m| fail(format!("could not write the report: {m}")))?;
    let undo = |m: String| {
        if let Some(p) = &copy {
            let _ = std::fs::remove_file(p);
        }
        fail(format!("could not write the report: {m}"))
    };
    let undo_render = |m: String| {
        if let Some(p) = &copy {
            let _ = std::fs::remove_file(p);
        }
        fail(format!(
            "could not render the report: {m}; nothing was written"
        ))
    };
    let suffixes: Vec<String> = extra.iter().map(|(x, _)| x.clone()).collect();
    let mut result_decision = decision.clone();
    let mut render_failed: Option<String> = None;
    let outcome = write::write_report(&args.report_dir, decision, &suffixes, |path| {
        let mut d = decision.clone();
        d.report = Some(path.to_owned());
        if suffixes.iter().any(|x| x == ".snapshot.json") {
            // The snapshot kept beside the report is what the replay command reads.
            d.inputs.snapshot_path =
                Some(format!("{}.snapshot.json", path.trim_end_matches(".md")));
        }
        stamp(&mut d);
        // A render that fails (a template can fail on values only the final decision has,
        // such as its report path) stops the write: no report is better than an empty one.
        let json = format(&d, Format::Json, false, None)?;
        let markdown = markdown(&d, template).inspect_err(|m| render_failed = Some(m.clone()))?;
        result_decision = d;
        Ok(write::Rendered {
            markdown,
            json,
            extra: extra.clone(),
        })
    })
    .map_err(|m| match render_failed.take() {
        Some(why) => undo_render(why),
        None => undo(m),
    })?;
    Ok(match outcome {
        write::Outcome::Written(_, mut files) => {
            *decision = result_decision;
            files.extend(copy);
            Kept { written: files }
        }
        write::Outcome::Existing(md, stored) => {
            eprintln!(
                "note: found this evaluation's report, `{}` ({}), written by an earlier attempt; nothing was written",
                md.display(),
                stored.verdict.label()
            );
            *decision = *stored;
            Kept::default()
        }
    })
}

/// Prints the decision in the chosen format and writes the `-o` outputs and the GitHub step
/// summary. A failure is printed and returns Exit::Invalid.
pub fn show(
    decision: &Decision,
    args: &OutputArgs,
    template: Option<&Template>,
) -> Result<(), Exit> {
    let fail = |m: String| {
        eprintln!("error: {m}");
        Exit::Invalid
    };
    let stdout_format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Text
    } else {
        Format::Json
    });
    let mut wants = vec![(stdout_format, None)];
    wants.extend(args.outputs.iter().map(|o| (o.format, o.path.clone())));
    let mut printed = String::new();
    for (f, path) in &wants {
        let text =
            format(decision, *f, path.is_none() && color_stdout(), template).map_err(fail)?;
        match path {
            Some(p) => write::replace(p, text.as_bytes()).map_err(fail)?,
            None => printed.push_str(&text),
        }
        if *f == Format::Github
            && let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|s| !s.is_empty())
        {
            let md = markdown(decision, template).map_err(fail)?;
            append(
                Path::new(&summary),
                &render::github::step_summary(&md, STEP_SUMMARY_LIMIT),
            )
            .map_err(fail)?;
        }
    }
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(printed.as_bytes()).and_then(|()| out.flush());
    Ok(())
}

fn append(path: &Path, text: &str) -> Result<(), String> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot open `{}`: {e}", path.display()))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.write_all(b"\n"))
        .map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}
