//! Granting and removing roles on a feed: the one implementation behind the REST API and
//! the portal's Permissions page.

use wharf_core::{FieldErrors, Role};
use wharf_db::{Db, DbError, Feed};

use crate::access::{CheckError, Denied, FeedAction, Principal, check};

/// Why role changes were not applied (none of them were).
#[derive(Debug, thiserror::Error)]
pub enum RoleChangeError {
    #[error("{0:?}")]
    Denied(Denied),
    /// Per change: `[i].user` / `[i].role`, or `owners` for the whole set.
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<CheckError> for RoleChangeError {
    fn from(e: CheckError) -> Self {
        match e {
            CheckError::Denied(d) => RoleChangeError::Denied(d),
            CheckError::Db(e) => RoleChangeError::Db(e),
        }
    }
}

/// Applies `changes` (user name, new role or `None` to remove) all or none. Needs the
/// Administrator role; granting or taking away Owner needs Owner; a feed keeps at least
/// one Owner.
pub async fn change_roles(
    db: &Db,
    principal: &Principal,
    feed: &Feed,
    changes: &[(String, Option<Role>)],
) -> Result<(), RoleChangeError> {
    check(db, principal, feed, FeedAction::Administer).await?;
    let current = db.roles().list(feed.id).await?;
    let mut errors = FieldErrors::default();
    let mut resolved = Vec::with_capacity(changes.len());
    let mut touches_owner = false;
    let mut owners: Vec<String> =
        current.iter().filter(|h| h.role == Role::Owner).map(|h| h.user.to_ascii_lowercase()).collect();
    for (i, (name, role)) in changes.iter().enumerate() {
        let user = match db.users().by_name(name).await {
            Ok((user, _)) => user,
            Err(DbError::NotFound(message)) => {
                errors.push(&format!("[{i}].user"), message);
                continue;
            }
            Err(other) => return Err(other.into()),
        };
        let key = user.name.to_ascii_lowercase();
        let was_owner = owners.contains(&key);
        if *role == Some(Role::Owner) || was_owner {
            touches_owner |= *role != Some(Role::Owner) || !was_owner;
        }
        owners.retain(|o| *o != key);
        if *role == Some(Role::Owner) {
            owners.push(key);
        }
        resolved.push((user.id, *role));
    }
    if !errors.is_empty() {
        return Err(RoleChangeError::Invalid(errors));
    }
    if touches_owner {
        check(db, principal, feed, FeedAction::Own).await?;
    }
    if owners.is_empty() && !current.iter().all(|h| h.role != Role::Owner) {
        let mut errors = FieldErrors::default();
        errors.push("owners", "A feed keeps at least one Owner: make someone else Owner first.");
        return Err(RoleChangeError::Invalid(errors));
    }
    db.roles().set_many(feed.id, &resolved).await?;
    tracing::info!(feed = %feed.name, changes = resolved.len(), "feed permissions changed");
    Ok(())
}
