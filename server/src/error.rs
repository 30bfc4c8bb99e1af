//! The API's one error type: client errors carry a message a person can act on, in
//! cargo's shape `{"errors":[{"detail":"…"}]}`; server errors are logged, never exposed.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;
use wharf_core::FieldErrors;
use wharf_db::DbError;

pub type ApiResult<T> = Result<T, ApiError>;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The server cannot take this now; the client may try again shortly.
    #[error("{0}")]
    Unavailable(String),
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// A single-field validation error.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::default();
        errors.push(field, message);
        ApiError::Invalid(errors)
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::NotFound(message) => ApiError::NotFound(message),
            DbError::Conflict(message) => ApiError::Conflict(message),
            other => ApiError::Internal(Box::new(other)),
        }
    }
}

impl From<wharf_auth::Denied> for ApiError {
    fn from(denied: wharf_auth::Denied) -> Self {
        match denied {
            wharf_auth::Denied::Unauthenticated => crate::routes::api::unauthenticated(),
            wharf_auth::Denied::Forbidden(message) => ApiError::Forbidden(message),
        }
    }
}

impl From<wharf_auth::CheckError> for ApiError {
    fn from(err: wharf_auth::CheckError) -> Self {
        match err {
            wharf_auth::CheckError::Denied(denied) => denied.into(),
            wharf_auth::CheckError::Db(e) => e.into(),
        }
    }
}

impl From<wharf_auth::roles::RoleChangeError> for ApiError {
    fn from(err: wharf_auth::roles::RoleChangeError) -> Self {
        use wharf_auth::roles::RoleChangeError as E;
        match err {
            E::Denied(denied) => denied.into(),
            E::Invalid(errors) => ApiError::Invalid(errors),
            E::Db(e) => e.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let errors = match &self {
            ApiError::Invalid(fields) => fields
                .0
                .iter()
                .map(|e| json!({ "detail": format!("{}: {}", e.field, e.message), "field": e.field }))
                .collect(),
            ApiError::Internal(source) => {
                let mut chain = source.to_string();
                let mut cause = source.source();
                while let Some(c) = cause {
                    chain.push_str(": ");
                    chain.push_str(&c.to_string());
                    cause = c.source();
                }
                tracing::error!(error = %chain, "request failed");
                vec![json!({ "detail": "Internal server error; the server log has the details." })]
            }
            other => vec![json!({ "detail": other.to_string() })],
        };
        (status, Json(json!({ "errors": errors }))).into_response()
    }
}
