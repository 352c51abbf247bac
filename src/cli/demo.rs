//! `serve --demo`: seeds a confidential client, a public SPA client and a user so a
//! newcomer can try every flow at once. Idempotent: existing demo rows are reused, and
//! since only hashes are stored, the demo secret and password are renewed on each start
//! so they can be printed again.

use crate::clock::UnixTime;
use crate::domain::opaque;
use crate::domain::password::Passwords;
use crate::domain::registration::ClientSpec;
use crate::domain::secret::Secret;
use crate::domain::user::UserSpec;
use crate::manage::{self, ManageError};
use crate::store::{DbConnection, clients, users};

pub const SERVICE_CLIENT_ID: &str = "demo-service";
pub const SPA_CLIENT_ID: &str = "demo-spa";
pub const USERNAME: &str = "demo";
/// The demo service's redirect URI (a confidential web app of the reader's own).
pub const REDIRECT_URI: &str = "http://localhost:3000/callback";
/// The demo SPA is served by Portcullis itself in demo mode (`http::demo`): sign-in ends
/// on this page, which redeems the code and shows what came back.
pub const SPA_CALLBACK_PATH: &str = "/demo/callback";
pub const SPA_START_PATH: &str = "/demo";
pub const AUDIENCE: &str = "urn:portcullis:demo-api";

pub struct DemoCredentials {
    pub service_client_id: String,
    pub service_client_secret: Secret<String>,
    pub spa_client_id: String,
    pub username: String,
    pub password: Secret<String>,
}

pub fn seed(
    conn: &mut DbConnection,
    passwords: &Passwords,
    issuer: &str,
    now: UnixTime,
) -> Result<DemoCredentials, ManageError> {
    let service_client_secret = match clients::find(conn, SERVICE_CLIENT_ID)? {
        Some(_) => {
            manage::rotate_client_secret(conn, manage::CLI_ACTOR, SERVICE_CLIENT_ID, false, now)?
        }
        None => {
            let spec = ClientSpec {
                id: Some(SERVICE_CLIENT_ID.into()),
                name: "Demo service".into(),
                grant_types: ["client_credentials", "authorization_code", "refresh_token"]
                    .map(String::from)
                    .to_vec(),
                redirect_uris: vec![REDIRECT_URI.into()],
                scopes: [
                    "openid",
                    "profile",
                    "email",
                    "offline_access",
                    "demo.read",
                    "demo.write",
                ]
                .map(String::from)
                .to_vec(),
                audience: Some(AUDIENCE.into()),
                ..Default::default()
            };
            let (_, secret) = manage::create_client(conn, manage::CLI_ACTOR, spec, now)?;
            secret.ok_or_else(|| ManageError::NoSecret(SERVICE_CLIENT_ID.into()))?
        }
    };
    // Registered (or re-pointed, when the issuer changed) at this server's demo pages.
    let spa = ClientSpec {
        id: Some(SPA_CLIENT_ID.into()),
        name: "Demo single-page app".into(),
        public: true,
        grant_types: ["authorization_code", "refresh_token"]
            .map(String::from)
            .to_vec(),
        redirect_uris: vec![format!("{issuer}{SPA_CALLBACK_PATH}")],
        post_logout_redirect_uris: vec![format!("{issuer}{SPA_START_PATH}")],
        scopes: ["openid", "profile", "email", "offline_access"]
            .map(String::from)
            .to_vec(),
        audience: Some(AUDIENCE.into()),
        // The demo user sees the consent page once, as a real user would.
        ..Default::default()
    };
    if clients::find(conn, SPA_CLIENT_ID)?.is_none() {
        manage::create_client(conn, manage::CLI_ACTOR, spa, now)?;
    } else {
        manage::update_client(conn, manage::CLI_ACTOR, SPA_CLIENT_ID, spa, now)?;
    }
    let password = opaque::generate(12);
    if users::find_by_username(conn, USERNAME)?.is_some() {
        manage::set_password(conn, manage::CLI_ACTOR, passwords, USERNAME, &password, now)?;
    } else {
        let spec = UserSpec {
            username: USERNAME.into(),
            email: Some("demo@example.com".into()),
            display_name: Some("Demo User".into()),
            roles: vec!["demo".into()],
        };
        manage::create_user(conn, manage::CLI_ACTOR, passwords, spec, &password, now)?;
    }
    Ok(DemoCredentials {
        service_client_id: SERVICE_CLIENT_ID.into(),
        service_client_secret,
        spa_client_id: SPA_CLIENT_ID.into(),
        username: USERNAME.into(),
        password,
    })
}

/// What a newcomer needs: the credentials, an authorize URL with PKCE to open in a
/// browser, and a `curl` line for client credentials. Printed to stdout, never logged.
pub fn banner(creds: &DemoCredentials, issuer: &str) -> String {
    format!(
        "\
Portcullis demo data (renewed at every `serve --demo`; not for production)

  Confidential client  {service_id}
    client_secret      {secret}
  Public SPA client    {spa_id}   (served here: {issuer}{start})
  User                 {username}
    password           {password}

  Sign in from a browser (authorization code + PKCE, then the tokens and UserInfo):
    {issuer}{start}

  Get a token for a service:
    curl -s -u {service_id}:{secret} -d grant_type=client_credentials -d scope=demo.read {issuer}/token
",
        service_id = creds.service_client_id,
        secret = creds.service_client_secret.expose(),
        spa_id = creds.spa_client_id,
        start = SPA_START_PATH,
        username = creds.username,
        password = creds.password.expose(),
    )
}
