//! Feeds: create, list, change, delete.

use wharf_auth::{FeedAction, OrgAction, Principal};
use wharf_core::{FeedDraft, FeedPatch, FeedSettings, FeedSettingsPatch};
use wharf_db::{Feed, Scope, feeds::FeedFilter};

use crate::{Authorized, Change, Core, CoreError, CoreResult, FeedRef, audit::Entry};

/// A feed to create, as a form or a request body gives it.
#[derive(Debug, Clone, Default)]
pub struct NewFeed {
    pub org: String,
    /// `None` for an organization-scoped feed.
    pub project: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub visibility: String,
    pub includes_crates_io: bool,
    /// Its settings from the start: the defaults, or those of a feed it copies.
    pub settings: FeedSettings,
}

/// The organization or project `org`/`project`; `NotFound` if it does not exist.
pub async fn scope(core: &Core, org: &str, project: Option<&str>) -> CoreResult<Scope> {
    Ok(core.db.scopes().resolve(org, project.filter(|p| !p.is_empty())).await?)
}

/// What creating a feed needs, in the organization (see [`crate::Need`]).
pub const NEEDS_TO_CREATE: OrgAction = OrgAction::CreateFeed;
/// What changing a feed's settings needs.
pub const NEEDS_TO_UPDATE: FeedAction = FeedAction::Administer;

/// Creates a feed; its creator becomes its Owner. Needs membership of the organization
/// (or Wharf administrator) and the write scope.
pub async fn create(core: &Core, principal: &Principal, new: &NewFeed) -> CoreResult<Feed> {
    let scope = scope(core, &new.org, new.project.as_deref()).await?;
    wharf_auth::check_org(&core.db, principal, scope.org_id, NEEDS_TO_CREATE).await?;
    let mut draft = FeedDraft::parse(&new.name, new.description.as_deref(), &new.visibility, new.includes_crates_io)
        .map_err(CoreError::Invalid)?;
    new.settings.check().map_err(CoreError::Invalid)?;
    draft.settings = new.settings.clone();
    let feed = core.db.feeds().create_owned(&scope, &draft, principal.user().map(|u| u.id)).await?;
    tracing::info!(feed.id = feed.id, feed = %feed.name, org = %feed.org, project = ?feed.project, "feed created");
    let entry = Entry::feed("feed.create", &feed, &feed.name).detail(format!("visibility {}", new.visibility));
    core.done(principal, entry, Change::FeedCreated { feed: feed.id }).await;
    Ok(feed)
}

/// The feeds of a scope (`whole_org`: of the organization at every scope) the caller may
/// read; the others are not even named.
pub async fn list(
    core: &Core,
    principal: &Principal,
    org: &str,
    project: Option<&str>,
    whole_org: bool,
) -> CoreResult<Vec<Feed>> {
    let scope = scope(core, org, project).await?;
    let filter = if whole_org { FeedFilter::WholeOrganization(scope.org_id) } else { FeedFilter::Scope(&scope) };
    let feeds = core.db.feeds().list(filter).await?;
    Ok(wharf_auth::access::readable(&core.db, principal, scope.org_id, feeds).await?)
}

/// What a change of a feed may carry: only the fields present change.
#[derive(Debug, Clone, Default)]
pub struct FeedChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub visibility: Option<String>,
    pub includes_crates_io: Option<bool>,
    /// The whole ordered list of upstream sources (see [`crate::upstreams`]).
    pub upstream_sources: Option<Vec<crate::upstreams::SourceSpec>>,
    /// The portal's checkbox: adds crates.io after the other sources, or removes it alone.
    pub include_crates_io: Option<bool>,
    /// The settings to change (see [`crate::settings`] for reading them from JSON or a form).
    pub settings: FeedSettingsPatch,
}

/// Changes a feed's settings (Administrator or Owner).
pub async fn update(core: &Core, principal: &Principal, feed: &FeedRef, changes: &FeedChanges) -> CoreResult<Feed> {
    let Authorized { feed: found, .. } = feed.authorized(core, principal, NEEDS_TO_UPDATE).await?;
    // The sources carry `upstreamEnabled`: the one write that changes them sets it.
    let parsed =
        FeedPatch::parse(changes.name.as_deref(), changes.description.as_deref(), changes.visibility.as_deref(), None);
    let mut errors = parsed.as_ref().err().cloned().unwrap_or_default();
    if let (Some(enabled), Some(list)) = (changes.includes_crates_io, &changes.upstream_sources)
        && enabled == list.is_empty()
    {
        errors.push(
            "upstreamEnabled",
            "upstreamEnabled says the opposite of upstreamSources: send only upstreamSources.",
        );
    }
    if let Err(bad) = changes.settings.apply(&found.settings).check() {
        errors.0.extend(bad.0);
    }
    let patch = match parsed {
        Ok(patch) if errors.is_empty() => {
            FeedPatch { settings: (!changes.settings.is_empty()).then(|| changes.settings.clone()), ..patch }
        }
        _ => return Err(CoreError::Invalid(errors)),
    };
    let old = core.db.upstreams().list(found.id).await?;
    let sources = match (&changes.upstream_sources, changes.includes_crates_io) {
        (Some(specs), _) => Some(crate::upstreams::plan(core, principal, &found, &old, specs).await?),
        (None, Some(enabled)) => crate::upstreams::shorthand(enabled, &old),
        (None, None) => changes.include_crates_io.and_then(|on| crate::upstreams::with_crates_io(on, &old)),
    };
    if let Some(sources) = sources {
        return crate::upstreams::store(core, principal, &found, Some(&patch), &sources, String::new()).await;
    }
    let scope = scope(core, &found.org, found.project.as_deref()).await?;
    let updated = core.db.feeds().update(&scope, &found.name, &patch, None).await?;
    tracing::info!(feed.id = updated.id, feed = %updated.name, "feed settings changed");
    let entry =
        Entry::feed("feed.update", &updated, &updated.name).detail(crate::audit::settings_changed(&found, &updated));
    core.done(principal, entry, Change::FeedChanged { feed: updated.id }).await;
    Ok(updated)
}

/// Deletes a feed (Owner).
pub async fn delete(core: &Core, principal: &Principal, feed: &FeedRef) -> CoreResult<()> {
    let Authorized { feed: found, .. } = feed.authorized(core, principal, FeedAction::Own).await?;
    let scope = scope(core, &found.org, found.project.as_deref()).await?;
    core.db.feeds().delete(&scope, &found.name).await?;
    tracing::info!(feed.id = found.id, feed = %found.name, "feed deleted");
    let entry = Entry::feed("feed.delete", &found, &found.name);
    core.done(principal, entry, Change::FeedDeleted { feed: found.id }).await;
    Ok(())
}
