//! One feed: what it is and how to reach it.

use leptos::prelude::*;
use leptos_meta::Title;

use leptos_router::{components::Form, hooks::use_query_map};

use crate::{
    components::layout::use_session,
    model::{FeedView, PackageList, PackageView, human_time},
    pages::{Breadcrumbs, Col, DataTable, WarmDrop, feed_resource, loaded},
    server::list_packages,
};

#[component]
pub fn FeedPage() -> impl IntoView {
    let feed = feed_resource();
    let session = use_session();
    loaded(move || async move {
        let feed = feed.await?;
        // Signed-in visitors get the Warm form here too (the core decides who may warm).
        let session = session.await?;
        let csrf = session.user.is_some().then_some(session.csrf);
        Ok(view! { <FeedDetails feed csrf/> })
    })
}

#[component]
fn FeedDetails(feed: FeedView, csrf: Option<String>) -> impl IntoView {
    let loc = feed.location();
    let warm = csrf.map(|csrf| {
        view! {
            <details class="warm-inline" id="feed-warm">
                <summary>"Warm this feed from a Cargo.lock"</summary>
                <WarmDrop action=loc.warm_path() csrf/>
            </details>
        }
        .into_any()
    });
    view! {
        <Title text=feed.name.clone()/>
        <Breadcrumbs org=feed.org.clone() here=feed.name.clone()/>
        <div class="page-head">
            <div>
                <h1>{feed.name.clone()}</h1>
                <p class="badges">
                    <span class=format!("badge badge--{}", feed.visibility.as_str())>{feed.visibility.label()}</span>
                    <span class="badge">{feed.scope_label()}</span>
                    {feed.includes_crates_io.then(|| view! { <span class="badge badge--upstream">"crates.io upstream"</span> })}
                </p>
            </div>
            <div class="page-head__actions">
                <a class="button" id="feed-security-link" href=loc.security_path()>"Security"</a>
                <a class="button" id="feed-warm-link" href=loc.warm_path()>"Warm from a Cargo.lock"</a>
                {feed.can_administer.then(|| view! {
                    <a class="button" id="feed-settings-link" href=loc.settings_path()>"Settings"</a>
                })}
                <a class="button button--primary" href=loc.connect_path()>"Connect to feed"</a>
            </div>
        </div>
        {(!feed.description.is_empty()).then(|| view! { <p class="lead">{feed.description.clone()}</p> })}
        <dl class="facts">
            <dt>"Index URL"</dt>
            <dd><code>{feed.index_url.clone()}</code></dd>
            <dt>"Created"</dt>
            <dd><time datetime=feed.created_at.clone()>{human_time(&feed.created_at)}</time></dd>
        </dl>
        {feed.includes_crates_io.then(|| view! {
            <p class="muted small" id="upstream-status">
                "Upstream crates.io last reached: "
                {match feed.upstream_reached_at.clone() {
                    Some(at) => view! { <time datetime=at.clone()>{human_time(&at)}</time> }.into_any(),
                    None => view! { <span>"not yet"</span> }.into_any(),
                }}
            </p>
        })}
        {warm}
        <Packages feed=feed.clone()/>
    }
}

/// The feed's packages, searched, filtered and paged on the server (a plain GET form and
/// plain links, so it works without JavaScript).
#[component]
fn Packages(feed: FeedView) -> impl IntoView {
    let query = use_query_map();
    let q = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let filter = Memo::new(move |_| query.read().get("filter").unwrap_or_default());
    let page_no = Memo::new(move |_| query.read().get("page").and_then(|p| p.parse::<i64>().ok()).unwrap_or(1));
    let (org, project, name) = (feed.org.clone(), feed.project.clone(), feed.name.clone());
    let packages = Resource::new(
        move || (q.get(), filter.get(), page_no.get()),
        move |(q, filter, page)| list_packages(org.clone(), project.clone(), name.clone(), q, filter, page),
    );
    let page = feed.location();
    let loc = feed.location();
    let upstream = feed.includes_crates_io;
    view! {
        <section class="card" aria-labelledby="packages-title">
            <div class="card__head">
                <h2 id="packages-title">"Packages"</h2>
                <Form method="GET" action="" attr:class="search" attr:role="search">
                    <label for="package-search" class="visually-hidden">"Search packages by name"</label>
                    <input id="package-search" type="search" name="q" placeholder="Search by name" value=move || q.get()/>
                    <label for="package-filter" class="visually-hidden">"Show"</label>
                    <select id="package-filter" name="filter">
                        {[("", "All packages"), ("local", "Local"), ("upstream", "From upstream"), ("yanked", "With yanked versions")]
                            .into_iter()
                            .map(|(value, label)| view! { <option value=value selected=move || filter.get() == value>{label}</option> })
                            .collect_view()}
                    </select>
                    <button type="submit" class="button button--small">"Search"</button>
                </Form>
            </div>
            <Suspense fallback=|| view! { <p class="muted">"Loading packages…"</p> }>
                {move || {
                    let connect = loc.connect_path();
                    let page = page.clone();
                    Suspend::new(async move {
                        match packages.await {
                            Ok(list) if list.total == 0 && q.get().is_empty() && filter.get().is_empty() => view! {
                                <p class="muted">
                                    "This feed holds no packages yet. "
                                    <a href=connect>"Connect cargo to it"</a>
                                    {if upstream {
                                        " and build: every crate you use from crates.io is saved here on first use."
                                    } else {
                                        " and publish with cargo publish."
                                    }}
                                </p>
                            }.into_any(),
                            Ok(list) if list.total == 0 => view! {
                                <p class="muted" id="no-packages">"No package matches."</p>
                            }.into_any(),
                            Ok(list) => {
                                let pager = view! { <Pager list=list.clone() q=q.get() filter=filter.get()/> };
                                let held = (list.held_back > 0).then(|| view! {
                                    <p class="notice" id="held-back">
                                        {format!("The upstream cooldown holds back {} upstream version{} of the packages below: {} not in the index until old enough; each package's page says until when.", list.held_back, if list.held_back == 1 { "" } else { "s" }, if list.held_back == 1 { "it is" } else { "they are" })}
                                    </p>
                                });
                                view! { {held} <PackageTable packages=list.items loc=page.clone()/> {pager} }.into_any()
                            }
                            Err(error) => view! { <p class="notice notice--error">{error.to_string()}</p> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

/// "Packages 51–100 of 10,000", with links to the previous and next pages that keep the
/// search and the filter.
#[component]
fn Pager(list: PackageList, q: String, filter: String) -> impl IntoView {
    let href = move |page: i64| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if !q.is_empty() {
            query.append_pair("q", &q);
        }
        if !filter.is_empty() {
            query.append_pair("filter", &filter);
        }
        query.append_pair("page", &page.to_string());
        format!("?{}", query.finish())
    };
    let first = (list.page - 1) * list.per_page + 1;
    let last = first + list.items.len() as i64 - 1;
    let shown = if list.items.is_empty() {
        format!("No packages on page {} of {}", list.page, list.pages)
    } else {
        format!("Packages {first}–{last} of {}", list.total)
    };
    let prev = (list.page > 1).then(|| list.page.min(list.pages + 1) - 1);
    let next = (list.page < list.pages).then(|| list.page + 1);
    view! {
        <nav class="pager" aria-label="Pages of packages" id="packages-pager">
            <span class="muted small" id="packages-shown">{shown}</span>
            {prev.map(|p| view! { <a class="button button--small" rel="prev" id="packages-prev" href=href(p)>"Previous"</a> })}
            {next.map(|p| view! { <a class="button button--small" rel="next" id="packages-next" href=href(p)>"Next"</a> })}
        </nav>
    }
}

#[component]
fn PackageTable(packages: Vec<PackageView>, loc: wharf_core::FeedLocation) -> impl IntoView {
    view! {
        <DataTable id="packages" columns=vec![Col::shown("Name"), Col::shown("Latest saved"), Col::shown("Versions"), Col::shown("Origin"), Col::shown("Last used")]>
                    {packages
                        .into_iter()
                        .map(|p| {
                            let key = p.name.clone();
                            view! {
                            <tr data-package=key>
                                <td class="mono">
                                    <a href=loc.package_path(&p.name)>{p.name.clone()}</a>
                                    {p.yanked.then(|| view! { " " <span class="badge badge--yanked">"yanked"</span> })}
                                </td>
                                <td class="mono">{p.latest}</td>
                                <td>{p.versions}</td>
                                <td><span class="badge">{p.origin}</span></td>
                                <td><time datetime=p.last_used.clone()>{human_time(&p.last_used)}</time></td>
                            </tr>
                            }
                        })
                        .collect_view()}
        </DataTable>
    }
}
