//! The LDAP directory (`[ldap]`): finding a person with the service account, checking
//! their password by binding as them (RFC 4513 §5.1.3), and reading their groups. The
//! directory's password is never stored here. Every operation has `ldap.timeout_secs`;
//! the service account's connection is kept and shared (an `ldap3` handle multiplexes),
//! and made again once when it broke.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry, ldap_escape};
use tokio::sync::Mutex;

use crate::config::LdapSettings;
use crate::domain::secret::Secret;

/// A person as the directory describes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub dn: String,
    pub username: String,
    pub email: Option<String>,
    pub name: Option<String>,
    /// Roles from `ldap.group_roles`, for the groups they are in.
    pub roles: Vec<String>,
}

/// How a password check ended.
#[derive(Debug)]
pub enum Checked {
    Person(Person),
    /// Not in the directory (or no longer), or the wrong password.
    Refused,
    /// The directory could not be asked (down, timed out, the service account refused).
    Unavailable(String),
}

#[derive(Clone)]
pub struct Directory {
    settings: Arc<LdapSettings>,
    service: Arc<Mutex<Option<Ldap>>>,
    /// The TLS setup with `ldap.ca_file` trusted, when given.
    tls: Option<native_tls::TlsConnector>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("url", &self.settings.url)
            .finish_non_exhaustive()
    }
}

type Failure = String;

impl Directory {
    /// `Ok(None)` when `ldap.url` is unset; an error when `ldap.ca_file` cannot be used.
    pub fn new(settings: &LdapSettings) -> anyhow::Result<Option<Directory>> {
        if settings.url.is_none() {
            return Ok(None);
        }
        let tls = match &settings.ca_file {
            None => None,
            Some(path) => {
                let pem = std::fs::read(path).map_err(|e| {
                    anyhow::anyhow!("ldap.ca_file: cannot read {}: {e}", path.display())
                })?;
                let ca = native_tls::Certificate::from_pem(&pem)
                    .map_err(|e| anyhow::anyhow!("ldap.ca_file: not a PEM certificate: {e}"))?;
                Some(
                    native_tls::TlsConnector::builder()
                        .add_root_certificate(ca)
                        .build()
                        .map_err(|e| anyhow::anyhow!("ldap.ca_file: {e}"))?,
                )
            }
        };
        Ok(Some(Directory {
            settings: Arc::new(settings.clone()),
            service: Arc::default(),
            tls,
        }))
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.settings.timeout_secs)
    }

    async fn connect(&self) -> Result<Ldap, Failure> {
        let url = self.settings.url.as_deref().unwrap_or_default();
        let mut conn_settings = LdapConnSettings::new()
            .set_conn_timeout(self.timeout())
            .set_starttls(self.settings.starttls);
        if let Some(tls) = &self.tls {
            conn_settings = conn_settings.set_connector(tls.clone());
        }
        let (conn, ldap) = tokio::time::timeout(
            self.timeout(),
            LdapConnAsync::with_settings(conn_settings, url),
        )
        .await
        .map_err(|_| "connecting timed out".to_string())?
        .map_err(|e| format!("cannot connect: {e}"))?;
        ldap3::drive!(conn);
        Ok(ldap)
    }

    /// The service account's connection (kept), bound once.
    async fn service(&self, fresh: bool) -> Result<Ldap, Failure> {
        let mut kept = self.service.lock().await;
        if let (Some(l), false) = (kept.as_ref(), fresh) {
            return Ok(l.clone());
        }
        let mut ldap = self.connect().await?;
        if let (Some(dn), Some(pw)) = (&self.settings.bind_dn, &self.settings.bind_password) {
            ldap.with_timeout(self.timeout())
                .simple_bind(dn, pw.expose())
                .await
                .and_then(|r| r.success())
                .map_err(|e| format!("the service account cannot bind: {e}"))?;
        }
        *kept = Some(ldap.clone());
        Ok(ldap)
    }

    /// A search with the service account; retried once on a new connection when the kept
    /// one broke (the directory restarted).
    async fn search(
        &self,
        base: &str,
        filter: &str,
        attrs: &[&str],
    ) -> Result<Vec<SearchEntry>, Failure> {
        let mut last = String::new();
        for fresh in [false, true] {
            let mut ldap = self.service(fresh).await?;
            match ldap
                .with_timeout(self.timeout())
                .search(base, Scope::Subtree, filter, attrs.to_vec())
                .await
                .and_then(|r| r.success())
            {
                Ok((entries, _)) => {
                    return Ok(entries.into_iter().map(SearchEntry::construct).collect());
                }
                Err(e) => last = format!("search failed: {e}"),
            }
        }
        *self.service.lock().await = None;
        Err(last)
    }

    /// The one person `username` names, if exactly one.
    async fn find(&self, username: &str) -> Result<Option<SearchEntry>, Failure> {
        let s = &self.settings;
        let filter = s.user_filter.replace("{username}", &ldap_escape(username));
        let attrs = [
            s.username_attribute.as_str(),
            s.email_attribute.as_str(),
            s.name_attribute.as_str(),
        ];
        let mut found = self.search(&s.user_base, &filter, &attrs).await?;
        Ok((found.len() == 1).then(|| found.remove(0)))
    }

    fn first(attrs: &HashMap<String, Vec<String>>, name: &str) -> Option<String> {
        attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.first())
            .filter(|v| !v.trim().is_empty())
            .cloned()
    }

    async fn roles_of(&self, dn: &str) -> Result<Vec<String>, Failure> {
        let s = &self.settings;
        let Some(base) = &s.group_base else {
            return Ok(Vec::new());
        };
        let filter = s.group_filter.replace("{dn}", &ldap_escape(dn));
        let groups = self
            .search(base, &filter, &[s.group_name_attribute.as_str()])
            .await?;
        let names: Vec<String> = groups
            .iter()
            .filter_map(|g| Self::first(&g.attrs, &s.group_name_attribute))
            .collect();
        let mut roles = Vec::new();
        for (group, role) in s.role_map() {
            if names.iter().any(|n| n.eq_ignore_ascii_case(&group)) && !roles.contains(&role) {
                roles.push(role);
            }
        }
        Ok(roles)
    }

    /// Checks `password` by binding as the person `username` names.
    pub async fn check(&self, username: &str, password: &Secret<String>) -> Checked {
        // An empty password would be an unauthenticated bind, which "succeeds"
        // (RFC 4513 §5.1.2): never a sign-in.
        if password.expose().is_empty() {
            return Checked::Refused;
        }
        let entry = match self.find(username).await {
            Ok(Some(e)) => e,
            Ok(None) => return Checked::Refused,
            Err(e) => return Checked::Unavailable(e),
        };
        let mut user_conn = match self.connect().await {
            Ok(c) => c,
            Err(e) => return Checked::Unavailable(e),
        };
        let bound = user_conn
            .with_timeout(self.timeout())
            .simple_bind(&entry.dn, password.expose())
            .await;
        let _ = user_conn.unbind().await;
        match bound {
            Ok(r) if r.rc == 0 => {}
            // 49: invalidCredentials (RFC 4511 §4.1.9), and any other refusal.
            Ok(_) => return Checked::Refused,
            Err(e) => return Checked::Unavailable(format!("bind failed: {e}")),
        }
        let roles = match self.roles_of(&entry.dn).await {
            Ok(r) => r,
            Err(e) => return Checked::Unavailable(e),
        };
        let s = &self.settings;
        Checked::Person(Person {
            username: Self::first(&entry.attrs, &s.username_attribute)
                .unwrap_or_else(|| username.to_string()),
            email: Self::first(&entry.attrs, &s.email_attribute),
            name: Self::first(&entry.attrs, &s.name_attribute),
            roles,
            dn: entry.dn,
        })
    }

    /// Whether groups give roles (`ldap.group_base` set): then the directory decides a
    /// person's roles at each sign-in.
    pub fn maps_roles(&self) -> bool {
        self.settings.group_base.is_some()
    }

    /// Whether the person is still in the directory (for refresh): `Err` when it cannot
    /// be asked.
    pub async fn still_there(&self, username: &str) -> Result<bool, Failure> {
        Ok(self.find(username).await?.is_some())
    }
}
