//! `wharf export` and `wharf import`: a feed to a bundle or a static registry, and a bundle
//! into a feed. They work on the database and the crate file store directly (like `wharf
//! admin`), so they also run where no server does, while one runs, and on an air-gapped
//! machine. The operations are the core's (`wharf_service::bundles`), run as the
//! operator; this only reads the command line and prints the progress.

use std::{path::Path, sync::Arc};

use wharf_core::{PublicUrl, TokenScope};
use wharf_db::{Db, DbError, Feed};
use wharf_service::{
    Core, FeedRef, Principal,
    audit::{self, Via},
    bundles::{self, BundleError, Progress, Report, Step},
    feeds::{self, NewFeed},
    registry::{Registry, publish::DEFAULT_MAX_CRATE_SIZE},
    storage::Storage,
    views::ViewSel,
};

use crate::config::{ExportArgs, ImportArgs, StoreArgs};

/// The core with the database and the store the arguments name, and its registry (kept
/// alive as long as the command runs).
async fn open(store: &StoreArgs, storage_url: Option<&str>) -> Result<(Db, Arc<Registry>, Core), String> {
    let storage = store.storage(storage_url)?;
    let db = Db::connect(&store.database_url()).await.map_err(|e| format!("cannot open the database: {e}"))?;
    let storage = Storage::open(&storage).map_err(|e| format!("cannot open the crate file store {storage}: {e}"))?;
    let (core, metrics) = crate::command_line::core(&db)?;
    let registry = Arc::new(Registry::new(core.clone(), storage, metrics, DEFAULT_MAX_CRATE_SIZE));
    let core = core.with_registry(registry.clone());
    Ok((db, registry, core))
}

/// `ORG/FEED` or `ORG/PROJECT/FEED`: a whole feed, not a view of it.
fn parse_feed(feed: &str) -> Result<FeedRef, String> {
    match FeedRef::parse(feed) {
        Ok((feed, ViewSel::Feed)) => Ok(feed),
        Ok(_) => Err(format!("--feed: bundles hold whole feeds; name one without @VIEW (got '{feed}')")),
        Err(message) => Err(format!("--feed: {message}")),
    }
}

async fn find_feed(db: &Db, feed: &str) -> Result<Option<Feed>, String> {
    let FeedRef { org, project, feed: name } = parse_feed(feed)?;
    let scope = match db.scopes().resolve(&org, project.as_deref()).await {
        Ok(scope) => scope,
        Err(DbError::NotFound(m)) => return Err(m),
        Err(e) => return Err(format!("cannot read the database: {e}")),
    };
    match db.feeds().get(&scope, &name).await {
        Ok(feed) => Ok(Some(feed)),
        Err(DbError::NotFound(_)) => Ok(None),
        Err(e) => Err(format!("cannot read the database: {e}")),
    }
}

/// Prints one line of progress on standard error.
fn show(p: Progress<'_>) {
    let step = match &p.step {
        Step::Exported => "exported".to_owned(),
        Step::Added => "added".to_owned(),
        Step::Present => "already there".to_owned(),
        Step::Skipped(why) => format!("skipped: {why}"),
    };
    eprintln!("[{}/{}] {} {}: {step}", p.done, p.total, p.name, p.version);
}

fn skipped(report: &Report) -> String {
    report.skipped.iter().map(|s| format!("\nskipped {s}")).collect()
}

/// Runs `wharf export`; returns the summary to print.
pub async fn export(args: ExportArgs) -> Result<String, String> {
    let (db, _registry, core) = open(&args.store, args.storage_url.as_deref()).await?;
    let result = audit::within(Via::CLI, async {
        let feed = find_feed(&db, &args.feed).await?.ok_or_else(|| format!("there is no feed {}", args.feed))?;
        match (&args.out, &args.static_dir, &args.base_url) {
            (Some(out), _, _) => export_bundle(&core, &feed, &args.feed, out).await,
            (None, Some(dir), Some(base_url)) => {
                PublicUrl::parse(base_url).map_err(|e| format!("--base-url: {e}"))?;
                let report = bundles::export_static(&core, &Principal::Operator, &feed, dir, base_url, show)
                    .await
                    .map_err(message)?;
                Ok(format!(
                    "Wrote {} versions of {} as a static registry to {}; serve that directory at {base_url} and point \
                     cargo at sparse+{}/{}",
                    report.exported,
                    args.feed,
                    dir.display(),
                    base_url.trim_end_matches('/'),
                    skipped(&report)
                ))
            }
            _ => Err("name a bundle with --out, or a directory with --static-dir and --base-url".to_owned()),
        }
    })
    .await;
    db.close().await;
    result
}

/// The bundle is written next to `out` and renamed when whole: a failed export leaves no
/// half bundle.
async fn export_bundle(core: &Core, feed: &Feed, label: &str, out: &Path) -> Result<String, String> {
    let partial = out.with_extension("partial");
    let file = std::fs::File::create(&partial).map_err(|e| format!("cannot create {}: {e}", partial.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    let report = match bundles::export_bundle(core, &Principal::Operator, feed, &mut writer, show).await {
        Ok(report) => report,
        Err(e) => {
            drop(writer);
            let _ = std::fs::remove_file(&partial);
            return Err(message(e));
        }
    };
    let file = writer.into_inner().map_err(|e| format!("cannot write {}: {}", partial.display(), e.error()))?;
    file.sync_all().map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
    std::fs::rename(&partial, out).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    Ok(format!("Exported {} versions of {label} to {}{}", report.exported, out.display(), skipped(&report)))
}

/// Runs `wharf import`; returns the summary to print.
pub async fn import(args: ImportArgs) -> Result<String, String> {
    let (db, _registry, core) = open(&args.store, args.storage_url.as_deref()).await?;
    let servers = wharf_service::relay::CommandLine::listen(&core);
    let result = audit::within(Via::CLI, async {
        // The bundle is checked before a feed is created for it.
        let path = args.bundle.clone();
        let bundle = tokio::task::spawn_blocking(move || bundles::verify(&path))
            .await
            .map_err(|e| e.to_string())?
            .map_err(message)?;
        let (created, feed) = match find_feed(&db, &args.feed).await? {
            Some(feed) => (false, feed),
            None => (true, create_feed(&core, &args, &bundle.manifest.feed.clone()).await?),
        };
        let report =
            bundles::import(&core, &Principal::Operator, &feed, &args.bundle, bundle, show).await.map_err(message)?;
        let created = if created { format!("Created feed {}. ", args.feed) } else { String::new() };
        Ok(format!(
            "{created}Imported {} into {}: {} added, {} already there.",
            args.bundle.display(),
            args.feed,
            report.added,
            report.present
        ))
    })
    .await;
    // Running servers hear the new feed and drop what they cached of it.
    servers.finish().await;
    db.close().await;
    result
}

async fn create_feed(
    core: &Core,
    args: &ImportArgs,
    from: &wharf_service::registry::bundle::BundleFeed,
) -> Result<Feed, String> {
    let Some(owner) = &args.owner else {
        return Err(format!(
            "there is no feed {}; pass --owner NAME to create it with that account as its Owner",
            args.feed
        ));
    };
    let (user, _) = core.db.users().by_name(owner).await.map_err(|e| match e {
        DbError::NotFound(_) => format!("--owner: there is no account named '{owner}'"),
        other => format!("cannot read the database: {other}"),
    })?;
    let FeedRef { org, project, feed: name } = parse_feed(&args.feed)?;
    let principal = Principal::User { user, scope: TokenScope::Write, token: None };
    // Older bundles carry no settings: the feed then starts with the defaults.
    let settings = match &from.settings {
        serde_json::Value::Null => Default::default(),
        given => serde_json::from_value(given.clone()).map_err(|e| format!("the bundle's feed settings: {e}"))?,
    };
    let new = NewFeed {
        org,
        project,
        name,
        description: Some(from.description.clone()).filter(|d| !d.is_empty()),
        visibility: from.visibility.clone(),
        includes_crates_io: false,
        settings,
    };
    feeds::create(core, &principal, &new).await.map_err(|e| format!("cannot create the feed {}: {e}", args.feed))
}

fn message(e: BundleError) -> String {
    e.to_string()
}
