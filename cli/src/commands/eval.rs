//! `rollgate eval`: load the policy and the snapshot, evaluate, print the decision, exit
//! with the verdict's code.

use crate::args::EvalArgs;
use crate::error::CliError;
use crate::exit::Exit;

pub fn run(args: &EvalArgs) -> Result<Exit, CliError> {
    let d = crate::evaluate::decide(args)?;
    super::conclude::conclude(
        d.decision,
        &args.output,
        d.template.as_ref(),
        Vec::new(),
        &d.policy_text,
    )
}
