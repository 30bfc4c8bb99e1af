//! A feed's upstream sources at run time: one client per registry (crates.io, or any
//! sparse index with its token), the key that seals those tokens in the database, and
//! what each source last answered.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use base64::Engine as _;
use ring::aead;
use wharf_core::SourceKind;
use wharf_db::{Db, UpstreamRow, unix_now};

use super::upstream::{RegistryToken, Upstream, UpstreamConfig};
use crate::metrics::Metrics;

/// At most one "last success" write per source in this time.
const OK_INTERVAL: Duration = Duration::from_secs(60);
/// At most one "last error" write per source in this time.
const ERROR_INTERVAL: Duration = Duration::from_secs(10);
/// Registry clients kept for sparse sources (each holds its own index cache).
const MAX_CLIENTS: u64 = 256;
/// Prefix of a sealed secret: the format's version.
const SEALED_PREFIX: &str = "v1.";

/// The operator's key for secrets kept in the database (upstream tokens): ChaCha20-Poly1305
/// under a key derived from the operator's secret. Never printed.
pub struct SecretKey(aead::LessSafeKey);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<secret key>")
    }
}

impl SecretKey {
    /// Shortest secret taken: 32 characters (a random 128-bit value, hex-encoded, is).
    pub const MIN_LEN: usize = 32;

    /// The key derived from an operator's secret of at least [`SecretKey::MIN_LEN`] characters.
    pub fn from_secret(secret: &str) -> Result<Self, String> {
        let secret = secret.trim();
        if secret.len() < Self::MIN_LEN {
            return Err(format!(
                "the secret key must be at least {} characters long (try `openssl rand -hex 32`)",
                Self::MIN_LEN
            ));
        }
        use sha2::Digest;
        let mut hasher = sha2::Sha256::new();
        hasher.update(b"wharf secrets v1\0");
        hasher.update(secret.as_bytes());
        let key = aead::UnboundKey::new(&aead::CHACHA20_POLY1305, &hasher.finalize())
            .map_err(|_| "the secret key could not be set up".to_owned())?;
        Ok(SecretKey(aead::LessSafeKey::new(key)))
    }

    /// `plain`, sealed: `v1.` and the base64 of a random nonce, the ciphertext and its tag.
    pub fn seal(&self, plain: &str) -> Result<String, String> {
        let mut nonce = [0u8; aead::NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| format!("no randomness for a nonce: {e}"))?;
        let mut sealed = plain.as_bytes().to_vec();
        self.0
            .seal_in_place_append_tag(aead::Nonce::assume_unique_for_key(nonce), aead::Aad::empty(), &mut sealed)
            .map_err(|_| "sealing failed".to_owned())?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{SEALED_PREFIX}{}", base64::engine::general_purpose::STANDARD_NO_PAD.encode(out)))
    }

    /// The secret `seal` sealed; `Err` when it was sealed under another key or altered.
    pub fn open(&self, sealed: &str) -> Result<String, String> {
        let wrong = || "it was sealed with another secret key (was WHARF_SECRET_KEY changed?)".to_owned();
        let raw = sealed
            .strip_prefix(SEALED_PREFIX)
            .and_then(|b| base64::engine::general_purpose::STANDARD_NO_PAD.decode(b).ok())
            .filter(|raw| raw.len() > aead::NONCE_LEN)
            .ok_or_else(wrong)?;
        let (nonce, body) = raw.split_at(aead::NONCE_LEN);
        let nonce = aead::Nonce::try_assume_unique_for_key(nonce).map_err(|_| wrong())?;
        let mut body = body.to_vec();
        let plain = self.0.open_in_place(nonce, aead::Aad::empty(), &mut body).map_err(|_| wrong())?;
        String::from_utf8(plain.to_vec()).map_err(|_| wrong())
    }
}

/// One source of a feed, ready for requests.
#[derive(Debug, Clone)]
pub enum Source {
    /// crates.io (the configured upstream) or any sparse registry.
    Registry { id: i64, name: String, client: Arc<Upstream> },
    /// Another feed of this instance, or one of its views.
    Feed { id: i64, name: String, feed_id: i64, through: Through },
    /// A source that cannot be used as configured (its token cannot be read).
    Broken { id: i64, name: String, error: String },
}

impl Source {
    pub fn id(&self) -> i64 {
        match self {
            Source::Registry { id, .. } | Source::Feed { id, .. } | Source::Broken { id, .. } => *id,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Source::Registry { name, .. } | Source::Feed { name, .. } | Source::Broken { name, .. } => name,
        }
    }
}

/// Which registry of a feed a feed source reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Through {
    /// The feed with its own upstreams.
    Whole,
    /// `@local`: what the feed holds.
    Local,
    /// A view, by id.
    View(i64),
}

/// The registry clients every feed's sources use, and the sealing key.
pub struct Upstreams {
    db: Db,
    metrics: Arc<Metrics>,
    /// crates.io, or what the operator configured in its place.
    crates_io: Arc<Upstream>,
    base: UpstreamConfig,
    /// Sparse sources' clients, by index URL and token.
    clients: moka::sync::Cache<String, Arc<Upstream>>,
    key: Option<Arc<SecretKey>>,
    /// When each source's status was last written, per (source id, is an error).
    written: Mutex<HashMap<(i64, bool), Instant>>,
}

impl std::fmt::Debug for Upstreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstreams")
            .field("crates_io", &self.base.index)
            .field("clients", &self.clients.entry_count())
            .field("key", &self.key)
            .finish()
    }
}

impl Upstreams {
    pub fn new(base: UpstreamConfig, key: Option<Arc<SecretKey>>, db: Db, metrics: Arc<Metrics>) -> Self {
        let crates_io = Arc::new(Upstream::new(base.clone(), db.clone(), metrics.clone()));
        Upstreams {
            db,
            metrics,
            crates_io,
            base,
            clients: moka::sync::Cache::builder().max_capacity(MAX_CLIENTS).build(),
            key,
            written: Mutex::new(HashMap::new()),
        }
    }

    /// The configured stand-in for crates.io.
    pub fn crates_io(&self) -> &Arc<Upstream> {
        &self.crates_io
    }

    /// The sealing key, if the operator gave one.
    pub fn key(&self) -> Option<&SecretKey> {
        self.key.as_deref()
    }

    /// The limits and timeouts every registry source gets.
    pub fn base(&self) -> &UpstreamConfig {
        &self.base
    }

    /// A stored source, ready for requests.
    pub fn resolve(&self, row: &UpstreamRow) -> Source {
        let (id, name) = (row.id, row.name.clone());
        match (row.kind, row.target_feed_id) {
            (SourceKind::CratesIo, _) => Source::Registry { id, name, client: self.crates_io.clone() },
            (SourceKind::Feed, Some(feed_id)) => {
                let through = match (row.target_view_id, row.location.as_deref()) {
                    (Some(view), _) => Through::View(view),
                    (None, Some("@local")) => Through::Local,
                    (None, _) => Through::Whole,
                };
                Source::Feed { id, name, feed_id, through }
            }
            (SourceKind::Feed, None) => Source::Broken { id, name, error: "the feed it names is gone".into() },
            (SourceKind::Sparse, _) => match self.client(row) {
                Ok(client) => Source::Registry { id, name, client },
                Err(error) => Source::Broken { id, name, error },
            },
        }
    }

    fn client(&self, row: &UpstreamRow) -> Result<Arc<Upstream>, String> {
        let location = row.location.as_deref().ok_or("the source has no index URL")?;
        let token = match (&row.token_sealed, &self.key) {
            (None, _) => None,
            (Some(_), None) => {
                return Err("its token cannot be read: this instance has no WHARF_SECRET_KEY".to_owned());
            }
            (Some(sealed), Some(key)) => {
                Some(RegistryToken::new(key.open(sealed).map_err(|e| format!("its token cannot be read: {e}"))?))
            }
        };
        let config = self.base.for_registry(location, token)?;
        let key = config.cache_key.clone();
        Ok(self.clients.get_with(key, || Arc::new(Upstream::new(config, self.db.clone(), self.metrics.clone()))))
    }

    /// Records that a source answered (at most once a minute per source).
    pub fn reached(&self, source: i64) {
        if self.throttled(source, false) {
            return;
        }
        let db = self.db.clone();
        tokio::spawn(async move {
            if let Err(e) = db.upstreams().record_ok(source, unix_now()).await {
                tracing::warn!(error = ?e, "could not record that an upstream source answered");
            }
        });
    }

    /// Records that a source failed, and why (at most once in ten seconds per source).
    pub fn failed(&self, source: i64, error: &str) {
        if self.throttled(source, true) {
            return;
        }
        let (db, error) = (self.db.clone(), error.to_owned());
        tokio::spawn(async move {
            if let Err(e) = db.upstreams().record_error(source, unix_now(), &error).await {
                tracing::warn!(error = ?e, "could not record an upstream source's failure");
            }
        });
    }

    /// Whether the status of `source` was written too recently; marks it written if not.
    fn throttled(&self, source: i64, error: bool) -> bool {
        let interval = if error { ERROR_INTERVAL } else { OK_INTERVAL };
        let mut written = self.written.lock().expect("source status map poisoned");
        let now = Instant::now();
        if written.len() > 10_000 {
            written.retain(|_, at| now.duration_since(*at) < OK_INTERVAL);
        }
        match written.get(&(source, error)) {
            Some(at) if now.duration_since(*at) < interval => true,
            _ => {
                written.insert((source, error), now);
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SecretKey;

    #[test]
    fn sealed_tokens_open_only_with_their_key() {
        let key = SecretKey::from_secret(&"k".repeat(32)).unwrap();
        let sealed = key.seal("cio-token-123").unwrap();
        assert!(!sealed.contains("cio-token-123"));
        assert_ne!(sealed, key.seal("cio-token-123").unwrap(), "a fresh nonce each time");
        assert_eq!(key.open(&sealed).unwrap(), "cio-token-123");
        let other = SecretKey::from_secret(&"j".repeat(32)).unwrap();
        assert!(other.open(&sealed).is_err());
        let mut altered = sealed.clone();
        altered.pop();
        assert!(key.open(&altered).is_err());
        assert!(key.open("garbage").is_err());
        assert!(SecretKey::from_secret("short").is_err());
    }
}
