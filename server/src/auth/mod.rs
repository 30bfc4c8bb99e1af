//! Credentials: password hashing and personal access tokens. Who may do what is decided
//! elsewhere; this module only establishes who is calling.

mod password;
mod token;

pub use password::{PasswordError, hash_password, verify_password};
pub use token::{GeneratedToken, TOKEN_PREFIX, generate_token, hash_token, token_from_header};
