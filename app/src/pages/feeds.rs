//! The list of an organization's feeds.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    components::layout::current_org,
    model::FeedView,
    pages::{Col, DataTable, loaded},
    server::list_feeds,
};

#[component]
pub fn FeedsPage() -> impl IntoView {
    let org = current_org();
    let feeds = Resource::new(move || org.get(), list_feeds);
    view! {
        <Title text="Feeds"/>
        <div class="page-head">
            <h1>"Feeds"</h1>
            <a class="button button--primary" href=move || wharf_core::urls::pages::new_feed(&org.get())>"Create feed"</a>
        </div>
        {loaded(move || async move {
            Ok(match feeds.await? {
                list if list.is_empty() => view! { <EmptyFeeds org=org.get()/> }.into_any(),
                list => view! { <FeedTable feeds=list/> }.into_any(),
            })
        })}
    }
}

#[component]
fn EmptyFeeds(org: String) -> impl IntoView {
    view! {
        <section class="empty">
            <h2>"No feeds yet"</h2>
            <p>"A feed holds your team's crates and, if you like, everything you use from crates.io."</p>
            <a class="button button--primary" href=wharf_core::urls::pages::new_feed(&org)>"Create your first feed"</a>
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
                                    <td>{if feed.upstream_enabled { "crates.io" } else { "—" }}</td>
                                    <td class="actions"><a href=loc.connect_path()>"Connect to feed"</a></td>
                                </tr>
                            }
                        })
                        .collect_view()}
        </DataTable>
    }
}
