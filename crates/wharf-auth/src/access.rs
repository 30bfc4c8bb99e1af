//! The one place that decides who may do what: with a feed ([`authorize`]), in an
//! organization ([`authorize_org`]) and on the instance itself ([`authorize_instance`]).
//! Nothing else compares roles, visibilities or whether an account is an administrator.

use wharf_core::{Role, TokenScope, Visibility};
use wharf_db::{Db, DbError, Feed, User};

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Anonymous,
    /// A signed-in user: through a personal access token of this scope, or through a
    /// browser session (which has the write scope).
    User {
        user: User,
        scope: TokenScope,
        /// The personal access token the request came with; `None` for a browser session
        /// (or the command line).
        token: Option<i64>,
    },
    /// The operator at the server's command line (`wharf admin`, `wharf import`): whoever
    /// can run it can read the database, so it may do anything a Wharf administrator may,
    /// with the write scope. It is no account: operations that act on the caller's own
    /// account refuse it, and its records say "command line".
    Operator,
}

impl Principal {
    pub fn user(&self) -> Option<&User> {
        match self {
            Principal::Anonymous | Principal::Operator => None,
            Principal::User { user, .. } => Some(user),
        }
    }
}

/// What the caller wants to do with a feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedAction {
    /// Read the index and the versions the feed holds.
    Read,
    /// Save a version from the upstream into the feed (on first download).
    SaveFromUpstream,
    /// Publish, yank, unyank.
    Write,
    /// Change settings and permissions.
    Administer,
    /// Delete the feed; grant or remove the Owner role.
    Own,
}

impl FeedAction {
    /// The least role that allows the action.
    fn min_role(self) -> Role {
        match self {
            FeedAction::Read => Role::Reader,
            FeedAction::SaveFromUpstream => Role::Collaborator,
            FeedAction::Write => Role::Contributor,
            FeedAction::Administer => Role::Administrator,
            FeedAction::Own => Role::Owner,
        }
    }

    fn needs_write_scope(self) -> bool {
        matches!(self, FeedAction::Write | FeedAction::Administer | FeedAction::Own)
    }
}

/// What is known of the caller's standing on one feed.
#[derive(Debug, Clone, Copy)]
pub struct FeedStanding {
    pub visibility: Visibility,
    pub allow_anonymous_saves: bool,
    /// The caller's role on the feed.
    pub role: Option<Role>,
    /// Whether the caller is a member of the feed's organization.
    pub member: bool,
}

/// The caller's standing on `feed`, read from the database (roles and membership matter
/// only for a signed-in caller).
pub async fn standing(db: &Db, principal: &Principal, feed: &Feed) -> Result<FeedStanding, DbError> {
    let Some(user) = principal.user() else {
        return Ok(FeedStanding::of(feed, None, false));
    };
    let org = db.scopes().resolve(&feed.org, None).await?;
    let role = db.roles().role_of(feed.id, user.id).await?;
    let member = db.users().is_member(org.org_id, user.id).await?;
    Ok(FeedStanding::of(feed, role, member))
}

impl FeedStanding {
    /// The standing of a caller with `role` on `feed`, `member` of its organization or not.
    pub fn of(feed: &Feed, role: Option<Role>, member: bool) -> Self {
        FeedStanding {
            visibility: feed.visibility,
            allow_anonymous_saves: feed.settings.allow_anonymous_saves,
            role,
            member,
        }
    }
}

/// Why [`check`] refused, or could not decide.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("{0:?}")]
    Denied(Denied),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Reads the caller's standing on `feed` and asks [`authorize`] about `action`.
pub async fn check(
    db: &Db,
    principal: &Principal,
    feed: &Feed,
    action: FeedAction,
) -> Result<FeedStanding, CheckError> {
    let standing = standing(db, principal, feed).await?;
    authorize(principal, &standing, action).map_err(CheckError::Denied)?;
    Ok(standing)
}

/// What a caller wants to do in an organization (not on one feed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgAction {
    /// List the organization's projects and feeds (each feed still checked on its own).
    Browse,
    /// Create a feed.
    CreateFeed,
    /// Create accounts, add and remove members: instance administrators only.
    ManageMembers,
    /// Create, rename and delete projects (and organizations): instance administrators only.
    ManageProjects,
    /// Read the organization's audit log: instance administrators only.
    ReadAuditLog,
}

/// Decides whether `principal`, `member` of the organization or not, may do `action` there.
pub fn authorize_org(principal: &Principal, member: bool, action: OrgAction) -> Result<(), Denied> {
    let (user, scope) = match principal {
        Principal::Operator => return Ok(()),
        Principal::Anonymous if action == OrgAction::Browse => return Ok(()),
        Principal::Anonymous => return Err(Denied::Unauthenticated),
        Principal::User { user, scope, .. } => (user, *scope),
    };
    if action != OrgAction::Browse && scope == TokenScope::Read {
        return Err(Denied::Forbidden(
            "This token has the Packaging: read scope; this needs Packaging: read & write.".into(),
        ));
    }
    match action {
        OrgAction::Browse => Ok(()),
        _ if user.is_admin => Ok(()),
        OrgAction::CreateFeed if member => Ok(()),
        OrgAction::CreateFeed => {
            Err(Denied::Forbidden(format!("{} is not a member of this organization; ask an administrator.", user.name)))
        }
        OrgAction::ManageMembers => {
            Err(Denied::Forbidden("Only Wharf administrators manage accounts and members.".into()))
        }
        OrgAction::ManageProjects => Err(Denied::Forbidden(
            "Only Wharf administrators create, rename and delete projects and organizations.".into(),
        )),
        OrgAction::ReadAuditLog => {
            Err(Denied::Forbidden("Only Wharf administrators read an organization's audit log.".into()))
        }
    }
}

/// What a caller wants to do on the instance itself: each is for Wharf administrators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceAction {
    /// Import the RustSec advisory database.
    ImportAdvisories,
    /// Read the whole audit log, accounts' and tokens' records among them.
    ReadInstanceLog,
    /// Add a sparse registry at any address as an upstream source (Wharf sends requests to
    /// the address it names).
    AddSparseSource,
    /// Have webhooks sent to this machine or its private network.
    ReachInternalHosts,
    /// Act on every feed as its Owner may, and see every organization.
    ActOnEveryFeed,
    /// Make and revoke tokens of any account.
    ManageAccounts,
}

/// Decides whether `principal` may do `action` on the instance.
pub fn authorize_instance(principal: &Principal, action: InstanceAction) -> Result<(), Denied> {
    let user = match principal {
        Principal::Anonymous => return Err(Denied::Unauthenticated),
        Principal::Operator => return Ok(()),
        Principal::User { user, .. } => user,
    };
    if user.is_admin {
        return Ok(());
    }
    Err(Denied::Forbidden(
        match action {
            InstanceAction::ImportAdvisories => "Only Wharf administrators import advisories.",
            InstanceAction::ReadInstanceLog => "Only Wharf administrators read the whole audit log.",
            InstanceAction::AddSparseSource => {
                "Only a Wharf administrator may add a sparse registry as a source (Wharf sends requests to the \
                 address it names). Ask one, or use crates.io or a feed of this Wharf."
            }
            InstanceAction::ReachInternalHosts => {
                "Only a Wharf administrator's webhooks may go to this machine or its private network."
            }
            InstanceAction::ActOnEveryFeed => "Only Wharf administrators act on every feed.",
            InstanceAction::ManageAccounts => "Only Wharf administrators make or revoke other accounts' tokens.",
        }
        .into(),
    ))
}

/// Checks [`authorize_org`] for the organization `org_id`, reading the membership.
pub async fn check_org(db: &Db, principal: &Principal, org_id: i64, action: OrgAction) -> Result<(), CheckError> {
    let member = match principal.user() {
        Some(user) => db.users().is_member(org_id, user.id).await?,
        None => false,
    };
    authorize_org(principal, member, action).map_err(CheckError::Denied)
}

/// The feeds of `feeds` the caller may read (one query for roles, one for membership).
pub async fn readable(db: &Db, principal: &Principal, org_id: i64, feeds: Vec<Feed>) -> Result<Vec<Feed>, DbError> {
    let (roles, member) = match principal.user() {
        Some(user) => (db.roles().of_user(user.id).await?, db.users().is_member(org_id, user.id).await?),
        None => (Default::default(), false),
    };
    Ok(feeds
        .into_iter()
        .filter(|f| {
            let standing = FeedStanding::of(f, roles.get(&f.id).copied(), member);
            authorize(principal, &standing, FeedAction::Read).is_ok()
        })
        .collect())
}

/// Why an action is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// Sign in or present a token (HTTP 401).
    Unauthenticated,
    /// Known, but not allowed (HTTP 403); the message says what is missing.
    Forbidden(String),
}

impl Denied {
    /// What the refusal says to a person.
    pub fn message(&self) -> &str {
        match self {
            Denied::Unauthenticated => "Sign in, or send a personal access token.",
            Denied::Forbidden(message) => message,
        }
    }
}

/// Decides whether `principal` may do `action` on a feed.
pub fn authorize(principal: &Principal, feed: &FeedStanding, action: FeedAction) -> Result<(), Denied> {
    let public_read = feed.visibility == Visibility::Public && action == FeedAction::Read;
    let public_save =
        feed.visibility == Visibility::Public && feed.allow_anonymous_saves && action == FeedAction::SaveFromUpstream;
    let (user, scope) = match principal {
        Principal::Operator => return Ok(()),
        Principal::Anonymous if public_read || public_save => return Ok(()),
        Principal::Anonymous => return Err(Denied::Unauthenticated),
        Principal::User { user, scope, .. } => (user, *scope),
    };
    if action.needs_write_scope() && scope == TokenScope::Read {
        return Err(Denied::Forbidden(
            "This token has the Packaging: read scope; this needs Packaging: read & write.".into(),
        ));
    }
    if user.is_admin || public_read || public_save || feed.role.is_some_and(|r| r >= action.min_role()) {
        return Ok(());
    }
    if action == FeedAction::Read && feed.visibility == Visibility::Organization && feed.member {
        return Ok(());
    }
    Err(Denied::Forbidden(match feed.role {
        Some(role) => {
            format!("{} has the {role} role on this feed; this needs {} or more.", user.name, action.min_role())
        }
        None => format!("{} has no role on this feed; this needs {} or more.", user.name, action.min_role()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(admin: bool) -> Principal {
        let user = User { id: 1, name: "ada".into(), is_admin: admin, created_at: 0 };
        Principal::User { user, scope: TokenScope::Write, token: None }
    }

    fn standing(visibility: Visibility, role: Option<Role>, member: bool) -> FeedStanding {
        FeedStanding { visibility, allow_anonymous_saves: true, role, member }
    }

    /// Instance actions: administrators only, whatever role they hold on any feed;
    /// anonymous callers are asked to sign in, others told why.
    #[test]
    fn instance_actions_are_for_administrators() {
        use InstanceAction::*;
        let all =
            [ImportAdvisories, ReadInstanceLog, AddSparseSource, ReachInternalHosts, ActOnEveryFeed, ManageAccounts];
        for action in all {
            assert_eq!(authorize_instance(&user(true), action), Ok(()), "{action:?}");
            assert_eq!(authorize_instance(&Principal::Operator, action), Ok(()), "{action:?}");
            assert_eq!(authorize_instance(&Principal::Anonymous, action), Err(Denied::Unauthenticated), "{action:?}");
            match authorize_instance(&user(false), action) {
                Err(Denied::Forbidden(message)) => assert!(message.contains("administrator"), "{action:?}: {message}"),
                other => panic!("{action:?}: {other:?}"),
            }
        }
    }

    /// Every visibility × caller × action, from one table: `.` allowed, `4` Unauthenticated,
    /// `3` Forbidden. Callers: anonymous, member without role, Reader, Collaborator,
    /// Contributor, Administrator, Owner, instance admin. Actions: Read, Save, Write,
    /// Administer, Own.
    #[test]
    fn the_matrix() {
        let callers: [(&str, Principal, Option<Role>, bool); 8] = [
            ("anonymous", Principal::Anonymous, None, false),
            ("member", user(false), None, true),
            ("reader", user(false), Some(Role::Reader), true),
            ("collaborator", user(false), Some(Role::Collaborator), true),
            ("contributor", user(false), Some(Role::Contributor), true),
            ("administrator", user(false), Some(Role::Administrator), true),
            ("owner", user(false), Some(Role::Owner), true),
            ("instance admin", user(true), None, false),
        ];
        let actions = [
            FeedAction::Read,
            FeedAction::SaveFromUpstream,
            FeedAction::Write,
            FeedAction::Administer,
            FeedAction::Own,
        ];
        let expected: [(Visibility, [&str; 8]); 3] = [
            //                          anon     member   reader   collab   contrib  admin    owner    iadmin
            (Visibility::Public, ["..444", "..333", "..333", "..333", "...33", "....3", ".....", "....."]),
            (Visibility::Organization, ["44444", ".3333", ".3333", "..333", "...33", "....3", ".....", "....."]),
            (Visibility::Private, ["44444", "33333", ".3333", "..333", "...33", "....3", ".....", "....."]),
        ];
        for (visibility, row) in expected {
            for ((label, principal, role, member), cells) in callers.iter().zip(row) {
                for (action, cell) in actions.iter().zip(cells.chars()) {
                    let got = match authorize(principal, &standing(visibility, *role, *member), *action) {
                        Ok(()) => '.',
                        Err(Denied::Unauthenticated) => '4',
                        Err(Denied::Forbidden(_)) => '3',
                    };
                    assert_eq!(got, cell, "{visibility:?} feed, {label}, {action:?}");
                }
            }
        }
    }

    #[test]
    fn anonymous_saves_on_public_feeds_can_be_turned_off() {
        let feed =
            FeedStanding { visibility: Visibility::Public, allow_anonymous_saves: false, role: None, member: false };
        assert_eq!(authorize(&Principal::Anonymous, &feed, FeedAction::Read), Ok(()));
        assert_eq!(authorize(&Principal::Anonymous, &feed, FeedAction::SaveFromUpstream), Err(Denied::Unauthenticated));
        assert!(matches!(authorize(&user(false), &feed, FeedAction::SaveFromUpstream), Err(Denied::Forbidden(_))));
    }

    #[test]
    fn read_tokens_cannot_write() {
        let owner = FeedStanding {
            visibility: Visibility::Private,
            allow_anonymous_saves: true,
            role: Some(Role::Owner),
            member: true,
        };
        let user = User { id: 1, name: "ada".into(), is_admin: true, created_at: 0 };
        let reader = Principal::User { user, scope: TokenScope::Read, token: Some(1) };
        assert_eq!(authorize(&reader, &owner, FeedAction::SaveFromUpstream), Ok(()));
        assert!(
            matches!(authorize(&reader, &owner, FeedAction::Write), Err(Denied::Forbidden(m)) if m.contains("read & write"))
        );
    }
}
