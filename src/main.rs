use std::process::ExitCode;

use clap::Parser;

use portcullis::cli::{self, Cli};
use portcullis::{config, telemetry};

/// glibc's malloc gives each thread that allocates its own arena, up to eight per core, and
/// freed memory stays in the arena it came from. With a database thread per pooled
/// connection doing the same work, that left about 6 MB of fragmentation per 100,000
/// revocations (`bench/revocations`: 176 bytes of RSS per revoked token, 115 with two
/// arenas). Two arenas is the usual advice for servers (it is the JVM's and Ruby's); the
/// operator's `MALLOC_ARENA_MAX` wins.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets one of malloc's tunables; no thread has started yet.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

fn main() -> ExitCode {
    limit_malloc_arenas();
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
