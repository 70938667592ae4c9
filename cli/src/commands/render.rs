//! `rollgate render --from DECISION.json --format F`: re-renders a stored decision. The
//! decision is the source of truth; a decision whose exit code and verdict disagree has been
//! edited by hand and is refused.

use std::io::Write;

use crate::args::RenderArgs;
use crate::exit::Exit;
use crate::output;

pub fn run(args: &RenderArgs) -> Exit {
    let shown = args.from.display().to_string();
    let Ok((_, decision)) = crate::files::read_decision(&args.from) else {
        return Exit::Invalid;
    };
    if decision.exit_code != decision.verdict.exit_code() {
        eprintln!(
            "{shown}: the decision says exit code {} but its verdict `{}` has exit code {}; refusing to render an altered decision",
            decision.exit_code,
            decision.verdict.label(),
            decision.verdict.exit_code()
        );
        return Exit::Invalid;
    }
    let template = match args
        .template
        .as_deref()
        .map(output::load_template)
        .transpose()
    {
        Ok(t) => t,
        Err(m) => {
            eprintln!("error: {m}");
            return Exit::Invalid;
        }
    };
    match output::format(&decision, args.format, false, template.as_ref()) {
        Ok(s) => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(s.as_bytes()).and_then(|()| out.flush());
            Exit::Go
        }
        Err(m) => {
            eprintln!("error: {m}");
            Exit::Invalid
        }
    }
}
