//! Roles on a feed: who holds which, and changing them.

use wharf_auth::{FeedAction, Principal, roles::RoleChangeError};
use wharf_core::Role;

use crate::{Authorized, Change, Core, CoreError, CoreResult, FeedRef};

/// What changing roles needs (granting or taking away Owner needs Owner besides).
pub const NEEDS_TO_CHANGE: FeedAction = FeedAction::Administer;

/// Who holds which role on a feed (Administrator or Owner).
pub async fn list(core: &Core, principal: &Principal, feed: &FeedRef) -> CoreResult<Vec<wharf_db::FeedRole>> {
    let Authorized { feed, .. } = feed.authorized(core, principal, FeedAction::Administer).await?;
    Ok(core.db.roles().list(feed.id).await?)
}

/// Applies role changes (user name, new role name or `None` to remove) all or none, and
/// reports every bad user and role at once (`[i].user`, `[i].role`, `owners`). Needs
/// Administrator; granting or taking away Owner needs Owner; a feed keeps an Owner.
pub async fn change(
    core: &Core,
    principal: &Principal,
    feed: &FeedRef,
    changes: &[(String, Option<String>)],
) -> CoreResult<()> {
    let Authorized { feed, .. } = feed.authorized(core, principal, NEEDS_TO_CHANGE).await?;
    let mut errors = wharf_core::FieldErrors::default();
    let mut parsed = Vec::with_capacity(changes.len());
    for (i, (user, role)) in changes.iter().enumerate() {
        match role.as_deref().map(str::parse::<Role>).transpose() {
            Ok(role) => parsed.push((user.trim().to_owned(), role)),
            Err(message) => errors.push(&format!("[{i}].role"), message),
        }
    }
    if !errors.is_empty() {
        for (i, (user, _)) in changes.iter().enumerate() {
            match core.db.users().by_name(user.trim()).await {
                Ok(_) => {}
                Err(wharf_db::DbError::NotFound(message)) => errors.push(&format!("[{i}].user"), message),
                Err(e) => return Err(e.into()),
            }
        }
        errors.0.sort_by(|a, b| a.field.cmp(&b.field));
        return Err(CoreError::Invalid(errors));
    }
    wharf_auth::roles::change_roles(&core.db, principal, &feed, &parsed).await.map_err(|e| match e {
        RoleChangeError::Denied(d) => CoreError::Denied(d),
        RoleChangeError::Invalid(errors) => CoreError::Invalid(errors),
        RoleChangeError::Db(wharf_db::DbError::Conflict(message)) => CoreError::invalid("owners", message),
        RoleChangeError::Db(e) => e.into(),
    })?;
    let detail: Vec<String> = parsed
        .iter()
        .map(|(user, role)| match role {
            Some(role) => format!("{user}: {}", role.as_str()),
            None => format!("{user}: removed"),
        })
        .collect();
    let entry = crate::audit::Entry::feed("feed.roles", &feed, &feed.name).detail(detail.join(", "));
    core.done(principal, entry, Change::RoleChanged { feed: feed.id }).await;
    Ok(())
}
