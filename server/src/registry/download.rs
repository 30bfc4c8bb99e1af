//! Crate downloads: a version the feed holds is served from storage; an upstream version
//! is fetched once, checked against the index checksum, stored, recorded, then served.

use bytes::Bytes;
use futures_util::{StreamExt, stream::BoxStream};
use wharf_db::{DbError, Feed, NewVersion, Origin};
use wharf_index::lines;

use super::{Registry, upstream::UpstreamError};
use crate::metrics::inc;

/// A crate file on its way to the client.
pub struct Download {
    pub size: u64,
    pub body: BoxStream<'static, Result<Bytes, std::io::Error>>,
    /// Whether this request saved it into the feed.
    pub saved: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("version {version} of crate `{krate}` is not in feed `{feed}`")]
    NotFound { krate: String, version: String, feed: String },
    #[error("version {version} of crate `{krate}` is not saved in this feed yet, and you may not save it: {reason}")]
    SaveForbidden { krate: String, version: String, reason: String },
    #[error("version {version} of crate `{krate}` could not be saved from the upstream: {source}")]
    Upstream { krate: String, version: String, source: UpstreamError },
    #[error("storage error: {0}")]
    Storage(#[from] object_store::Error),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl Registry {
    /// The file of `name` (as requested) at `version` in `feed`. Saving it from the upstream
    /// first happens only when `may_save` is `Ok`; its `Err` says why not.
    pub async fn download(
        &self,
        feed: &Feed,
        name: &str,
        version: &str,
        may_save: Result<(), String>,
    ) -> Result<Download, DownloadError> {
        let key = name.to_ascii_lowercase();
        if let Some(stored) = self.db.packages().find_version(feed.id, &key, version).await? {
            return self.serve_stored(feed, &key, &stored.cksum).await;
        }
        let not_found =
            || DownloadError::NotFound { krate: name.to_owned(), version: version.to_owned(), feed: feed.name.clone() };
        // Upstream versions of a local name are hidden by the dependency-confusion guard.
        if !feed.upstream_enabled || self.guarded(feed.id, &key).await? {
            return Err(not_found());
        }
        let (file, _) = self.upstream.index_file(&key).await.map_err(|source| DownloadError::Upstream {
            krate: name.to_owned(),
            version: version.to_owned(),
            source,
        })?;
        let body = file.body.clone().ok_or_else(not_found)?;
        let (line, entry) = lines(&body).find(|(_, l)| l.vers == version).ok_or_else(not_found)?;
        if let Err(reason) = may_save {
            return Err(DownloadError::SaveForbidden { krate: name.to_owned(), version: version.to_owned(), reason });
        }
        let line = String::from_utf8_lossy(line).trim_end().to_owned();
        // The checksum names the stored file: only a real sha256 may.
        if !(entry.cksum.len() == 64 && entry.cksum.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))) {
            return Err(DownloadError::Upstream {
                krate: name.to_owned(),
                version: version.to_owned(),
                source: UpstreamError::BadIndex(format!("its index gives {:?} as the checksum", entry.cksum)),
            });
        }

        // One upstream fetch per file, however many requests ask at once.
        let _guard = self.downloads.lock(&entry.cksum).await;
        if let Some(stored) = self.db.packages().find_version(feed.id, &key, version).await? {
            return self.serve_stored(feed, &key, &stored.cksum).await;
        }
        let bytes = match self.storage_has(&entry.cksum).await {
            Some(bytes) => bytes,
            None => {
                let bytes =
                    self.upstream.fetch_crate(&entry.name, &entry.vers, &entry.cksum).await.map_err(|source| {
                        tracing::warn!(krate = name, version, error = %source, "saving from the upstream failed");
                        DownloadError::Upstream { krate: name.to_owned(), version: version.to_owned(), source }
                    })?;
                self.storage.put(&entry.cksum, bytes.clone()).await?;
                bytes
            }
        };
        let new = NewVersion {
            name: &entry.name,
            version: &entry.vers,
            origin: Origin::Upstream,
            cksum: &entry.cksum,
            size: bytes.len() as i64,
            index_line: &line,
        };
        if self.db.packages().record(feed.id, &new).await? {
            inc(&self.metrics.crates_saved);
            tracing::info!(krate = %entry.name, version = %entry.vers, "saved from the upstream");
        }
        self.index_changed(feed.id, &key);
        self.upstream_reached(feed.id);
        inc(&self.metrics.downloads);
        let size = bytes.len() as u64;
        Ok(Download { size, body: futures_util::stream::once(async move { Ok(bytes) }).boxed(), saved: true })
    }

    /// The stored file with this checksum, if another feed already saved it.
    async fn storage_has(&self, cksum: &str) -> Option<Bytes> {
        let (_, mut stream) = self.storage.get(cksum).await.ok()?;
        let mut out = bytes::BytesMut::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk.ok()?);
        }
        use sha2::Digest;
        (hex::encode(sha2::Sha256::digest(&out)) == cksum).then(|| out.freeze())
    }

    async fn serve_stored(&self, feed: &Feed, key: &str, cksum: &str) -> Result<Download, DownloadError> {
        let (size, stream) = self.storage.get(cksum).await?;
        self.package_used(feed.id, key);
        inc(&self.metrics.downloads);
        Ok(Download { size, body: stream.map(|r| r.map_err(std::io::Error::other)).boxed(), saved: false })
    }
}
