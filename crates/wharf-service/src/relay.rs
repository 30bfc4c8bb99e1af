//! Carries change events between replicas: every change this replica commits goes out as
//! a PostgreSQL `NOTIFY`, and every change another replica announces reaches this one's
//! caches (`Bus::deliver_remote`). When the listening connection is lost, changes may have
//! been missed: the caches are dropped (`Change::Resync`) once it listens again. On SQLite
//! there are no notifications: a watcher polls the database file for commits by other
//! processes, drops the token cache when there are any, and delivers the changes they
//! announced (`wharf admin`, `wharf import`: rows of `change_notes`).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::{
    self,
    error::{RecvError, TryRecvError},
};
use wharf_db::notify::{Heard, MAX_PAYLOAD};

use crate::{Change, Core, events::WeakBus};

/// A change as it travels: with the replica that made it, which ignores its own echo.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    origin: String,
    change: Change,
}

/// A command-line process's link to running servers: every change its core announces while
/// the command runs is told to them through the database when it [finishes](Self::finish),
/// so commands call core operations and never announce anything by hand.
pub struct CommandLine {
    db: wharf_db::Db,
    changes: broadcast::Receiver<Change>,
}

impl CommandLine {
    /// Starts collecting what `core` announces.
    pub fn listen(core: &Core) -> Self {
        CommandLine { db: core.db.clone(), changes: core.bus.subscribe() }
    }

    /// Tells running servers each change announced since [`CommandLine::listen`], once;
    /// more than the bus holds makes them drop their caches instead.
    pub async fn finish(mut self) {
        loop {
            match self.changes.try_recv() {
                Ok(change) => announce(&self.db, change).await,
                Err(TryRecvError::Lagged(_)) => announce(&self.db, Change::Resync).await,
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            }
        }
    }
}

/// Starts carrying changes for `core`; the tasks end when the bus does.
pub async fn start(core: &Core) -> Result<(), wharf_db::DbError> {
    // The tasks hold no strong handle on the bus: they end with the core.
    let bus = core.bus.downgrade();
    if let Some(watcher) = core.db.watch_writes().await? {
        tokio::spawn(watch_writes(bus, watcher));
        return Ok(());
    }
    let Some(listener) = core.db.listen().await? else { return Ok(()) };
    let origin = wharf_auth::generate_token().hash[..16].to_owned();
    tracing::info!(replica = origin, "listening for other replicas' changes");
    tokio::spawn(send_changes(core.db.clone(), core.bus.subscribe(), origin.clone()));
    tokio::spawn(hear_changes(core.db.clone(), bus, origin, listener));
    Ok(())
}

/// How often SQLite is asked whether another process committed.
const WATCH_EVERY: Duration = Duration::from_millis(100);

/// SQLite: after any commit by another connection, tokens are looked up again, so a
/// token revoked by `wharf admin` fails within [`WATCH_EVERY`], and the changes other
/// processes announced reach this process's caches as any change does. (The commits of
/// this process's own pool count too; they only cost a lookup per token.)
async fn watch_writes(bus: WeakBus, mut watcher: wharf_db::notify::WriteWatcher) {
    let mut every = tokio::time::interval(WATCH_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !bus.is_gone() {
        every.tick().await;
        match watcher.changed().await {
            Ok(true) => {
                bus.deliver_remote(&Change::TokenRevoked { tokens: Vec::new() });
                match watcher.notes().await {
                    Ok(notes) => {
                        for note in notes {
                            let change = match serde_json::from_str::<Envelope>(&note) {
                                Ok(envelope) => envelope.change,
                                Err(_) => Change::Resync,
                            };
                            bus.deliver_remote(&change);
                        }
                    }
                    // Missed: the caches' time-to-live is the safety net.
                    Err(e) => tracing::debug!(error = ?e, "cannot read announced changes"),
                }
            }
            Ok(false) => {}
            Err(e) => tracing::debug!(error = ?e, "cannot ask SQLite for commits"),
        }
    }
}

/// Announces a change made outside a server (by `wharf admin`) to the running replicas:
/// a `NOTIFY` on PostgreSQL, a change note their watcher reads on SQLite.
pub async fn announce(db: &wharf_db::Db, change: Change) {
    let payload = serde_json::to_string(&Envelope { origin: "cli".into(), change }).expect("JSON");
    if let Err(e) = db.notify(&payload).await {
        tracing::warn!(error = ?e, "could not tell running replicas of the change; they see it within 5 s");
    }
}

/// Sends every change this replica commits.
async fn send_changes(db: wharf_db::Db, mut changes: broadcast::Receiver<Change>, origin: String) {
    loop {
        let change = match changes.recv().await {
            Ok(change) => change,
            // Too many changes too fast: the others drop their caches instead.
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "changes came faster than they could be sent; asking replicas to resync");
                Change::Resync
            }
            Err(RecvError::Closed) => return,
        };
        let mut payload = serde_json::to_string(&Envelope { origin: origin.clone(), change }).expect("JSON");
        if payload.len() > MAX_PAYLOAD {
            payload =
                serde_json::to_string(&Envelope { origin: origin.clone(), change: Change::Resync }).expect("JSON");
        }
        // A failed send leaves the others on their safety-net TTLs; retry briefly.
        for attempt in 0..3 {
            match db.notify(&payload).await {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!(error = ?e, attempt, "could not tell other replicas of a change");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    }
}

/// Hears other replicas' changes and hands them to this replica's caches.
async fn hear_changes(db: wharf_db::Db, bus: WeakBus, origin: String, mut listener: wharf_db::notify::Listener) {
    let mut check = tokio::time::interval(Duration::from_secs(1));
    loop {
        let heard = tokio::select! {
            heard = listener.next() => heard,
            _ = check.tick() => {
                if bus.is_gone() {
                    return;
                }
                continue;
            }
        };
        let delivered = match heard {
            Heard::Payload(payload) => match serde_json::from_str::<Envelope>(&payload) {
                Ok(envelope) if envelope.origin == origin => true,
                Ok(envelope) => bus.deliver_remote(&envelope.change),
                // A newer replica's change this one does not know: drop everything to be safe.
                Err(e) => {
                    tracing::warn!(error = %e, "a change from another replica could not be read; dropping caches");
                    bus.deliver_remote(&Change::Resync)
                }
            },
            Heard::Lost => {
                tracing::warn!("lost the connection that hears other replicas; listening again");
                let Some(again) = listen_again(&db, &bus).await else { return };
                listener = again;
                tracing::info!("listening for other replicas' changes again");
                // Changes made meanwhile were missed.
                bus.deliver_remote(&Change::Resync)
            }
        };
        if !delivered {
            return;
        }
    }
}

/// A new listener, retried every second until the database answers. (While it does not,
/// no replica commits a change either.)
async fn listen_again(db: &wharf_db::Db, bus: &WeakBus) -> Option<wharf_db::notify::Listener> {
    while !bus.is_gone() {
        match db.listen().await {
            Ok(listener) => return listener,
            Err(e) => tracing::debug!(error = ?e, "cannot listen yet"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    None
}
