//! The one outgoing-HTTP client. Every request: a URL checked against the destination
//! policy, every address its name resolves to checked again at connection time (our
//! resolver, so rebinding between check and connect does not help), no redirects (a
//! redirect is a failure), one total deadline and a response size cap.

use std::error::Error as StdError;
use std::net::SocketAddr;
use std::time::Duration;

use actix_tls::connect::{Connector as TcpConnector, Resolve, Resolver};
use futures_core::future::LocalBoxFuture;
use tracing::Instrument;

use crate::config::HttpSettings;
use crate::domain::destination::{self, Refused};

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("refused by the outgoing-request policy: {0}")]
    Refused(#[from] Refused),
    #[error("the URL is invalid")]
    BadUrl,
    #[error("no answer within {0:?}")]
    Deadline(Duration),
    #[error("request failed: {0}")]
    Transport(String),
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the server answered {0}")]
    Status(u16),
}

/// The policy and its limits, from `[http]`.
#[derive(Debug, Clone, Copy)]
pub struct Outbound {
    pub allow_private: bool,
    pub deadline: Duration,
    pub max_bytes: usize,
}

impl Outbound {
    pub fn new(settings: &HttpSettings) -> Self {
        Self {
            allow_private: settings.allow_private_destinations,
            deadline: Duration::from_secs(settings.outbound_deadline_secs),
            max_bytes: settings.outbound_max_bytes,
        }
    }

    fn client(&self) -> awc::Client {
        let resolver = Resolver::custom(CheckedResolver {
            allow_private: self.allow_private,
        });
        let connector = awc::Connector::new()
            .connector(TcpConnector::new(resolver).service())
            .timeout(self.deadline);
        awc::Client::builder()
            .connector(connector)
            .disable_redirects()
            .timeout(self.deadline)
            .finish()
    }

    fn checked(&self, url: &str) -> Result<(), FetchError> {
        let parsed = url::Url::parse(url).map_err(|_| FetchError::BadUrl)?;
        destination::check_url(&parsed, self.allow_private)?;
        Ok(())
    }

    /// GET, the body of a 2xx answer (redirects are failures).
    pub async fn get(&self, url: &str, accept: &str) -> Result<Vec<u8>, FetchError> {
        self.checked(url)?;
        let span = client_span("GET", url);
        // Built inside the span: its `traceparent` names this span as the callee's parent.
        let request = span.in_scope(|| propagate(self.client().get(url)));
        self.body_of(span, request.insert_header(("Accept", accept)).send())
            .await
    }

    /// The body of a 2xx answer to a request sent in `span` (a [`client_span`]): within the
    /// deadline and the size cap.
    async fn body_of(
        &self,
        span: tracing::Span,
        sent: awc::SendClientRequest,
    ) -> Result<Vec<u8>, FetchError> {
        let work = async {
            let mut res = sent
                .await
                .map_err(|e| FetchError::Transport(e.to_string()))?;
            if !res.status().is_success() {
                return Err(FetchError::Status(res.status().as_u16()));
            }
            res.body()
                .limit(self.max_bytes)
                .await
                .map(|b| b.to_vec())
                .map_err(|e| match e {
                    awc::error::PayloadError::Overflow => FetchError::TooLarge(self.max_bytes),
                    other => FetchError::Transport(other.to_string()),
                })
        };
        let answer = tokio::time::timeout(self.deadline, work)
            .instrument(span.clone())
            .await
            .map_err(|_| FetchError::Deadline(self.deadline))
            .and_then(|r| r);
        record_outcome(&span, &answer);
        answer
    }

    /// POSTs a form; `Ok` on a 2xx answer.
    pub async fn post_form(&self, url: &str, body: String) -> Result<(), FetchError> {
        let span = client_span("POST", url);
        let answer = self
            .post(
                url,
                "application/x-www-form-urlencoded",
                body.into_bytes(),
                true,
            )
            .instrument(span.clone())
            .await;
        record_outcome(&span, &answer);
        answer
    }

    /// POSTs a form with extra headers (e.g. `Authorization`) and returns the body of a
    /// 2xx answer: an upstream's token endpoint.
    pub async fn post_form_for_body(
        &self,
        url: &str,
        body: String,
        headers: &[(&str, &str)],
    ) -> Result<Vec<u8>, FetchError> {
        self.checked(url)?;
        let span = client_span("POST", url);
        let request = span.in_scope(|| propagate(self.client().post(url)));
        let request = headers
            .iter()
            .fold(request, |r, (name, value)| r.insert_header((*name, *value)))
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .insert_header(("Accept", "application/json"));
        self.body_of(span, request.send_body(body)).await
    }

    /// GET with a bearer token: an upstream's UserInfo endpoint.
    pub async fn get_with_bearer(&self, url: &str, token: &str) -> Result<Vec<u8>, FetchError> {
        self.checked(url)?;
        let span = client_span("GET", url);
        let request = span.in_scope(|| propagate(self.client().get(url)));
        let request = request
            .insert_header(("Accept", "application/json"))
            .insert_header(("Authorization", format!("Bearer {token}")));
        self.body_of(span, request.send()).await
    }

    /// POSTs without a span or a `traceparent`: for the trace exporter's own uploads,
    /// which must not trace themselves.
    pub async fn post_untraced(
        &self,
        url: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<(), FetchError> {
        self.post(url, content_type, body, false).await
    }

    async fn post(
        &self,
        url: &str,
        content_type: &str,
        body: Vec<u8>,
        traced: bool,
    ) -> Result<(), FetchError> {
        self.checked(url)?;
        let work = async {
            let request = self.client().post(url);
            let request = if traced { propagate(request) } else { request };
            let res = request
                .insert_header(("Content-Type", content_type))
                .send_body(body)
                .await
                .map_err(|e| FetchError::Transport(e.to_string()))?;
            if res.status().is_success() {
                Ok(())
            } else {
                Err(FetchError::Status(res.status().as_u16()))
            }
        };
        tokio::time::timeout(self.deadline, work)
            .await
            .map_err(|_| FetchError::Deadline(self.deadline))?
    }
}

/// A span for one outgoing request: the method and where it goes (scheme, host, port,
/// path; never the query, which could carry something secret).
fn client_span(method: &str, url: &str) -> tracing::Span {
    let target = url::Url::parse(url).ok();
    let host = target.as_ref().and_then(|u| u.host_str()).unwrap_or("");
    let path = target.as_ref().map(|u| u.path()).unwrap_or("");
    tracing::info_span!(
        "http.client",
        http.request.method = method,
        server.address = host,
        url.path = path,
        http.response.status_code = tracing::field::Empty,
        error = tracing::field::Empty,
    )
}

fn record_outcome<T>(span: &tracing::Span, answer: &Result<T, FetchError>) {
    match answer {
        Ok(_) => {}
        Err(FetchError::Status(s)) => {
            span.record("http.response.status_code", s);
        }
        Err(e) => {
            span.record("error", tracing::field::display(e));
        }
    }
}

/// W3C Trace Context on the way out: the current span (ours) is the callee's parent, and
/// the caller's `tracestate` travels on unchanged.
fn propagate(request: awc::ClientRequest) -> awc::ClientRequest {
    match crate::telemetry::spans::current() {
        Some(ctx) => {
            let request = request.insert_header(("traceparent", ctx.traceparent()));
            match ctx.state {
                Some(state) => request.insert_header(("tracestate", state)),
                None => request,
            }
        }
        None => request,
    }
}

/// Resolves a name and refuses the connection if any address is special-use.
struct CheckedResolver {
    allow_private: bool,
}

impl Resolve for CheckedResolver {
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> LocalBoxFuture<'a, Result<Vec<SocketAddr>, Box<dyn StdError>>> {
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port)).await?.collect();
            for a in &addrs {
                destination::check_address(a.ip(), self.allow_private)?;
            }
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn a_name_resolving_to_a_special_use_address_is_refused_at_connection_time() {
        // `localhost` resolves to loopback through the system resolver (/etc/hosts): the
        // resolver refuses it even though no URL check ran.
        let strict = CheckedResolver {
            allow_private: false,
        };
        assert!(strict.lookup("localhost", 80).await.is_err());
        let open = CheckedResolver {
            allow_private: true,
        };
        let addrs = open.lookup("localhost", 80).await.unwrap();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()));
    }
}
