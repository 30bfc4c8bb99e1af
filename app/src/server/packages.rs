//! Server functions of the package browser: a package's page, deleting a version to the
//! recycle bin and restoring it, and the dependency-confusion setting.

use leptos::prelude::*;

use crate::{
    error::PortalError,
    model::{PackageDetailView, RecycledView},
};
#[cfg(feature = "ssr")]
use crate::{
    model::{DependencyView, VersionView},
    ssr::{check_csrf, core, principal, redirect_to},
};
#[cfg(feature = "ssr")]
use wharf_service::{FeedRef, PackageRef, VersionRef, rfc3339};

/// The version of a feed's package a form names.
#[cfg(feature = "ssr")]
fn version_ref(
    org: &str,
    project: Option<&str>,
    feed: &str,
    name: &str,
    version: &str,
) -> Result<VersionRef, PortalError> {
    let package = PackageRef::new(FeedRef::new(org, project, feed), name)?;
    Ok(VersionRef::new(package, version)?)
}

/// A package of a feed, with its README rendered and sanitised.
#[server(prefix = "/_fn", endpoint = "get_package")]
pub async fn get_package(
    org: String,
    project: Option<String>,
    feed: String,
    name: String,
    #[server(default)] page: Option<i64>,
) -> Result<PackageDetailView, PortalError> {
    let core = core()?;
    let principal = principal(&core).await?;
    let package = PackageRef::new(FeedRef::new(&org, project.as_deref(), &feed), &name)?;
    let details = wharf_service::browse::details(&core, &principal, &package, page.unwrap_or(1)).await?;
    let shown = &details.shown;
    let entry = wharf_index::IndexEntry::parse(&shown.index_line).ok();
    let meta: serde_json::Value =
        shown.metadata.as_deref().and_then(|m| serde_json::from_str(m).ok()).unwrap_or_default();
    let text = |v: &serde_json::Value, key: &str| v[key].as_str().filter(|s| !s.is_empty()).map(str::to_owned);
    let link = |key: &str| text(&meta, key).filter(|u| u.starts_with("https://") || u.starts_with("http://"));
    let dependencies = entry
        .iter()
        .flat_map(|e| &e.deps)
        .map(|d| DependencyView {
            name: d.name.clone(),
            req: d.req.clone(),
            kind: d.kind.clone(),
            optional: d.optional,
            package: d.package.clone(),
            target: d.target.clone(),
        })
        .collect();
    let advisories = wharf_service::advisories::of_package(&core, &principal, &package).await?;
    // Judged only for versions saved from upstream: advisories are about crates.io's crate.
    let upstream_versions: Vec<&str> =
        details.versions.iter().filter(|v| v.origin != wharf_core::Origin::Local).map(|v| v.version.as_str()).collect();
    let advisory_views: Vec<crate::model::AdvisoryView> = advisories
        .iter()
        .map(|a| crate::model::AdvisoryView {
            id: a.id.clone(),
            title: a.title.clone(),
            url: a.url.clone(),
            severity: a.severity.clone(),
            kind: a.kind.clone(),
            date: a.date.clone(),
            affected: upstream_versions.iter().filter(|v| a.affects(v)).map(|v| (*v).to_owned()).collect(),
            patched: a.patched.clone(),
        })
        .collect();
    let features: Vec<(String, Vec<String>)> = entry
        .as_ref()
        .map(|e| e.all_features().into_iter().map(|(k, v)| (k.to_owned(), v.to_vec())).collect())
        .unwrap_or_default();
    let entry_name = entry.as_ref().map(|e| e.name.clone());
    Ok(PackageDetailView {
        name: entry.map_or(name.clone(), |e| e.name),
        version: shown.version.clone(),
        description: text(&meta, "description"),
        license: text(&meta, "license"),
        repository: link("repository"),
        homepage: link("homepage"),
        documentation: link("documentation"),
        readme_html: shown.readme.as_deref().map(render_markdown),
        dependencies,
        features,
        allow_external: details.allow_external,
        has_local: details.has_local,
        can_promote: details.can_promote,
        total_versions: details.total,
        page: details.page,
        per_page: wharf_service::browse::VERSIONS_PER_PAGE,
        versions: details
            .versions
            .iter()
            .map(|v| VersionView {
                version: v.version.clone(),
                origin: v.origin,
                yanked: v.yanked,
                downloads: v.downloads,
                created_at: rfc3339(v.created_at),
                views: details.promoted.iter().filter(|w| w.version == v.version).map(|w| w.view.clone()).collect(),
                quarantine: v.quarantine.clone(),
                removed_upstream: details.removed_upstream.contains(&v.version),
                advisories: advisory_views
                    .iter()
                    .filter(|a| a.affected.contains(&v.version))
                    .map(|a| (a.id.clone(), a.severity.clone().unwrap_or_else(|| a.kind.clone())))
                    .collect(),
            })
            .collect(),
        advisories: advisory_views.clone(),
        badge_markdown: {
            let loc = wharf_core::urls::FeedLocation { org: org.clone(), project: project.clone(), feed: feed.clone() };
            let shown = entry_name.clone().unwrap_or_else(|| name.clone());
            format!(
                "[![{shown}]({})]({})",
                core.public_url.join(&loc.badge_path(&shown)),
                core.public_url.join(&loc.package_path(&shown))
            )
        },
        views: details.views.clone(),
        held_back: details.held_back.iter().map(|(v, at)| (v.clone(), rfc3339(*at))).collect(),
    })
}

/// Markdown to HTML, then sanitised: no script, no event handlers, no foreign styles;
/// links get `rel="noopener noreferrer nofollow"`.
#[cfg(feature = "ssr")]
fn render_markdown(markdown: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TASKLISTS);
    let mut unsafe_html = String::new();
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    ammonia::Builder::default().link_rel(Some("noopener noreferrer nofollow")).clean(&unsafe_html).to_string()
}

/// Moves a local version to the recycle bin (Administrator or Owner).
#[server(prefix = "/_fn", endpoint = "delete_version")]
pub async fn delete_version(
    #[server(default)] csrf: String,
    org: String,
    project: Option<String>,
    feed: String,
    name: String,
    version: String,
) -> Result<(), PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    let target = version_ref(&org, project.as_deref(), &feed, &name, &version)?;
    let feed = wharf_service::packages::delete_version(&core, &principal(&core).await?, &target).await?;
    redirect_to(&feed.location().recycle_bin_path());
    Ok(())
}

/// The feed's recycle bin (Administrator or Owner).
#[server(prefix = "/_fn", endpoint = "list_recycle_bin")]
pub async fn list_recycle_bin(
    org: String,
    project: Option<String>,
    feed: String,
) -> Result<Vec<RecycledView>, PortalError> {
    let core = core()?;
    let feed = FeedRef::new(&org, project.as_deref(), &feed);
    Ok(wharf_service::packages::recycle_bin(&core, &principal(&core).await?, &feed)
        .await?
        .into_iter()
        .map(|r| RecycledView {
            name: r.name,
            version: r.version,
            deleted_at: rfc3339(r.deleted_at),
            purged_at: rfc3339(r.purged_at),
        })
        .collect())
}

/// Restores a version from the recycle bin (Administrator or Owner).
#[server(prefix = "/_fn", endpoint = "restore_version")]
pub async fn restore_version(
    #[server(default)] csrf: String,
    org: String,
    project: Option<String>,
    feed: String,
    name: String,
    version: String,
) -> Result<(), PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    let target = version_ref(&org, project.as_deref(), &feed, &name, &version)?;
    let feed = wharf_service::packages::restore_version(&core, &principal(&core).await?, &target).await?;
    redirect_to(&feed.location().package_path(&target.package.name));
    Ok(())
}

/// Promotes a version to one of the feed's views (Contributor and up).
#[server(prefix = "/_fn", endpoint = "promote_version")]
pub async fn promote_version(
    #[server(default)] csrf: String,
    org: String,
    project: Option<String>,
    feed: String,
    name: String,
    version: String,
    view: String,
) -> Result<(), PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    let target = version_ref(&org, project.as_deref(), &feed, &name, &version)?;
    wharf_service::views::promote(&core, &principal(&core).await?, &target, &view).await?;
    redirect_to(&target.package.feed.location().package_path(&target.package.name));
    Ok(())
}

/// Turns a package's "Allow externally-sourced versions" on or off (Administrator or Owner).
#[server(prefix = "/_fn", endpoint = "set_allow_external")]
pub async fn set_allow_external(
    #[server(default)] csrf: String,
    org: String,
    project: Option<String>,
    feed: String,
    name: String,
    allow: Option<String>,
) -> Result<(), PortalError> {
    let core = core()?;
    check_csrf(&csrf).await?;
    let package = PackageRef::new(FeedRef::new(&org, project.as_deref(), &feed), &name)?;
    wharf_service::packages::set_allow_external(&core, &principal(&core).await?, &package, allow.is_some()).await?;
    redirect_to(&package.feed.location().package_path(&package.name));
    Ok(())
}
