//! Commands about rollgate itself: `schema`, `completions`, `man`.

use std::io::Write;

use clap::CommandFactory;
use rollgate_engine::schema::SchemaKind;

use crate::args::{Cli, SchemaArg};
use crate::exit::Exit;

pub fn schema(kind: SchemaArg) -> Exit {
    let kind = match kind {
        SchemaArg::Policy => SchemaKind::Policy,
        SchemaArg::Snapshot => SchemaKind::Snapshot,
        SchemaArg::Decision => SchemaKind::Decision,
        SchemaArg::Test => SchemaKind::Test,
    };
    print_out(&kind.text())
}

pub fn completions(shell: clap_complete::Shell) -> Exit {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "rollgate", &mut buf);
    print_out(&String::from_utf8_lossy(&buf))
}

pub fn man() -> Exit {
    let mut buf = Vec::new();
    if clap_mangen::Man::new(Cli::command())
        .render(&mut buf)
        .is_err()
    {
        return Exit::Invalid;
    }
    print_out(&String::from_utf8_lossy(&buf))
}

fn print_out(text: &str) -> Exit {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Exit::Go,
        // A closed pipe (`rollgate schema policy | head`) is not an error of ours.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Go,
        Err(_) => Exit::Invalid,
    }
}
