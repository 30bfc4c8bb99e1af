//! A feed's Upstreams page (Administrators and Owners): its sources in the order they are
//! asked, with each one's last success and last error, and forms to add, remove, reorder
//! and test them.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;

use crate::{
    components::layout::use_session,
    error::PortalError,
    model::{FeedView, SourceView, human_time},
    pages::{
        Col, DataTable, FieldError, FormError, feed_fields, feed_resource, form_error, loaded,
        settings::{SettingsHead, administered},
    },
    server::{AddUpstream, MoveUpstream, RemoveUpstream, TestUpstream, list_upstreams},
};

#[component]
pub fn FeedUpstreamsPage() -> impl IntoView {
    let feed = feed_resource();
    let session = use_session();
    let error = form_error::<AddUpstream>()
        .or_else(form_error::<RemoveUpstream>)
        .or_else(form_error::<MoveUpstream>)
        .or_else(form_error::<TestUpstream>);
    loaded(move || {
        let error = error.clone();
        async move {
            let (csrf, feed) = administered(session, feed).await?;
            let sources = list_upstreams(feed.org.clone(), feed.project.clone(), feed.name.clone()).await?;
            Ok(view! { <Upstreams feed sources csrf error/> })
        }
    })
}

fn kind_label(kind: wharf_core::SourceKind) -> &'static str {
    match kind {
        wharf_core::SourceKind::CratesIo => "crates.io",
        wharf_core::SourceKind::Sparse => "Sparse registry",
        wharf_core::SourceKind::Feed => "Feed",
    }
}

/// A small form of one source's row: hidden fields and one button.
fn row_form(
    feed: &FeedView,
    csrf: &str,
    action: &'static str,
    source: &str,
    extra: Option<(&'static str, &'static str)>,
    label: String,
    class: &'static str,
) -> impl IntoView + use<> {
    view! {
        <form method="post" action=action class="inline-form">
            {feed_fields(feed, csrf)}
            <input type="hidden" name="source" value=source.to_owned()/>
            {extra.map(|(name, value)| view! { <input type="hidden" name=name value=value/> })}
            <button type="submit" class=class>{label}</button>
        </form>
    }
}

#[component]
fn Upstreams(feed: FeedView, sources: Vec<SourceView>, csrf: String, error: Option<PortalError>) -> impl IntoView {
    let add_fields = feed_fields(&feed, &csrf);
    let count = sources.len();
    view! {
        <Title text=format!("Upstreams of {}", feed.name)/>
        <SettingsHead feed=feed.clone() current="Upstreams"/>
        <p class="lead">
            "For each crate name, the feed's own versions come first. Otherwise the first source below that knows "
            "the name supplies all of its versions, and later sources are not asked for it. A source that cannot "
            "answer stops the lookup: a later one never stands in for it. Versions are saved into the feed on first use."
        </p>
        <FormError error=error.clone()/>
        {(count == 0).then(|| view! { <p class="empty" id="no-upstreams">"This feed has no upstream sources: it serves only its own crates."</p> })}
        <DataTable
            id="upstreams"
            columns=vec![Col::shown("#"), Col::shown("Source"), Col::shown("Location"), Col::shown("Last success"), Col::shown("Last error"), Col::hidden("Actions")]
            boxed=true
        >
            {sources
                .into_iter()
                .enumerate()
                .map(|(i, s)| {
                    let last_ok = match &s.last_ok_at {
                        Some(at) => view! { <time datetime=at.clone()>{human_time(at)}</time> }.into_any(),
                        None => view! { <span class="muted">"Never"</span> }.into_any(),
                    };
                    let last_error = match (&s.last_error, &s.last_error_at) {
                        (Some(error), Some(at)) => view! {
                            <span class="source-error">{error.clone()}</span>
                            " " <time class="muted" datetime=at.clone()>{human_time(at)}</time>
                        }
                        .into_any(),
                        _ => view! { <span class="muted">"None"</span> }.into_any(),
                    };
                    view! {
                        <tr data-source=s.name.clone()>
                            <td>{i + 1}</td>
                            <td>
                                <strong>{s.name.clone()}</strong>
                                <br/>
                                <span class="badge">{kind_label(s.kind)}</span>
                                {s.has_token.then(|| view! { " " <span class="badge" title="A token is kept, sealed; it is never shown.">"token"</span> })}
                            </td>
                            <td class="mono location">{s.location.clone()}</td>
                            <td class="last-ok">{last_ok}</td>
                            <td class="last-error">{last_error}</td>
                            <td class="actions">
                                {(i > 0).then(|| row_form(&feed, &csrf, MoveUpstream::PATH, &s.name, Some(("direction", "up")), "Move up".into(), "button button--small"))}
                                {(i + 1 < count).then(|| row_form(&feed, &csrf, MoveUpstream::PATH, &s.name, Some(("direction", "down")), "Move down".into(), "button button--small"))}
                                {row_form(&feed, &csrf, TestUpstream::PATH, &s.name, None, "Test".into(), "button button--small")}
                                {row_form(&feed, &csrf, RemoveUpstream::PATH, &s.name, None, format!("Remove {}", s.name), "button button--small button--danger")}
                            </td>
                        </tr>
                    }
                })
                .collect_view()}
        </DataTable>
        <form method="post" action=AddUpstream::PATH class="form card" id="add-upstream" novalidate="">
            {add_fields}
            <h2>"Add a source"</h2>
            <div class="field">
                <label for="upstream-name">"Name"</label>
                <input type="text" id="upstream-name" name="name" required="" placeholder="e.g. core-release"/>
                <FieldError error=error.clone() field="name"/>
            </div>
            <div class="field">
                <label for="upstream-kind">"Kind"</label>
                <select id="upstream-kind" name="kind">
                    <option value="feed">"A feed of this Wharf, or one of its views"</option>
                    <option value="sparse">"A sparse registry"</option>
                    <option value="crates-io">"crates.io"</option>
                </select>
                <FieldError error=error.clone() field="kind"/>
            </div>
            <div class="field">
                <label for="upstream-location">"Location"</label>
                <input type="text" id="upstream-location" name="location" placeholder="ORG/PROJECT/FEED@release, or sparse+https://host/index/"/>
                <p class="hint">"A feed as ORG/PROJECT/FEED or ORG/FEED, with @VIEW for one of its views; a registry by its index URL. crates.io needs none."</p>
                <FieldError error=error.clone() field="location"/>
            </div>
            <div class="field">
                <label for="upstream-token">"Token (sparse registries only)"</label>
                <input type="password" id="upstream-token" name="token" autocomplete="off"/>
                <p class="hint">"Kept sealed with the operator's key and never shown again."</p>
                <FieldError error=error.clone() field="token"/>
            </div>
            <button type="submit" class="button button--primary">"Add source"</button>
        </form>
    }
}
