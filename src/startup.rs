//! Builds the application: the store, shared state and the HTTP server.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, guard, web};
use anyhow::Context;

use crate::backchannel::Backchannel;
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::discovery::AUTHORIZE_PATH;
use crate::discovery::{
    Capabilities, Document, JWKS_PATH, OAUTH_METADATA_PATH, OPENID_CONFIGURATION_PATH, metadata,
};
use crate::domain::password::Passwords;
use crate::http::feed::{self, FEED_PATH, STREAM_PATH};
use crate::http::introspect::{self, INTROSPECT_PATH};
use crate::http::logout::{self, LOGOUT_PATH};
use crate::http::revoke::{self, REVOKE_PATH};
use crate::http::token::TOKEN_PATH;
use crate::http::userinfo::{self, USERINFO_PATH};
use crate::http::{
    authorize, cacheable, discovery, headers, health, jwks, pages, request_id, token,
};
use crate::invalidation::Wakers;
use crate::keys::KeyManager;
use crate::login::{LoginThrottle, PasswordChecker};
use crate::registry::ClientRegistry;
use crate::revocations::Revocations;
use crate::store::{Store, run_migrations};
use crate::token::remote_jwks::RemoteJwks;

/// Shared, read-mostly state handed to every handler as `web::Data`. Built once here;
/// nothing global.
pub struct AppState {
    pub settings: Settings,
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub passwords: Passwords,
    pub keys: Arc<KeyManager>,
    pub clients: Arc<ClientRegistry>,
    pub remote_jwks: RemoteJwks,
    pub discovery: Document,
    pub login_throttle: LoginThrottle,
    pub password_checker: PasswordChecker,
    pub revocations: Arc<Revocations>,
    pub backchannel: Arc<Backchannel>,
    /// Kept here so the LISTEN thread lives as long as the application.
    pub wakers: Arc<Wakers>,
}

pub struct Application {
    address: SocketAddr,
    server: Server,
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
        let passwords = Passwords::new(&settings.passwords)?;
        let password_checker = PasswordChecker::new(
            passwords.clone(),
            settings.passwords.max_concurrent_hashes as usize,
        )?;
        let keys = KeyManager::start(store.clone(), &settings, clock.clone()).await?;
        let wakers = Arc::new(Wakers::default());
        crate::invalidation::spawn_listener(&settings.database, &wakers);
        keys.spawn_schedule(wakers.clone());
        let clients = ClientRegistry::load(store.clone()).await?;
        clients.spawn_poll(
            Duration::from_millis(settings.cache.poll_interval_ms),
            wakers.clone(),
        );
        crate::sweep::spawn_sweeper(
            store.clone(),
            clock.clone(),
            crate::sweep::SweepPolicy::from(&settings),
            Duration::from_secs(settings.sweep.interval_secs),
        );
        let revocations = Revocations::load(
            store.clone(),
            keys.clone(),
            clock.clone(),
            settings.issuer.clone(),
        )
        .await?;
        revocations.spawn_poll(
            Duration::from_millis(settings.cache.poll_interval_ms.min(500)),
            wakers.clone(),
        );
        let backchannel = Backchannel::new(
            store.clone(),
            keys.clone(),
            clients.clone(),
            clock.clone(),
            settings.issuer.clone(),
        );
        backchannel.spawn();
        let discovery = Document::new(&metadata(&settings.issuer, &Capabilities::current()));
        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let address = listener.local_addr()?;
        let state = web::Data::new(AppState {
            settings,
            store,
            clock,
            passwords,
            keys,
            clients,
            remote_jwks: RemoteJwks::default(),
            discovery,
            login_throttle: LoginThrottle::default(),
            password_checker,
            revocations,
            backchannel,
            wakers,
        });
        let server = http_server(state.clone(), listener)?;
        Ok(Self {
            address,
            server,
            state,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn state(&self) -> &web::Data<AppState> {
        &self.state
    }

    /// Serves until SIGINT/SIGTERM; in-flight requests are given time to finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
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

/// GET, and HEAD for caches and monitors that probe the public documents.
fn get_or_head() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

fn http_server(state: web::Data<AppState>, listener: TcpListener) -> anyhow::Result<Server> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(headers::security_headers())
            .wrap(from_fn(request_id::request_id_middleware))
            .route("/healthz", web::get().to(health::healthz_handler))
            .route("/readyz", web::get().to(health::readyz_handler))
            .route(JWKS_PATH, get_or_head().to(jwks::jwks_handler))
            .route(
                JWKS_PATH,
                web::method(Method::OPTIONS).to(cacheable::preflight_handler),
            )
            .route(
                OPENID_CONFIGURATION_PATH,
                get_or_head().to(discovery::discovery_handler),
            )
            .route(
                OAUTH_METADATA_PATH,
                get_or_head().to(discovery::discovery_handler),
            )
            .route(
                OPENID_CONFIGURATION_PATH,
                web::method(Method::OPTIONS).to(cacheable::preflight_handler),
            )
            .route(
                OAUTH_METADATA_PATH,
                web::method(Method::OPTIONS).to(cacheable::preflight_handler),
            )
            .service(
                web::resource(AUTHORIZE_PATH)
                    .route(web::get().to(authorize::authorize_handler))
                    .route(web::post().to(authorize::authorize_handler)),
            )
            .service(
                web::resource("/login")
                    .app_data(authorize::form_config())
                    .route(web::post().to(authorize::login_handler)),
            )
            .service(
                web::resource(REVOKE_PATH)
                    .route(web::post().to(revoke::revoke_handler))
                    .route(web::method(Method::OPTIONS).to(token::token_preflight_handler))
                    .default_service(web::to(token::token_method_not_allowed_handler)),
            )
            .route(FEED_PATH, web::get().to(feed::feed_handler))
            .route(STREAM_PATH, web::get().to(feed::stream_handler))
            .service(
                web::resource(LOGOUT_PATH)
                    .route(web::get().to(logout::logout_handler))
                    .route(web::post().to(logout::logout_handler)),
            )
            .service(
                web::resource(INTROSPECT_PATH)
                    .route(web::post().to(introspect::introspect_handler))
                    .default_service(web::to(token::token_method_not_allowed_handler)),
            )
            .service(
                web::resource(USERINFO_PATH)
                    .route(web::get().to(userinfo::userinfo_handler))
                    .route(web::post().to(userinfo::userinfo_handler)),
            )
            .service(
                web::resource("/consent")
                    .app_data(authorize::form_config())
                    .route(web::post().to(authorize::consent_handler)),
            )
            .service(
                web::resource(TOKEN_PATH)
                    .app_data(web::PayloadConfig::new(16 * 1024))
                    .route(web::post().to(token::token_handler))
                    .route(web::method(Method::OPTIONS).to(token::token_preflight_handler))
                    .default_service(web::to(token::token_method_not_allowed_handler)),
            )
            .default_service(web::to(pages::not_found_handler))
    })
    .shutdown_timeout(30)
    .listen(listener)?
    .run();
    Ok(server)
}
