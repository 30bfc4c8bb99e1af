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
    /// An error in the page's address that this server did not sign (someone else's text
    /// in a link): never shown.
    #[error("")]
    Unverified,
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
                crate::status::refuse_with(400);
                PortalError::Refused(format!("The request is incomplete or malformed: {message}"))
            }
            other => PortalError::Server(other.to_string()),
        }
    }

    /// The JSON of the error and, on the server, a tag signing it (`JSON \n hex(HMAC)`).
    /// The tag is what lets a page tell an error the server produced (in the address of a
    /// plain form post's redirect) from one written into a link by someone else.
    fn ser(&self) -> leptos::server_fn::Bytes {
        let json = serde_json_bytes(self);
        #[cfg(feature = "ssr")]
        let json = crate::signing::signed(json);
        json.into()
    }

    fn de(data: leptos::server_fn::Bytes) -> Self {
        #[cfg(feature = "ssr")]
        let Some(json) = crate::signing::verified(&data) else {
            return PortalError::Unverified;
        };
        // In the browser the bytes are a server function's own answer: drop the tag.
        #[cfg(not(feature = "ssr"))]
        let json = data.split(|b| *b == b'\n').next().unwrap_or_default();
        <JsonEncoding as leptos::server_fn::Decodes<Self>>::decode(leptos::server_fn::Bytes::copy_from_slice(json))
            .unwrap_or_else(|e| PortalError::Server(format!("an unreadable error from the server ({e})")))
    }
}

fn serde_json_bytes(error: &PortalError) -> Vec<u8> {
    <JsonEncoding as leptos::server_fn::Encodes<PortalError>>::encode(error)
        .map(|b| b.to_vec())
        .unwrap_or_else(|_| br#"{"Server":"the error could not be encoded"}"#.to_vec())
}
