//! A JSON body extractor whose refusals are API errors a person can act on.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::header,
};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Like `axum::Json`, but a wrong content type is 415, malformed JSON 400, JSON of the
/// wrong shape 422 and an oversized body 413, each in the API's error shape.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let mime = content_type.split(';').next().unwrap_or("").trim();
        if !(mime == "application/json" || mime.ends_with("+json")) {
            return Err(ApiError::UnsupportedMediaType(format!(
                "Send the body as JSON with 'Content-Type: application/json' (got {:?}).",
                if content_type.is_empty() { "no content type" } else { content_type }
            )));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(format!(
                    "The body is larger than the {} KiB this endpoint accepts.",
                    crate::routes::FORM_BODY_LIMIT / 1024
                ))
            } else {
                ApiError::BadRequest(format!("The body could not be read: {rejection}."))
            }
        })?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
            let path = err.path().to_string();
            let inner = err.into_inner();
            let at = if path == "." { String::new() } else { format!(" at '{path}'") };
            match inner.classify() {
                serde_json::error::Category::Data => ApiError::invalid(
                    if path == "." { "body" } else { &path },
                    format!("{inner}"),
                ),
                _ => ApiError::BadRequest(format!("The body is not valid JSON{at}: {inner}.")),
            }
        })?;
        de.end().map_err(|e| ApiError::BadRequest(format!("The body has data after the JSON value: {e}.")))?;
        Ok(ApiJson(value))
    }
}
