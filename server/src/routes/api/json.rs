//! A JSON body extractor whose refusals are API errors a person can act on.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::header,
};
use serde::de::DeserializeOwned;
use std::{convert::Infallible, marker::PhantomData};
use wharf_service::{Core, Need, Principal};

use crate::error::ApiError;

/// A JSON body not read yet. The only way to its value is [`Unread::read_after`] (or
/// [`Unread::read_list_after`]), which first asks the core whether the caller may make the
/// change: so no REST route reads a body before it knows the caller may send it, by
/// construction. Reading then refuses a wrong content type (415), malformed JSON (400),
/// JSON that is not an object (or array) or of the wrong shape (422) and an oversized body
/// (413), each in the API's error shape.
pub struct Unread<T> {
    request: Request,
    of: PhantomData<fn() -> T>,
}

impl<S: Send + Sync, T> FromRequest<S> for Unread<T> {
    type Rejection = Infallible;

    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Unread { request, of: PhantomData })
    }
}

impl<T: DeserializeOwned> Unread<T> {
    /// The body, a JSON object, once the core admits `caller` to a change that needs `need`.
    pub async fn read_after(self, core: &Core, caller: &Principal, need: Need<'_>) -> Result<T, ApiError> {
        wharf_service::admit(core, caller, need).await?;
        read_json(self.request, false).await
    }
}

impl<T: DeserializeOwned> Unread<Vec<T>> {
    /// The body, a JSON array, once the core admits `caller` to a change that needs `need`.
    pub async fn read_list_after(self, core: &Core, caller: &Principal, need: Need<'_>) -> Result<Vec<T>, ApiError> {
        wharf_service::admit(core, caller, need).await?;
        read_json(self.request, true).await
    }
}

/// Reads a JSON body that must be an object (or, with `array`, an array).
async fn read_json<T: DeserializeOwned>(req: Request, array: bool) -> Result<T, ApiError> {
    {
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let mime = content_type.split(';').next().unwrap_or("").trim();
        if !(mime == "application/json" || mime.ends_with("+json")) {
            return Err(ApiError::UnsupportedMediaType(format!(
                "Send the body as JSON with 'Content-Type: application/json' (got {:?}).",
                if content_type.is_empty() { "no content type" } else { content_type }
            )));
        }
        let bytes = Bytes::from_request(req, &()).await.map_err(|rejection| {
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
