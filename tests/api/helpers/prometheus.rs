//! Debian's `prometheus`, started by a test on a free loopback port with a generated
//! configuration and a temporary storage directory, scraping one target every second and
//! evaluating the alerting rules we ship (`deploy/prometheus/alerts.yml`).

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use super::skip_unless_required;
use super::stubs::free_port;
use super::wait::wait_until;

const PROMETHEUS: &str = "/usr/bin/prometheus";

pub struct Prometheus {
    child: Child,
    base: String,
    http: awc::Client,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    /// Scrapes `target`'s `/metrics` as job `portcullis`; `None` (skipped) when Prometheus
    /// is not installed, unless `PORTCULLIS_TEST_REQUIRE_ALL=1`.
    pub async fn scraping(test: &str, target: SocketAddr) -> Option<Self> {
        if !std::path::Path::new(PROMETHEUS).exists() {
            skip_unless_required(
                test,
                &format!("{PROMETHEUS} not installed (apt-get install prometheus)"),
            );
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
                 rule_files: ['{}/deploy/prometheus/alerts.yml']\n\
                 scrape_configs:\n  - job_name: portcullis\n    static_configs:\n      \
                 - targets: ['{target}']\n",
                env!("CARGO_MANIFEST_DIR")
            ),
        )
        .unwrap();
        let port = free_port();
        let child = Command::new(PROMETHEUS)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--log.level=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start prometheus");
        let me = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: awc::Client::default(),
            _dir: dir,
        };
        wait_until("Prometheus has scraped the target", || async {
            me.scraped_at().await.is_some()
        })
        .await;
        Some(me)
    }

    /// An instant query's result vector (`/api/v1/query`).
    pub async fn query(&self, promql: &str) -> Vec<Value> {
        let url = format!(
            "{}/api/v1/query?{}",
            self.base,
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("query", promql)
                .finish()
        );
        let Ok(mut res) = self.http.get(url).send().await else {
            return Vec::new();
        };
        let Ok(body) = res.json::<Value>().limit(1 << 20).await else {
            return Vec::new();
        };
        body["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Every alerting rule loaded, as `(name, health)`.
    pub async fn rules(&self) -> Vec<(String, String)> {
        let Ok(mut res) = self
            .http
            .get(format!("{}/api/v1/rules", self.base))
            .send()
            .await
        else {
            return Vec::new();
        };
        let Ok(body) = res.json::<Value>().limit(1 << 20).await else {
            return Vec::new();
        };
        body["data"]["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
            .map(|r| {
                (
                    r["name"].as_str().unwrap_or_default().to_string(),
                    r["health"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// The one value of `promql`, 0 when there is no such series (a counter never moved).
    pub async fn value(&self, promql: &str) -> f64 {
        let result = self.query(promql).await;
        assert!(result.len() <= 1, "{promql}: {result:?}");
        result
            .first()
            .and_then(|r| r["value"][1].as_str()?.parse().ok())
            .unwrap_or(0.0)
    }

    /// When the last successful scrape started (Unix seconds), if any. (`timestamp()` of
    /// a plain selector is the sample's time; of any other expression, the query's.)
    pub async fn scraped_at(&self) -> Option<f64> {
        let up = self.query(r#"up{job="portcullis"}"#).await;
        if up.first()?["value"][1] != "1" {
            return None;
        }
        let result = self.query(r#"timestamp(up{job="portcullis"})"#).await;
        result.first()?["value"][1].as_str()?.parse().ok()
    }

    /// Waits for a scrape that started after now, so every value read next reflects what
    /// was done before this call.
    pub async fn next_scrape(&self) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        wait_until("Prometheus scrapes again", || async {
            self.scraped_at().await.is_some_and(|t| t > now)
        })
        .await;
    }
}
