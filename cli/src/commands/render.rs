//! `rollgate render --from DECISION.json --format F`: re-renders a stored decision. The
//! decision is the source of truth; a decision whose exit code and verdict disagree has been
//! edited by hand and is refused.

use std::io::Write;

use crate::args::RenderArgs;
use crate::error::CliError;
use crate::exit::Exit;
use crate::output;

pub fn run(args: &RenderArgs) -> Result<Exit, CliError> {
    // `read_decision` has said why it failed.
    let (_, decision) = crate::files::read_decision(&args.from).map_err(|()| CliError::Reported)?;
    if decision.exit_code != decision.verdict.exit_code() {
        return Err(CliError::file(
            &args.from,
            format!(
                "the decision says exit code {} but its verdict `{}` has exit code {}; refusing to render an altered decision",
                decision.exit_code,
                decision.verdict.label(),
                decision.verdict.exit_code()
            ),
        ));
    }
    let template = args
        .template
        .as_deref()
        .map(output::load_template)
        .transpose()
        .map_err(CliError::Usage)?;
    let s = output::format(&decision, args.format, false, template.as_ref())
        .map_err(CliError::Usage)?;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes()).and_then(|()| out.flush());
    Ok(Exit::Go)
}
