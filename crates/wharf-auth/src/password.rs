//! Passwords, stored as Argon2id PHC strings.

use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng},
};

pub use wharf_core::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("The password must be at least {MIN_PASSWORD_LEN} characters long.")]
    TooShort,
    #[error("The password must be at most {MAX_PASSWORD_LEN} characters long.")]
    TooLong,
    #[error("The password could not be hashed: {0}")]
    Hash(String),
}

/// Whether a new password is acceptable.
pub(crate) fn check(password: &str) -> Result<(), PasswordError> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(PasswordError::TooShort);
    }
    if len > MAX_PASSWORD_LEN {
        return Err(PasswordError::TooLong);
    }
    Ok(())
}

/// Hashes a password with Argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    check(password)?;
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches a stored hash (false for a malformed hash).
pub fn verify_password(password: &str, hash: &str) -> bool {
    password.len() <= MAX_PASSWORD_LEN * 4
        && PasswordHash::new(hash)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Argon2 takes about 19 MiB and a core for tens of milliseconds per hash: at most this
/// many run at once (one per core), however many sign-ins arrive.
static HASHING: std::sync::LazyLock<std::sync::Arc<tokio::sync::Semaphore>> = std::sync::LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    std::sync::Arc::new(tokio::sync::Semaphore::new(cores))
});

/// How long a sign-in waits for a free core before it is told to come back.
pub const HASH_QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
/// What a caller told to come back should wait, in seconds.
pub const HASH_RETRY_AFTER_SECS: u64 = 2;

/// Every core is busy checking passwords: try again shortly.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("The server is busy checking passwords; try again in a few seconds.")]
pub struct HashingBusy;

static IN_FLIGHT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static PEAK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The most password hashes that ever ran at once in this process (at most one per core).
pub fn hashing_peak() -> usize {
    PEAK.load(std::sync::atomic::Ordering::SeqCst)
}

type Job = Box<dyn FnOnce() + Send>;

/// The threads password hashes run on: one per core, started once and kept. (On tokio's
/// blocking pool each hash could land on a new thread, and every thread's allocator arena
/// keeps the 19 MiB it once held: memory then grew with every burst.)
static HASHERS: std::sync::LazyLock<std::sync::mpsc::Sender<Job>> = std::sync::LazyLock::new(|| {
    let (jobs, queue) = std::sync::mpsc::channel::<Job>();
    let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    for i in 0..cores {
        let queue = queue.clone();
        let spawned = std::thread::Builder::new().name(format!("wharf-hash-{i}")).spawn(move || {
            loop {
                let job = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                match job {
                    Ok(job) => job(),
                    Err(_) => return,
                }
            }
        });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "could not start a password-hashing thread");
        }
    }
    jobs
});

/// Runs `work` (a password hash or check) on the hashing threads, one per core at most;
/// waits up to [`HASH_QUEUE_WAIT`] for a turn, so memory stays flat under a burst.
pub async fn bounded<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, HashingBusy> {
    let permit = tokio::time::timeout(HASH_QUEUE_WAIT, HASHING.clone().acquire_owned())
        .await
        .map_err(|_| HashingBusy)?
        .map_err(|_| HashingBusy)?;
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _turn = permit;
        let now = IN_FLIGHT.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        PEAK.fetch_max(now, std::sync::atomic::Ordering::SeqCst);
        let out = work();
        IN_FLIGHT.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        let _ = done.send(out);
    });
    HASHERS.send(job).map_err(|_| HashingBusy)?;
    result.await.map_err(|_| HashingBusy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash_password("correct horse").unwrap();
        let b = hash_password("correct horse").unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "salts must differ");
        assert!(verify_password("correct horse", &a));
        assert!(!verify_password("correct horsE", &a));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn length_is_bounded() {
        assert_eq!(hash_password("short"), Err(PasswordError::TooShort));
        assert_eq!(hash_password(&"x".repeat(MAX_PASSWORD_LEN + 1)), Err(PasswordError::TooLong));
    }
}
