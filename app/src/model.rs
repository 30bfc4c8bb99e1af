//! What the server sends the portal: plain data, the same on both sides.

use serde::{Deserialize, Serialize};
use wharf_core::{FeedLocation, FeedSettings, Visibility, snippet::ConnectInfo};

/// A feed as the portal shows it, with its URLs already built from the public URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedView {
    pub id: i64,
    pub org: String,
    pub project: Option<String>,
    pub name: String,
    pub description: String,
    pub visibility: Visibility,
    /// Whether crates.io is one of its upstream sources (the snippet then replaces crates-io).
    pub includes_crates_io: bool,
    pub index_url: String,
    pub tokens_url: String,
    /// RFC 3339.
    pub created_at: String,
    /// When the upstream last answered for this feed (RFC 3339).
    pub upstream_reached_at: Option<String>,
    /// Whether the viewer may change the feed's settings and permissions.
    pub can_administer: bool,
    /// What the feed does.
    pub settings: FeedSettings,
}

/// A version the feed's retention rules would take now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetiredView {
    pub package: String,
    pub version: String,
    pub reason: String,
}

/// One page of a feed's packages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageList {
    /// Packages that match, on every page.
    pub total: i64,
    /// This page, from 1, and the last one.
    pub page: i64,
    pub pages: i64,
    pub per_page: i64,
    pub items: Vec<PackageView>,
    /// Upstream versions the feed's cooldown holds back (as last recorded).
    pub held_back: i64,
}

/// A package of a feed, as the feed page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageView {
    /// Whether any of its versions is yanked.
    pub yanked: bool,
    pub name: String,
    /// Versions the feed holds.
    pub versions: i64,
    pub latest: String,
    /// `local`, `upstream` or `local+upstream`.
    pub origin: String,
    /// RFC 3339.
    pub last_used: String,
}

impl FeedView {
    pub fn location(&self) -> FeedLocation {
        FeedLocation { org: self.org.clone(), project: self.project.clone(), feed: self.name.clone() }
    }

    /// "Project default" or "Organization".
    pub fn scope_label(&self) -> String {
        match &self.project {
            Some(project) => format!("Project {project}"),
            None => "Organization".to_owned(),
        }
    }

    pub fn connect_info(&self) -> ConnectInfo {
        ConnectInfo {
            feed: self.name.clone(),
            index_url: self.index_url.clone(),
            visibility: self.visibility,
            includes_crates_io: self.includes_crates_io,
            tokens_url: self.tokens_url.clone(),
        }
    }
}

/// What the create form held, sent back with its errors so a form posted without
/// JavaScript comes back filled in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedFormValues {
    pub name: String,
    pub description: String,
    pub visibility: String,
    pub scope: String,
    pub upstream: bool,
}

/// An RFC 3339 UTC timestamp as people read it: `2026-11-24 06:16 UTC`.
pub fn human_time(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => rfc3339.to_owned(),
    }
}

/// The signed-in user as the portal shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub name: String,
    pub is_admin: bool,
}

/// Who is looking at the portal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub user: Option<UserView>,
    /// The CSRF token for this session's forms (empty for a visitor who has no session).
    pub csrf: String,
    /// No account exists yet: every page leads to the setup page.
    pub needs_setup: bool,
}

/// A personal access token as listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    /// "Packaging: read" or "Packaging: read & write".
    pub scope: String,
    /// The token's first characters, to recognise it.
    pub prefix: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked: bool,
    pub expired: bool,
}

/// What the tokens page shows: the tokens, and a token just created (shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokensView {
    pub tokens: Vec<TokenView>,
    pub created: Option<CreatedToken>,
}

/// A token just created: its secret is shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub name: String,
    pub secret: String,
}

/// A member of an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub name: String,
    pub is_admin: bool,
    pub joined_at: String,
}

/// The members page: the members, and the accounts that could be added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembersView {
    pub members: Vec<MemberView>,
    pub others: Vec<String>,
}

/// Who holds which role on a feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionView {
    pub user: String,
    pub role: wharf_core::Role,
}

/// A package's page: its versions, and what the selected version says of itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageDetailView {
    pub name: String,
    pub versions: Vec<VersionView>,
    /// The version shown: the newest not yanked, else the newest.
    pub version: String,
    pub description: Option<String>,
    pub license: Option<String>,
    pub repository: Option<String>,
    pub homepage: Option<String>,
    pub documentation: Option<String>,
    /// The README as sanitised HTML.
    pub readme_html: Option<String>,
    /// (name the crate uses, requirement, kind, optional, real package when renamed, target)
    pub dependencies: Vec<DependencyView>,
    pub features: Vec<(String, Vec<String>)>,
    /// The dependency-confusion guard: whether upstream versions are allowed in anyway.
    pub allow_external: bool,
    pub has_local: bool,
    /// Whether the viewer may promote versions to views, and the feed's views.
    pub can_promote: bool,
    pub views: Vec<String>,
    /// Versions in all, the page shown (from 1) and versions per page.
    pub total_versions: i64,
    pub page: i64,
    pub per_page: i64,
    /// Upstream versions the feed's cooldown holds back: (version, release day, RFC 3339).
    pub held_back: Vec<(String, String)>,
    /// The security advisories about the crate (as crates.io publishes it).
    pub advisories: Vec<AdvisoryView>,
    /// The Markdown of the crate's version badge, linking to this page.
    pub badge_markdown: String,
}

/// A security advisory as the package and Security pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvisoryView {
    pub id: String,
    pub title: String,
    pub url: String,
    /// `none` … `critical`, when the advisory gives a CVSS vector.
    pub severity: Option<String>,
    /// `vulnerability`, `malicious`, `unmaintained`, `unsound` or `notice`.
    pub kind: String,
    pub date: String,
    /// Of the versions listed, those it affects.
    pub affected: Vec<String>,
    /// The safe requirements, for the reader.
    pub patched: Vec<String>,
}

/// A version a feed holds that an advisory affects: a row of the Security page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedView {
    pub package: String,
    pub version: String,
    pub advisory: AdvisoryView,
}

/// A feed's Security page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityView {
    pub policy: wharf_core::feed::AdvisoryPolicy,
    /// Whether any advisory database was loaded into this Wharf.
    pub loaded: bool,
    pub affected: Vec<AffectedView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionView {
    pub version: String,
    pub origin: wharf_core::Origin,
    pub yanked: bool,
    pub downloads: i64,
    pub created_at: String,
    /// The views it was promoted to.
    pub views: Vec<String>,
    /// Why it is quarantined (its downloads refused), when it is.
    pub quarantine: Option<String>,
    /// Saved from an upstream that no longer lists it.
    pub removed_upstream: bool,
    /// The advisories that affect it: (id, severity or kind).
    pub advisories: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependencyView {
    pub name: String,
    pub req: String,
    pub kind: String,
    pub optional: bool,
    pub package: Option<String>,
    pub target: Option<String>,
}

/// A version in a feed's recycle bin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecycledView {
    pub name: String,
    pub version: String,
    pub deleted_at: String,
    pub purged_at: String,
}

/// An upstream source of a feed, as its Upstreams page lists it (never its token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceView {
    pub name: String,
    pub kind: wharf_core::SourceKind,
    pub location: String,
    pub has_token: bool,
    /// RFC 3339.
    pub last_ok_at: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
}

/// A view of a feed, for its Views page and the Connect page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewInfo {
    pub name: String,
    /// The view's own `sparse+…` index URL.
    pub index_url: String,
    /// Versions promoted to it; `None` for `@local`, which holds everything.
    pub versions: Option<i64>,
}

/// One audit record as the Audit page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    /// RFC 3339, UTC.
    pub at: String,
    pub actor: String,
    pub channel: String,
    pub address: Option<String>,
    pub action: String,
    pub target: String,
    pub detail: Option<String>,
}

/// One page of an audit log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLogView {
    pub count: i64,
    pub page: i64,
    pub per_page: i64,
    pub rows: Vec<AuditRow>,
}

/// A webhook as its page shows it, with its latest deliveries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookView {
    pub id: i64,
    pub url: String,
    pub events: Vec<wharf_core::WebhookEvent>,
    pub created_at: String,
    pub deliveries: Vec<DeliveryView>,
}

/// One delivery of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub event: String,
    pub state: wharf_core::DeliveryState,
    pub attempts: i64,
    pub response_code: Option<i64>,
    pub error: Option<String>,
    /// When it finished, or was queued (RFC 3339).
    pub at: String,
}

/// A warm job as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarmJobView {
    pub id: i64,
    pub done: bool,
    pub total: i64,
    pub saved: i64,
    pub present: i64,
    /// `(name, version, reason)` of each package that could not be saved.
    pub failed: Vec<(String, String, String)>,
    /// The job's REST address, whose server-sent events the page follows.
    pub events_url: String,
}

/// Why an uploaded lockfile was refused: the Warm page is rendered again with it (the
/// upload is a plain form post, answered by the server with the page itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarmUploadError(pub String);
