//! Routes, wired from the one endpoint list (`endpoints`): an endpoint that is switched
//! off in `[features]` is not registered, so it answers 404 like any unknown path.

use actix_web::http::Method;
use actix_web::{Route, guard, web};

use super::{
    account, account_activity, admin_api, admin_console, authorize, cacheable, demo, device,
    discovery, feed, forward_auth, health, introspect, jwks, logout, pages, par, password_reset,
    register, revoke, signin, signup, status_list, token, userinfo,
};
use crate::config::Features;
use crate::endpoints::{self, Endpoint};

/// GET, and HEAD for caches and monitors that probe the public documents.
fn get_or_head() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

fn options() -> Route {
    web::method(Method::OPTIONS)
}

/// The route pattern of the resource a request reached, for metrics labels and spans:
/// set once per resource, read without matching the path again.
#[derive(Debug, Clone, Copy)]
pub struct RoutePattern(pub &'static str);

/// The service for one endpoint: its methods, body limits and fallbacks.
fn resource(endpoint: Endpoint) -> actix_web::Resource {
    let r = web::resource(endpoint.path()).app_data(RoutePattern(endpoint.path()));
    // The public documents and probes answer other methods like an unknown path.
    let r = match endpoint {
        Endpoint::Healthz
        | Endpoint::Readyz
        | Endpoint::Jwks
        | Endpoint::OpenidConfiguration
        | Endpoint::OauthMetadata
        | Endpoint::RevocationFeed
        | Endpoint::RevocationStream
        | Endpoint::StatusListAggregation
        | Endpoint::StatusList => r.default_service(web::to(pages::not_found_handler)),
        _ => r,
    };
    match endpoint {
        Endpoint::Healthz => r.route(web::get().to(health::healthz_handler)),
        Endpoint::Readyz => r.route(web::get().to(health::readyz_handler)),
        Endpoint::Jwks => r
            .route(get_or_head().to(jwks::jwks_handler))
            .route(options().to(cacheable::preflight_handler)),
        Endpoint::OpenidConfiguration | Endpoint::OauthMetadata => r
            .route(get_or_head().to(discovery::discovery_handler))
            .route(options().to(cacheable::preflight_handler)),
        Endpoint::Authorize => r
            .route(web::get().to(authorize::authorize_handler))
            .route(web::post().to(authorize::authorize_handler)),
        Endpoint::Login => r
            .app_data(authorize::form_config())
            .route(web::post().to(authorize::login_handler)),
        Endpoint::Consent => r
            .app_data(authorize::form_config())
            .route(web::post().to(authorize::consent_handler)),
        Endpoint::Token => r
            .route(web::post().to(token::token_handler))
            .route(options().to(token::token_preflight_handler))
            .default_service(web::to(token::token_method_not_allowed_handler)),
        Endpoint::Par => r
            .route(web::post().to(par::par_handler))
            .route(options().to(token::token_preflight_handler))
            .default_service(web::to(token::token_method_not_allowed_handler)),
        Endpoint::Userinfo => r
            .route(web::get().to(userinfo::userinfo_handler))
            .route(web::post().to(userinfo::userinfo_handler))
            .route(options().to(userinfo::userinfo_preflight_handler)),
        Endpoint::Revoke => r
            .route(web::post().to(revoke::revoke_handler))
            .route(options().to(token::token_preflight_handler))
            .default_service(web::to(token::token_method_not_allowed_handler)),
        Endpoint::Introspect => r
            .route(web::post().to(introspect::introspect_handler))
            .default_service(web::to(token::token_method_not_allowed_handler)),
        Endpoint::Logout => r
            .route(web::get().to(logout::logout_handler))
            .route(web::post().to(logout::logout_handler)),
        Endpoint::RevocationFeed => r.route(web::get().to(feed::feed_handler)),
        Endpoint::RevocationStream => r.route(web::get().to(feed::stream_handler)),
        Endpoint::StatusListAggregation => {
            r.route(get_or_head().to(status_list::aggregation_handler))
        }
        Endpoint::StatusList => r.route(get_or_head().to(status_list::status_list_handler)),
        // Gateways clone the original method or send GET: every method is asked about.
        Endpoint::ForwardAuth => r.route(web::route().to(forward_auth::forward_auth_handler)),
        Endpoint::ExtAuthz => r.route(web::route().to(forward_auth::ext_authz_handler)),
        Endpoint::SignIn => r
            .app_data(authorize::form_config())
            .route(web::get().to(signin::signin_page_handler))
            .route(web::post().to(signin::signin_handler)),
        Endpoint::LoginFactor => r
            .app_data(authorize::form_config())
            .route(web::post().to(authorize::login_factor_handler)),
        Endpoint::SignInFactor => r
            .app_data(authorize::form_config())
            .route(web::post().to(signin::signin_factor_handler)),
        Endpoint::Account => r.route(web::get().to(account::account_handler)),
        Endpoint::AccountTotp => r
            .app_data(authorize::form_config())
            .route(web::post().to(account::totp_start_handler)),
        Endpoint::AccountTotpConfirm => r
            .app_data(authorize::form_config())
            .route(web::post().to(account::totp_confirm_handler)),
        Endpoint::AccountTotpRemove => r
            .app_data(authorize::form_config())
            .route(web::post().to(account::totp_remove_handler)),
        Endpoint::AccountRecoveryCodes => r
            .app_data(authorize::form_config())
            .route(web::post().to(account::recovery_codes_handler)),
        Endpoint::LoginPasskey => r
            .app_data(authorize::form_config())
            .route(web::post().to(authorize::login_passkey_handler)),
        Endpoint::SignInPasskey => r
            .app_data(authorize::form_config())
            .route(web::post().to(signin::signin_passkey_handler)),
        Endpoint::AccountPasskeys => r
            .app_data(authorize::form_config())
            .route(web::post().to(account::passkey_add_handler)),
        Endpoint::AccountPasskeyRename => r
            .app_data(authorize::form_config())
            .route(web::post().to(account::passkey_rename_handler)),
        Endpoint::AccountPasskeyRemove => r
            .app_data(authorize::form_config())
            .route(web::post().to(account::passkey_remove_handler)),
        Endpoint::AccountSessionEnd => r
            .app_data(authorize::form_config())
            .route(web::post().to(account_activity::session_end_handler)),
        Endpoint::AccountAppRevoke => r
            .app_data(authorize::form_config())
            .route(web::post().to(account_activity::app_revoke_handler)),
        Endpoint::AccountPassword => r
            .app_data(authorize::form_config())
            .route(web::post().to(account_activity::password_handler)),
        Endpoint::AccountProfile => r
            .app_data(authorize::form_config())
            .route(web::post().to(account_activity::profile_handler)),
        Endpoint::AccountEmail => r
            .app_data(authorize::form_config())
            .route(web::post().to(account_activity::email_handler)),
        Endpoint::EmailConfirm => r
            .app_data(authorize::form_config())
            .route(web::get().to(account_activity::email_confirm_page_handler))
            .route(web::post().to(account_activity::email_confirm_handler)),
        Endpoint::SignUp => r
            .app_data(authorize::form_config())
            .route(web::get().to(signup::signup_page_handler))
            .route(web::post().to(signup::signup_handler)),
        Endpoint::SignUpConfirm => r
            .app_data(authorize::form_config())
            .route(web::get().to(signup::confirm_page_handler))
            .route(web::post().to(signup::confirm_handler)),
        Endpoint::BrandingLogo => r.route(get_or_head().to(super::look::logo)),
        Endpoint::BrandingStylesheet => r.route(get_or_head().to(super::look::stylesheet)),
        Endpoint::UpstreamStart => r.route(web::get().to(super::upstream::start_handler)),
        Endpoint::UpstreamCallback => r.route(web::get().to(super::upstream::callback_handler)),
        Endpoint::UpstreamBackchannel => r
            .app_data(super::upstream::backchannel_form_config())
            .route(web::post().to(super::upstream::backchannel_handler)),
        Endpoint::PasswordForgot => r
            .app_data(authorize::form_config())
            .route(web::get().to(password_reset::forgot_page_handler))
            .route(web::post().to(password_reset::forgot_handler)),
        Endpoint::PasswordReset => r
            .app_data(authorize::form_config())
            .route(web::get().to(password_reset::reset_page_handler))
            .route(web::post().to(password_reset::reset_handler)),
        Endpoint::DeviceAuthorization => r
            .route(web::post().to(device::device_authorization_handler))
            .route(options().to(token::token_preflight_handler))
            .default_service(web::to(token::token_method_not_allowed_handler)),
        Endpoint::Device => r.route(web::get().to(device::device_page_handler)),
        Endpoint::DeviceDecision => r
            .app_data(authorize::form_config())
            .route(web::post().to(device::device_decision_handler)),
        // Served as scopes by `configure`; these resources are never registered.
        Endpoint::AdminApi | Endpoint::AdminConsole => r,
        Endpoint::DemoStart => r.route(web::get().to(demo::demo_start_handler)),
        Endpoint::DemoCallback => r.route(web::get().to(demo::demo_callback_handler)),
        Endpoint::AdminOpenApi => r
            .route(get_or_head().to(admin_api::openapi::openapi_handler))
            .default_service(web::to(pages::not_found_handler)),
        Endpoint::Register => r
            .route(web::post().to(register::register_handler))
            .default_service(web::to(register::register_method_not_allowed_handler)),
        Endpoint::RegisterClient => r
            .route(web::get().to(register::read_handler))
            .route(web::put().to(register::update_handler))
            .route(web::delete().to(register::delete_handler))
            .default_service(web::to(register::client_method_not_allowed_handler)),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig, features: &Features) {
    for endpoint in endpoints::enabled(features) {
        match endpoint {
            Endpoint::AdminApi => {
                cfg.service(
                    web::scope(endpoint.path())
                        .app_data(RoutePattern(endpoint.path()))
                        .configure(admin_api::routes),
                );
            }
            Endpoint::AdminConsole => {
                cfg.service(
                    web::scope(endpoint.path())
                        .app_data(RoutePattern(endpoint.path()))
                        .configure(admin_console::routes),
                );
            }
            _ => {
                cfg.service(resource(endpoint));
            }
        }
    }
}
