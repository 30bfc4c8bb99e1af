//! Publishing to a feed: the body is checked in full, the file stored durably, and only
//! then the version recorded, in one transaction; a refused publish leaves nothing.

use std::sync::Arc;

use bytes::Bytes;
use sha2::{Digest, Sha256};
use wharf_auth::{Denied, FeedAction, Principal};
use wharf_db::{DbError, Feed, LocalVersion, User};
use wharf_index::{
    crate_file::{self, CrateError},
    publish::{BodyError, PublishMetadata, split_body},
    validate_new_crate_name,
};

use super::Registry;
use crate::{Core, CoreError, CoreResult, FeedRef};

/// Largest `.crate` a publish may carry unless configured otherwise.
pub const DEFAULT_MAX_CRATE_SIZE: usize = 10 * 1024 * 1024;

/// How long a publish waits for one of the `.crate` checks (one per core) to be free.
const CHECK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Why a publish, yank or unyank was refused.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{0}")]
    Body(#[from] BodyError),
    #[error("{0}")]
    Crate(#[from] CrateError),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("The server is busy checking other .crate files; publish again in a moment.")]
    Busy,
    #[error("the crate file could not be stored")]
    Storage(#[source] object_store::Error),
    #[error("the database could not complete the publish")]
    Db(#[source] DbError),
}

impl From<DbError> for PublishError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Conflict(message) => PublishError::Conflict(message),
            DbError::NotFound(message) => PublishError::NotFound(message),
            other => PublishError::Db(other),
        }
    }
}

/// A version just published.
#[derive(Debug)]
pub struct Published {
    pub name: String,
    pub version: String,
}

/// Leave to publish into one feed, which only [`Registry::admit_publish`] gives: an adapter
/// reads a publish body only once it holds one, so a refused publish costs no read.
#[derive(Debug)]
pub struct PublishTicket {
    feed: Arc<Feed>,
    principal: Principal,
    user: User,
}

impl PublishTicket {
    /// The feed the ticket publishes into.
    pub fn feed(&self) -> &Feed {
        &self.feed
    }
}

impl Registry {
    /// Admits `principal` to publish into `feed`: Contributor or more, through an account
    /// (a token of the read & write scope, or a session). The ticket, or the refusal.
    pub(crate) async fn admit_publish(
        &self,
        core: &Core,
        principal: &Principal,
        feed: &FeedRef,
    ) -> CoreResult<PublishTicket> {
        let found = self.authorized(core, principal, feed, FeedAction::Write).await?;
        let Principal::User { user, .. } = principal else {
            return Err(CoreError::Denied(Denied::Unauthenticated));
        };
        Ok(PublishTicket { feed: found.feed, user: user.clone(), principal: principal.clone() })
    }

    /// The largest publish body: the `.crate` limit, its metadata and their two lengths.
    pub(crate) fn publish_body_limit(&self) -> usize {
        self.max_crate_size + wharf_index::publish::MAX_METADATA_LEN + 8
    }

    /// Publishes the body of `PUT …/api/v1/crates/new` with a ticket's leave.
    pub(crate) async fn publish_with(&self, ticket: PublishTicket, body: Bytes) -> Result<Published, PublishError> {
        self.publish(&ticket.feed, &ticket.principal, &ticket.user, body).await
    }

    /// Publishes the body of `PUT …/api/v1/crates/new` to `feed` as `user`.
    async fn publish(
        &self,
        feed: &Feed,
        principal: &Principal,
        user: &User,
        body: Bytes,
    ) -> Result<Published, PublishError> {
        let (json, krate) = split_body(&body, self.max_crate_size)?;
        let meta = PublishMetadata::parse(json)?;
        validate_new_crate_name(&meta.name).map_err(|e| PublishError::Invalid(format!("{e}.")))?;
        if let Err(e) = semver::Version::parse(&meta.vers) {
            return Err(PublishError::Invalid(format!("`{}` is not a semantic version ({e}).", meta.vers)));
        }
        let krate = body.slice_ref(krate);
        let contents = {
            // At most one check per core at once (each unpacks up to the limit); the permit
            // goes into the blocking task, so a client that hangs up does not free it early.
            let permit = tokio::time::timeout(CHECK_WAIT, self.checks.clone().acquire_owned())
                .await
                .ok()
                .and_then(Result::ok)
                .ok_or(PublishError::Busy)?;
            let (krate, name, vers, readme) =
                (krate.clone(), meta.name.clone(), meta.vers.clone(), meta.readme_file.clone());
            let limit = crate_file::unpack_limit(self.max_crate_size as u64);
            tokio::task::spawn_blocking(move || {
                let _permit = permit;
                crate_file::inspect(&krate, &name, &vers, readme.as_deref(), limit)
            })
            .await
            .map_err(|e| PublishError::Invalid(format!("the .crate could not be read: {e}")))??
        };
        contents.agrees_with(meta.links.as_deref(), meta.rust_version.as_deref())?;
        let cksum = hex::encode(Sha256::digest(&krate));
        let size = krate.len() as i64;
        // Whole seconds, as cargo requires.
        let line = meta.index_line(&cksum, Some(crate::rfc3339(wharf_db::unix_now())));
        let metadata = serde_json::to_string(&meta).unwrap_or_default();
        let version = LocalVersion {
            name: &meta.name,
            version: &meta.vers,
            cksum: &cksum,
            size,
            index_line: &line,
            published_by: user.id,
            description: meta.description.as_deref(),
            metadata: &metadata,
            readme: contents.readme.as_deref(),
        };
        // The file is marked as being written before it is stored, so that no refused
        // publish or purge elsewhere deletes it under this one. Recording the version ends
        // the mark; a refusal ends it here, which removes the file unless another version
        // holds it.
        self.begin_write(&cksum).await?;
        let outcome = async {
            self.storage.put(&cksum, krate).await.map_err(PublishError::Storage)?;
            self.db.packages().publish(feed.id, &version).await.map_err(PublishError::from)
        }
        .await;
        if let Err(e) = outcome {
            self.end_write(&cksum).await;
            return Err(e);
        }
        crate::metrics::inc(&self.metrics.publishes);
        tracing::info!(krate = %meta.name, version = %meta.vers, user = %user.name, "published");
        let entry = crate::audit::Entry::feed("version.publish", feed, format!("{} {}", meta.name, meta.vers));
        let change = crate::Change::VersionPublished {
            feed: feed.id,
            krate: meta.name.to_ascii_lowercase(),
            version: meta.vers.clone(),
        };
        self.core.done(principal, entry, change).await;
        Ok(Published { name: meta.name, version: meta.vers })
    }
}
