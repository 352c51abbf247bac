//! The `users` table and what hangs off a user (sessions, refresh tokens).

use super::schema::{refresh_tokens, users};
use super::{DbConnection, StoreError, json};
use crate::clock::UnixTime;
use crate::domain::user::{User, UserProfile};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
struct UserRow {
    id: String,
    username: String,
    email: Option<String>,
    email_verified: bool,
    display_name: Option<String>,
    password_hash: String,
    roles: String,
    disabled: bool,
    created_at: i64,
    updated_at: i64,
    password_changed_at: i64,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            roles: json::decode("users.roles", &r.roles)?,
            id: r.id,
            username: r.username,
            email: r.email,
            email_verified: r.email_verified,
            display_name: r.display_name,
            password_hash: r.password_hash,
            disabled: r.disabled,
            created_at: r.created_at,
            updated_at: r.updated_at,
            password_changed_at: r.password_changed_at,
        })
    }
}

/// Inserts a user; [`StoreError::Duplicate`] if the username is taken.
pub fn insert(
    conn: &mut DbConnection,
    id: &str,
    profile: &UserProfile,
    password_hash: &str,
    now: UnixTime,
) -> Result<(), StoreError> {
    let row = UserRow {
        id: id.to_string(),
        username: profile.username.clone(),
        email: profile.email.clone(),
        email_verified: false,
        display_name: profile.display_name.clone(),
        password_hash: password_hash.to_string(),
        roles: json::encode(&profile.roles),
        disabled: false,
        created_at: now,
        updated_at: now,
        password_changed_at: now,
    };
    // Usernames and client ids are one namespace (hardening round 2, finding 7): a person
    // must never be able to take a machine's name, whatever surface creates them. Written
    // first, then checked, in a savepoint: a SQLite transaction that reads before its
    // first write cannot take the write lock under contention, and a refusal must leave
    // no row behind even when the caller's transaction goes on.
    conn.transaction(|c| {
        diesel::insert_into(users::table).values(&row).execute(c)?;
        if name_is_a_client(c, &profile.username)? {
            return Err(StoreError::Duplicate);
        }
        Ok(())
    })
}

/// Whether a client has this id, compared without case (a username is lowercase).
pub fn name_is_a_client(conn: &mut DbConnection, name: &str) -> Result<bool, StoreError> {
    use super::schema::clients;
    let n: i64 = clients::table
        .filter(lower(clients::id).eq(name.to_lowercase()))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Whether a user has this username, compared without case: a client id must not be a
/// person's name (the other half of [`insert`]'s rule).
pub fn name_is_a_username(conn: &mut DbConnection, name: &str) -> Result<bool, StoreError> {
    let n: i64 = users::table
        .filter(lower(users::username).eq(name.to_lowercase()))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn find_by_username(
    conn: &mut DbConnection,
    username: &str,
) -> Result<Option<User>, StoreError> {
    users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(User::try_from)
        .transpose()
}

pub fn find_by_id(conn: &mut DbConnection, id: &str) -> Result<Option<User>, StoreError> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(User::try_from)
        .transpose()
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<User>, StoreError> {
    users::table
        .order(users::username)
        .select(UserRow::as_select())
        .load(conn)?
        .into_iter()
        .map(User::try_from)
        .collect()
}

/// Returns the user's id, or `None` if there is no such user.
pub fn set_password_hash(
    conn: &mut DbConnection,
    username: &str,
    hash: &str,
    now: UnixTime,
) -> Result<Option<String>, StoreError> {
    Ok(
        diesel::update(users::table.filter(users::username.eq(username)))
            .set((
                users::password_hash.eq(hash),
                users::password_changed_at.eq(now),
                users::updated_at.eq(now),
            ))
            .returning(users::id)
            .get_result(conn)
            .optional()?,
    )
}

pub fn set_disabled(
    conn: &mut DbConnection,
    username: &str,
    disabled: bool,
    now: UnixTime,
) -> Result<Option<String>, StoreError> {
    Ok(
        diesel::update(users::table.filter(users::username.eq(username)))
            .set((users::disabled.eq(disabled), users::updated_at.eq(now)))
            .returning(users::id)
            .get_result(conn)
            .optional()?,
    )
}

pub fn delete(conn: &mut DbConnection, username: &str) -> Result<Option<String>, StoreError> {
    Ok(
        diesel::delete(users::table.filter(users::username.eq(username)))
            .returning(users::id)
            .get_result(conn)
            .optional()?,
    )
}

/// Ends every SSO session of the user (with back-channel logout) and revokes all their
/// refresh tokens; returns the number of sessions ended.
pub fn end_sessions_and_grants(
    conn: &mut DbConnection,
    user_id: &str,
    now: UnixTime,
) -> Result<usize, StoreError> {
    // Tokens live at most a day (the configuration's upper bound), so blocking the
    // sessions' ids that long covers every token they produced.
    let ended = super::session_end::end_user_sessions(conn, user_id, now, now + 86_400)?;
    let families: Vec<String> = refresh_tokens::table
        .filter(refresh_tokens::user_id.eq(user_id))
        .filter(refresh_tokens::revoked_at.is_null())
        .select(refresh_tokens::family_id)
        .distinct()
        .load(conn)?;
    for f in families {
        super::refresh_tokens::revoke_family(conn, &f, now)?;
    }
    Ok(ended)
}

diesel::define_sql_function! {
    /// SQL `lower()`: both backends have it; searches compare lowercased text so SQLite
    /// and PostgreSQL (whose `LIKE` is case-sensitive) answer alike.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// `%text%` for `LIKE … ESCAPE '\'`, with the caller's wildcards taken literally.
pub fn contains_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for ch in text.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

/// One page of users ordered by id (the immutable key, so pages stay stable while users
/// are added), starting after `after`; `search` matches username, email or display name.
pub fn page(
    conn: &mut DbConnection,
    search: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<User>, StoreError> {
    let mut query = users::table
        .order(users::id)
        .limit(limit)
        .select(UserRow::as_select())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(users::id.gt(after.to_string()));
    }
    if let Some(text) = search.filter(|s| !s.is_empty()) {
        let p = contains_pattern(text);
        query = query.filter(
            users::username
                .like(p.clone())
                .escape('\\')
                .or(lower(users::email.assume_not_null())
                    .like(p.clone())
                    .escape('\\'))
                .or(lower(users::display_name.assume_not_null())
                    .like(p)
                    .escape('\\')),
        );
    }
    query.load(conn)?.into_iter().map(User::try_from).collect()
}

/// Takes the user's row lock for the rest of the transaction (a write that changes
/// nothing), so a read-check-write sequence cannot interleave with another writer.
/// Returns whether the user exists.
pub fn lock(conn: &mut DbConnection, id: &str) -> Result<bool, StoreError> {
    Ok(diesel::update(users::table.find(id))
        .set(users::updated_at.eq(users::updated_at))
        .execute(conn)?
        == 1)
}

/// Replaces what an operator may edit; the username stays (it is how people sign in).
pub fn update_profile(
    conn: &mut DbConnection,
    id: &str,
    profile: &UserProfile,
    now: UnixTime,
) -> Result<bool, StoreError> {
    let old_email: Option<Option<String>> = users::table
        .find(id)
        .select(users::email)
        .first(conn)
        .optional()?;
    let Some(old_email) = old_email else {
        return Ok(false);
    };
    // A new address has not been verified by anyone.
    let keep_verified = old_email == profile.email;
    let n = diesel::update(users::table.find(id))
        .set((
            users::email.eq(&profile.email),
            users::display_name.eq(&profile.display_name),
            users::roles.eq(json::encode(&profile.roles)),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    if !keep_verified {
        diesel::update(users::table.find(id))
            .set(users::email_verified.eq(false))
            .execute(conn)?;
    }
    Ok(n == 1)
}

/// The user with this email address (compared without case), if exactly one has it.
pub fn find_by_email(conn: &mut DbConnection, email: &str) -> Result<Option<User>, StoreError> {
    let found: Vec<UserRow> = users::table
        .filter(lower(users::email.assume_not_null()).eq(email.trim().to_lowercase()))
        .limit(2)
        .select(UserRow::as_select())
        .load(conn)?;
    match <[UserRow; 1]>::try_from(found) {
        Ok([one]) => Ok(Some(User::try_from(one)?)),
        Err(_) => Ok(None),
    }
}

/// Marks the address verified (a mailed link reached it) or not.
pub fn set_email_verified(
    conn: &mut DbConnection,
    id: &str,
    verified: bool,
) -> Result<(), StoreError> {
    diesel::update(users::table.find(id))
        .set(users::email_verified.eq(verified))
        .execute(conn)?;
    Ok(())
}
