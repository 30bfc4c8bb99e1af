//! A feed's upstream sources, in order: add, remove, move, test; the whole list is set
//! by the feed settings change (`upstreamSources`), which calls [`plan`] and [`store`].
//!
//! **Precedence.** For each crate name, the feed's own versions (published, and saved
//! before) come first; the dependency-confusion guard, when it holds for the name, hides
//! every source. Otherwise the **first source in order that knows the name** supplies all
//! of the name's upstream versions, and later sources are not asked for it: a name is never
//! assembled from two sources. A source that cannot answer (down, token refused) and has
//! no copy of the name kept stops the lookup there: a later source never answers for a
//! name because an earlier one was unreachable. The index and downloads follow the same
//! rule, so a version is always downloaded from the source its index line came from.

use wharf_auth::{Denied, FeedAction, InstanceAction, Principal};
use wharf_core::{FeedPatch, FieldErrors, SourceKind};
use wharf_db::{DbError, Feed, NewUpstream, UpstreamRow};

use crate::{
    Authorized, Change, Core, CoreError, CoreResult, FeedRef,
    registry::{
        sources::{Source, Through},
        upstream::{UpstreamConfig, same_origin},
    },
    views::ViewSel,
};

/// Most sources a feed may have.
pub const MAX_SOURCES: usize = 20;
/// Longest token taken.
const MAX_TOKEN: usize = 4096;
/// `location` of a feed source that is the feed's `@local` view.
const LOCAL_MARK: &str = "@local";

/// A source as a request or a form gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceSpec {
    pub name: String,
    /// `crates-io`, `sparse` or `feed`.
    pub kind: String,
    /// `sparse`: `sparse+https://…/`; `feed`: `ORG[/PROJECT]/FEED[@VIEW]`.
    pub location: Option<String>,
    /// `sparse`: the registry's token. Absent: an unchanged source keeps its token; empty:
    /// no token.
    pub token: Option<String>,
}

/// A source as shown: never its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    pub name: String,
    pub kind: SourceKind,
    /// The sparse index URL, or the feed (and view) of this instance.
    pub location: String,
    pub has_token: bool,
    /// Unix seconds.
    pub last_ok_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
}

/// What a feed source's location says to a caller who may not read the feed it names.
pub const HIDDEN_SOURCE: &str = "(a feed you cannot read)";

/// The sources as shown to `caller`, in order. A feed source whose feed the caller may not
/// read is shown without naming that feed or its last error.
pub async fn describe(core: &Core, caller: &Principal, rows: &[UpstreamRow]) -> CoreResult<Vec<SourceInfo>> {
    let mut infos = Vec::with_capacity(rows.len());
    for row in rows {
        let info = SourceInfo {
            name: row.name.clone(),
            kind: row.kind,
            location: location_of(core, row),
            has_token: row.token_sealed.is_some(),
            last_ok_at: row.last_ok_at,
            last_error: row.last_error.clone(),
            last_error_at: row.last_error_at,
        };
        let readable = match row.target_feed_id {
            Some(target) => may_read(core, caller, target).await?,
            None => true,
        };
        infos.push(match readable {
            true => info,
            false => SourceInfo { location: HIDDEN_SOURCE.to_owned(), last_error: None, last_error_at: None, ..info },
        });
    }
    Ok(infos)
}

/// Whether `caller` may read the feed `id` (a feed that is gone reads as unreadable).
async fn may_read(core: &Core, caller: &Principal, id: i64) -> CoreResult<bool> {
    let target = match core.db.feeds().get_by_id(id).await {
        Ok(target) => target,
        Err(DbError::NotFound(_)) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let standing = core.credentials.standing(&core.db, caller, &target).await?;
    Ok(wharf_auth::authorize(caller, &standing, FeedAction::Read).is_ok())
}

fn location_of(core: &Core, row: &UpstreamRow) -> String {
    match row.kind {
        SourceKind::CratesIo => format!("sparse+{}", core.upstreams.base().index),
        SourceKind::Sparse => format!("sparse+{}", row.location.as_deref().unwrap_or_default()),
        SourceKind::Feed => {
            let path = row.target_path.clone().unwrap_or_default();
            if row.location.as_deref() == Some(LOCAL_MARK) { format!("{path}{LOCAL_MARK}") } else { path }
        }
    }
}

/// The feed's sources (readers).
pub async fn list(core: &Core, principal: &Principal, feed: &FeedRef) -> CoreResult<(Authorized, Vec<SourceInfo>)> {
    let found = feed.authorized(core, principal, FeedAction::Read).await?;
    let rows = core.db.upstreams().list(found.feed.id).await?;
    let infos = describe(core, principal, &rows).await?;
    Ok((found, infos))
}

/// A source of the new list: one the feed has already, unchanged, or a new one to check.
enum Entry<'a> {
    Keep(&'a UpstreamRow),
    New(&'a SourceSpec),
}

/// Adds a source after the others.
pub async fn add(core: &Core, principal: &Principal, feed: &FeedRef, spec: &SourceSpec) -> CoreResult<Feed> {
    let Authorized { feed, .. } = feed.authorized(core, principal, FeedAction::Administer).await?;
    let old = core.db.upstreams().list(feed.id).await?;
    // The form's fields, as the form names them.
    let new = new_source(core, principal, &feed, spec, "").await?;
    if old.iter().any(|row| row.name.eq_ignore_ascii_case(&new.name)) {
        return Err(CoreError::invalid(
            "name",
            format!("This feed has an upstream source named '{}' already. Choose another name.", new.name),
        ));
    }
    if old.len() >= MAX_SOURCES {
        return Err(CoreError::Conflict(format!("A feed can have at most {MAX_SOURCES} upstream sources.")));
    }
    let mut sources: Vec<NewUpstream> = old.iter().map(kept).collect();
    let detail = format!("added {} ({})", new.name, new.kind);
    sources.push(new);
    store(core, principal, &feed, None, &sources, detail).await
}

/// Removes the source named `name`.
pub async fn remove(core: &Core, principal: &Principal, feed: &FeedRef, name: &str) -> CoreResult<Feed> {
    let Authorized { feed, .. } = feed.authorized(core, principal, FeedAction::Administer).await?;
    let old = core.db.upstreams().list(feed.id).await?;
    let at = position(&old, name)?;
    let entries = old.iter().enumerate().filter(|(i, _)| *i != at).map(|(_, row)| Entry::Keep(row)).collect();
    let sources = check(core, principal, &feed, entries).await?;
    store(core, principal, &feed, None, &sources, format!("removed {}", old[at].name)).await
}

/// Moves the source named `name` one place earlier (`up`) or later in the order.
pub async fn move_source(core: &Core, principal: &Principal, feed: &FeedRef, name: &str, up: bool) -> CoreResult<Feed> {
    let Authorized { feed, .. } = feed.authorized(core, principal, FeedAction::Administer).await?;
    let old = core.db.upstreams().list(feed.id).await?;
    let at = position(&old, name)?;
    let mut rows: Vec<&UpstreamRow> = old.iter().collect();
    match (up, at) {
        (true, 0) => return Err(CoreError::Conflict(format!("'{}' is the first source already.", old[at].name))),
        (false, at) if at + 1 == old.len() => {
            return Err(CoreError::Conflict(format!("'{}' is the last source already.", old[at].name)));
        }
        (true, at) => rows.swap(at, at - 1),
        (false, at) => rows.swap(at, at + 1),
    }
    let sources = check(core, principal, &feed, rows.into_iter().map(Entry::Keep).collect()).await?;
    let detail = format!("moved {} {}", old[at].name, if up { "up" } else { "down" });
    store(core, principal, &feed, None, &sources, detail).await
}

/// How a source answered a test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestOutcome {
    pub ok: bool,
    pub message: String,
}

/// Asks the source named `name` now, bypassing every cache, and records the answer as its
/// last success or last error (Administrator or Owner).
pub async fn test(core: &Core, principal: &Principal, feed: &FeedRef, name: &str) -> CoreResult<TestOutcome> {
    let Authorized { feed, .. } = feed.authorized(core, principal, FeedAction::Administer).await?;
    let rows = core.db.upstreams().list(feed.id).await?;
    let row = &rows[position(&rows, name)?];
    let result = match core.upstreams.resolve(row) {
        Source::Registry { client, .. } => client.check().await.map_err(|e| e.to_string()),
        Source::Feed { feed_id, through, .. } => match core.db.feeds().get_by_id(feed_id).await {
            Ok(_) => match through {
                Through::View(view) => core.db.views().get_by_id(view).await.map(drop).map_err(|e| e.to_string()),
                Through::Whole | Through::Local => Ok(()),
            },
            Err(e) => Err(e.to_string()),
        },
        Source::Broken { error, .. } => Err(error),
    };
    let now = wharf_db::unix_now();
    let outcome = match result {
        Ok(()) => {
            core.db.upstreams().record_ok(row.id, now).await?;
            TestOutcome { ok: true, message: format!("'{}' answered.", row.name) }
        }
        Err(error) => {
            core.db.upstreams().record_error(row.id, now, &error).await?;
            TestOutcome { ok: false, message: format!("'{}' failed: {error}", row.name) }
        }
    };
    tracing::info!(feed = %feed.name, source = %row.name, ok = outcome.ok, "upstream source tested");
    Ok(outcome)
}

fn position(rows: &[UpstreamRow], name: &str) -> CoreResult<usize> {
    rows.iter()
        .position(|row| row.name.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| CoreError::NotFound(format!("This feed has no upstream source named '{}'.", name.trim())))
}

/// The sources a full list asks for: a spec naming a source the feed has, unchanged and
/// with no new token, keeps it as it is; any other is checked as new.
pub(crate) async fn plan(
    core: &Core,
    principal: &Principal,
    feed: &Feed,
    old: &[UpstreamRow],
    specs: &[SourceSpec],
) -> CoreResult<Vec<NewUpstream>> {
    let entries = specs
        .iter()
        .map(|spec| match old.iter().find(|row| spec.token.is_none() && unchanged(core, row, spec)) {
            Some(row) => Entry::Keep(row),
            None => Entry::New(spec),
        })
        .collect();
    check(core, principal, feed, entries).await
}

/// Whether `spec` describes `row` as it is.
fn unchanged(core: &Core, row: &UpstreamRow, spec: &SourceSpec) -> bool {
    let location = spec.location.as_deref().map(str::trim).unwrap_or_default();
    row.name.eq_ignore_ascii_case(spec.name.trim())
        && spec.kind.parse() == Ok(row.kind)
        && match row.kind {
            SourceKind::CratesIo => true,
            SourceKind::Sparse => {
                UpstreamConfig::new(location, core.upstreams.base().ttl, core.upstreams.base().timeout)
                    .is_ok_and(|c| Some(c.index.as_str()) == row.location.as_deref())
            }
            SourceKind::Feed => location.eq_ignore_ascii_case(&location_of(core, row)),
        }
}

/// Checks every entry, reporting each problem as a field `upstreamSources[i].field`.
async fn check(
    core: &Core,
    principal: &Principal,
    feed: &Feed,
    entries: Vec<Entry<'_>>,
) -> CoreResult<Vec<NewUpstream>> {
    let mut errors = FieldErrors::default();
    if entries.len() > MAX_SOURCES {
        errors.push("upstreamSources", format!("A feed can have at most {MAX_SOURCES} upstream sources."));
    }
    let mut out = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let prefix = format!("upstreamSources[{i}].");
        match entry {
            Entry::Keep(row) => out.push(kept(row)),
            Entry::New(spec) => match new_source(core, principal, feed, spec, &prefix).await {
                Ok(source) => out.push(source),
                Err(CoreError::Invalid(more)) => errors.0.extend(more.0),
                Err(e) => return Err(e),
            },
        }
    }
    for (i, source) in out.iter().enumerate() {
        if out[..i].iter().any(|o| o.name.eq_ignore_ascii_case(&source.name)) {
            errors.push(
                &format!("upstreamSources[{i}].name"),
                format!("Two upstream sources are named '{}'. Give each its own name.", source.name),
            );
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(CoreError::Invalid(errors)) }
}

/// A new source, checked: its name, kind and location, its token sealed, and for a feed,
/// the caller's right to read it.
async fn new_source(
    core: &Core,
    principal: &Principal,
    feed: &Feed,
    spec: &SourceSpec,
    prefix: &str,
) -> CoreResult<NewUpstream> {
    let field = |name: &str| format!("{prefix}{name}");
    let mut errors = FieldErrors::default();
    let name = spec.name.trim();
    if name.is_empty() || name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
        errors.push(&field("name"), "Give the source a name of 1 to 64 letters, digits, '.', '-' or '_'.");
    }
    let location = spec.location.as_deref().map(str::trim).filter(|l| !l.is_empty());
    let token = spec.token.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let kind = match spec.kind.trim().parse::<SourceKind>() {
        Ok(kind) => kind,
        Err(_) => {
            errors.push(&field("kind"), format!("The kind must be one of {}.", SourceKind::words()));
            return Err(CoreError::Invalid(errors));
        }
    };
    if kind != SourceKind::Sparse && token.is_some() {
        errors.push(&field("token"), "Only a sparse registry source takes a token.");
    }
    let mut source = NewUpstream {
        name: name.to_owned(),
        kind,
        location: None,
        target_feed_id: None,
        target_view_id: None,
        token_sealed: None,
    };
    let sparse_refused = wharf_auth::authorize_instance(principal, InstanceAction::AddSparseSource).err();
    match kind {
        SourceKind::CratesIo => {
            if location.is_some() {
                errors
                    .push(&field("location"), "A crates-io source takes no location: it is this instance's crates.io.");
            }
        }
        // Wharf makes requests to whatever address a sparse source names: only its
        // administrators choose such addresses (feed Administrators pick crates.io or feeds).
        SourceKind::Sparse if sparse_refused.is_some() => {
            errors.push(&field("kind"), sparse_refused.as_ref().map_or("", Denied::message))
        }
        SourceKind::Sparse => match location {
            None => errors.push(&field("location"), "Give the registry's index URL, like sparse+https://host/index/."),
            Some(location) => {
                let base = core.upstreams.base();
                match UpstreamConfig::new(location, base.ttl, base.timeout) {
                    Err(message) => errors.push(&field("location"), message),
                    Ok(config) if same_origin(&config.index, core.public_url.as_str()) => errors
                        .push(&field("location"), "That is this Wharf: use a source of kind \"feed\" for its feeds."),
                    Ok(config) => source.location = Some(config.index),
                }
                if let Some(token) = token {
                    if token.len() > MAX_TOKEN || token.chars().any(char::is_control) {
                        errors.push(&field("token"), format!("A token is at most {MAX_TOKEN} printable characters."));
                    } else {
                        match core.upstreams.key() {
                            None => errors.push(
                                &field("token"),
                                "This instance has no secret key (WHARF_SECRET_KEY), so it cannot keep tokens. Ask \
                                 the operator to set one.",
                            ),
                            Some(key) => {
                                source.token_sealed = Some(key.seal(token).map_err(|e| CoreError::Internal(e.into()))?);
                            }
                        }
                    }
                }
            }
        },
        SourceKind::Feed => match location {
            None => errors
                .push(&field("location"), "Name the feed as ORG/PROJECT/FEED or ORG/FEED, with @VIEW if you like."),
            Some(location) => match target(core, principal, location).await {
                Ok((target, view)) if target.id == feed.id => {
                    let _ = view;
                    errors.push(&field("location"), "A feed cannot be its own upstream source.");
                }
                Ok((target, view)) => {
                    source.target_feed_id = Some(target.id);
                    match view {
                        ViewSel::Feed => {}
                        ViewSel::Local => source.location = Some(LOCAL_MARK.to_owned()),
                        ViewSel::Named(view) => match core.db.views().get(target.id, &view).await {
                            Ok(view) => source.target_view_id = Some(view.id),
                            Err(DbError::NotFound(_)) => errors.push(
                                &field("location"),
                                format!("Feed '{}' has no view named '{view}'.", target.name),
                            ),
                            Err(e) => return Err(e.into()),
                        },
                    }
                }
                Err(message) => errors.push(&field("location"), message),
            },
        },
    }
    if errors.is_empty() { Ok(source) } else { Err(CoreError::Invalid(errors)) }
}

/// The feed (and view) `ORG[/PROJECT]/FEED[@VIEW]` names, if the caller may read it.
async fn target(core: &Core, principal: &Principal, location: &str) -> Result<(Feed, ViewSel), String> {
    let unknown = || format!("There is no feed '{location}' that you may read.");
    let (feed, view) = FeedRef::parse(location)?;
    let found = feed.authorized(core, principal, FeedAction::Read).await;
    match found {
        Ok(found) => Ok((found.feed, view)),
        Err(CoreError::NotFound(_) | CoreError::Denied(_)) => Err(unknown()),
        Err(e) => Err(e.to_string()),
    }
}

/// Writes the new list (and `patch`, when the caller changes settings with it) in one
/// transaction and announces the change.
pub(crate) async fn store(
    core: &Core,
    principal: &Principal,
    feed: &Feed,
    patch: Option<&FeedPatch>,
    sources: &[NewUpstream],
    detail: String,
) -> CoreResult<Feed> {
    let scope = core.db.scopes().resolve(&feed.org, feed.project.as_deref()).await?;
    let empty = FeedPatch::default();
    let updated = core.db.feeds().update(&scope, &feed.name, patch.unwrap_or(&empty), Some(sources)).await?;
    let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
    tracing::info!(feed.id = updated.id, feed = %updated.name, sources = ?names, "upstream sources changed");
    // With other settings changed in the same write, those are named too.
    let settings = crate::audit::settings_changed(feed, &updated);
    let detail = [detail, settings].into_iter().filter(|d| !d.is_empty() && d != "nothing changed").collect::<Vec<_>>();
    let sources = if names.is_empty() { "none".to_owned() } else { names.join(", ") };
    let entry = crate::audit::Entry::feed("feed.upstreams", &updated, &updated.name)
        .detail(format!("{}sources now: {sources}", detail.iter().map(|d| format!("{d}; ")).collect::<String>()));
    core.done(principal, entry, Change::FeedChanged { feed: updated.id }).await;
    Ok(updated)
}

/// What `upstreamEnabled` means as a list: `true` gives a feed with no source crates.io,
/// and leaves a feed with sources as it is; `false` removes every source.
pub(crate) fn shorthand(enabled: bool, old: &[UpstreamRow]) -> Option<Vec<NewUpstream>> {
    match (enabled, old.is_empty()) {
        (true, true) => Some(vec![NewUpstream::crates_io()]),
        (true, false) => None,
        (false, _) => Some(Vec::new()),
    }
}

/// The list with crates.io added after the others (`on`) or removed; `None` when it is
/// as asked already.
pub(crate) fn with_crates_io(on: bool, old: &[UpstreamRow]) -> Option<Vec<NewUpstream>> {
    let has = old.iter().any(|row| row.kind == SourceKind::CratesIo);
    if has == on {
        return None;
    }
    let mut list: Vec<NewUpstream> = old.iter().filter(|row| row.kind != SourceKind::CratesIo).map(kept).collect();
    if on {
        let mut crates_io = NewUpstream::crates_io();
        // A source of another kind may be called crates.io already.
        if list.iter().any(|s| s.name.eq_ignore_ascii_case(&crates_io.name)) {
            crates_io.name = "crates-io".into();
        }
        list.push(crates_io);
    }
    Some(list)
}

/// A stored source, to store again as it is.
fn kept(row: &UpstreamRow) -> NewUpstream {
    NewUpstream {
        name: row.name.clone(),
        kind: row.kind,
        location: row.location.clone(),
        target_feed_id: row.target_feed_id,
        target_view_id: row.target_view_id,
        token_sealed: row.token_sealed.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shorthand_never_drops_sources_it_does_not_name() {
        assert_eq!(shorthand(true, &[]), Some(vec![NewUpstream::crates_io()]));
        assert_eq!(shorthand(false, &[]), Some(vec![]));
        let row = UpstreamRow {
            id: 1,
            feed_id: 1,
            position: 0,
            name: "mirror".into(),
            kind: SourceKind::Sparse,
            location: Some("https://m/".into()),
            target_feed_id: None,
            target_view_id: None,
            target_path: None,
            token_sealed: None,
            last_ok_at: None,
            last_error: None,
            last_error_at: None,
        };
        assert_eq!(shorthand(true, std::slice::from_ref(&row)), None);
        assert_eq!(shorthand(false, &[row]), Some(vec![]));
    }
}
