//! The `clients` table.

use super::schema::{
    cache_versions, client_keys, client_permissions, client_policies, client_registrations,
    client_versions, clients,
};
use super::{DbConnection, StoreError, json};
use crate::clock::UnixTime;
use crate::domain::audience::Audience;
use crate::domain::client::Client;
use crate::domain::client_id::ClientId;
use crate::domain::redirect_uri::RedirectUri;
use crate::domain::scope::Scope;
use crate::domain::signing_alg::SigningAlg;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = clients)]
struct ClientRow {
    id: String,
    name: String,
    is_public: bool,
    secret_hash: Option<Vec<u8>>,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    backchannel_logout_uri: Option<String>,
    grant_types: String,
    scopes: String,
    audiences: String,
    default_audience: Option<String>,
    skip_consent: bool,
    require_pkce: bool,
    token_endpoint_auth_method: String,
    created_at: i64,
    updated_at: i64,
}

/// A client's policy row: present only when one value differs from the defaults.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = client_policies)]
struct PolicyRow {
    client_id: String,
    access_token_alg: Option<String>,
    id_token_alg: Option<String>,
    require_dpop: bool,
    require_par: bool,
    profile: Option<String>,
    require_acr: Option<String>,
    /// JSON array of audiences.
    exchange_audiences: Option<String>,
    exchange_impersonate: bool,
}

impl PolicyRow {
    fn of(c: &Client) -> Option<Self> {
        let row = PolicyRow {
            client_id: c.id.to_string(),
            access_token_alg: c.access_token_alg.map(|a| a.to_string()),
            id_token_alg: c.id_token_alg.map(|a| a.to_string()),
            require_dpop: c.require_dpop,
            require_par: c.require_par,
            profile: c.profile.map(|p| p.to_string()),
            require_acr: c.require_acr.map(|l| l.as_acr().to_string()),
            exchange_audiences: (!c.exchange_audiences.is_empty()).then(|| {
                let list: Vec<&str> = c.exchange_audiences.iter().map(Audience::as_str).collect();
                serde_json::json!(list).to_string()
            }),
            exchange_impersonate: c.exchange_impersonate,
        };
        let default = row.access_token_alg.is_none()
            && row.id_token_alg.is_none()
            && !row.require_dpop
            && !row.require_par
            && row.profile.is_none()
            && row.require_acr.is_none()
            && row.exchange_audiences.is_none()
            && !row.exchange_impersonate;
        (!default).then_some(row)
    }

    fn apply(self, c: &mut Client) -> Result<(), StoreError> {
        let alg = |column: &str, v: Option<String>| -> Result<Option<SigningAlg>, StoreError> {
            v.map(|a| a.parse())
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
        };
        c.access_token_alg = alg("client_policies.access_token_alg", self.access_token_alg)?;
        c.id_token_alg = alg("client_policies.id_token_alg", self.id_token_alg)?;
        c.require_dpop = self.require_dpop;
        c.require_par = self.require_par;
        c.profile = self
            .profile
            .map(|p| p.parse())
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("client_policies.profile: {e}")))?;
        c.exchange_audiences = match &self.exchange_audiences {
            None => Vec::new(),
            Some(v) => json::decode("client_policies.exchange_audiences", v)?
                .iter()
                .map(|a| Audience::from_trusted(a.as_str()))
                .collect(),
        };
        c.exchange_impersonate = self.exchange_impersonate;
        c.require_acr =
            match self.require_acr {
                None => None,
                Some(v) => Some(crate::mfa::level::Level::parse(&v).ok_or_else(|| {
                    StoreError::Corrupt(format!("client_policies.require_acr: {v}"))
                })?),
            };
        Ok(())
    }
}

impl TryFrom<ClientRow> for Client {
    type Error = StoreError;
    fn try_from(r: ClientRow) -> Result<Self, StoreError> {
        let grant_types = json::decode("clients.grant_types", &r.grant_types)?
            .iter()
            .map(|g| g.parse())
            .collect::<Result<_, _>>()
            .map_err(|e| StoreError::Corrupt(format!("clients.grant_types: {e}")))?;
        let token_endpoint_auth_method = r
            .token_endpoint_auth_method
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("clients.token_endpoint_auth_method: {e}")))?;
        let uris = |column: &str, text: &str| -> Result<Vec<RedirectUri>, StoreError> {
            Ok(json::decode(column, text)?
                .into_iter()
                .map(RedirectUri::from_stored)
                .collect())
        };
        let scopes = Scope::from_tokens(json::decode("clients.scopes", &r.scopes)?)
            .map_err(|e| StoreError::Corrupt(format!("clients.scopes: {e}")))?;
        Ok(Client {
            grant_types,
            token_endpoint_auth_method,
            redirect_uris: uris("clients.redirect_uris", &r.redirect_uris)?,
            post_logout_redirect_uris: uris(
                "clients.post_logout_redirect_uris",
                &r.post_logout_redirect_uris,
            )?,
            scopes,
            audiences: json::decode("clients.audiences", &r.audiences)?
                .into_iter()
                .map(Audience::from_trusted)
                .collect(),
            id: ClientId::from_stored(r.id),
            name: r.name,
            public: r.is_public,
            secret_hash: r.secret_hash,
            backchannel_logout_uri: r.backchannel_logout_uri,
            default_audience: r.default_audience.map(Audience::from_trusted),
            skip_consent: r.skip_consent,
            require_pkce: r.require_pkce,
            jwks: None,
            jwks_uri: None,
            permissions: Vec::new(),
            access_token_alg: None,
            id_token_alg: None,
            require_dpop: false,
            require_par: false,
            profile: None,
            require_acr: None,
            exchange_audiences: Vec::new(),
            exchange_impersonate: false,
            self_registered: false,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// The `clients` row of a validated client (timestamps and secret hash given apart).
fn row_of(reg: &Client, secret_hash: Option<Vec<u8>>, created_at: i64, now: UnixTime) -> ClientRow {
    let grant_types: Vec<String> = reg.grant_types.iter().map(|g| g.to_string()).collect();
    ClientRow {
        id: reg.id.to_string(),
        name: reg.name.clone(),
        is_public: reg.public,
        secret_hash,
        redirect_uris: json::encode(&reg.redirect_uris),
        post_logout_redirect_uris: json::encode(&reg.post_logout_redirect_uris),
        backchannel_logout_uri: reg.backchannel_logout_uri.clone(),
        grant_types: json::encode(&grant_types),
        scopes: json::encode(&reg.scopes.to_vec()),
        audiences: json::encode(&reg.audiences),
        default_audience: reg.default_audience.as_ref().map(|a| a.to_string()),
        skip_consent: reg.skip_consent,
        require_pkce: reg.require_pkce,
        token_endpoint_auth_method: reg.token_endpoint_auth_method.to_string(),
        created_at,
        updated_at: now,
    }
}

/// Writes the rows beside `clients` (keys, policy, permissions) for a client that has none.
fn insert_children(conn: &mut DbConnection, reg: &Client, now: UnixTime) -> Result<(), StoreError> {
    if reg.jwks.is_some() || reg.jwks_uri.is_some() {
        diesel::insert_into(client_keys::table)
            .values((
                client_keys::client_id.eq(reg.id.as_str()),
                client_keys::jwks.eq(&reg.jwks),
                client_keys::jwks_uri.eq(&reg.jwks_uri),
                client_keys::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    if let Some(policy) = PolicyRow::of(reg) {
        diesel::insert_into(client_policies::table)
            .values(&policy)
            .execute(conn)?;
    }
    for p in &reg.permissions {
        diesel::insert_into(client_permissions::table)
            .values((
                client_permissions::client_id.eq(reg.id.as_str()),
                client_permissions::permission.eq(p),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Inserts a newly validated client (its secret hash given apart);
/// [`StoreError::Duplicate`] if the id is taken.
pub fn insert(
    conn: &mut DbConnection,
    reg: &Client,
    secret_hash: Option<Vec<u8>>,
    now: UnixTime,
) -> Result<(), StoreError> {
    conn.transaction(|c| {
        diesel::insert_into(clients::table)
            .values(&row_of(reg, secret_hash, now, now))
            .execute(c)?;
        // One namespace with usernames (`users::insert`): a client cannot take a person's
        // name. Checked after the write, in a savepoint (as there).
        if super::users::name_is_a_username(c, reg.id.as_str())? {
            return Err(StoreError::Duplicate);
        }
        insert_children(c, reg, now)?;
        bump_version(c, reg.id.as_str())
    })
}

/// Replaces everything registrable about an existing client with a newly validated `reg`
/// of the same id: its row (keeping `created_at`), keys, policy and permissions. The
/// secret hash is set to `secret_hash`. `false` when no client has this id.
pub fn update(
    conn: &mut DbConnection,
    reg: &Client,
    secret_hash: Option<Vec<u8>>,
    now: UnixTime,
) -> Result<bool, StoreError> {
    let id = reg.id.as_str();
    let Some(created_at) = clients::table
        .find(id)
        .select(clients::created_at)
        .first::<i64>(conn)
        .optional()?
    else {
        return Ok(false);
    };
    let row = row_of(reg, secret_hash, created_at, now);
    diesel::update(clients::table.find(id))
        .set((
            clients::name.eq(&row.name),
            clients::is_public.eq(row.is_public),
            clients::secret_hash.eq(&row.secret_hash),
            clients::redirect_uris.eq(&row.redirect_uris),
            clients::post_logout_redirect_uris.eq(&row.post_logout_redirect_uris),
            clients::backchannel_logout_uri.eq(&row.backchannel_logout_uri),
            clients::grant_types.eq(&row.grant_types),
            clients::scopes.eq(&row.scopes),
            clients::audiences.eq(&row.audiences),
            clients::default_audience.eq(&row.default_audience),
            clients::skip_consent.eq(row.skip_consent),
            clients::require_pkce.eq(row.require_pkce),
            clients::token_endpoint_auth_method.eq(&row.token_endpoint_auth_method),
            clients::updated_at.eq(now),
        ))
        .execute(conn)?;
    diesel::delete(client_keys::table.find(id)).execute(conn)?;
    diesel::delete(client_policies::table.find(id)).execute(conn)?;
    diesel::delete(client_permissions::table.filter(client_permissions::client_id.eq(id)))
        .execute(conn)?;
    insert_children(conn, reg, now)?;
    bump_version(conn, id)?;
    Ok(true)
}

/// Marks client `id` changed: the table's version moves (every instance polls it) and the
/// client's row takes the new version, so instances reload only what changed since the
/// version they hold. Writers hold the version row's lock until they commit, so versions
/// become visible in order.
fn bump_version(conn: &mut DbConnection, id: &str) -> Result<(), StoreError> {
    let version: i64 = diesel::update(cache_versions::table.find("clients"))
        .set(cache_versions::version.eq(cache_versions::version + 1))
        .returning(cache_versions::version)
        .get_result(conn)?;
    // Update, else insert (MultiConnection has no upsert); a deleted client has no row.
    let stamped = diesel::update(client_versions::table.find(id))
        .set(client_versions::version.eq(version))
        .execute(conn)?;
    if stamped == 0 && find_row(conn, id)? {
        diesel::insert_into(client_versions::table)
            .values((
                client_versions::client_id.eq(id),
                client_versions::version.eq(version),
            ))
            .execute(conn)?;
    }
    crate::store::notify::notify(conn, crate::store::notify::Topic::Clients)
}

fn find_row(conn: &mut DbConnection, id: &str) -> Result<bool, StoreError> {
    let n: i64 = clients::table
        .filter(clients::id.eq(id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// What changed since `version`: the clients written after it (with everything attached),
/// and how many clients there are now (fewer than the cache would hold after applying the
/// changes means one was deleted). `None` when more than `limit` changed: reload them all.
pub fn changed_since(
    conn: &mut DbConnection,
    version: i64,
    limit: i64,
) -> Result<Option<(Vec<Client>, i64)>, StoreError> {
    let ids: Vec<String> = client_versions::table
        .filter(client_versions::version.gt(version))
        .select(client_versions::client_id)
        .limit(limit + 1)
        .load(conn)?;
    if ids.len() as i64 > limit {
        return Ok(None);
    }
    let mut changed = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(client) = find(conn, &id)? {
            changed.push(client);
        }
    }
    let total: i64 = clients::table.count().get_result(conn)?;
    Ok(Some((changed, total)))
}

/// The current version of the client table (see `bump_version`).
pub fn version(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(cache_versions::table
        .find("clients")
        .select(cache_versions::version)
        .first(conn)?)
}

fn attach_keys(conn: &mut DbConnection, clients: &mut [Client]) -> Result<(), StoreError> {
    // By id: a linear search per row made loading N clients cost N² comparisons.
    let index: std::collections::HashMap<String, usize> = clients
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.to_string(), i))
        .collect();
    let rows: Vec<(String, Option<String>, Option<String>)> = client_keys::table
        .select((
            client_keys::client_id,
            client_keys::jwks,
            client_keys::jwks_uri,
        ))
        .load(conn)?;
    for (id, jwks, uri) in rows {
        if let Some(&i) = index.get(&id) {
            clients[i].jwks = jwks;
            clients[i].jwks_uri = uri;
        }
    }
    let perms: Vec<(String, String)> = client_permissions::table
        .select((
            client_permissions::client_id,
            client_permissions::permission,
        ))
        .load(conn)?;
    for (id, p) in perms {
        if let Some(&i) = index.get(&id) {
            clients[i].permissions.push(p);
        }
    }
    let policies: Vec<PolicyRow> = client_policies::table
        .select(PolicyRow::as_select())
        .load(conn)?;
    for policy in policies {
        if let Some(&i) = index.get(&policy.client_id) {
            policy.apply(&mut clients[i])?;
        }
    }
    let registered: Vec<String> = client_registrations::table
        .select(client_registrations::client_id)
        .load(conn)?;
    for id in registered {
        if let Some(&i) = index.get(&id) {
            clients[i].self_registered = true;
        }
    }
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<Client>, StoreError> {
    let Some(row) = clients::table
        .find(id)
        .select(ClientRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let mut client = Client::try_from(row)?;
    if let Some((jwks, uri)) = client_keys::table
        .find(id)
        .select((client_keys::jwks, client_keys::jwks_uri))
        .first::<(Option<String>, Option<String>)>(conn)
        .optional()?
    {
        client.jwks = jwks;
        client.jwks_uri = uri;
    }
    client.permissions = client_permissions::table
        .filter(client_permissions::client_id.eq(id))
        .select(client_permissions::permission)
        .load(conn)?;
    if let Some(policy) = client_policies::table
        .find(id)
        .select(PolicyRow::as_select())
        .first(conn)
        .optional()?
    {
        policy.apply(&mut client)?;
    }
    let registered: i64 = client_registrations::table
        .filter(client_registrations::client_id.eq(id))
        .count()
        .get_result(conn)?;
    client.self_registered = registered > 0;
    Ok(Some(client))
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<Client>, StoreError> {
    let mut list = clients::table
        .order(clients::id)
        .select(ClientRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Client::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    attach_keys(conn, &mut list)?;
    Ok(list)
}

/// Deletes a client (its consents, codes and refresh tokens go with it by cascade).
pub fn delete(conn: &mut DbConnection, id: &str) -> Result<bool, StoreError> {
    let deleted = diesel::delete(clients::table.find(id)).execute(conn)? == 1;
    if deleted {
        bump_version(conn, id)?;
    }
    Ok(deleted)
}

pub fn set_secret_hash(
    conn: &mut DbConnection,
    id: &str,
    hash: Vec<u8>,
    now: UnixTime,
) -> Result<bool, StoreError> {
    let n = diesel::update(clients::table.find(id))
        .set((
            clients::secret_hash.eq(Some(hash)),
            clients::updated_at.eq(now),
        ))
        .execute(conn)?;
    if n == 1 {
        bump_version(conn, id)?;
    }
    Ok(n == 1)
}

/// The ids of one page of clients ordered by id (immutable, so pages stay stable while
/// clients are added), after `after`; `search` matches the id or the name.
pub fn page_ids(
    conn: &mut DbConnection,
    search: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    use super::users::{contains_pattern, lower};
    let mut query = clients::table
        .order(clients::id)
        .limit(limit)
        .select(clients::id)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(clients::id.gt(after.to_string()));
    }
    if let Some(text) = search.filter(|s| !s.is_empty()) {
        let p = contains_pattern(text);
        query = query.filter(
            lower(clients::id)
                .like(p.clone())
                .escape('\\')
                .or(lower(clients::name).like(p).escape('\\')),
        );
    }
    Ok(query.load(conn)?)
}

/// Takes the client's row lock for the rest of the transaction (see `users::lock`).
pub fn lock(conn: &mut DbConnection, id: &str) -> Result<bool, StoreError> {
    Ok(diesel::update(clients::table.find(id))
        .set(clients::updated_at.eq(clients::updated_at))
        .execute(conn)?
        == 1)
}
