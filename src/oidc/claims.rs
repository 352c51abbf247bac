//! UserInfo claims by scope (OpenID Connect Core §5.4). Only claims the user has are
//! returned; empty values are never sent as strings.

use serde_json::{Map, Value, json};

use crate::domain::scope::Scope;
use crate::domain::user::User;

pub fn userinfo(user: &User, scope: &Scope) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("sub".into(), json!(user.id));
    if scope.contains("profile") {
        m.insert("preferred_username".into(), json!(user.username));
        if let Some(name) = &user.display_name {
            m.insert("name".into(), json!(name));
        }
        m.insert("updated_at".into(), json!(user.updated_at));
    }
    if scope.contains("email") {
        if let Some(email) = &user.email {
            m.insert("email".into(), json!(email));
            m.insert("email_verified".into(), json!(user.email_verified));
        }
    }
    m
}
