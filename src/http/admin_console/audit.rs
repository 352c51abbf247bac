//! Console page for the audit log, newest first, with the CLI's filters.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{admin, notice, page, query_value};
use crate::admin::cursor;
use crate::http::admin_api::views::AuditView;
use crate::http::error::AppError;
use crate::http::pages;
use crate::state::AppState;
use crate::store::audit::{self, AuditQuery};

const PAGE_SIZE: i64 = 100;

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage<'a> {
    /// In English, as the whole console (`Ui::english`).
    ui: crate::http::pages::Ui,
    section: &'static str,
    admin_name: &'a str,
    notice: Option<String>,
    event: String,
    actor: String,
    user_id: String,
    client_id: String,
    entries: Vec<AuditView>,
    /// The query string of the next (older) page.
    next: Option<String>,
}

/// GET /admin/audit
pub async fn list_handler(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let admin = match admin(&req, &state).await? {
        Ok(a) => a,
        Err(res) => return Ok(res),
    };
    let field = |name: &str| query_value(&req, name);
    let some = |v: String| Some(v).filter(|v| !v.is_empty());
    let (event, actor, user_id, client_id) = (
        field("event"),
        field("actor"),
        field("user_id"),
        field("client_id"),
    );
    let before = cursor::key("audit", &field("cursor"))
        .ok()
        .and_then(|k| k.parse::<i64>().ok());
    let q = AuditQuery {
        events: some(event.clone()).into_iter().collect(),
        actor: some(actor.clone()),
        user_id: some(user_id.clone()),
        client_id: some(client_id.clone()),
        before_id: before,
        limit: PAGE_SIZE + 1,
        ..Default::default()
    };
    let rows = state.store.run(move |c| audit::list(c, &q)).await?;
    let (rows, next_key) = cursor::page(rows, PAGE_SIZE, |e| e.id.to_string());
    let next = next_key.map(|k| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("event", &event),
            ("actor", &actor),
            ("user_id", &user_id),
            ("client_id", &client_id),
        ] {
            if !value.is_empty() {
                s.append_pair(name, value);
            }
        }
        s.append_pair("cursor", &cursor::after("audit", &k));
        s.finish()
    });
    Ok(page(&req, &state, |_| {
        pages::render(
            StatusCode::OK,
            &AuditPage {
                ui: crate::http::pages::Ui::of(&req).english(),
                section: "audit",
                admin_name: &admin.signed.user.username,
                notice: notice(&req),
                event: event.clone(),
                actor: actor.clone(),
                user_id: user_id.clone(),
                client_id: client_id.clone(),
                entries: rows.into_iter().map(AuditView::from).collect(),
                next,
            },
        )
    }))
}
