//! The one way the core remembers what it read from the database: a cache whose fills are
//! guarded by a generation. Every cache of feeds, sources, standings, tokens, policy
//! inputs and rendered index files is one of these.
//!
//! The race it closes: a request reads a row, a change commits and its event forgets the
//! cached entry, then the request puts back what it read before the change. Every forget
//! advances the generation of its group first; a fill that started before and ends after
//! it is dropped again at once. (A forget after the fill's check comes after its insert
//! and drops it itself.)

use std::{
    hash::Hash,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

/// Counts forgets in a group of caches that change together.
#[derive(Debug, Default)]
pub struct Generation(AtomicU64);

/// The generation when a read began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen(u64);

impl Generation {
    pub fn new() -> Arc<Self> {
        Arc::new(Generation::default())
    }

    /// Taken before reading what is to be kept.
    pub fn seen(&self) -> Seen {
        Seen(self.0.load(Ordering::Acquire))
    }

    /// Every fill in flight is dropped when it ends.
    pub fn advance(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }

    fn moved_since(&self, seen: Seen) -> bool {
        self.0.load(Ordering::Acquire) != seen.0
    }
}

/// Values by key, each kept at most `ttl`, filled only by reads no forget overtook.
pub struct Remembered<K, V> {
    entries: moka::sync::Cache<K, V>,
    generation: Arc<Generation>,
}

impl<K, V> std::fmt::Debug for Remembered<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remembered").field("entries", &self.entries.entry_count()).finish()
    }
}

impl<K, V> Remembered<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// At most `capacity` entries.
    pub fn new(generation: &Arc<Generation>, ttl: Duration, capacity: u64) -> Self {
        Remembered {
            entries: moka::sync::Cache::builder().time_to_live(ttl).max_capacity(capacity).build(),
            generation: generation.clone(),
        }
    }

    /// At most `capacity` in all, as `weigh` counts each entry.
    pub fn weighed(
        generation: &Arc<Generation>,
        ttl: Duration,
        capacity: u64,
        weigh: impl Fn(&K, &V) -> u32 + Send + Sync + 'static,
    ) -> Self {
        Remembered {
            entries: moka::sync::Cache::builder().time_to_live(ttl).weigher(weigh).max_capacity(capacity).build(),
            generation: generation.clone(),
        }
    }

    pub fn get(&self, key: &K) -> Option<V> {
        self.entries.get(key)
    }

    /// The value of `key`: remembered, or read by `read` and kept.
    pub async fn get_or_read<E, F>(&self, key: K, read: impl FnOnce() -> F) -> Result<V, E>
    where
        F: Future<Output = Result<V, E>>,
    {
        if let Some(value) = self.entries.get(&key) {
            return Ok(value);
        }
        let seen = self.generation.seen();
        let value = read().await?;
        self.keep(key, value.clone(), seen);
        Ok(value)
    }

    /// The generation to take before reading a value that [`Remembered::keep`] keeps.
    pub fn seen(&self) -> Seen {
        self.generation.seen()
    }

    /// Keeps `value`, read since `seen`, unless a forget came meanwhile.
    pub fn keep(&self, key: K, value: V, seen: Seen) {
        if self.generation.moved_since(seen) {
            return;
        }
        self.entries.insert(key.clone(), value);
        if self.generation.moved_since(seen) {
            self.entries.invalidate(&key);
        }
    }

    pub fn forget(&self, key: &K) {
        self.generation.advance();
        self.entries.invalidate(key);
    }

    pub fn forget_all(&self) {
        self.generation.advance();
        self.entries.invalidate_all();
    }
}
