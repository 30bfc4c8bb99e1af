//! One async lock per key, so that concurrent requests for the same thing do the work once:
//! the first holder fetches, the others wait and then find the result in the cache.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{Arc, Mutex},
};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// Entries kept before unused ones are pruned.
const PRUNE_ABOVE: usize = 4096;

#[derive(Debug, Default)]
pub struct KeyedLocks<K> {
    map: Mutex<HashMap<K, Arc<AsyncMutex<()>>>>,
}

impl<K: Eq + Hash + Clone> KeyedLocks<K> {
    pub fn new() -> Self {
        KeyedLocks { map: Mutex::new(HashMap::new()) }
    }

    /// Waits for the lock of `key`; it is released when the guard is dropped.
    pub async fn lock(&self, key: &K) -> OwnedMutexGuard<()> {
        let lock = {
            let mut map = self.map.lock().expect("keyed locks poisoned");
            if map.len() > PRUNE_ABOVE {
                map.retain(|_, l| Arc::strong_count(l) > 1);
            }
            map.entry(key.clone()).or_default().clone()
        };
        lock.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn same_key_serialises_other_keys_do_not() {
        let locks = KeyedLocks::new();
        let a = locks.lock(&"a").await;
        // Another key is free.
        let _b = locks.lock(&"b").await;
        // The same key waits until the first guard goes.
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(50), locks.lock(&"a")).await;
        assert!(waiting.is_err());
        drop(a);
        let _a2 = tokio::time::timeout(std::time::Duration::from_millis(50), locks.lock(&"a")).await.unwrap();
    }
}
