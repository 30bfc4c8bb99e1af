//! Personal access tokens: `wharf_` and 64 hex digits (256 random bits). Only their sha256
//! is stored; the token itself is shown once.

use http::{HeaderMap, header};
use sha2::{Digest, Sha256};
use wharf_core::{FieldErrors, TokenScope};
use wharf_db::{Db, DbError, NewToken, TokenInfo};

/// Every token starts with this, so leaked ones are easy to recognise (and to scan for).
pub const TOKEN_PREFIX: &str = "wharf_";
/// Characters of a token kept to recognise it in listings.
const DISPLAY_PREFIX_LEN: usize = TOKEN_PREFIX.len() + 6;

/// A new token: the secret (show it once) and what is stored.
pub struct GeneratedToken {
    pub secret: String,
    pub hash: String,
    pub display_prefix: String,
}

pub fn generate_token() -> GeneratedToken {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator");
    let secret = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
    GeneratedToken { hash: hash_token(&secret), display_prefix: secret[..DISPLAY_PREFIX_LEN].to_owned(), secret }
}

/// Longest token lifetime accepted, in days.
pub const MAX_EXPIRY_DAYS: u32 = 3650;

/// Why a token could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What is wrong with a token's name and lifetime, if anything.
pub fn check_token_request(name: &str, expires_in_days: Option<u32>) -> FieldErrors {
    let mut errors = FieldErrors::default();
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        errors.push("name", "Give the token a name of 1 to 64 characters.");
    }
    if expires_in_days.is_some_and(|d| d == 0 || d > MAX_EXPIRY_DAYS) {
        errors.push("expiresInDays", format!("Choose 1 to {MAX_EXPIRY_DAYS} days, or none for no expiry."));
    }
    errors
}

/// Creates and stores a token for `user_id`; returns what is stored and the secret, to be
/// shown once. The one place tokens are minted (portal, REST and CLI). A token minted with
/// another token (`parent`) expires no later than it, and dies with it.
pub async fn issue_token(
    db: &Db,
    user_id: i64,
    name: &str,
    scope: TokenScope,
    expires_in_days: Option<u32>,
    parent: Option<&TokenInfo>,
) -> Result<(TokenInfo, String), IssueError> {
    let errors = check_token_request(name, expires_in_days);
    if !errors.is_empty() {
        return Err(IssueError::Invalid(errors));
    }
    let name = name.trim();
    let token = generate_token();
    let new = NewToken {
        user_id,
        name,
        token_hash: &token.hash,
        prefix: &token.display_prefix,
        scope,
        expires_at: {
            let asked = expires_in_days.map(|d| wharf_db::unix_now() + i64::from(d) * 86_400);
            match (asked, parent.and_then(|p| p.expires_at)) {
                (Some(a), Some(p)) => Some(a.min(p)),
                (a, p) => a.or(p),
            }
        },
        parent_id: parent.map(|p| p.id),
    };
    Ok((db.tokens().create(&new).await?, token.secret))
}

/// The stored form of a token.
pub fn hash_token(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The token in an `Authorization` header: raw (as cargo sends it), `Bearer <token>`, or
/// `Basic base64(anything:<token>)`. `None` when there is no header.
pub fn token_from_header(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    if let Some(rest) = strip_scheme(value, "Bearer") {
        return Some(rest.trim().to_owned());
    }
    if let Some(rest) = strip_scheme(value, "Basic") {
        use base64::Engine;
        let decoded = base64::engine::general_purpose::STANDARD.decode(rest.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        return Some(text.split_once(':').map_or(text.as_str(), |(_, token)| token).to_owned());
    }
    Some(value.to_owned())
}

fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (word, rest) = value.split_once(' ')?;
    word.eq_ignore_ascii_case(scheme).then_some(rest)
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn tokens_are_random_prefixed_and_hashed() {
        let a = generate_token();
        let b = generate_token();
        assert!(a.secret.starts_with("wharf_") && a.secret.len() == 6 + 64);
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.hash, hash_token(&a.secret));
        assert_ne!(a.hash, a.secret);
        assert!(a.secret.starts_with(&a.display_prefix));
    }

    #[test]
    fn every_header_form_yields_the_token() {
        assert_eq!(token_from_header(&headers("wharf_abc")).as_deref(), Some("wharf_abc"));
        assert_eq!(token_from_header(&headers("Bearer wharf_abc")).as_deref(), Some("wharf_abc"));
        assert_eq!(token_from_header(&headers("bearer  wharf_abc")).as_deref(), Some("wharf_abc"));
        // base64("me:wharf_abc")
        assert_eq!(token_from_header(&headers("Basic bWU6d2hhcmZfYWJj")).as_deref(), Some("wharf_abc"));
        assert_eq!(token_from_header(&HeaderMap::new()), None);
    }
}
