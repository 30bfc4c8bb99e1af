//! The time the product's rules run on: the upstream cooldown (when a version is released,
//! when one was first seen), exceptions and retention. The system clock in production;
//! tests move it forward instead of moving data back.

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

/// The system clock plus an offset only tests change. Cheap to clone; clones share it.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset: Arc<AtomicI64>,
}

impl Clock {
    /// Unix seconds now.
    pub fn now(&self) -> i64 {
        wharf_db::unix_now().saturating_add(self.offset.load(Ordering::Relaxed))
    }

    /// Moves this clock (and its clones) `seconds` forward.
    pub fn advance(&self, seconds: i64) {
        self.offset.fetch_add(seconds, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn clones_share_the_offset() {
        let clock = super::Clock::default();
        let seen = clock.clone();
        let before = seen.now();
        clock.advance(86_400);
        assert!((seen.now() - before - 86_400).abs() <= 1);
    }
}
