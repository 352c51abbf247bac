//! The `login_failures` table: sign-in failure counters shared by every instance (see
//! `session::throttle`). An attempt is reserved with one `UPDATE … RETURNING` per counter,
//! so concurrent attempts on any instance each get their own number.

use diesel::prelude::*;

use super::schema::login_failures;
use super::{DbConnection, StoreError};
use crate::clock::UnixTime;

/// Counts one more attempt under `key`; returns its number and the time of the one
/// before it (0 when none).
pub fn reserve(
    conn: &mut DbConnection,
    key: &str,
    now: UnixTime,
) -> Result<(i64, UnixTime), StoreError> {
    for _ in 0..3 {
        let updated: Option<(i64, i64)> = diesel::update(login_failures::table.find(key))
            .set((
                login_failures::failures.eq(login_failures::failures + 1),
                login_failures::previous_failure.eq(login_failures::last_failure),
                login_failures::last_failure.eq(now),
            ))
            .returning((login_failures::failures, login_failures::previous_failure))
            .get_result(conn)
            .optional()?;
        if let Some(found) = updated {
            return Ok(found);
        }
        let inserted = conn.transaction(|c| {
            diesel::insert_into(login_failures::table)
                .values((
                    login_failures::key.eq(key),
                    login_failures::failures.eq(1),
                    login_failures::previous_failure.eq(0),
                    login_failures::last_failure.eq(now),
                ))
                .execute(c)
        });
        match inserted.map_err(StoreError::from) {
            Ok(_) => return Ok((1, 0)),
            // Another attempt inserted it first: count on top of it.
            Err(StoreError::Duplicate) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Corrupt(format!(
        "cannot reserve a sign-in attempt under {key}"
    )))
}

/// Gives back an attempt that turned out to be a success: it was reserved as a possible
/// failure, and successes must never slow anyone down.
pub fn release(conn: &mut DbConnection, key: &str) -> Result<(), StoreError> {
    diesel::update(
        login_failures::table
            .find(key)
            .filter(login_failures::failures.gt(0)),
    )
    .set((
        login_failures::failures.eq(login_failures::failures - 1),
        login_failures::last_failure.eq(login_failures::previous_failure),
    ))
    .execute(conn)?;
    Ok(())
}

/// The failures counted under `key` (0 when none).
pub fn failures(conn: &mut DbConnection, key: &str) -> Result<i64, StoreError> {
    Ok(login_failures::table
        .find(key)
        .select(login_failures::failures)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// Forgets a counter (a successful sign-in clears its (account, source) counter).
pub fn clear(conn: &mut DbConnection, key: &str) -> Result<(), StoreError> {
    diesel::delete(login_failures::table.find(key)).execute(conn)?;
    Ok(())
}

/// How many counters exist (for the operator's view and the flood tests).
pub fn count(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(login_failures::table.count().get_result(conn)?)
}
