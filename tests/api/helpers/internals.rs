//! Every library item the tests reach into beyond `startup::Application`, `config`, `clock`
//! and `store`, in one place: when one moves, only its line here changes.

pub use portcullis::background::sweep::{SweepPolicy, sweep};
pub use portcullis::domain::opaque;
pub use portcullis::domain::password::Passwords;
pub use portcullis::domain::registration::ClientSpec;
pub use portcullis::domain::scope::is_scope_token;
pub use portcullis::domain::secret::Secret;
pub use portcullis::keys::sealed::{KEK_FILE, Kek};
pub use portcullis::manage;
pub use portcullis::state::AppState;
pub use portcullis::telemetry;

/// A fresh key-encryption key, base64, as an operator would configure it.
pub fn new_kek() -> String {
    Kek::generate().to_base64().expose().clone()
}
