//! Credentials: password hashing and personal access tokens. Who may do what is decided
//! elsewhere; this module only establishes who is calling.

mod password;
mod principal;
mod token;

pub use password::{PasswordError, hash_password, verify_password};
pub use principal::{PrincipalError, principal_from_headers};
pub use token::{
    GeneratedToken, IssueError, MAX_EXPIRY_DAYS, TOKEN_PREFIX, check_token_request, generate_token, hash_token,
    issue_token, token_from_header,
};
