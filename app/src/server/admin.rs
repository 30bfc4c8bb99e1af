//! Server functions of administration: organization members, feed settings, feed roles.

use leptos::prelude::*;

use crate::{
    error::PortalError,
    model::{MembersView, PermissionView},
};
#[cfg(feature = "ssr")]
use crate::{
    model::MemberView,
    ssr::{check_csrf, core, principal, redirect_to, refuse_with},
};
#[cfg(feature = "ssr")]
use wharf_service::{FeedRef, rfc3339};

/// The members of an organization, and the accounts that are not members.
#[server(prefix = "/_fn", endpoint = "list_members")]
pub async fn list_members(org: String) -> Result<MembersView, PortalError> {
    let core = core()?;
    let (members, others) = wharf_service::members::list(&core, &principal(&core).await?, &org).await?;
    let members = members
        .into_iter()
        .map(|(u, joined)| MemberView { name: u.name, is_admin: u.is_admin, joined_at: rfc3339(joined) })
        .collect();
    Ok(MembersView { members, others: others.into_iter().map(|u| u.name).collect() })
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
    let core = core()?;
    check_csrf(&csrf).await?;
    let new = wharf_service::members::NewAccount { name, password, admin: admin.is_some() };
    wharf_service::members::create(&core, &principal(&core).await?, &org, &new).await?;
    redirect_to(&wharf_core::urls::pages::members(&org));
    Ok(())
}

/// Adds an existing account to the organization.
#[server(prefix = "/_fn", endpoint = "add_member")]
pub async fn add_member(#[server(default)] csrf: String, org: String, name: String) -> Result<(), PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    wharf_service::members::add(&core, &principal(&core).await?, &org, &name).await?;
    redirect_to(&wharf_core::urls::pages::members(&org));
    Ok(())
}

/// Removes an account from the organization (the account stays).
#[server(prefix = "/_fn", endpoint = "remove_member")]
pub async fn remove_member(#[server(default)] csrf: String, org: String, name: String) -> Result<(), PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    wharf_service::members::remove(&core, &principal(&core).await?, &org, &name).await?;
    redirect_to(&wharf_core::urls::pages::members(&org));
    Ok(())
}

/// Changes a feed's settings (Administrator or Owner). The form names each setting
/// `settings[restName]`; they are read as [`wharf_service::settings::from_form`] says.
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
    #[server(default)] settings: std::collections::BTreeMap<String, String>,
) -> Result<(), PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    let changes = wharf_service::feeds::FeedChanges {
        name: None,
        description,
        visibility,
        includes_crates_io: None,
        include_crates_io: Some(upstream.is_some()),
        upstream_sources: None,
        settings: wharf_service::settings::from_form(&settings)?,
    };
    let feed = FeedRef::new(&org, project.as_deref(), &feed);
    let updated = wharf_service::feeds::update(&core, &principal(&core).await?, &feed, &changes).await?;
    redirect_to(&updated.location().settings_path());
    Ok(())
}

/// What the feed's retention rules would move to the recycle bin now (Administrator or
/// Owner).
#[server(prefix = "/_fn", endpoint = "retention_preview")]
pub async fn retention_preview(
    org: String,
    project: Option<String>,
    feed: String,
) -> Result<Vec<crate::model::RetiredView>, PortalError> {
    let core = core()?;
    let feed = FeedRef::new(&org, project.as_deref(), &feed);
    let taken = wharf_service::retention::preview(&core, &principal(&core).await?, &feed, wharf_db::unix_now()).await?;
    Ok(taken
        .into_iter()
        .map(|t| crate::model::RetiredView { package: t.package, version: t.version, reason: t.reason })
        .collect())
}

/// Who holds which role on a feed (Administrator or Owner).
#[server(prefix = "/_fn", endpoint = "list_permissions")]
pub async fn list_permissions(
    org: String,
    project: Option<String>,
    feed: String,
) -> Result<Vec<PermissionView>, PortalError> {
    let core = core()?;
    let feed = FeedRef::new(&org, project.as_deref(), &feed);
    Ok(wharf_service::roles::list(&core, &principal(&core).await?, &feed)
        .await?
        .into_iter()
        .map(|h| PermissionView { user: h.user, role: h.role })
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
    use wharf_core::FieldErrors;
    use wharf_service::CoreError;
    let core = core()?;
    check_csrf(&csrf).await?;
    let role = match role.trim() {
        "" | "none" => None,
        r => Some(r.to_owned()),
    };
    let feed = FeedRef::new(&org, project.as_deref(), &feed);
    let user = user.trim().to_owned();
    match wharf_service::roles::change(&core, &principal(&core).await?, &feed, &[(user, role)]).await {
        Ok(()) => {}
        // One change at a time here: its fields are `user` and `role`.
        Err(CoreError::Invalid(errors)) => {
            let mut fields = FieldErrors::default();
            for e in errors.0 {
                let field = match e.field.as_str() {
                    f if f.ends_with(".user") => "user",
                    f if f.ends_with(".role") => "role",
                    f => f,
                };
                fields.push(field, e.message);
            }
            refuse_with(422);
            return Err(PortalError::Fields(fields));
        }
        Err(other) => return Err(other.into()),
    }
    redirect_to(&feed.location().permissions_path());
    Ok(())
}
