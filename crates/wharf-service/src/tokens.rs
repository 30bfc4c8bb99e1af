//! Personal access tokens: create, list, revoke.

use wharf_auth::{Denied, InstanceAction, IssueError, Principal};
use wharf_core::TokenScope;
use wharf_db::{TokenInfo, TokenRef, User};

use crate::{Change, Core, CoreError, CoreResult, audit::Entry};

/// A token to create, as a form or a request body gives it.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub name: String,
    /// `read` or `write`.
    pub scope: String,
    pub expires_in_days: Option<u32>,
}

fn user_of(principal: &Principal) -> CoreResult<(&User, TokenScope, Option<i64>)> {
    match principal {
        Principal::User { user, scope, token } => Ok((user, *scope, *token)),
        Principal::Anonymous => Err(CoreError::Denied(Denied::Unauthenticated)),
        Principal::Operator => Err(CoreError::forbidden("The command line has no tokens of its own: name an account.")),
    }
}

/// What creating a token needs: a signed-in caller (tokens are their own).
pub const NEEDS_TO_CREATE: crate::Need<'static> = crate::Need::SignedIn;

/// Creates a token for the caller; returns it and its secret (to be shown once, and
/// stored nowhere). A token minted with a token is capped at its parent's scope and expiry
/// and dies with it; a token minted that way cannot mint more.
pub async fn create(core: &Core, principal: &Principal, new: &NewToken) -> CoreResult<(TokenInfo, String)> {
    let (user, caller_scope, via) = user_of(principal)?;
    let parent = match via {
        Some(id) => {
            let parent = core.db.tokens().get(user.id, id).await?;
            if parent.parent_id.is_some() {
                return Err(CoreError::forbidden(
                    "A token minted with another token cannot mint tokens: create this one on the tokens page.",
                ));
            }
            Some(parent)
        }
        None => None,
    };
    issue(core, principal, user, caller_scope, parent.as_ref(), new).await
}

/// Creates a token for the account named `owner` (the operator at the command line, or a
/// Wharf administrator); its secret goes to whoever asked, once.
pub async fn create_for(
    core: &Core,
    principal: &Principal,
    owner: &str,
    new: &NewToken,
) -> CoreResult<(User, TokenInfo, String)> {
    wharf_auth::authorize_instance(principal, InstanceAction::ManageAccounts)?;
    let (user, _) = core.db.users().by_name(owner.trim()).await?;
    let (info, secret) = issue(core, principal, &user, TokenScope::Write, None, new).await?;
    Ok((user, info, secret))
}

/// Checks and issues a token of `user`, no wider than `caller_scope`, and records it.
async fn issue(
    core: &Core,
    principal: &Principal,
    user: &User,
    caller_scope: TokenScope,
    parent: Option<&TokenInfo>,
    new: &NewToken,
) -> CoreResult<(TokenInfo, String)> {
    let mut errors = wharf_auth::check_token_request(&new.name, new.expires_in_days);
    let scope = new.scope.parse::<TokenScope>().map_err(|e| errors.push("scope", e)).ok();
    let Some(scope) = scope.filter(|_| errors.is_empty()) else {
        return Err(CoreError::Invalid(errors));
    };
    if scope > caller_scope {
        return Err(CoreError::forbidden("A Packaging: read token cannot create a read & write token."));
    }
    let (info, secret) = wharf_auth::issue_token(&core.db, user.id, &new.name, scope, new.expires_in_days, parent)
        .await
        .map_err(|e| match e {
            IssueError::Invalid(errors) => CoreError::Invalid(errors),
            IssueError::Db(e) => e.into(),
        })?;
    tracing::info!(user = %user.name, token.id = info.id, parent = ?info.parent_id, "token created");
    let entry = Entry::instance("token.create", format!("{} of {}", info.name, user.name)).detail(format!(
        "scope {}; {}",
        scope.label(),
        new.expires_in_days.map_or_else(|| "never expires".to_owned(), |d| format!("expires in {d} days"))
    ));
    core.done(principal, entry, Change::TokenCreated { token: info.id }).await;
    Ok((info, secret))
}

/// The caller's tokens, newest first, revoked ones included.
pub async fn list(core: &Core, principal: &Principal) -> CoreResult<Vec<TokenInfo>> {
    let (user, ..) = user_of(principal)?;
    Ok(core.db.tokens().list(user.id).await?)
}

/// Revokes one of the caller's tokens, and every token minted with it; they stop working
/// at once. Needs the write scope.
pub async fn revoke(core: &Core, principal: &Principal, token: TokenRef<'_>) -> CoreResult<usize> {
    let (user, scope, _) = user_of(principal)?;
    if scope == TokenScope::Read {
        return Err(CoreError::forbidden(
            "This token has the Packaging: read scope; revoking tokens needs Packaging: read & write.",
        ));
    }
    revoke_of(core, principal, user, token).await
}

/// Revokes a token of the account named `owner`, and every token minted with it (the
/// operator at the command line, or a Wharf administrator); how many stopped working.
pub async fn revoke_for(core: &Core, principal: &Principal, owner: &str, token: TokenRef<'_>) -> CoreResult<usize> {
    wharf_auth::authorize_instance(principal, InstanceAction::ManageAccounts)?;
    let (user, _) = core.db.users().by_name(owner.trim()).await?;
    revoke_of(core, principal, &user, token).await
}

/// Revokes a token of `user` and its children, records it and tells every replica.
async fn revoke_of(core: &Core, principal: &Principal, user: &User, token: TokenRef<'_>) -> CoreResult<usize> {
    let revoked = core.db.tokens().revoke(user.id, token).await?;
    let count = revoked.len();
    tracing::info!(user = %user.name, tokens = ?revoked, "token revoked");
    let target = match token {
        TokenRef::Name(name) => format!("{name} of {}", user.name),
        TokenRef::Id(id) => format!("token {id} of {}", user.name),
    };
    let entry = Entry::instance("token.revoke", target).detail(format!("{count} token(s) revoked"));
    core.done(principal, entry, Change::TokenRevoked { tokens: revoked }).await;
    Ok(count)
}
