//! Browser sessions: tower-sessions records kept in the database, so every replica behind
//! a load balancer shares them, plus what the portal keeps in a session (the signed-in
//! user and the CSRF token of its forms).

use sha2::{Digest, Sha256};
use tower_sessions::{
    Session,
    session::{Id, Record},
    session_store::{self, SessionStore},
};
use wharf_db::{Db, User};

/// The session cookie's name.
pub const COOKIE_NAME: &str = "wharf_session";
/// How long a signed-in session lasts without use.
pub const SIGNED_IN_FOR: time::Duration = time::Duration::days(14);
/// How long a visitor's session (only a CSRF token) lasts.
pub const ANONYMOUS_FOR: time::Duration = time::Duration::hours(2);

const USER_ID: &str = "user_id";
const CSRF: &str = "csrf";

/// A tower-sessions store over Wharf's database (SQLite or PostgreSQL). Only a sha256 of
/// each session id is stored, so the table cannot be used to hijack sessions.
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: Db,
}

impl DbSessionStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn id_hash(id: &Id) -> String {
    hex::encode(Sha256::digest(id.to_string().as_bytes()))
}

fn backend(e: wharf_db::DbError) -> session_store::Error {
    tracing::error!(error = ?e, "session store");
    session_store::Error::Backend("the session store is unavailable".into())
}

fn encode(record: &Record) -> session_store::Result<(String, Option<i64>, i64)> {
    let data = serde_json::to_string(record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
    let user_id = record.data.get(USER_ID).and_then(serde_json::Value::as_i64);
    Ok((data, user_id, record.expiry_date.unix_timestamp()))
}

#[async_trait::async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let (data, user_id, expires_at) = encode(record)?;
            if self.db.sessions().insert(&id_hash(&record.id), &data, user_id, expires_at).await.map_err(backend)? {
                return Ok(());
            }
            // 128 random bits collided: astronomically unlikely, but never overwrite.
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let (data, user_id, expires_at) = encode(record)?;
        self.db.sessions().upsert(&id_hash(&record.id), &data, user_id, expires_at).await.map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self.db.sessions().load(&id_hash(id)).await.map_err(backend)? {
            Some(data) => {
                let record: Record =
                    serde_json::from_str(&data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
                Ok(Some(record))
            }
            None => Ok(None),
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.db.sessions().delete(&id_hash(id)).await.map_err(backend)
    }
}

/// The signed-in user's id, if any (a session that cannot be read counts as none).
pub async fn user_id(session: &Session) -> Option<i64> {
    session.get::<i64>(USER_ID).await.ok().flatten()
}

/// Why a session could not be changed.
#[derive(Debug, thiserror::Error)]
#[error("the session could not be saved: {0}")]
pub struct SessionError(#[from] tower_sessions::session::Error);

/// Signs `user` in: a new session id (no fixation), a new CSRF token, the long expiry.
pub async fn sign_in(session: &Session, user: &User) -> Result<(), SessionError> {
    session.cycle_id().await?;
    session.insert(USER_ID, user.id).await?;
    session.insert(CSRF, random_token()).await?;
    session.set_expiry(Some(tower_sessions::Expiry::OnInactivity(SIGNED_IN_FOR)));
    Ok(())
}

/// Ends the session: its record is deleted and the cookie cleared.
pub async fn sign_out(session: &Session) -> Result<(), SessionError> {
    session.flush().await?;
    Ok(())
}

/// The CSRF token for this session's forms, created (with a short-lived session for a
/// visitor) when there is none yet.
pub async fn csrf_token(session: &Session) -> Result<String, SessionError> {
    if let Some(token) = session.get::<String>(CSRF).await? {
        return Ok(token);
    }
    let token = random_token();
    session.insert(CSRF, &token).await?;
    if user_id(session).await.is_none() {
        session.set_expiry(Some(tower_sessions::Expiry::OnInactivity(ANONYMOUS_FOR)));
    }
    Ok(token)
}

/// Whether this session holds a CSRF token (one was handed out in it): without one, no
/// form can carry a valid token.
pub async fn has_csrf_token(session: &Session) -> bool {
    matches!(session.get::<String>(CSRF).await, Ok(Some(_)))
}

/// Whether `presented` is this session's CSRF token (compared in constant time).
pub async fn csrf_matches(session: &Session, presented: &str) -> bool {
    match session.get::<String>(CSRF).await {
        Ok(Some(expected)) => {
            let (a, b) = (Sha256::digest(expected.as_bytes()), Sha256::digest(presented.as_bytes()));
            a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0 && !presented.is_empty()
        }
        _ => false,
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator");
    hex::encode(bytes)
}
