//! `gitlab-onboard`: the wizard's steps from the command line.
//!
//! Exit codes: 0 success; 1 an error (one line on stderr); 2 bad usage, or `webhooks remove`
//! with hooks to delete but neither `--yes` nor a terminal to confirm; 3 the token works but
//! lacks the scopes the crawler needs; 4 some project failed (apply) or lacks a correct hook
//! (verify), something needs attention (status), or a crawler hook remains (remove); 130 an
//! apply stopped by Ctrl-C (run it again to continue).

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(code) => code,
        Err(e) => {
            // Errors can quote GitLab (a message, a path): escaped like every printed line.
            eprintln!("error: {}", cli::term(&e.to_string()));
            ExitCode::from(1)
        }
    }
}
