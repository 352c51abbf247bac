//! Test harness: a fresh SQLite file (or PostgreSQL database) per test, the real server on
//! port 0, and the real `portcullis` binary for CLI tests.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use diesel::{Connection, RunQueryDsl, pg::PgConnection};
use portcullis::config::{DatabaseUrl, Settings};
use std::sync::Arc;

use actix_web::web;
use portcullis::clock::{Clock, SystemClock};
use portcullis::store::{DbConnection, connect_once};
use portcullis::{startup::Application, state::AppState};
use rand::Rng;

/// argon2 parameters that keep tests fast; production defaults are exercised by unit tests
/// of the settings and by the benchmarks.
pub const FAST_ARGON2_KIB: u32 = 1024;

/// A database for one test: a SQLite file in a temp dir, or a PostgreSQL database that is
/// dropped when this value is.
pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    /// Set on the one handle that owns (and drops) a PostgreSQL database.
    pub pg_name: Option<String>,
}

impl TestDb {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("portcullis.db").display());
        Self {
            url,
            dir,
            pg_name: None,
        }
    }

    /// A fresh PostgreSQL database on 127.0.0.1:5432, or `None` (test skipped) when the
    /// server is absent, unless `PORTCULLIS_TEST_REQUIRE_ALL=1`.
    pub fn postgres(test: &str) -> Option<Self> {
        let admin = admin_url();
        let mut conn = match PgConnection::establish(&admin) {
            Ok(c) => c,
            Err(e) => {
                if std::env::var("PORTCULLIS_TEST_REQUIRE_ALL").as_deref() == Ok("1") {
                    panic!(
                        "PostgreSQL is required (PORTCULLIS_TEST_REQUIRE_ALL=1) but unreachable: {e}"
                    );
                }
                eprintln!("SKIPPED {test}: PostgreSQL unreachable at {admin}: {e}");
                return None;
            }
        };
        let name = format!("portcullis_test_{:016x}", rand::thread_rng().r#gen::<u64>());
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create test database");
        let url = admin
            .rsplit_once('/')
            .map(|(base, _)| format!("{base}/{name}"))
            .unwrap();
        Some(Self {
            url,
            dir: tempfile::tempdir().expect("temp dir"),
            pg_name: Some(name),
        })
    }

    pub fn settings(&self) -> Settings {
        let mut s = Settings {
            bind: "127.0.0.1:0".parse().unwrap(),
            ..Default::default()
        };
        s.database.url = DatabaseUrl::new(self.url.clone());
        s.database.pool_size = 4;
        s.passwords.argon2_memory_kib = FAST_ARGON2_KIB;
        s.passwords.argon2_iterations = 1;
        s.keys.directory = self.dir.path().join("keys");
        s
    }

    /// A direct connection (no pool, so no background threads in the test process).
    pub fn conn(&self) -> DbConnection {
        connect_once(&self.settings().database).expect("connect to test database")
    }

    /// Runs the CLI binary against this database.
    pub fn cli(&self) -> Cli {
        Cli::new(self.dir.path()).env("PORTCULLIS_DATABASE_URL", &self.url)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name {
            if let Ok(mut conn) = PgConnection::establish(&admin_url()) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn);
            }
        }
    }
}

fn admin_url() -> String {
    std::env::var("PORTCULLIS_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The real server, started in-process on a random port.
pub struct TestApp {
    pub address: SocketAddr,
    pub db: TestDb,
    pub http: awc::Client,
    /// The server's shared state, for tests that drive background work (key rotation)
    /// deterministically instead of waiting for it.
    pub state: web::Data<AppState>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    pub async fn get_bytes(&self, path: &str) -> Vec<u8> {
        let mut res = self.http.get(self.url(path)).send().await.expect("request");
        assert_eq!(res.status().as_u16(), 200, "GET {path}");
        res.body().limit(1 << 20).await.expect("body").to_vec()
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        serde_json::from_slice(&self.get_bytes(path).await).expect("JSON body")
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let mut res = self.http.get(self.url(path)).send().await.expect("request");
        let body = res.body().await.expect("body");
        (
            res.status().as_u16(),
            String::from_utf8_lossy(&body).into_owned(),
        )
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_on(TestDb::sqlite()).await
}

pub async fn spawn_app_on(db: TestDb) -> TestApp {
    let settings = db.settings();
    spawn_app_with(db, settings, Arc::new(SystemClock)).await
}

/// Starts the server with explicit settings (from `db.settings()`, adjusted) and clock.
pub async fn spawn_app_with(db: TestDb, settings: Settings, clock: Arc<dyn Clock>) -> TestApp {
    // `PORTCULLIS_TEST_LOG=debug cargo test …` shows the servers' logs.
    if let Ok(level) = std::env::var("PORTCULLIS_TEST_LOG") {
        portcullis::telemetry::init(&portcullis::config::LogSettings {
            format: portcullis::config::LogFormat::Human,
            level,
        });
    }
    let app = Application::build_with_clock(settings, clock)
        .await
        .expect("build app");
    let address = app.address();
    let state = app.state().clone();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address,
        db,
        http: awc::Client::default(),
        state,
    }
}

/// A `portcullis` command with a clean environment (only what the test sets) and fast
/// password hashing.
pub struct Cli {
    cmd: Command,
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

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

impl Cli {
    pub fn new(cwd: &Path) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_portcullis"));
        cmd.env_clear()
            .current_dir(cwd)
            .env(
                "PORTCULLIS_PASSWORDS__ARGON2_MEMORY_KIB",
                FAST_ARGON2_KIB.to_string(),
            )
            .env("PORTCULLIS_PASSWORDS__ARGON2_ITERATIONS", "1");
        Self { cmd }
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.cmd.env(key, value);
        self
    }

    pub fn command(self) -> Command {
        self.cmd
    }

    pub fn from_command(cmd: Command) -> Self {
        Self { cmd }
    }

    pub fn run(self, args: &[&str]) -> CliOutput {
        self.run_with_stdin(args, "")
    }

    pub fn run_with_stdin(mut self, args: &[&str], stdin: &str) -> CliOutput {
        let mut child = self
            .cmd
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
}

/// The `portcullis serve` binary as a child process, for tests of the real executable
/// (start-up, signals, what it prints and logs). Logs are JSON so the bound address can be
/// read from the "listening" line.
pub struct ServerProcess {
    child: std::process::Child,
    pub address: SocketAddr,
    stdout: std::thread::JoinHandle<String>,
    stderr: std::thread::JoinHandle<String>,
}

pub struct StoppedServer {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl ServerProcess {
    pub fn start(cli: Cli, args: &[&str]) -> Self {
        use std::io::BufRead;
        let mut cmd = cli
            .env("PORTCULLIS_BIND", "127.0.0.1:0")
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
        let mut out = child.stdout.take().unwrap();
        let stdout = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut out, &mut s);
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
            stderr,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
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

/// A token-endpoint answer.
pub struct TokenResponse {
    pub status: u16,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: serde_json::Value,
}

impl TokenResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn token(&self) -> &str {
        assert_eq!(self.status, 200, "{}", self.body);
        self.body["access_token"].as_str().expect("access_token")
    }
}

impl TestApp {
    /// POSTs a form to /token, with HTTP Basic credentials when given.
    pub async fn token(&self, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> TokenResponse {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        self.token_raw(body, basic, "application/x-www-form-urlencoded")
            .await
    }

    pub async fn token_raw(
        &self,
        body: String,
        basic: Option<(&str, &str)>,
        content_type: &str,
    ) -> TokenResponse {
        let mut req = self
            .http
            .post(self.url("/token"))
            .insert_header(("Content-Type", content_type));
        if let Some((id, secret)) = basic {
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let creds = base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                format!("{}:{}", enc(id), enc(secret)),
            );
            req = req.insert_header(("Authorization", format!("Basic {creds}")));
        }
        let mut res = req.send_body(body).await.expect("token request");
        let bytes = res.body().await.expect("body");
        TokenResponse {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        }
    }

    /// Runs the CLI against this app's database and key directory.
    pub fn cli(&self) -> Cli {
        self.db.cli().env(
            "PORTCULLIS_KEYS__DIRECTORY",
            self.db.dir.path().join("keys").to_str().unwrap(),
        )
    }

    /// Creates a client through the CLI and waits until the server's cache has it.
    pub async fn create_client(&self, args: &[&str]) -> serde_json::Value {
        let mut full = vec!["client", "create", "--json"];
        full.extend_from_slice(args);
        let created = self.cli().run(&full).ok().json();
        self.state
            .clients
            .refresh()
            .await
            .expect("refresh client cache");
        created
    }
}
