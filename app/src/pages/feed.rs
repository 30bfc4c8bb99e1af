//! One feed: what it is and how to reach it.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    model::FeedView,
    pages::{LoadError, feed_resource},
};

#[component]
pub fn FeedPage() -> impl IntoView {
    let feed = feed_resource();
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading feed…"</p> }>
            {move || Suspend::new(async move {
                match feed.await {
                    Ok(feed) => view! { <FeedDetails feed/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn FeedDetails(feed: FeedView) -> impl IntoView {
    let loc = feed.location();
    view! {
        <Title text=feed.name.clone()/>
        <nav class="breadcrumbs" aria-label="Breadcrumbs">
            <a href=format!("/{}/_artifacts", feed.org)>"Feeds"</a>
            " / "
            <span aria-current="page">{feed.name.clone()}</span>
        </nav>
        <div class="page-head">
            <div>
                <h1>{feed.name.clone()}</h1>
                <p class="badges">
                    <span class=format!("badge badge--{}", feed.visibility.as_str())>{feed.visibility.label()}</span>
                    <span class="badge">{feed.scope_label()}</span>
                    {feed.upstream_enabled.then(|| view! { <span class="badge badge--upstream">"crates.io upstream"</span> })}
                </p>
            </div>
            <a class="button button--primary" href=loc.connect_path()>"Connect to feed"</a>
        </div>
        {(!feed.description.is_empty()).then(|| view! { <p class="lead">{feed.description.clone()}</p> })}
        <dl class="facts">
            <dt>"Index URL"</dt>
            <dd><code>{feed.index_url.clone()}</code></dd>
            <dt>"Created"</dt>
            <dd><time datetime=feed.created_at.clone()>{feed.created_at.clone()}</time></dd>
        </dl>
        <section class="card">
            <h2>"Packages"</h2>
            <p class="muted">
                "This feed holds no packages yet. "
                <a href=loc.connect_path()>"Connect cargo to it"</a>
                {if feed.upstream_enabled {
                    " and build: every crate you use from crates.io is saved here on first use."
                } else {
                    " and publish with cargo publish."
                }}
            </p>
        </section>
    }
}
