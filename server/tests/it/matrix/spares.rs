//! What a cell of the matrix uses up: a view to delete, an upstream source, a token to
//! revoke, each made for that cell alone.

use wharf_core::TokenScope;

use super::Cx;

/// A view of the feed made for one cell to delete.
pub(super) async fn spare_view(cx: &Cx<'_>, project: &str, feed: &str) -> String {
    let db = cx.app.db();
    let scope = db.scopes().resolve("default", (!project.is_empty()).then_some(project)).await.unwrap();
    let feed_id = db.feeds().get(&scope, feed).await.unwrap().id;
    db.views().create(feed_id, &cx.unique("spare")).await.unwrap().name
}

/// An upstream source (crates.io, under a name of its own) added after the feed's others
/// for one cell to use.
pub(super) async fn spare_source(cx: &Cx<'_>, project: &str, feed: &str) -> String {
    let db = cx.app.db();
    let scope = db.scopes().resolve("default", (!project.is_empty()).then_some(project)).await.unwrap();
    let found = db.feeds().get(&scope, feed).await.unwrap();
    let mut sources: Vec<wharf_db::NewUpstream> = db
        .upstreams()
        .list(found.id)
        .await
        .unwrap()
        .into_iter()
        .map(|row| wharf_db::NewUpstream {
            name: row.name,
            kind: row.kind,
            location: row.location,
            target_feed_id: row.target_feed_id,
            target_view_id: row.target_view_id,
            token_sealed: row.token_sealed,
        })
        .collect();
    let name = cx.unique("src");
    sources.push(wharf_db::NewUpstream { name: name.clone(), ..wharf_db::NewUpstream::crates_io() });
    db.feeds().update(&scope, feed, &wharf_core::FeedPatch::default(), Some(&sources)).await.unwrap();
    name
}

/// A token of the caller's besides the one they authenticate with (to revoke); any id
/// for anonymous.
pub(super) async fn spare_token(cx: &Cx<'_>, caller: usize) -> String {
    let Some(user) = &cx.callers[caller].user else { return "1".into() };
    let (info, _) = wharf::auth::issue_token(cx.app.db(), user.id, &cx.unique("spare"), TokenScope::Read, None, None)
        .await
        .unwrap();
    info.id.to_string()
}

/// A `.tar.gz` of the advisory-db layout holding one advisory.
pub(super) fn advisory_tarball() -> Vec<u8> {
    let text = "```toml\n[advisory]\nid = \"RUSTSEC-2099-0100\"\npackage = \"seeded\"\ndate = \"2099-01-01\"\n\n\
                [versions]\npatched = [\">= 9.0.0\"]\n```\n\n# A test advisory\n";
    let mut archive = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()));
    let mut header = tar::Header::new_gnu();
    header.set_size(text.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    archive.append_data(&mut header, "advisory-db/crates/seeded/RUSTSEC-2099-0100.md", text.as_bytes()).unwrap();
    archive.into_inner().unwrap().finish().unwrap()
}

/// A webhook of the feed made for one cell to delete, test or read; its id.
pub(super) async fn spare_webhook(cx: &Cx<'_>, project: &str, feed: &str) -> String {
    let db = cx.app.db();
    let scope = db.scopes().resolve("default", (!project.is_empty()).then_some(project)).await.unwrap();
    let feed_id = db.feeds().get(&scope, feed).await.unwrap().id;
    let sealed = cx.app.core().upstreams.key().unwrap().seal("a webhook secret 1234").unwrap();
    let hook = db
        .webhooks()
        .create(feed_id, "https://hooks.example.com/wharf", &[wharf_core::WebhookEvent::Publish], &sealed, None, 0)
        .await
        .unwrap();
    hook.id.to_string()
}

/// A warm job of the feed (as one that ran) for one cell to read; its id.
pub(super) async fn spare_job(cx: &Cx<'_>, project: &str, feed: &str) -> String {
    let db = cx.app.db();
    let scope = db.scopes().resolve("default", (!project.is_empty()).then_some(project)).await.unwrap();
    let feed_id = db.feeds().get(&scope, feed).await.unwrap().id;
    let limits = wharf_db::JobLimits { per_user: i64::MAX, per_feed: i64::MAX, since: 0 };
    db.warm_jobs().create(feed_id, 1, None, 0, limits).await.unwrap().unwrap().id.to_string()
}
