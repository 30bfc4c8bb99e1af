//! Crate files, addressed by their sha256: one `Storage` over `object_store`, on local
//! disk (the default) or in any S3-compatible bucket. The same file saved into several
//! feeds is stored once; when it may be deleted is decided in the database
//! (`wharf_db::crate_files`), not here.
//!
//! Writes are idempotent (a key names its bytes, so writing it twice writes the same
//! bytes) and durable when they return: fsynced on local disk, acknowledged by S3 (which
//! makes an object visible only once stored). Only then is a version recorded.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::{StreamExt, stream::BoxStream};
use object_store::{
    ObjectStore, PutPayload, WriteMultipart, aws::AmazonS3Builder, local::LocalFileSystem, path::Path as StorePath,
    prefix::PrefixStore,
};
use sha2::{Digest, Sha256};

/// Where crate files are kept, as `--storage-url` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageUrl {
    /// `file://PATH`: a directory on local disk.
    File(std::path::PathBuf),
    /// `s3://BUCKET[/PREFIX]`: a bucket of any S3-compatible store, configured through
    /// object_store's `AWS_*` environment variables.
    S3 { bucket: String, prefix: Option<String> },
}

impl StorageUrl {
    /// Parses `file://PATH` or `s3://BUCKET[/PREFIX]`.
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if let Some(path) = url.strip_prefix("file://") {
            if path.is_empty() {
                return Err("file:// needs a path, like file:///var/lib/wharf/storage".into());
            }
            return Ok(StorageUrl::File(path.into()));
        }
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = match rest.split_once('/') {
                Some((bucket, prefix)) => (bucket, Some(prefix.trim_matches('/'))),
                None => (rest, None),
            };
            let valid = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.');
            if bucket.len() < 3 || bucket.len() > 63 || !bucket.chars().all(valid) {
                return Err(format!(
                    "{bucket:?} is not an S3 bucket name (3 to 63 lower-case letters, digits, '-' and '.')"
                ));
            }
            let prefix = prefix.filter(|p| !p.is_empty()).map(str::to_owned);
            return Ok(StorageUrl::S3 { bucket: bucket.to_owned(), prefix });
        }
        Err(format!("{url:?} is neither file://PATH nor s3://BUCKET[/PREFIX]"))
    }
}

impl std::fmt::Display for StorageUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StorageUrl::File(path) => write!(f, "file://{}", path.display()),
            StorageUrl::S3 { bucket, prefix: None } => write!(f, "s3://{bucket}"),
            StorageUrl::S3 { bucket, prefix: Some(prefix) } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// Where `.crate` files live.
#[derive(Clone, Debug)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// Set for the local backend, to fsync files and directories after writing.
    local_root: Option<std::path::PathBuf>,
}

/// The storage key of a crate file.
fn key(cksum: &str) -> StorePath {
    StorePath::from(format!("crates/sha256/{}/{cksum}.crate", &cksum[..2.min(cksum.len())]))
}

/// Why a streamed crate file was not stored.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("its sha256 is {actual}, not {expected}")]
    Mismatch { expected: String, actual: String },
    #[error(transparent)]
    Store(#[from] object_store::Error),
}

impl Storage {
    /// The storage `url` names. An S3 bucket takes its endpoint, credentials and region
    /// from the environment (`AWS_ENDPOINT`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_REGION`, `AWS_ALLOW_HTTP`, …), as object_store reads them.
    pub fn open(url: &StorageUrl) -> std::io::Result<Self> {
        Self::open_with(url, std::env::vars())
    }

    /// [`Storage::open`] with `AWS_*` settings from `vars` instead of the environment.
    pub fn open_with(url: &StorageUrl, vars: impl IntoIterator<Item = (String, String)>) -> std::io::Result<Self> {
        match url {
            StorageUrl::File(root) => Self::local(root),
            StorageUrl::S3 { bucket, prefix } => {
                let mut builder = AmazonS3Builder::new();
                for (key, value) in vars {
                    if key.starts_with("AWS_")
                        && let Ok(key) = key.to_ascii_lowercase().parse()
                    {
                        builder = builder.with_config(key, value);
                    }
                }
                let s3 = builder.with_bucket_name(bucket).build().map_err(std::io::Error::other)?;
                let store: Arc<dyn ObjectStore> = match prefix {
                    Some(prefix) => Arc::new(PrefixStore::new(s3, prefix.as_str())),
                    None => Arc::new(s3),
                };
                Ok(Storage { store, local_root: None })
            }
        }
    }

    /// Whether the store answers: a listing of at most one key (for `/_ready`).
    pub async fn ping(&self) -> object_store::Result<()> {
        let prefix = StorePath::from("crates");
        let mut listing = self.store.list(Some(&prefix));
        match listing.next().await {
            Some(Err(e)) => Err(e),
            _ => Ok(()),
        }
    }

    /// The sha256 of every stored crate file (for backups and tests).
    pub async fn list(&self) -> object_store::Result<Vec<String>> {
        let prefix = StorePath::from("crates/sha256");
        let mut listing = self.store.list(Some(&prefix));
        let mut all = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta?;
            if let Some(cksum) = meta.location.filename().and_then(|f| f.strip_suffix(".crate")) {
                all.push(cksum.to_owned());
            }
        }
        all.sort();
        Ok(all)
    }

    /// Local disk under `root` (created when missing).
    pub fn local(root: &std::path::Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(root)?;
        let store = LocalFileSystem::new_with_prefix(root).map_err(std::io::Error::other)?;
        Ok(Storage { store: Arc::new(store), local_root: Some(root.to_owned()) })
    }

    /// Stores a crate file. On local disk it is on stable storage when this returns.
    pub async fn put(&self, cksum: &str, bytes: Bytes) -> object_store::Result<()> {
        let key = key(cksum);
        self.store.put(&key, PutPayload::from_bytes(bytes)).await?;
        self.sync(&key).await
    }

    /// Starts storing the crate file `cksum` from a stream of chunks. Nothing is visible
    /// under its key until [`Upload::finish`] has checked the sha256.
    pub async fn upload(&self, cksum: &str) -> object_store::Result<Upload> {
        let key = key(cksum);
        let upload = self.store.put_multipart(&key).await?;
        // Parts of 5 MiB are the least S3 takes; local disk writes smaller ones as they come.
        let chunk = if self.local_root.is_some() { 1024 * 1024 } else { 5 * 1024 * 1024 };
        Ok(Upload {
            writer: WriteMultipart::new_with_chunk_size(upload, chunk),
            hasher: Sha256::new(),
            len: 0,
            cksum: cksum.to_owned(),
            key,
            storage: self.clone(),
        })
    }

    /// Makes a file written on local disk durable: object_store renames a temporary file
    /// into place, so both the file and its directory are synced.
    async fn sync(&self, key: &StorePath) -> object_store::Result<()> {
        let Some(root) = &self.local_root else { return Ok(()) };
        let path = root.join(key.as_ref());
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::File::open(&path)?.sync_all()?;
            if let Some(dir) = path.parent() {
                std::fs::File::open(dir)?.sync_all()?;
            }
            Ok(())
        })
        .await
        .map_err(|e| object_store::Error::Generic { store: "local", source: Box::new(e) })?
        .map_err(|e| object_store::Error::Generic { store: "local", source: Box::new(e) })
    }

    /// Removes a crate file; absent is fine. Only under the file's lock in the database
    /// (`Registry::collect`), never on its own.
    pub async fn delete(&self, cksum: &str) -> object_store::Result<()> {
        match self.store.delete(&key(cksum)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// A stored crate file as a stream of chunks, and its size.
    pub async fn get(
        &self,
        cksum: &str,
    ) -> object_store::Result<(u64, BoxStream<'static, object_store::Result<Bytes>>)> {
        let result = self.store.get(&key(cksum)).await?;
        let size = result.meta.size;
        Ok((size, result.into_stream()))
    }

    /// Whether the file is stored whole: present, and its bytes hash to `cksum` (read as a
    /// stream, never held in memory).
    pub async fn holds(&self, cksum: &str) -> bool {
        let Ok((_, mut stream)) = self.get(cksum).await else { return false };
        let mut hasher = Sha256::new();
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(chunk) => hasher.update(&chunk),
                Err(_) => return false,
            }
        }
        hex::encode(hasher.finalize()) == cksum
    }
}

/// A crate file being stored from a stream: hashed as it goes, and published under its key
/// only when the hash is the expected one. Dropped unfinished, it leaves nothing.
pub struct Upload {
    writer: WriteMultipart,
    hasher: Sha256,
    len: u64,
    cksum: String,
    key: StorePath,
    storage: Storage,
}

impl Upload {
    /// Adds a chunk; waits while earlier parts are still being written, so that at most
    /// about two parts are held in memory.
    pub async fn write(&mut self, chunk: Bytes) -> object_store::Result<()> {
        self.hasher.update(&chunk);
        self.len += chunk.len() as u64;
        self.writer.wait_for_capacity(1).await?;
        self.writer.put(chunk);
        Ok(())
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Checks the sha256 and, when it is right, makes the file visible (and durable on
    /// local disk); when it is wrong, discards everything written.
    pub async fn finish(self) -> Result<u64, UploadError> {
        let actual = hex::encode(self.hasher.finalize());
        if actual != self.cksum {
            if let Err(e) = self.writer.abort().await {
                tracing::warn!(error = %e, "could not discard a refused upload");
            }
            return Err(UploadError::Mismatch { expected: self.cksum, actual });
        }
        self.writer.finish().await?;
        self.storage.sync(&self.key).await?;
        Ok(self.len)
    }

    /// Discards everything written.
    pub async fn abort(self) {
        if let Err(e) = self.writer.abort().await {
            tracing::warn!(error = %e, "could not discard an unfinished upload");
        }
    }
}
