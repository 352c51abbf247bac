//! Stand-ins for the other parties of a flow: a relying party's back-channel logout
//! endpoint, a client's redirect target, a client publishing its keys.

use std::sync::{Arc, Mutex};

/// Starts a one-route server on a random port; returns its address.
fn serve<F>(route: &'static str, app: F) -> std::net::SocketAddr
where
    F: Fn() -> actix_web::Route + Send + Clone + 'static,
{
    serve_on(route, ("127.0.0.1", 0), app)
}

fn serve_on<F>(route: &'static str, at: (&str, u16), app: F) -> std::net::SocketAddr
where
    F: Fn() -> actix_web::Route + Send + Clone + 'static,
{
    let server = actix_web::HttpServer::new(move || actix_web::App::new().route(route, app()))
        .workers(1)
        .bind(at)
        .unwrap();
    let addr = server.addrs()[0];
    actix_web::rt::spawn(server.run());
    addr
}

/// A relying party's back-channel logout endpoint.
pub struct BackchannelReceiver {
    pub url: String,
    /// What it answers; 503 stands for a relying party that is down.
    pub status: Arc<Mutex<u16>>,
    /// Every `logout_token` received while answering 200.
    pub received: Arc<Mutex<Vec<String>>>,
    /// The `traceparent` header of every delivery (answered 200 or not).
    pub traceparents: Arc<Mutex<Vec<Option<String>>>>,
}

impl BackchannelReceiver {
    pub async fn start() -> Self {
        Self::answering(200).await
    }

    pub async fn answering(code: u16) -> Self {
        let status = Arc::new(Mutex::new(code));
        let received: Arc<Mutex<Vec<String>>> = Arc::default();
        let traceparents: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
        let (answer, record, traces) = (status.clone(), received.clone(), traceparents.clone());
        let addr = serve("/backchannel", move || {
            let (status, record, traces) = (answer.clone(), record.clone(), traces.clone());
            actix_web::web::post().to(
                move |req: actix_web::HttpRequest, body: actix_web::web::Bytes| {
                    let (status, record) = (status.clone(), record.clone());
                    traces.lock().unwrap().push(
                        req.headers()
                            .get("traceparent")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string),
                    );
                    async move {
                        let form: Vec<(String, String)> =
                            url::form_urlencoded::parse(&body).into_owned().collect();
                        assert_eq!(form.len(), 1, "only logout_token is posted");
                        assert_eq!(form[0].0, "logout_token");
                        let code = *status.lock().unwrap();
                        if code == 200 {
                            record.lock().unwrap().push(form[0].1.clone());
                        }
                        actix_web::HttpResponse::build(
                            actix_web::http::StatusCode::from_u16(code).unwrap(),
                        )
                        .insert_header(("Cache-Control", "no-store"))
                        .finish()
                    }
                },
            )
        });
        Self {
            url: format!("http://{addr}/backchannel"),
            status,
            received,
            traceparents,
        }
    }

    /// A receiver on a port reserved earlier (the relying party comes back where it was).
    pub async fn on_port(port: u16) -> Self {
        let received: Arc<Mutex<Vec<String>>> = Arc::default();
        let record = received.clone();
        serve_on("/backchannel", ("127.0.0.1", port), move || {
            let record = record.clone();
            actix_web::web::post().to(move |body: actix_web::web::Bytes| {
                let record = record.clone();
                async move {
                    record
                        .lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&body).into_owned());
                    actix_web::HttpResponse::Ok().finish()
                }
            })
        });
        Self {
            url: format!("http://127.0.0.1:{port}/backchannel"),
            status: Arc::new(Mutex::new(200)),
            received,
            traceparents: Arc::default(),
        }
    }

    pub fn set_status(&self, code: u16) {
        *self.status.lock().unwrap() = code;
    }

    /// The `n`th (0-based) delivery once it has arrived.
    pub async fn nth(&self, n: usize) -> String {
        super::wait::wait_until("a back-channel logout token arrives", || async {
            self.received.lock().unwrap().get(n).cloned()
        })
        .await
    }

    pub fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }
}

/// A client application's redirect target: records the query string of what arrives.
pub struct CallbackReceiver {
    pub url: String,
    seen: Arc<Mutex<Option<String>>>,
}

impl CallbackReceiver {
    pub async fn start() -> Self {
        let seen: Arc<Mutex<Option<String>>> = Arc::default();
        let record = seen.clone();
        let addr = serve("/cb", move || {
            let record = record.clone();
            actix_web::web::get().to(move |req: actix_web::HttpRequest| {
                let record = record.clone();
                async move {
                    *record.lock().unwrap() = Some(req.query_string().to_string());
                    actix_web::HttpResponse::Ok()
                        .content_type("text/html")
                        .body("<!doctype html><title>Client</title><h1>Back at the client</h1>")
                }
            })
        });
        Self {
            url: format!("http://{addr}/cb"),
            seen,
        }
    }

    /// The query string of the next arrival, if one has come.
    pub fn take(&self) -> Option<String> {
        self.seen.lock().unwrap().take()
    }

    /// Puts a taken callback back (for a check that must not consume it).
    pub fn put_back(&self, query: String) {
        *self.seen.lock().unwrap() = Some(query);
    }
}

/// A client's own server publishing its JWK set; returns the URL.
pub fn jwks_server(jwks: String) -> String {
    let addr = serve("/jwks", move || {
        let jwks = jwks.clone();
        actix_web::web::get().to(move || {
            let jwks = jwks.clone();
            async move {
                actix_web::HttpResponse::Ok()
                    .content_type("application/json")
                    .body(jwks)
            }
        })
    });
    format!("http://{addr}/jwks")
}

/// The `traceparent` and `tracestate` headers of one request.
pub type TraceHeaders = (Option<String>, Option<String>);

/// A client's `jwks_uri` that records the `traceparent` and `tracestate` of each fetch.
pub struct RecordingJwks {
    pub url: String,
    pub fetches: Arc<Mutex<Vec<TraceHeaders>>>,
}

pub fn recording_jwks_server(jwks: String) -> RecordingJwks {
    let fetches: Arc<Mutex<Vec<TraceHeaders>>> = Arc::default();
    let record = fetches.clone();
    let addr = serve("/jwks", move || {
        let (jwks, record) = (jwks.clone(), record.clone());
        actix_web::web::get().to(move |req: actix_web::HttpRequest| {
            let header = |n: &str| {
                req.headers()
                    .get(n)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            record
                .lock()
                .unwrap()
                .push((header("traceparent"), header("tracestate")));
            let jwks = jwks.clone();
            async move {
                actix_web::HttpResponse::Ok()
                    .content_type("application/json")
                    .body(jwks)
            }
        })
    });
    RecordingJwks {
        url: format!("http://{addr}/jwks"),
        fetches,
    }
}

/// An OpenTelemetry collector's OTLP/HTTP traces endpoint: keeps every span posted as
/// OTLP/JSON.
pub struct OtlpReceiver {
    /// The base URL (Portcullis appends `/v1/traces`).
    pub endpoint: String,
    spans: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl OtlpReceiver {
    pub fn start() -> Self {
        let spans: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
        let record = spans.clone();
        let addr = serve("/v1/traces", move || {
            let record = record.clone();
            actix_web::web::post().to(
                move |req: actix_web::HttpRequest, body: actix_web::web::Bytes| {
                    let record = record.clone();
                    async move {
                        assert_eq!(
                            req.headers().get("content-type").unwrap(),
                            "application/json"
                        );
                        let export: serde_json::Value = serde_json::from_slice(&body).unwrap();
                        for rs in export["resourceSpans"].as_array().unwrap() {
                            for ss in rs["scopeSpans"].as_array().unwrap() {
                                for span in ss["spans"].as_array().unwrap() {
                                    let mut span = span.clone();
                                    span["resource"] = rs["resource"].clone();
                                    record.lock().unwrap().push(span);
                                }
                            }
                        }
                        actix_web::HttpResponse::Ok()
                            .content_type("application/json")
                            .body("{}")
                    }
                },
            )
        });
        Self {
            endpoint: format!("http://{addr}"),
            spans,
        }
    }

    /// The spans of one trace received so far.
    pub fn trace(&self, trace_id: &str) -> Vec<serde_json::Value> {
        self.spans
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s["traceId"] == trace_id)
            .cloned()
            .collect()
    }
}

/// A free port on 127.0.0.1 (nothing listens there yet).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
