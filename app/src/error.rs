//! The one error type of the portal's server functions.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use wharf_core::FieldErrors;

use crate::model::FeedFormValues;

/// Errors a server function reports to the portal; every message is fit to show.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum PortalError {
    #[error("{0}")]
    NotFound(String),
    /// Sign in first (HTTP 401).
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but not allowed (HTTP 403).
    #[error("{0}")]
    Forbidden(String),
    /// The form as a whole was refused (wrong password, expired form, too many attempts).
    #[error("{0}")]
    Refused(String),
    /// Fields to correct, by field name.
    #[error("Correct the fields marked below.")]
    Fields(FieldErrors),
    /// A form with fields to correct, and what it held.
    #[error("Correct the fields marked below.")]
    Invalid { errors: FieldErrors, values: Box<FeedFormValues> },
    #[error("Something went wrong on the server: {0}. Try again; if it persists, check the server log.")]
    Server(String),
}

impl PortalError {
    /// The message for one form field, if the error is about it.
    pub fn field(&self, field: &str) -> Option<String> {
        match self {
            PortalError::Invalid { errors, .. } | PortalError::Fields(errors) => errors.get(field).map(str::to_owned),
            _ => None,
        }
    }
}

impl FromServerFnError for PortalError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // On the server: arguments the portal's own forms never send (a client error,
            // not the server's).
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::Deserialization(message) => {
                crate::ssr::refuse_with(400);
                PortalError::Refused(format!("The request is incomplete or malformed: {message}"))
            }
            other => PortalError::Server(other.to_string()),
        }
    }
}
