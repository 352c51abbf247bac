//! Builds the application: the store, shared state and the HTTP server.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::domain::password::Passwords;
use crate::http::csrf::{self, CsrfKey};
use crate::http::{headers, pages, request_id, routes};
use crate::keys::KeyManager;
use crate::net::client::Outbound;
use crate::oidc::discovery::{Capabilities, Document, metadata};
use crate::revocation::list::Revocations;
use crate::session::backchannel::Backchannel;
use crate::session::login::PasswordChecker;
use crate::state::AppState;
use crate::status::lists::StatusLists;
use crate::store::client_registry::ClientRegistry;
use crate::store::notify::Wakers;
use crate::store::{Store, run_migrations};
use crate::telemetry::metrics::Metrics;
use crate::token::remote_jwks::RemoteJwks;

pub struct Application {
    address: SocketAddr,
    server: Server,
    /// The metrics listener, when `metrics.bind` is set.
    metrics: Option<(SocketAddr, Server)>,
    state: web::Data<AppState>,
}

impl Application {
    /// Connects to the database, applies pending migrations, binds `settings.bind` (port 0
    /// picks a free port) and prepares the server. Nothing is served until
    /// [`Application::run_until_stopped`].
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let store = open_store(&settings).await?;
        let metrics = Arc::new(Metrics::new(settings.metrics.bind.is_some()));
        let passwords = Passwords::new(&settings.passwords)?;
        let password_checker = PasswordChecker::new(
            passwords.clone(),
            settings.passwords.max_concurrent_hashes as usize,
        )?;
        let keys =
            KeyManager::start(store.clone(), &settings, clock.clone(), metrics.clone()).await?;
        let csrf = CsrfKey::new(keys.derive_secret(csrf::KEY_LABEL)?);
        let gateway_ticket = crate::forward_auth::ticket::TicketKey::new(
            keys.derive_secret(crate::forward_auth::ticket::KEY_LABEL)?,
        );
        let dpop_nonce = crate::dpop::NonceKey::new(keys.derive_secret("portcullis dpop nonce")?);
        let dpop_algorithms = settings
            .keys
            .algorithms
            .iter()
            .map(|a| a.as_str())
            .collect();
        let client_ip = crate::http::client_ip::ClientIpPolicy {
            header: settings.http.client_ip_header,
            trusted: settings.http.trusted_proxy_ranges(),
        };
        let wakers = Arc::new(Wakers::default());
        crate::background::listener::spawn_listener(&settings.database, &wakers);
        keys.spawn_schedule(wakers.clone());
        let clients = ClientRegistry::load(store.clone(), metrics.clone()).await?;
        clients.spawn_poll(
            Duration::from_millis(settings.cache.poll_interval_ms),
            wakers.clone(),
        );
        let upstreams = crate::federation::directory::Directory::load(store.clone()).await?;
        upstreams.spawn_poll(
            store.clone(),
            Duration::from_millis(settings.cache.poll_interval_ms),
        );
        crate::background::sweep::spawn_sweeper(
            store.clone(),
            clock.clone(),
            crate::background::sweep::SweepPolicy::from(&settings),
            Duration::from_secs(settings.sweep.interval_secs),
        );
        let status_lists = StatusLists::start(
            store.clone(),
            keys.clone(),
            clock.clone(),
            settings.issuer.clone(),
            settings.tokens.access_token_ttl_secs + settings.tokens.clock_skew_secs,
        )
        .await?;
        let revocations = Revocations::load(
            store.clone(),
            keys.clone(),
            clock.clone(),
            settings.issuer.clone(),
            metrics.clone(),
            status_lists.clone(),
        )
        .await?;
        revocations.spawn_poll(
            Duration::from_millis(settings.cache.poll_interval_ms.min(500)),
            wakers.clone(),
        );
        let outbound = Outbound::new(&settings.http);
        let backchannel = Backchannel::new(
            store.clone(),
            outbound,
            keys.clone(),
            clients.clone(),
            clock.clone(),
            settings.issuer.clone(),
            metrics.clone(),
        );
        backchannel.spawn();
        let mail =
            crate::mail::worker::MailWorker::new(store.clone(), clock.clone(), &settings.smtp)?;
        mail.spawn();
        let discovery = Document::new(&metadata(
            &settings.issuer,
            &Capabilities::current(
                &settings.features,
                &settings.keys.algorithms,
                settings.par.required,
            ),
        ));
        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let address = listener.local_addr()?;
        let metrics_listener = match settings.metrics.bind {
            Some(bind) => Some(
                TcpListener::bind(bind)
                    .with_context(|| format!("cannot listen on {bind} (metrics.bind)"))?,
            ),
            None => None,
        };
        let forward_auth = crate::state::ForwardAuth {
            redirect_hosts: crate::forward_auth::redirect::patterns(
                &settings.forward_auth.allowed_redirect_hosts,
            ),
            ..Default::default()
        };
        let look = Arc::new(crate::http::look::Look::load(&settings)?);
        let directory = crate::ldap::Directory::new(&settings.ldap)?;
        let state = web::Data::new(AppState {
            look: look.clone(),
            upstreams,
            directory,
            passkeys: crate::session::passkeys::Passkeys::new(&settings.issuer),
            forward_auth,
            settings,
            store,
            clock,
            passwords,
            keys,
            clients,
            remote_jwks: RemoteJwks::new(outbound),
            discovery,
            client_ip,
            csrf,
            gateway_ticket,
            dpop_nonce,
            dpop_algorithms,
            dpop_seen: Default::default(),
            dpop_keys: Default::default(),
            audit_windows: Default::default(),
            password_checker,
            revocations,
            status_lists,
            backchannel,
            mail,
            metrics,
            wakers,
        });
        let server = http_server(state.clone(), listener)?;
        let metrics = match metrics_listener {
            Some(l) => Some((
                l.local_addr()?,
                crate::http::metrics::server(state.clone(), l)?,
            )),
            None => None,
        };
        Ok(Self {
            address,
            server,
            metrics,
            state,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Where `/metrics` is served, when `metrics.bind` is set.
    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(a, _)| *a)
    }

    pub fn state(&self) -> &web::Data<AppState> {
        &self.state
    }

    /// Serves until SIGINT/SIGTERM; in-flight requests are given time to finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        match self.metrics {
            Some((_, metrics)) => {
                let (main, metrics) = tokio::join!(self.server, metrics);
                main.and(metrics)
            }
            None => self.server.await,
        }
    }
}

/// Connects and migrates on a blocking thread: both are synchronous diesel work.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let db = settings.database.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Store> {
        let store = Store::connect(&db)
            .with_context(|| format!("cannot open the database {}", db.url.redacted()))?;
        let applied = run_migrations(&mut *store.conn()?)?;
        if !applied.is_empty() {
            tracing::info!(migrations = ?applied, "database migrated");
        }
        Ok(store)
    })
    .await
    .context("database start-up task failed")?
}

fn http_server(state: web::Data<AppState>, listener: TcpListener) -> anyhow::Result<Server> {
    let features = state.settings.features.clone();
    let issuer = state.settings.issuer.clone();
    let look = state.look.clone();
    let body_timeout = std::time::Duration::from_secs(state.settings.http.body_timeout_secs);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(crate::http::authorize::query_config())
            .wrap(from_fn(move |req, next| {
                crate::http::body_deadline::limit_body_time(body_timeout, req, next)
            }))
            .wrap(from_fn(crate::http::ui::remember_locale))
            .wrap(headers::security_headers(&issuer, &look))
            .wrap(from_fn(request_id::request_id_middleware))
            .configure(|cfg| routes::configure(cfg, &features))
            .default_service(web::to(pages::not_found_handler))
    })
    .shutdown_timeout(30)
    .listen(listener)?
    .run();
    Ok(server)
}
