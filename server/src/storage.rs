//! Crate files, addressed by their sha256: one `Storage` over `object_store` (local disk
//! by default). The same file saved into several feeds is stored once.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use object_store::{ObjectStore, PutPayload, local::LocalFileSystem, path::Path as StorePath};

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

impl Storage {
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
        if let Some(root) = &self.local_root {
            let path = root.join(key.as_ref());
            // object_store renames a temporary file into place; make both durable.
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                std::fs::File::open(&path)?.sync_all()?;
                if let Some(dir) = path.parent() {
                    std::fs::File::open(dir)?.sync_all()?;
                }
                Ok(())
            })
            .await
            .map_err(|e| object_store::Error::Generic { store: "local", source: Box::new(e) })?
            .map_err(|e| object_store::Error::Generic { store: "local", source: Box::new(e) })?;
        }
        Ok(())
    }

    /// Removes a crate file (after a publish that did not complete); absent is fine.
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
}
