use std::process::ExitCode;

use clap::Parser;

use portcullis::cli::{self, Cli};
use portcullis::{config, telemetry};

fn main() -> ExitCode {
    let args = Cli::parse();
    let loaded = match config::load(args.config.as_deref(), std::env::vars()) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&loaded.settings.log, &loaded.settings.tracing);
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    match cli::run(args.command, loaded.settings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
