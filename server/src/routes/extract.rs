//! What a route's path names: an organization or project, a feed, a package, a version.
//! Each becomes the core's typed reference ([`FeedRef`], [`PackageRef`], [`VersionRef`]),
//! which validates itself and loads the thing only for an authorized caller.

use axum::{
    extract::{FromRequestParts, Path},
    http::request::Parts,
};
use serde::{Deserialize, de::DeserializeOwned};
use wharf_service::{CoreResult, FeedRef, PackageRef, VersionRef};

use crate::error::ApiError;

/// Like axum's `Path`, but a segment that does not parse (an id that is not a number, a
/// name that is not UTF-8) is `400` in the API's error shape rather than plain text.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(ApiError::BadRequest(format!("{}.", rejection.body_text()))),
        }
    }
}

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
