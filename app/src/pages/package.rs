//! A package of a feed: versions, dependencies, features, README, install line; for the
//! feed's Administrators also deleting versions and the dependency-confusion setting. And
//! the feed's recycle bin.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    components::{layout::use_session, snippet::Snippet},
    model::{FeedView, PackageDetailView, RecycledView, human_time},
    pages::{Breadcrumbs, Col, DataTable, FieldError, FormError, feed_fields, feed_resource, form_error, loaded},
    server::{
        DeleteVersion, PromoteVersion, ReleaseNow, RestoreVersion, SetAllowExternal, SetQuarantine, get_package,
        list_recycle_bin,
    },
};

#[component]
pub fn PackagePage() -> impl IntoView {
    let feed = feed_resource();
    let session = use_session();
    let params = use_params_map();
    let name = params.read_untracked().get("package").unwrap_or_default();
    let page = use_query_map().read_untracked().get("page").and_then(|p| p.parse::<i64>().ok());
    let error = form_error::<DeleteVersion>()
        .or_else(form_error::<SetAllowExternal>)
        .or_else(form_error::<PromoteVersion>)
        .or_else(form_error::<SetQuarantine>)
        .or_else(form_error::<ReleaseNow>);
    loaded(move || {
        let (name, error) = (name.clone(), error.clone());
        async move {
            let feed = feed.await?;
            let csrf = session.await.map(|s| s.csrf).unwrap_or_default();
            let package = get_package(feed.org.clone(), feed.project.clone(), feed.name.clone(), name, page).await?;
            Ok(view! { <FormError error=error.clone()/> <PackageDetails feed package csrf error/> })
        }
    })
}

#[component]
fn PackageDetails(
    feed: FeedView,
    package: PackageDetailView,
    csrf: String,
    error: Option<crate::error::PortalError>,
) -> impl IntoView {
    let page = feed.location().page_path();
    // What works in a project set up as the Connect page says.
    let install = feed.connect_info().add_command(&package.name);
    let admin = feed.can_administer;
    let shown_versions = package.versions.len();
    let links = [
        ("Repository", package.repository.clone()),
        ("Homepage", package.homepage.clone()),
        ("Documentation", package.documentation.clone()),
    ];
    let head = view! {
        <Title text=format!("{} · {}", package.name, feed.name)/>
        <Breadcrumbs org=feed.org.clone() trail=vec![(feed.name.clone(), page.clone())] here=package.name.clone()/>
        <div class="page-head">
            <div>
                <h1 id="package-name">{package.name.clone()} " " <span class="muted mono">{package.version.clone()}</span></h1>
                {package.description.clone().map(|d| view! { <p class="lead">{d}</p> })}
            </div>
            {admin.then(|| view! { <a class="button" href=feed.location().recycle_bin_path()>"Recycle bin"</a> })}
        </div>
        <dl class="facts">
            {package.license.clone().map(|l| view! { <dt>"License"</dt> <dd id="package-license">{l}</dd> })}
            {links
                .into_iter()
                .filter_map(|(label, url)| url.map(|url| view! {
                    <dt>{label}</dt>
                    <dd><a href=url.clone() rel="noopener noreferrer nofollow">{url.clone()}</a></dd>
                }))
                .collect_view()}
        </dl>
        <Snippet id="install-line" title="Install" text=install/>

        {package.has_local.then(|| {
            let explanation = if package.allow_external {
                "Externally-sourced versions are allowed: versions of this name from the upstream show up in the feed beside the local ones."
            } else {
                "This name has versions published to this feed, so versions of the same name from the upstream are hidden: nobody can slip a look-alike from crates.io into your builds (dependency confusion)."
            };
            view! {
                <section class="card" aria-labelledby="guard-title" id="guard">
                    <h2 id="guard-title">"Upstream versions"</h2>
                    <p>{explanation}</p>
                    {admin.then(|| view! {
                        <form method="post" action=SetAllowExternal::PATH class="form form--row">
                            {feed_fields(&feed, &csrf)}
                            <input type="hidden" name="name" value=package.name.clone()/>
                            <div class="choice">
                                <input type="checkbox" id="allow-external" name="allow" value="on" checked=package.allow_external/>
                                <label for="allow-external">"Allow externally-sourced versions"</label>
                            </div>
                            <button type="submit" class="button button--small">"Save"</button>
                        </form>
                    })}
                </section>
            }
        })}

        {package.readme_html.clone().map(|html| view! {
            <section class="card readme" aria-labelledby="readme-title">
                <h2 id="readme-title">"README"</h2>
                // Rendered from Markdown and sanitised with ammonia on the server.
                <div id="readme" inner_html=html></div>
            </section>
        })}

    }
    .into_any();
    // In two parts: one view of everything is too deep a type for the WASM build.
    let versions = view! {
        <section class="card" aria-labelledby="versions-title">
            {(!package.held_back.is_empty()).then(|| held_back(&feed, &csrf, &package, admin))}
            {(!package.advisories.is_empty()).then(|| view! { <Advisories list=package.advisories.clone()/> })}
            <h2 id="versions-title">"Versions"</h2>
            // A quarantine or release refused for its reason says so here.
            <FieldError error=error.clone() field="reason"/>
            <DataTable id="versions" columns=vec![Col::shown("Version"), Col::shown("Origin"), Col::shown("Views"), Col::shown("Downloads"), Col::shown("Added"), Col::hidden("Actions")]>
                        {package
                            .versions
                            .iter()
                            .map(|v| {
                                let deletable = admin && v.origin == wharf_core::Origin::Local;
                                let promotable: Vec<String> = package.views.iter().filter(|w| !v.views.contains(w)).cloned().collect();
                                let promote = (package.can_promote && !promotable.is_empty()).then(|| view! {
                                    <form method="post" action=PromoteVersion::PATH class="inline-form promote-form">
                                        {feed_fields(&feed, &csrf)}
                                        <input type="hidden" name="name" value=package.name.clone()/>
                                        <input type="hidden" name="version" value=v.version.clone()/>
                                        <label class="visually-hidden" for=format!("promote-{}", v.version)>{format!("View to promote {} to", v.version)}</label>
                                        <select name="view" id=format!("promote-{}", v.version)>
                                            {promotable.into_iter().map(|w| view! { <option value=w.clone()>{format!("@{w}")}</option> }).collect_view()}
                                        </select>
                                        <button type="submit" class="button button--small">{format!("Promote {}", v.version)}</button>
                                    </form>
                                });
                                view! {
                                    <tr data-version=v.version.clone()>
                                        <td class="mono">
                                            {v.version.clone()}
                                            {v.yanked.then(|| view! { " " <span class="badge badge--yanked">"yanked"</span> })}
                                            {v.quarantine.clone().map(|why| view! { " " <span class="badge badge--yanked badge--quarantined" title=why>"quarantined"</span> })}
                                            {v.removed_upstream.then(|| view! { " " <span class="badge badge--yanked badge--removed" title="Its upstream no longer lists it: hidden from new resolution; locked builds still get the saved copy.">"removed upstream"</span> })}
                                            {v.advisories.iter().map(|(id, level)| view! { " " <a class=format!("badge badge--advisory badge--{level}") href=format!("#{id}") title=format!("Affected: {level}")>{id.clone()}</a> }).collect_view()}
                                        </td>
                                        <td><span class="badge">{v.origin.as_str()}</span></td>
                                        <td class="views">
                                            {v.views.iter().map(|w| view! { <span class="badge badge--view" data-view=w.clone()>{format!("@{w}")}</span> " " }).collect_view()}
                                        </td>
                                        <td class="downloads">{v.downloads}</td>
                                        <td>{human_time(&v.created_at)}</td>
                                        <td class="actions">
                                            {promote}
                                            {admin.then(|| quarantine_form(&feed, &csrf, &package.name, &v.version, v.quarantine.is_some()))}
                                            {deletable.then(|| view! {
                                                <form method="post" action=DeleteVersion::PATH class="inline-form">
                                                    {feed_fields(&feed, &csrf)}
                                                    <input type="hidden" name="name" value=package.name.clone()/>
                                                    <input type="hidden" name="version" value=v.version.clone()/>
                                                    <button type="submit" class="button button--small button--danger">
                                                        {format!("Delete {}", v.version)}
                                                    </button>
                                                </form>
                                            })}
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
            </DataTable>
            <VersionPager total=package.total_versions page=package.page per_page=package.per_page shown=shown_versions/>
        </section>

    }
    .into_any();
    let rest = view! {
        <section class="card" aria-labelledby="badge-title">
            <h2 id="badge-title">"Badge"</h2>
            <p class="hint">"The newest version, for a README: add " <code>"?version=1.2.3"</code> " for one version."</p>
            <Snippet id="badge-markdown" title="Markdown" text=package.badge_markdown.clone()/>
        </section>

        <section class="card" aria-labelledby="deps-title">
            <h2 id="deps-title">"Dependencies of " {package.version.clone()}</h2>
            {if package.dependencies.is_empty() {
                view! { <p class="muted">"None."</p> }.into_any()
            } else {
                view! {
                    <ul id="dependencies" class="plain-list">
                        {package
                            .dependencies
                            .iter()
                            .map(|d| view! {
                                <li>
                                    <span class="mono">{d.name.clone()}</span> " " <span class="mono muted">{d.req.clone()}</span>
                                    {d.package.clone().map(|p| view! { " " <span class="hint">{format!("(package {p})")}</span> })}
                                    {(d.kind != "normal").then(|| view! { " " <span class="badge">{d.kind.clone()}</span> })}
                                    {d.optional.then(|| view! { " " <span class="badge">"optional"</span> })}
                                    {d.target.clone().map(|t| view! { " " <span class="badge mono">{t}</span> })}
                                </li>
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            }}
        </section>

        {(!package.features.is_empty()).then(|| view! {
            <section class="card" aria-labelledby="features-title">
                <h2 id="features-title">"Features"</h2>
                <ul id="features" class="plain-list">
                    {package
                        .features
                        .iter()
                        .map(|(name, enables)| view! {
                            <li><span class="mono">{name.clone()}</span> " " <span class="muted mono">{format!("= {enables:?}")}</span></li>
                        })
                        .collect_view()}
                </ul>
            </section>
        })}
    }
    .into_any();
    view! { {head} {versions} {rest} }
}

/// "Versions 51–100 of 230", with links to the previous and next pages.
#[component]
fn VersionPager(total: i64, page: i64, per_page: i64, shown: usize) -> impl IntoView {
    let pages = ((total + per_page - 1) / per_page).max(1);
    (pages > 1).then(|| {
        let first = (page - 1) * per_page + 1;
        let text = if shown == 0 {
            format!("No versions on page {page} of {pages}")
        } else {
            format!("Versions {first}–{} of {total}", first + shown as i64 - 1)
        };
        let prev = (page > 1).then(|| page.min(pages + 1) - 1);
        let next = (page < pages).then_some(page + 1);
        view! {
            <nav class="pager" aria-label="Pages of versions" id="versions-pager">
                <span class="muted small" id="versions-shown">{text}</span>
                {prev.map(|p| view! { <a class="button button--small" rel="prev" id="versions-prev" href=format!("?page={p}")>"Previous"</a> })}
                {next.map(|p| view! { <a class="button button--small" rel="next" id="versions-next" href=format!("?page={p}")>"Next"</a> })}
            </nav>
        }
    })
}

#[component]
pub fn RecycleBinPage() -> impl IntoView {
    let feed = feed_resource();
    let session = use_session();
    let error = form_error::<RestoreVersion>();
    loaded(move || {
        let error = error.clone();
        async move {
            let feed = feed.await?;
            let csrf = session.await.map(|s| s.csrf).unwrap_or_default();
            let list = list_recycle_bin(feed.org.clone(), feed.project.clone(), feed.name.clone()).await?;
            Ok(view! { <FormError error/> <RecycleBin feed list csrf/> })
        }
    })
}

#[component]
fn RecycleBin(feed: FeedView, list: Vec<RecycledView>, csrf: String) -> impl IntoView {
    let page = feed.location().page_path();
    view! {
        <Title text=format!("Recycle bin of {}", feed.name)/>
        <Breadcrumbs org=feed.org.clone() trail=vec![(feed.name.clone(), page)] here="Recycle bin"/>
        <h1>"Recycle bin"</h1>
        <p class="lead">
            "Deleted versions stay here for 30 days: hidden from cargo, their version numbers reserved. Restore one to bring it back."
        </p>
        {if list.is_empty() {
            view! { <p class="muted" id="recycle-bin-empty">"The recycle bin is empty."</p> }.into_any()
        } else {
            view! {
                <DataTable id="recycle-bin" columns=vec![Col::shown("Package"), Col::shown("Version"), Col::shown("Deleted"), Col::shown("Purged"), Col::hidden("Actions")] boxed=true>
                            {list
                                .into_iter()
                                .map(|r| view! {
                                    <tr data-recycled=format!("{}@{}", r.name, r.version)>
                                        <td class="mono">{r.name.clone()}</td>
                                        <td class="mono">{r.version.clone()}</td>
                                        <td>{human_time(&r.deleted_at)}</td>
                                        <td>{human_time(&r.purged_at)}</td>
                                        <td class="actions">
                                            <form method="post" action=RestoreVersion::PATH class="inline-form">
                                                {feed_fields(&feed, &csrf)}
                                                <input type="hidden" name="name" value=r.name.clone()/>
                                                <input type="hidden" name="version" value=r.version.clone()/>
                                                <button type="submit" class="button button--small">{format!("Restore {}", r.version)}</button>
                                            </form>
                                        </td>
                                    </tr>
                                })
                                .collect_view()}
                </DataTable>
            }
            .into_any()
        }}
    }
}

/// The quarantine button of a version: a reason and "Quarantine", or "Lift quarantine".
fn quarantine_form(feed: &FeedView, csrf: &str, name: &str, version: &str, quarantined: bool) -> impl IntoView + use<> {
    let id = format!("quarantine-reason-{version}");
    view! {
        <form method="post" action=SetQuarantine::PATH class="inline-form quarantine-form">
            {feed_fields(feed, csrf)}
            <input type="hidden" name="name" value=name.to_owned()/>
            <input type="hidden" name="version" value=version.to_owned()/>
            {if quarantined {
                view! {
                    <input type="hidden" name="lift" value="on"/>
                    <button type="submit" class="button button--small">{format!("Lift quarantine of {version}")}</button>
                }
                    .into_any()
            } else {
                view! {
                    <label class="visually-hidden" for=id.clone()>{format!("Why quarantine {version}")}</label>
                    <input type="text" name="reason" id=id placeholder="Reason" required="" maxlength="500" size="12"/>
                    <button type="submit" class="button button--small button--danger">{format!("Quarantine {version}")}</button>
                }
                    .into_any()
            }}
        </form>
    }
}

/// The advisories about the crate, each with the listed versions it affects.
#[component]
fn Advisories(list: Vec<crate::model::AdvisoryView>) -> impl IntoView {
    view! {
        <section aria-labelledby="advisories-title" id="advisories">
            <h2 id="advisories-title">"Security advisories"</h2>
            <ul class="advisories">
                {list.into_iter().map(|a| {
                    let level = a.severity.clone().unwrap_or_else(|| a.kind.clone());
                    view! {
                        <li id=a.id.clone() data-advisory=a.id.clone()>
                            <a href=a.url.clone() rel="noopener noreferrer nofollow" class="mono">{a.id.clone()}</a>
                            " " <span class=format!("badge badge--advisory badge--{level}")>{level.clone()}</span>
                            {(a.kind == "malicious").then(|| view! { " " <span class="badge badge--advisory badge--critical">"malicious"</span> })}
                            " " <strong>{a.title.clone()}</strong>
                            <span class="muted">{format!(" ({})", a.date)}</span>
                            <div class="hint">
                                {if a.affected.is_empty() { "No version listed here is affected.".to_owned() } else { format!("Affects {} here.", a.affected.join(", ")) }}
                                {(!a.patched.is_empty()).then(|| format!(" Patched: {}.", a.patched.join(", ")))}
                            </div>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

/// The versions the upstream cooldown holds back, with "Release now" for Administrators.
fn held_back(feed: &FeedView, csrf: &str, package: &PackageDetailView, admin: bool) -> AnyView {
    let (feed, csrf) = (feed.clone(), csrf.to_owned());
    view! {
                <section aria-labelledby="held-title" id="held-back">
                    <h2 id="held-title">"Held back by the upstream cooldown"</h2>
                    <ul>
                        {package.held_back.iter().map(|(version, until)| view! {
                            <li data-version=version.clone()>
                                <span class="mono">{version.clone()}</span>
                                " is released on " <time datetime=until.clone()>{human_time(until)}</time>
                                {admin.then(|| view! {
                                    <form method="post" action=ReleaseNow::PATH class="inline-form release-form">
                                        {feed_fields(&feed, &csrf)}
                                        <input type="hidden" name="name" value=package.name.clone()/>
                                        <input type="hidden" name="version" value=version.clone()/>
                                        <label class="visually-hidden" for=format!("release-reason-{version}")>{format!("Why {version} cannot wait")}</label>
                                        <input type="text" name="reason" id=format!("release-reason-{version}") placeholder="Why it cannot wait" required="" maxlength="500"/>
                                        <button type="submit" class="button button--small">{format!("Release {version} now")}</button>
                                    </form>
                                })}
                            </li>
                        }).collect_view()}
                    </ul>
                    {admin.then(|| view! {
                        <form method="post" action=ReleaseNow::PATH class="inline-form release-form" id="release-package">
                            {feed_fields(&feed, &csrf)}
                            <input type="hidden" name="name" value=package.name.clone()/>
                            <label class="visually-hidden" for="release-package-reason">"Why the whole package cannot wait"</label>
                            <input type="text" name="reason" id="release-package-reason" placeholder="Why it cannot wait" required="" maxlength="500"/>
                            <button type="submit" class="button button--small">"Allow every version of this package now"</button>
                        </form>
                    })}
                </section>
    }
    .into_any()
}
