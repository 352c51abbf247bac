//! actix-web extractors: `Authenticated` for any valid token, `RequireScope<S>` and
//! `RequireRole<R>` for tokens that also carry a scope or role.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use crate::{Claims, Guard, GuardError};

/// A scope or role name as a type, for the extractors:
/// `struct OrdersRead; impl Name for OrdersRead { const NAME: &'static str = "orders.read"; }`
pub trait Name {
    const NAME: &'static str;
}

/// A request with a valid bearer token.
pub struct Authenticated(pub Claims);

/// A valid token that carries the scope `S::NAME`.
pub struct RequireScope<S: Name>(pub Claims, PhantomData<S>);

/// A valid token whose `roles` include `R::NAME`.
pub struct RequireRole<R: Name>(pub Claims, PhantomData<R>);

type Fut<T> = Pin<Box<dyn Future<Output = Result<T, GuardError>>>>;

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

async fn authenticate(
    guard: Option<web::Data<Guard>>,
    token: Option<String>,
) -> Result<Claims, GuardError> {
    let guard = guard.ok_or(GuardError::NotConfigured)?;
    let token = token.ok_or(GuardError::Missing)?;
    guard.verify(&token).await
}

impl FromRequest for Authenticated {
    type Error = GuardError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let (guard, token) = (req.app_data::<web::Data<Guard>>().cloned(), bearer(req));
        Box::pin(async move { authenticate(guard, token).await.map(Authenticated) })
    }
}

impl<S: Name + 'static> FromRequest for RequireScope<S> {
    type Error = GuardError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let (guard, token) = (req.app_data::<web::Data<Guard>>().cloned(), bearer(req));
        Box::pin(async move {
            let claims = authenticate(guard, token).await?;
            if !claims.has_scope(S::NAME) {
                return Err(GuardError::InsufficientScope(S::NAME.to_string()));
            }
            Ok(RequireScope(claims, PhantomData))
        })
    }
}

impl<R: Name + 'static> FromRequest for RequireRole<R> {
    type Error = GuardError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let (guard, token) = (req.app_data::<web::Data<Guard>>().cloned(), bearer(req));
        Box::pin(async move {
            let claims = authenticate(guard, token).await?;
            if !claims.has_role(R::NAME) {
                return Err(GuardError::InsufficientScope(format!("role {}", R::NAME)));
            }
            Ok(RequireRole(claims, PhantomData))
        })
    }
}
