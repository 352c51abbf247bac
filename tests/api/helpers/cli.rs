//! The real `portcullis` binary: a runner with a clean environment, and the operator
//! commands tests need (client and user creation live in `clients.rs` and `users.rs`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use super::db::FAST_ARGON2_KIB;

/// A `portcullis` command with a clean environment (only what the test sets) and fast
/// password hashing. A recipe (directory and environment), so one runner serves several
/// commands.
#[derive(Clone)]
pub struct Cli {
    cwd: PathBuf,
    /// Set (`Some`) or removed (`None`), in order.
    env: Vec<(String, Option<String>)>,
}

pub struct CliOutput {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl CliOutput {
    pub fn ok(self) -> Self {
        assert_eq!(
            self.status, 0,
            "command failed\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

impl Cli {
    pub fn new(cwd: &Path) -> Self {
        Self {
            cwd: cwd.to_path_buf(),
            env: Vec::new(),
        }
        .env(
            "PORTCULLIS_PASSWORDS__ARGON2_MEMORY_KIB",
            &FAST_ARGON2_KIB.to_string(),
        )
        .env("PORTCULLIS_PASSWORDS__ARGON2_ITERATIONS", "1")
        // Relying parties and key servers in tests live on loopback.
        .env("PORTCULLIS_HTTP__ALLOW_PRIVATE_DESTINATIONS", "true")
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), Some(value.into())));
        self
    }

    pub fn without_env(mut self, key: &str) -> Self {
        self.env.push((key.into(), None));
        self
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_portcullis"));
        cmd.env_clear().current_dir(&self.cwd);
        for (key, value) in &self.env {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            };
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> CliOutput {
        self.run_with_stdin(args, "")
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> CliOutput {
        let mut child = self
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn portcullis");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let Output {
            status,
            stdout,
            stderr,
        } = child.wait_with_output().expect("wait for portcullis");
        CliOutput {
            status: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    /// Runs a command line written as one string: words split at spaces, except inside
    /// single quotes (`client create --name 'Web app'`).
    pub fn run_line(&self, line: &str) -> CliOutput {
        self.run_line_with_stdin(line, "")
    }

    pub fn run_line_with_stdin(&self, line: &str, stdin: &str) -> CliOutput {
        let words = split_words(line);
        let args: Vec<&str> = words.iter().map(String::as_str).collect();
        self.run_with_stdin(&args, stdin)
    }

    /// `portcullis migrate`.
    pub fn migrate(&self) -> CliOutput {
        self.run(&["migrate"]).ok()
    }

    /// `portcullis keys rotate`.
    pub fn rotate_keys(&self) -> CliOutput {
        self.run(&["keys", "rotate"]).ok()
    }

    /// `portcullis session list --user …`: the user's live sessions.
    pub fn sessions_of(&self, username: &str) -> Value {
        self.run(&["session", "list", "--user", username, "--json"])
            .ok()
            .json()
    }

    /// `portcullis session revoke …`, which may fail (the output says how).
    pub fn revoke_session(&self, sid: &str) -> CliOutput {
        self.run(&["session", "revoke", sid])
    }
}

/// `a 'b c' d` → `["a", "b c", "d"]`.
fn split_words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut quoted, mut started) = (Vec::new(), String::new(), false, false);
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                started = true;
            }
            ' ' if !quoted => {
                if started {
                    words.push(std::mem::take(&mut word));
                }
                started = false;
            }
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}
