//! What a route's path names: an organization or project, a feed, a package, a version.
//! Each becomes the core's typed reference ([`FeedRef`], [`PackageRef`], [`VersionRef`]),
//! which validates itself and loads the thing only for an authorized caller.

use serde::Deserialize;
use wharf_service::{CoreResult, FeedRef, PackageRef, VersionRef};

/// `/{org}[/{project}]`.
#[derive(Debug, Deserialize)]
pub struct ScopePath {
    pub org: String,
    pub project: Option<String>,
}

/// `/{org}[/{project}]/…/{feed}`.
#[derive(Debug, Deserialize)]
pub struct FeedPath {
    pub org: String,
    pub project: Option<String>,
    pub feed: String,
}

impl FeedPath {
    pub fn to_ref(&self) -> FeedRef {
        FeedRef::new(&self.org, self.project.as_deref(), &self.feed)
    }
}

/// `…/{feed}/…/{package}`.
#[derive(Debug, Deserialize)]
pub struct PackagePath {
    pub org: String,
    pub project: Option<String>,
    pub feed: String,
    pub package: String,
}

impl PackagePath {
    pub fn to_ref(&self) -> CoreResult<PackageRef> {
        PackageRef::new(FeedRef::new(&self.org, self.project.as_deref(), &self.feed), &self.package)
    }
}

/// `…/{feed}/…/{package}/versions/{version}`.
#[derive(Debug, Deserialize)]
pub struct VersionPath {
    pub org: String,
    pub project: Option<String>,
    pub feed: String,
    pub package: String,
    pub version: String,
}

impl VersionPath {
    pub fn to_ref(&self) -> CoreResult<VersionRef> {
        let feed = FeedRef::new(&self.org, self.project.as_deref(), &self.feed);
        VersionRef::new(PackageRef::new(feed, &self.package)?, &self.version)
    }
}
