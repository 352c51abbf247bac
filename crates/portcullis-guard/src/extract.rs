//! actix-web extractors: `Authenticated` for any valid token, `RequireScope<S>` and
//! `RequireRole<R>` for tokens that also carry a scope or role, `RequireAcr<A>` for tokens
//! whose user signed in strongly (and recently) enough (RFC 9470).

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

/// An authentication requirement as a type, for [`RequireAcr`]: the lowest `acr` and,
/// optionally, the longest time since the sign-in.
/// `struct Payments; impl Acr for Payments { const ACR: &'static str = "2"; const MAX_AGE: Option<i64> = Some(300); }`
pub trait Acr {
    const ACR: &'static str;
    const MAX_AGE: Option<i64> = None;
}

/// Two factors (`acr` `2`).
pub struct TwoFactors;
impl Acr for TwoFactors {
    const ACR: &'static str = "2";
}

/// Phishing-resistant: a passkey with user verification (`acr` `3`).
pub struct PhishingResistant;
impl Acr for PhishingResistant {
    const ACR: &'static str = "3";
}

/// A valid token whose user's sign-in meets `A` (RFC 9470); otherwise `401` with
/// `error="insufficient_user_authentication"`, `acr_values` and `max_age`, so the client
/// knows to ask for a step-up.
pub struct RequireAcr<A: Acr>(pub Claims, PhantomData<A>);

/// A request with a valid token: a bearer token, or a DPoP-bound one with its proof.
pub struct Authenticated(pub Claims);

/// A valid token that carries the scope `S::NAME`.
pub struct RequireScope<S: Name>(pub Claims, PhantomData<S>);

/// A valid token whose `roles` include `R::NAME`.
pub struct RequireRole<R: Name>(pub Claims, PhantomData<R>);

type Fut<T> = Pin<Box<dyn Future<Output = Result<T, GuardError>>>>;

/// What a request presents: `Authorization: Bearer|DPoP <token>`, the `DPoP` proof, and
/// the method and URL a proof must name.
struct Presented {
    token: Option<(portcullis_dpop::Scheme, String)>,
    proof: Result<Option<String>, GuardError>,
    method: String,
    url: String,
}

fn presented(req: &HttpRequest) -> Presented {
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .and_then(|(scheme, t)| {
            Some((
                portcullis_dpop::Scheme::parse(scheme)?,
                t.trim().to_string(),
            ))
        });
    let mut proofs = req.headers().get_all("dpop");
    let proof = match (proofs.next(), proofs.next()) {
        (None, _) => Ok(None),
        (Some(_), Some(_)) => Err(GuardError::InvalidProof("more than one DPoP header".into())),
        (Some(v), None) => v
            .to_str()
            .map(|s| Some(s.to_string()))
            .map_err(|_| GuardError::InvalidProof("the DPoP header is not a JWT".into())),
    };
    let configured = req
        .app_data::<web::Data<Guard>>()
        .and_then(|g| g.0.config.public_url.clone());
    let base = configured.unwrap_or_else(|| {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    });
    Presented {
        token,
        proof,
        method: req.method().as_str().to_string(),
        url: format!("{}{}", base.trim_end_matches('/'), req.path()),
    }
}

async fn authenticate(guard: Option<web::Data<Guard>>, p: Presented) -> Result<Claims, GuardError> {
    let guard = guard.ok_or(GuardError::NotConfigured)?;
    let (scheme, token) = p.token.ok_or(GuardError::Missing)?;
    match scheme {
        portcullis_dpop::Scheme::Bearer => guard.verify(&token).await,
        portcullis_dpop::Scheme::Dpop => {
            let proof = p.proof?;
            guard
                .verify_dpop(&token, proof.as_deref(), &p.method, &p.url)
                .await
        }
    }
}

impl FromRequest for Authenticated {
    type Error = GuardError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let (guard, token) = (req.app_data::<web::Data<Guard>>().cloned(), presented(req));
        Box::pin(async move { authenticate(guard, token).await.map(Authenticated) })
    }
}

impl<S: Name + 'static> FromRequest for RequireScope<S> {
    type Error = GuardError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let (guard, token) = (req.app_data::<web::Data<Guard>>().cloned(), presented(req));
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
        let (guard, token) = (req.app_data::<web::Data<Guard>>().cloned(), presented(req));
        Box::pin(async move {
            let claims = authenticate(guard, token).await?;
            if !claims.has_role(R::NAME) {
                return Err(GuardError::InsufficientScope(format!("role {}", R::NAME)));
            }
            Ok(RequireRole(claims, PhantomData))
        })
    }
}

impl<A: Acr + 'static> FromRequest for RequireAcr<A> {
    type Error = GuardError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let (guard, token) = (req.app_data::<web::Data<Guard>>().cloned(), presented(req));
        Box::pin(async move {
            let claims = authenticate(guard, token).await?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            claims.require_authentication(Some(A::ACR), A::MAX_AGE, now)?;
            Ok(RequireAcr(claims, PhantomData))
        })
    }
}
