//! What the server sends the portal: plain data, the same on both sides.

use serde::{Deserialize, Serialize};
use wharf_core::{FeedLocation, Visibility, snippet::ConnectInfo};

/// A feed as the portal shows it, with its URLs already built from the public URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedView {
    pub id: i64,
    pub org: String,
    pub project: Option<String>,
    pub name: String,
    pub description: String,
    pub visibility: Visibility,
    pub upstream_enabled: bool,
    pub index_url: String,
    pub tokens_url: String,
    /// RFC 3339.
    pub created_at: String,
    /// When the upstream last answered for this feed (RFC 3339).
    pub upstream_reached_at: Option<String>,
}

/// A package of a feed, as the feed page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageView {
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
            upstream_enabled: self.upstream_enabled,
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
