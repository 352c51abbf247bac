//! The `portcullis serve` binary as a child process, for tests of the real executable
//! (start-up, signals, crashes, what it prints and logs).

use std::net::SocketAddr;
use std::process::{Command, Stdio};

use super::cli::Cli;

/// A running `portcullis serve`. Logs are JSON so the bound address can be read from the
/// "listening" line.
pub struct ServerProcess {
    child: std::process::Child,
    pub address: SocketAddr,
    stdout: std::thread::JoinHandle<String>,
    /// What it printed so far (the stdout thread appends line by line).
    printed: std::sync::Arc<std::sync::Mutex<String>>,
    stderr: std::thread::JoinHandle<String>,
}

pub struct StoppedServer {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl ServerProcess {
    pub fn start(cli: Cli, args: &[&str]) -> Self {
        Self::start_bound(cli, args, "127.0.0.1:0")
    }

    /// Listening on `bind` (a fixed port, when the issuer must name it).
    pub fn start_bound(cli: Cli, args: &[&str], bind: &str) -> Self {
        use std::io::BufRead;
        let mut cmd = cli
            .env("PORTCULLIS_BIND", bind)
            .env("PORTCULLIS_LOG_FORMAT", "json")
            .command();
        let mut child = cmd
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn portcullis serve");
        let (tx, rx) = std::sync::mpsc::channel();
        let err = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut all = String::new();
            for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                    if v["message"] == "listening" {
                        let _ = tx.send(v["address"].as_str().unwrap_or_default().to_string());
                    }
                }
                all.push_str(&line);
                all.push('\n');
            }
            all
        });
        let out = child.stdout.take().unwrap();
        let printed = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let so_far = printed.clone();
        let stdout = std::thread::spawn(move || {
            let mut s = String::new();
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                s.push_str(&line);
                s.push('\n');
                if let Ok(mut p) = so_far.lock() {
                    p.push_str(&line);
                    p.push('\n');
                }
            }
            s
        });
        let address = match rx.recv_timeout(std::time::Duration::from_secs(60)) {
            Ok(a) => a.parse().expect("listening address"),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "server did not start:\n{}",
                    stderr.join().unwrap_or_default()
                );
            }
        };
        Self {
            child,
            address,
            stdout,
            printed,
            stderr,
        }
    }

    /// What the process has printed to stdout so far.
    pub fn printed(&self) -> String {
        self.printed.lock().map(|p| p.clone()).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit by itself (after a signal sent elsewhere).
    pub fn wait(mut self) -> StoppedServer {
        let status = self.child.wait().expect("wait for server");
        StoppedServer {
            status: status.code().unwrap_or(-1),
            stdout: self.stdout.join().unwrap_or_default(),
            stderr: self.stderr.join().unwrap_or_default(),
        }
    }

    /// SIGKILL: the process dies mid-work, as in a crash.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then wait for a graceful exit.
    pub fn stop(mut self) -> StoppedServer {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("send SIGTERM");
        let status = self.child.wait().expect("wait for server");
        StoppedServer {
            status: status.code().unwrap_or(-1),
            stdout: self.stdout.join().unwrap_or_default(),
            stderr: self.stderr.join().unwrap_or_default(),
        }
    }
}
