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
}

impl BackchannelReceiver {
    pub async fn start() -> Self {
        Self::answering(200).await
    }

    pub async fn answering(code: u16) -> Self {
        let status = Arc::new(Mutex::new(code));
        let received: Arc<Mutex<Vec<String>>> = Arc::default();
        let (answer, record) = (status.clone(), received.clone());
        let addr = serve("/backchannel", move || {
            let (status, record) = (answer.clone(), record.clone());
            actix_web::web::post().to(move |body: actix_web::web::Bytes| {
                let (status, record) = (status.clone(), record.clone());
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
            })
        });
        Self {
            url: format!("http://{addr}/backchannel"),
            status,
            received,
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

/// A free port on 127.0.0.1 (nothing listens there yet).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
