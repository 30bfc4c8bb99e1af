//! Who is calling and what they may do. Credentials (Argon2id passwords, personal access
//! tokens, browser sessions stored in the database), sign-in with rate limits, and
//! [`access`], the one module that decides every permission (a feed's, an organization's
//! and the instance's). Shared by the
//! server's routes and the portal's server functions.

pub mod access;
pub mod accounts;
mod password;
mod principal;
pub mod roles;
pub mod session;
pub mod sign_in;
mod token;

pub use access::{
    CheckError, Denied, FeedAction, FeedStanding, InstanceAction, OrgAction, Principal, authorize, authorize_instance,
    check, check_org,
};
pub use password::{
    HASH_RETRY_AFTER_SECS, HashingBusy, MAX_PASSWORD_LEN, MIN_PASSWORD_LEN, PasswordError, bounded, hash_password,
    hashing_peak, verify_password,
};
pub use principal::{PrincipalError, principal_from_headers, principal_from_session};
pub use token::{
    GeneratedToken, IssueError, MAX_EXPIRY_DAYS, TOKEN_PREFIX, check_token_request, generate_token, hash_token,
    issue_token, token_from_header,
};
