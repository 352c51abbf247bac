//! Request bodies read with a size limit whose refusal each endpoint answers in its own
//! shape (RFC 6749 JSON at the token endpoints, our HTML page elsewhere), instead of
//! actix-web's plain-text 413.

use actix_web::web;
use futures_core::Stream;

/// Bodies of the token, revocation and introspection endpoints (RFC 6749 forms are small).
pub const FORM_LIMIT: usize = 16 * 1024;
/// Bodies of `/authorize`, `/logout` and `/userinfo` POSTs.
pub const PAGE_FORM_LIMIT: usize = 64 * 1024;

/// Why a body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    TooLarge,
    Incomplete,
}

/// Reads the whole body, refusing it as soon as it passes `limit` bytes (by its
/// `Content-Length` or as it arrives).
pub async fn read<S>(
    req: &actix_web::HttpRequest,
    mut payload: S,
    limit: usize,
) -> Result<web::Bytes, BodyError>
where
    S: Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>> + Unpin,
{
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(BodyError::TooLarge);
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut payload).poll_next(cx)).await
    {
        let chunk = chunk.map_err(|_| BodyError::Incomplete)?;
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
