//! `[ldap]`: people who live in an LDAP directory (OpenLDAP, Active Directory) sign in
//! with their directory password.

use serde::Deserialize;

use super::ConfigError;
use super::validate::invalid;
use crate::domain::secret::Secret;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LdapSettings {
    /// `ldap://host:389` or `ldaps://host:636`. Unset: no directory.
    pub url: Option<String>,
    /// Upgrade an `ldap://` connection with StartTLS (RFC 4513 §3) before binding.
    pub starttls: bool,
    /// The service account that searches (unset: anonymous search).
    pub bind_dn: Option<String>,
    /// Its password. A secret: never logged.
    pub bind_password: Option<Secret<String>>,
    /// Where people are, e.g. `ou=people,dc=example,dc=org`.
    pub user_base: String,
    /// Finds one person; `{username}` is replaced (escaped, RFC 4515).
    pub user_filter: String,
    pub username_attribute: String,
    pub email_attribute: String,
    pub name_attribute: String,
    /// Where groups are; unset: no roles from the directory.
    pub group_base: Option<String>,
    /// A person's groups; `{dn}` is replaced (escaped) by the person's DN.
    pub group_filter: String,
    pub group_name_attribute: String,
    /// `group=role` pairs: members of the group get the role.
    pub group_roles: Vec<String>,
    /// Each directory operation's time limit.
    pub timeout_secs: u64,
    /// A PEM file of the CA that signed the directory's certificate, trusted besides the
    /// system's (ldaps:// and StartTLS).
    pub ca_file: Option<std::path::PathBuf>,
}

impl Default for LdapSettings {
    fn default() -> Self {
        Self {
            url: None,
            starttls: false,
            bind_dn: None,
            bind_password: None,
            user_base: String::new(),
            user_filter: "(uid={username})".into(),
            username_attribute: "uid".into(),
            email_attribute: "mail".into(),
            name_attribute: "cn".into(),
            group_base: None,
            group_filter: "(member={dn})".into(),
            group_name_attribute: "cn".into(),
            group_roles: Vec::new(),
            timeout_secs: 5,
            ca_file: None,
        }
    }
}

impl LdapSettings {
    /// The `group=role` pairs.
    pub fn role_map(&self) -> Vec<(String, String)> {
        self.group_roles
            .iter()
            .filter_map(|p| p.split_once('='))
            .map(|(g, r)| (g.trim().to_string(), r.trim().to_string()))
            .collect()
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let Some(url) = &self.url else {
            return Ok(());
        };
        if !(url.starts_with("ldap://") || url.starts_with("ldaps://")) {
            return Err(invalid("ldap.url", "must start with ldap:// or ldaps://"));
        }
        if self.starttls && url.starts_with("ldaps://") {
            return Err(invalid(
                "ldap.starttls",
                "is for ldap:// URLs (ldaps:// is TLS already)",
            ));
        }
        if self.user_base.trim().is_empty() {
            return Err(invalid("ldap.user_base", "must name where people are"));
        }
        if !self.user_filter.contains("{username}") {
            return Err(invalid("ldap.user_filter", "must contain {username}"));
        }
        if self.group_base.is_some() && !self.group_filter.contains("{dn}") {
            return Err(invalid("ldap.group_filter", "must contain {dn}"));
        }
        if self.bind_dn.is_some() != self.bind_password.is_some() {
            return Err(invalid(
                "ldap.bind_password",
                "and ldap.bind_dn go together",
            ));
        }
        if self.group_roles.iter().any(|p| {
            p.split_once('=')
                .is_none_or(|(g, r)| g.trim().is_empty() || r.trim().is_empty())
        }) {
            return Err(invalid("ldap.group_roles", "takes group=role pairs"));
        }
        if !(1..=60).contains(&self.timeout_secs) {
            return Err(invalid("ldap.timeout_secs", "must be between 1 and 60"));
        }
        Ok(())
    }
}
