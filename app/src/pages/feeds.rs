//! The list of an organization's feeds.

use leptos::prelude::*;
use leptos_meta::Title;

use leptos_router::hooks::use_location;

use crate::{
    components::layout::{current_org, current_project, sign_in_href, use_session},
    model::FeedView,
    pages::{Col, DataTable, loaded},
    server::list_feeds,
};

/// The Create feed page, for the current project when there is one.
fn new_feed_href(org: &str, project: Option<&str>) -> String {
    match project {
        Some(project) => format!("{}?project={project}", wharf_core::urls::pages::new_feed(org)),
        None => wharf_core::urls::pages::new_feed(org),
    }
}

/// The feeds of an organization (`/{org}/_artifacts`, every scope), or of one project with
/// the organization's (`/{org}/{project}/_artifacts`). Visitors who are not signed in see
/// the public feeds and are asked to sign in.
#[component]
pub fn FeedsPage() -> impl IntoView {
    let org = current_org();
    let project = current_project();
    let session = use_session();
    let feeds = Resource::new(move || (org.get(), project.get()), |(org, project)| list_feeds(org, project));
    let location = use_location();
    view! {
        <Title text="Feeds"/>
        {loaded(move || async move {
            let signed_in = session.await.map(|s| s.user.is_some()).unwrap_or(false);
            let (org, project) = (org.get_untracked(), project.get_untracked());
            let heading = match &project {
                Some(p) => format!("Feeds of project {p}"),
                None => "Feeds".to_owned(),
            };
            let head = view! {
                <div class="page-head">
                    <h1>{heading}</h1>
                    {signed_in.then(|| view! {
                        <a class="button button--primary" id="create-feed-link" href=new_feed_href(&org, project.as_deref())>"Create feed"</a>
                    })}
                </div>
            };
            let invite = (!signed_in).then(|| view! {
                <section class="notice" id="sign-in-prompt">
                    <p>"Sign in to see your organization's feeds and to create one."</p>
                    <a class="button button--primary" href=sign_in_href(&location.pathname.get_untracked())>"Sign in"</a>
                </section>
            });
            let list = feeds.await?;
            Ok(view! {
                {head}
                {invite}
                {match list {
                    list if list.is_empty() && signed_in => view! { <EmptyFeeds org project/> }.into_any(),
                    list if list.is_empty() => ().into_any(),
                    list => view! { <FeedTable feeds=list/> }.into_any(),
                }}
            })
        })}
    }
}

#[component]
fn EmptyFeeds(org: String, project: Option<String>) -> impl IntoView {
    view! {
        <section class="empty">
            <h2>"No feeds yet"</h2>
            <p>"A feed holds your team's crates and, if you like, everything you use from crates.io."</p>
            <a class="button button--primary" href=new_feed_href(&org, project.as_deref())>"Create your first feed"</a>
        </section>
    }
}

#[component]
fn FeedTable(feeds: Vec<FeedView>) -> impl IntoView {
    view! {
        <DataTable id="feeds" columns=vec![Col::shown("Name"), Col::shown("Scope"), Col::shown("Visibility"), Col::shown("Upstream"), Col::hidden("Actions")] boxed=true>
                    {feeds
                        .into_iter()
                        .map(|feed| {
                            let loc = feed.location();
                            view! {
                                <tr data-feed=feed.name.clone()>
                                    <td>
                                        <a class="feed-link" href=loc.page_path()>{feed.name.clone()}</a>
                                        <div class="muted small">{feed.description.clone()}</div>
                                    </td>
                                    <td>{feed.scope_label()}</td>
                                    <td><span class=format!("badge badge--{}", feed.visibility.as_str())>{feed.visibility.label()}</span></td>
                                    <td>{if feed.includes_crates_io { "crates.io" } else { "—" }}</td>
                                    <td class="actions"><a href=loc.connect_path()>"Connect to feed"</a></td>
                                </tr>
                            }
                        })
                        .collect_view()}
        </DataTable>
    }
}
