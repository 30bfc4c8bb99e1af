//! Accounts and organization members (Wharf administrators).

use wharf_auth::{OrgAction, Principal, accounts::Kind};
use wharf_db::{Scope, User};

use crate::{Change, Core, CoreResult, accounts::account_error, audit::Entry, feeds::scope};

/// The organization, if the caller may manage its members.
async fn managed(core: &Core, principal: &Principal, org: &str) -> CoreResult<Scope> {
    let scope = scope(core, org, None).await?;
    wharf_auth::check_org(&core.db, principal, scope.org_id, OrgAction::ManageMembers).await?;
    Ok(scope)
}

/// The members of an organization with when they joined, and the accounts that are not
/// members.
pub async fn list(core: &Core, principal: &Principal, org: &str) -> CoreResult<(Vec<(User, i64)>, Vec<User>)> {
    let scope = managed(core, principal, org).await?;
    let members = core.db.users().members(scope.org_id).await?;
    let others =
        core.db.users().list().await?.into_iter().filter(|u| !members.iter().any(|(m, _)| m.id == u.id)).collect();
    Ok((members, others))
}

/// A new account to create.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub name: String,
    pub password: String,
    pub admin: bool,
}

/// Creates an account (a member of `default`) and adds it to `org` too.
pub async fn create(core: &Core, principal: &Principal, org: &str, new: &NewAccount) -> CoreResult<User> {
    let scope = managed(core, principal, org).await?;
    let user = wharf_auth::accounts::create(&core.db, Kind::User { admin: new.admin }, &new.name, &new.password, None)
        .await
        .map_err(account_error)?;
    if !core.db.users().is_member(scope.org_id, user.id).await? {
        core.db.users().add_member(scope.org_id, &user).await?;
    }
    tracing::info!(user = %user.name, org = %org, "account created");
    let entry =
        Entry::org("account.create", &scope.org, &user.name).detail(if new.admin { "administrator" } else { "user" });
    core.done(principal, entry, Change::AccountCreated { user: user.id }).await;
    core.announce(Change::MembersChanged { org: scope.org_id });
    Ok(user)
}

/// Adds an existing account to the organization.
pub async fn add(core: &Core, principal: &Principal, org: &str, name: &str) -> CoreResult<()> {
    let scope = managed(core, principal, org).await?;
    let (user, _) = core.db.users().by_name(name.trim()).await?;
    core.db.users().add_member(scope.org_id, &user).await?;
    tracing::info!(user = %user.name, org = %org, "member added");
    let entry = Entry::org("member.add", &scope.org, &user.name);
    core.done(principal, entry, Change::MembersChanged { org: scope.org_id }).await;
    Ok(())
}

/// Removes an account from the organization (the account stays).
pub async fn remove(core: &Core, principal: &Principal, org: &str, name: &str) -> CoreResult<()> {
    let scope = managed(core, principal, org).await?;
    let (user, _) = core.db.users().by_name(name.trim()).await?;
    core.db.users().remove_member(scope.org_id, &user).await?;
    tracing::info!(user = %user.name, org = %org, "member removed");
    let entry = Entry::org("member.remove", &scope.org, &user.name);
    core.done(principal, entry, Change::MembersChanged { org: scope.org_id }).await;
    Ok(())
}
