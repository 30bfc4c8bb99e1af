//! "This feed", "this package", "this version": what a request names, validated, and
//! loaded only for a caller allowed to act on it.
//!
//! A feed the caller may not even read is answered as if it did not exist, so private feed
//! names cannot be probed: a signed-in caller without a role gets the same 404 as for a
//! missing feed, and an anonymous caller gets 401 for both (cargo needs the 401 to start
//! its login).

use std::borrow::Borrow;

use wharf_auth::{Denied, FeedAction, FeedStanding, OrgAction, Principal, authorize};
use wharf_core::FeedLocation;
use wharf_db::{DbError, Feed};

use crate::{Core, CoreError, CoreResult, views::ViewSel};

/// Longest name a path segment may carry; anything longer names nothing.
const MAX_SEGMENT: usize = 256;

/// A feed as a URL names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FeedRef {
    pub org: String,
    /// `None` for an organization-scoped feed.
    pub project: Option<String>,
    pub feed: String,
}

/// A feed the caller may act on, with their standing on it.
#[derive(Debug, Clone)]
pub struct Authorized<F = Feed> {
    pub feed: F,
    pub standing: FeedStanding,
    /// Whether the caller may also administer the feed (the portal shows more then).
    pub can_administer: bool,
}

impl FeedRef {
    /// An empty project means the organization scope.
    pub fn new(org: &str, project: Option<&str>, feed: &str) -> Self {
        FeedRef {
            org: org.trim().to_owned(),
            project: project.map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned),
            feed: feed.trim().to_owned(),
        }
    }

    /// `ORG/[PROJECT/]FEED[@VIEW]`, as people name a feed on the command line and in a feed
    /// source: the feed, and which of its registries the text names. The one parser of
    /// that form.
    pub fn parse(text: &str) -> Result<(FeedRef, ViewSel), String> {
        let parts: Vec<&str> = text.trim().trim_matches('/').split('/').collect();
        let (org, project, last) = match parts.as_slice() {
            [org, feed] => (*org, None, *feed),
            [org, project, feed] => (*org, Some(*project), *feed),
            _ => return Err(format!("Name the feed as ORG/PROJECT/FEED or ORG/FEED (got '{text}').")),
        };
        let (name, view) = ViewSel::split(last);
        let feed = FeedRef::new(org, project, name);
        if feed.org.is_empty() || feed.feed.is_empty() || project.is_some_and(|p| p.trim().is_empty()) {
            return Err(format!("Name the feed as ORG/PROJECT/FEED or ORG/FEED, no part empty (got '{text}')."));
        }
        Ok((feed, view))
    }

    pub fn location(&self) -> FeedLocation {
        FeedLocation { org: self.org.clone(), project: self.project.clone(), feed: self.feed.clone() }
    }

    fn plausible(&self) -> bool {
        let ok = |s: &str| !s.is_empty() && s.len() <= MAX_SEGMENT;
        ok(&self.org) && ok(&self.feed) && self.project.as_deref().is_none_or(ok)
    }

    /// The feed, with no authorization: for callers that authorize it next.
    pub async fn load(&self, core: &Core) -> Result<Feed, DbError> {
        if !self.plausible() {
            return Err(DbError::NotFound(format!("Feed '{}' does not exist.", self.feed)));
        }
        let scope = core.db.scopes().resolve(&self.org, self.project.as_deref()).await?;
        core.db.feeds().get(&scope, &self.feed).await
    }

    /// The feed, if `principal` may do `action` on it.
    pub async fn authorized(&self, core: &Core, principal: &Principal, action: FeedAction) -> CoreResult<Authorized> {
        let found = self.load(core).await;
        authorize_found(core, principal, self, found, action).await
    }
}

/// Authorizes `action` on a feed loaded (or not found) by the caller, e.g. from a cache.
pub async fn authorize_found<F: Borrow<Feed>>(
    core: &Core,
    principal: &Principal,
    named: &FeedRef,
    found: Result<F, DbError>,
    action: FeedAction,
) -> CoreResult<Authorized<F>> {
    let feed = match found {
        Ok(feed) => feed,
        Err(DbError::NotFound(_)) if *principal == Principal::Anonymous => {
            return Err(CoreError::Denied(Denied::Unauthenticated));
        }
        Err(e) => return Err(e.into()),
    };
    let standing = core.credentials.standing(&core.db, principal, feed.borrow()).await?;
    match authorize(principal, &standing, action) {
        Ok(()) => {
            let can_administer = authorize(principal, &standing, FeedAction::Administer).is_ok();
            Ok(Authorized { feed, standing, can_administer })
        }
        Err(Denied::Forbidden(_)) if authorize(principal, &standing, FeedAction::Read).is_err() => {
            Err(CoreError::NotFound(hidden_message(named, feed.borrow())))
        }
        Err(denied) => Err(denied.into()),
    }
}

/// What a change that comes with a request body needs of its caller. Adapters ask
/// [`admit`] **before** they read the body, so a caller who may not make the change is
/// refused without a byte of it read. Each operation names its need beside itself (a
/// `NEEDS…` constant of its module) and checks it again when it runs, answered then from
/// the access cache.
#[derive(Debug, Clone, Copy)]
pub enum Need<'a> {
    /// Any signed-in caller (a change to their own account).
    SignedIn,
    /// An action on a feed.
    Feed(&'a FeedRef, FeedAction),
    /// An action in an organization.
    Org(&'a str, OrgAction),
}

/// Whether `principal` may make a change that needs `need`: `Ok` or the refusal the
/// operation itself would give (404 for a feed they may not read, 401, 403).
pub async fn admit(core: &Core, principal: &Principal, need: Need<'_>) -> CoreResult<()> {
    match need {
        Need::SignedIn if principal.user().is_none() => Err(CoreError::Denied(Denied::Unauthenticated)),
        Need::SignedIn => Ok(()),
        Need::Feed(feed, action) => feed.authorized(core, principal, action).await.map(drop),
        Need::Org(org, action) => {
            let scope = core.db.scopes().resolve(org, None).await?;
            wharf_auth::check_org(&core.db, principal, scope.org_id, action).await?;
            Ok(())
        }
    }
}

/// What a missing feed's 404 says, word for word, for a feed the caller may not see.
fn hidden_message(named: &FeedRef, feed: &Feed) -> String {
    match &feed.project {
        Some(project) => {
            format!("Feed '{}' does not exist in project '{project}' of organization '{}'.", named.feed, feed.org)
        }
        None => format!("Feed '{}' does not exist in organization '{}'.", named.feed, feed.org),
    }
}

/// A package of a feed, by the name a URL gives (any case, as cargo and people write it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageRef {
    pub feed: FeedRef,
    pub name: String,
}

impl PackageRef {
    pub fn new(feed: FeedRef, name: &str) -> CoreResult<Self> {
        let name = name.trim();
        if name.is_empty()
            || name.len() > 64
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(CoreError::NotFound(format!("There is no package '{name}' in this feed.")));
        }
        Ok(PackageRef { feed, name: name.to_owned() })
    }

    /// The lower-cased name packages are stored under.
    pub fn key(&self) -> String {
        self.name.to_ascii_lowercase()
    }
}

/// A version of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRef {
    pub package: PackageRef,
    pub version: String,
}

impl VersionRef {
    pub fn new(package: PackageRef, version: &str) -> CoreResult<Self> {
        let version = version.trim();
        if semver_like(version) {
            Ok(VersionRef { package, version: version.to_owned() })
        } else {
            Err(CoreError::NotFound(format!("There is no version '{version}' of `{}` in this feed.", package.name)))
        }
    }
}

/// Cheap plausibility: a version names something only if it could be semver.
fn semver_like(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 128
        && v.starts_with(|c: char| c.is_ascii_digit())
        && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_project_is_the_organization() {
        assert_eq!(FeedRef::new("default", Some(" "), "team").project, None);
        assert_eq!(FeedRef::new("default", Some("web"), "team").project.as_deref(), Some("web"));
    }

    #[test]
    fn feeds_are_named_org_project_feed_at_view() {
        let parsed = |text: &str| FeedRef::parse(text).map(|(f, v)| (f.org, f.project, f.feed, v));
        assert_eq!(parsed("acme/team"), Ok(("acme".into(), None, "team".into(), ViewSel::Feed)));
        assert_eq!(
            parsed("/acme/web/team@Local/"),
            Ok(("acme".into(), Some("web".into()), "team".into(), ViewSel::Local))
        );
        assert_eq!(
            parsed("acme/team@release"),
            Ok(("acme".into(), None, "team".into(), ViewSel::Named("release".into())))
        );
        for bad in ["team", "a/b/c/d", "", "acme//team", "acme/ /team", "/team", "acme/@release"] {
            let message = FeedRef::parse(bad).expect_err(bad);
            assert!(message.contains("ORG/PROJECT/FEED"), "{bad}: {message}");
        }
    }

    #[test]
    fn implausible_names_name_nothing() {
        let feed = FeedRef::new("o", None, "f");
        assert!(PackageRef::new(feed.clone(), "serde_json").is_ok());
        assert!(PackageRef::new(feed.clone(), "../x").is_err());
        let p = PackageRef::new(feed, "Serde").unwrap();
        assert_eq!(p.key(), "serde");
        assert!(VersionRef::new(p.clone(), "1.0.0-rc.1+b").is_ok());
        assert!(VersionRef::new(p, "latest").is_err());
    }
}
