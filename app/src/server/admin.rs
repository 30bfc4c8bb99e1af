//! Server functions of administration: organization members, feed settings, feed roles.

use leptos::prelude::*;

use crate::{
    error::PortalError,
    model::{MembersView, PermissionView},
};
#[cfg(feature = "ssr")]
use crate::{
    model::MemberView,
    ssr::{AppContext, check_csrf, redirect_to, refuse_with, rfc3339, signed_in},
};

/// The organization `org`, if the caller is a Wharf administrator.
#[cfg(feature = "ssr")]
async fn managed_org(ctx: &AppContext, org: &str) -> Result<wharf_db::Scope, PortalError> {
    let (principal, _) = signed_in(&ctx.db).await?;
    let scope = ctx.db.scopes().resolve(org, None).await?;
    wharf_auth::check_org(&ctx.db, &principal, scope.org_id, wharf_auth::OrgAction::ManageMembers).await?;
    Ok(scope)
}

/// The members of an organization, and the accounts that are not members.
#[server(prefix = "/_fn", endpoint = "list_members")]
pub async fn list_members(org: String) -> Result<MembersView, PortalError> {
    let ctx = AppContext::current()?;
    let scope = managed_org(&ctx, &org).await?;
    let members = ctx.db.users().members(scope.org_id).await?;
    let others = ctx
        .db
        .users()
        .list()
        .await?
        .into_iter()
        .filter(|u| !members.iter().any(|(m, _)| m.id == u.id))
        .map(|u| u.name)
        .collect();
    let members = members
        .into_iter()
        .map(|(u, joined)| MemberView { name: u.name, is_admin: u.is_admin, joined_at: rfc3339(joined) })
        .collect();
    Ok(MembersView { members, others })
}

/// Creates an account (a member of `default`) and adds it to `org` too.
#[server(prefix = "/_fn", endpoint = "create_member")]
pub async fn create_member(
    #[server(default)] csrf: String,
    org: String,
    name: String,
    password: String,
    admin: Option<String>,
) -> Result<(), PortalError> {
    use wharf_auth::accounts::{AccountError, Kind, create};
    let ctx = AppContext::current()?;
    check_csrf(&csrf).await?;
    let scope = managed_org(&ctx, &org).await?;
    let user =
        create(&ctx.db, Kind::User { admin: admin.is_some() }, &name, &password, None).await.map_err(|e| match e {
            AccountError::Invalid(errors) => {
                refuse_with(422);
                PortalError::Fields(errors)
            }
            AccountError::Db(e) => e.into(),
        })?;
    if !ctx.db.users().is_member(scope.org_id, user.id).await? {
        ctx.db.users().add_member(scope.org_id, &user).await?;
    }
    tracing::info!(user = %user.name, org = %org, "account created on the members page");
    redirect_to(&format!("/{org}/_settings/members"));
    Ok(())
}

/// Adds an existing account to the organization.
#[server(prefix = "/_fn", endpoint = "add_member")]
pub async fn add_member(#[server(default)] csrf: String, org: String, name: String) -> Result<(), PortalError> {
    let ctx = AppContext::current()?;
    check_csrf(&csrf).await?;
    let scope = managed_org(&ctx, &org).await?;
    let (user, _) = ctx.db.users().by_name(&name).await?;
    ctx.db.users().add_member(scope.org_id, &user).await.map_err(crate::ssr::refused_on_conflict)?;
    redirect_to(&format!("/{org}/_settings/members"));
    Ok(())
}

/// Removes an account from the organization (the account stays).
#[server(prefix = "/_fn", endpoint = "remove_member")]
pub async fn remove_member(#[server(default)] csrf: String, org: String, name: String) -> Result<(), PortalError> {
    let ctx = AppContext::current()?;
    check_csrf(&csrf).await?;
    let scope = managed_org(&ctx, &org).await?;
    let (user, _) = ctx.db.users().by_name(&name).await?;
    ctx.db.users().remove_member(scope.org_id, &user).await?;
    redirect_to(&format!("/{org}/_settings/members"));
    Ok(())
}

/// Changes a feed's settings (Administrator or Owner).
#[server(prefix = "/_fn", endpoint = "update_feed_settings")]
#[allow(clippy::too_many_arguments)]
pub async fn update_feed_settings(
    #[server(default)] csrf: String,
    org: String,
    project: Option<String>,
    feed: String,
    description: Option<String>,
    visibility: Option<String>,
    upstream: Option<String>,
    anonymous_saves: Option<String>,
) -> Result<(), PortalError> {
    let ctx = AppContext::current()?;
    check_csrf(&csrf).await?;
    let project = project.filter(|p| !p.is_empty());
    let (found, ..) = ctx.feed_for(&org, project.as_deref(), &feed, wharf_auth::FeedAction::Administer).await?;
    let patch = wharf_core::FeedPatch {
        allow_anonymous_saves: Some(anonymous_saves.is_some()),
        ..wharf_core::FeedPatch::parse(None, description.as_deref(), visibility.as_deref(), Some(upstream.is_some()))
            .map_err(|errors| {
                refuse_with(422);
                PortalError::Fields(errors)
            })?
    };
    let scope = ctx.db.scopes().resolve(&org, project.as_deref()).await?;
    let updated = ctx.db.feeds().update(&scope, &found.name, &patch).await?;
    (ctx.feeds_changed)();
    tracing::info!(feed = %updated.name, "feed settings changed in the portal");
    redirect_to(&format!("{}/settings", updated.location().page_path()));
    Ok(())
}

/// Who holds which role on a feed (Administrator or Owner).
#[server(prefix = "/_fn", endpoint = "list_permissions")]
pub async fn list_permissions(
    org: String,
    project: Option<String>,
    feed: String,
) -> Result<Vec<PermissionView>, PortalError> {
    let ctx = AppContext::current()?;
    let (feed, ..) = ctx.feed_for(&org, project.as_deref(), &feed, wharf_auth::FeedAction::Administer).await?;
    Ok(ctx
        .db
        .roles()
        .list(feed.id)
        .await?
        .into_iter()
        .map(|(user, role)| PermissionView { user, role: role.as_str().to_owned() })
        .collect())
}

/// Gives `user` a role on a feed, or removes theirs when `role` is empty.
#[server(prefix = "/_fn", endpoint = "set_role")]
pub async fn set_role(
    #[server(default)] csrf: String,
    org: String,
    project: Option<String>,
    feed: String,
    user: String,
    role: String,
) -> Result<(), PortalError> {
    use wharf_auth::roles::{RoleChangeError, change_roles};
    use wharf_core::{FieldErrors, Role};
    let ctx = AppContext::current()?;
    check_csrf(&csrf).await?;
    let project = project.filter(|p| !p.is_empty());
    let (found, principal, _) =
        ctx.feed_for(&org, project.as_deref(), &feed, wharf_auth::FeedAction::Administer).await?;
    let role = match role.trim() {
        "" | "none" => None,
        r => Some(r.parse::<Role>().map_err(|message| {
            let mut errors = FieldErrors::default();
            errors.push("role", message);
            refuse_with(422);
            PortalError::Fields(errors)
        })?),
    };
    let user = user.trim().to_owned();
    change_roles(&ctx.db, &principal, &found, &[(user, role)]).await.map_err(|e| match e {
        RoleChangeError::Denied(d) => crate::ssr::denied(d),
        RoleChangeError::Invalid(errors) => {
            let mut fields = FieldErrors::default();
            for e in errors.0 {
                let field = if e.field.ends_with(".user") { "user" } else { e.field.as_str() };
                fields.push(field, e.message);
            }
            refuse_with(422);
            PortalError::Fields(fields)
        }
        RoleChangeError::Db(e) => e.into(),
    })?;
    redirect_to(&format!("{}/settings/permissions", found.location().page_path()));
    Ok(())
}
