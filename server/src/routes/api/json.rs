//! A JSON body extractor whose refusals are API errors a person can act on.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::header,
};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Like `axum::Json`, but a wrong content type is 415, malformed JSON 400, JSON that is not
/// an object or of the wrong shape 422 and an oversized body 413, each in the API's error
/// shape.
pub struct ApiJson<T>(pub T);

/// [`ApiJson`] for bodies that are a JSON array of `T`.
pub struct ApiJsonList<T>(pub Vec<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        read_json(req, state, false).await.map(ApiJson)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJsonList<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        read_json(req, state, true).await.map(ApiJsonList)
    }
}

/// Reads a JSON body that must be an object (or, with `array`, an array).
async fn read_json<S: Send + Sync, T: DeserializeOwned>(req: Request, state: &S, array: bool) -> Result<T, ApiError> {
    {
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
        let json: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::BadRequest(format!("The body is not valid JSON: {e}.")))?;
        if array && !json.is_array() {
            return Err(ApiError::invalid("body", "The body must be a JSON array."));
        }
        if !array && !json.is_object() {
            return Err(ApiError::invalid("body", "The body must be a JSON object."));
        }
        let value = serde_path_to_error::deserialize(json).map_err(|err| {
            let path = err.path().to_string();
            let field = if path == "." { "body".to_owned() } else { path };
            ApiError::invalid(&field, err.into_inner().to_string())
        })?;
        Ok(value)
    }
}
