//! The API's one error type: client errors carry a message a person can act on, in
//! cargo's shape `{"errors":[{"detail":"…"}]}`; server errors are logged, never exposed.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use wharf_core::FieldErrors;
use wharf_db::DbError;

pub type ApiResult<T> = Result<T, ApiError>;

/// The body of every error answer: cargo's shape, one entry per problem.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// At least one entry.
    #[schema(min_items = 1)]
    pub errors: Vec<ErrorDetail>,
}

/// One problem, in words a person can act on.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub detail: String,
    /// The field to correct (`422` only; `body` for the body as a whole).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub field: Option<String>,
}

impl ErrorDetail {
    fn new(detail: impl Into<String>) -> Self {
        ErrorDetail { detail: detail.into(), field: None }
    }
}

/// 401: the request needs a signed-in user.
pub fn unauthenticated() -> ApiError {
    ApiError::Unauthorized("Sign in, or send a personal access token (Authorization: Bearer <token>).".into())
}

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
    /// 429 or 503, with how long to wait.
    #[error("{message}")]
    Busy { status: StatusCode, message: String, retry_after: u64 },
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

    pub fn status(&self) -> StatusCode {
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
            ApiError::Busy { status, .. } => *status,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        wharf_service::CoreError::from(err).into()
    }
}

/// The one mapping from the core's error kinds to REST (and cargo web API) statuses.
impl From<wharf_service::CoreError> for ApiError {
    fn from(err: wharf_service::CoreError) -> Self {
        use wharf_service::CoreError as E;
        match err {
            E::NotFound(message) => ApiError::NotFound(message),
            E::Denied(wharf_auth::Denied::Unauthenticated) => unauthenticated(),
            E::Denied(wharf_auth::Denied::Forbidden(message)) => ApiError::Forbidden(message),
            E::BadCredentials(message) => ApiError::Unauthorized(message),
            E::Invalid(errors) => ApiError::Invalid(errors),
            E::Conflict(message) => ApiError::Conflict(message),
            E::TooLarge(message) => ApiError::PayloadTooLarge(message),
            E::BadBody(message) => ApiError::BadRequest(message),
            E::Withheld(message) => ApiError::Forbidden(message),
            E::UpstreamFailed(message) => ApiError::Busy { status: StatusCode::BAD_GATEWAY, message, retry_after: 5 },
            E::Limited { message, retry_after } => {
                ApiError::Busy { status: StatusCode::TOO_MANY_REQUESTS, message, retry_after }
            }
            E::Unavailable { message, retry_after } => {
                ApiError::Busy { status: StatusCode::SERVICE_UNAVAILABLE, message, retry_after }
            }
            E::Internal(e) => ApiError::Internal(e),
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
                .map(|e| ErrorDetail { detail: format!("{}: {}", e.field, e.message), field: Some(e.field.clone()) })
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
                vec![ErrorDetail::new("Internal server error; the server log has the details.")]
            }
            other => vec![ErrorDetail::new(other.to_string())],
        };
        let mut response = (status, Json(ErrorBody { errors })).into_response();
        if let ApiError::Busy { retry_after, .. } = &self {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, (*retry_after).into());
        }
        response
    }
}
