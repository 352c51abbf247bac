//! Operator actions on clients and users (used by the CLI, later by admin endpoints).
//! Each change and its audit entry are written in one transaction.

mod clients;
pub mod mfa;
pub mod registration;
mod registration_tokens;
mod users;

pub use clients::{
    create_client, delete_client, revoke_client_tokens, rotate_client_secret, update_client,
};
pub use registration_tokens::{TOKEN_BYTES, create_registration_token, revoke_registration_token};
pub use users::{
    UserChange, create_user, delete_user, set_password, set_user_disabled, update_user,
    vouch_for_email,
};

use crate::domain::password::PasswordError;
use crate::domain::registration::ClientError;
use crate::domain::user::UserError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    User(#[from] UserError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(
        "the name `{0}` is taken: a client or a user already has it (client ids and usernames are one namespace)"
    )]
    DuplicateClient(String),
    #[error(
        "`{0}` is a user's subject identifier: client ids and user subjects share the `sub` claim of access tokens, so a client id may not equal one"
    )]
    SubjectTaken(String),
    #[error(
        "the name `{0}` is taken: a user or a client already has it (usernames and client ids are one namespace)"
    )]
    DuplicateUser(String),
    #[error("no client with id `{0}`")]
    ClientNotFound(String),
    #[error("no user named `{0}`")]
    UserNotFound(String),
    #[error("no registration token with id `{0}`")]
    RegistrationTokenNotFound(String),
    #[error("client `{0}` authenticates without a shared secret; there is none to rotate")]
    NoSecret(String),
    /// The caller based its change on a version that is no longer current (a lost write
    /// prevented, RFC 9110 §13.1.1).
    #[error("the resource changed since it was read; read it again and reapply the change")]
    PreconditionFailed,
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ManageError {
    fn from(e: StoreError) -> Self {
        ManageError::Store(e)
    }
}

impl From<diesel::result::Error> for ManageError {
    fn from(e: diesel::result::Error) -> Self {
        ManageError::Store(e.into())
    }
}

/// The audit actor for changes made from the command line.
pub const CLI_ACTOR: &str = "cli";
