//! A feed's Audit page (Administrators and Owners): every operation on the feed and what
//! it holds, newest first, paged on the server. Read only.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    components::layout::use_session,
    model::{AuditLogView, FeedView},
    pages::{
        Col, DataTable, feed_resource, loaded,
        settings::{SettingsHead, administered},
    },
    server::feed_audit,
};

#[component]
pub fn FeedAuditPage() -> impl IntoView {
    let feed = feed_resource();
    let session = use_session();
    let query = use_query_map();
    let page = Memo::new(move |_| query.read().get("page").and_then(|p| p.parse::<i64>().ok()).unwrap_or(1));
    loaded(move || async move {
        let (_, feed) = administered(session, feed).await?;
        let log = feed_audit(feed.org.clone(), feed.project.clone(), feed.name.clone(), page.get_untracked()).await?;
        Ok(view! { <AuditLog feed log/> })
    })
}

#[component]
fn AuditLog(feed: FeedView, log: AuditLogView) -> impl IntoView {
    let pages = (log.count + log.per_page - 1) / log.per_page;
    let first = (log.page - 1) * log.per_page + 1;
    let summary = if log.rows.is_empty() {
        if log.count == 0 {
            "Nothing has been recorded yet.".to_owned()
        } else {
            format!("No records on page {}.", log.page)
        }
    } else {
        format!("Records {}–{} of {}, newest first", first, first + log.rows.len() as i64 - 1, log.count)
    };
    let prev = (log.page > 1).then(|| log.page.min(pages + 1) - 1);
    let next = (log.page < pages).then(|| log.page + 1);
    view! {
        <Title text=format!("Audit log of {}", feed.name)/>
        <SettingsHead feed=feed.clone() current="Audit"/>
        <p class="lead">
            "Every change to this feed and its packages: who made it, when, from which address, and through the portal, "
            "the REST API, cargo or the command line. Records cannot be changed; they are removed once past the "
            "instance's retention time."
        </p>
        <p class="muted" id="audit-summary">{summary}</p>
        <DataTable id="audit" columns=vec![Col::shown("When"), Col::shown("Who"), Col::shown("Action"), Col::shown("Target"), Col::shown("Details"), Col::shown("Channel"), Col::shown("Address")] boxed=true>
            {log.rows.into_iter().map(|r| {
                let shown_at = r.at.replace('T', " ").replace('Z', " UTC");
                view! {
                <tr data-action=r.action.clone()>
                    <td class="nowrap"><time datetime=r.at>{shown_at}</time></td>
                    <td>{r.actor}</td>
                    <td class="mono">{r.action.clone()}</td>
                    <td>{r.target}</td>
                    <td>{r.detail.unwrap_or_default()}</td>
                    <td>{r.channel}</td>
                    <td class="mono">{r.address.unwrap_or_default()}</td>
                </tr>
                }
            }).collect_view()}
        </DataTable>
        <nav class="pager" aria-label="Pages of the audit log" id="audit-pager">
            {prev.map(|p| view! { <a href=format!("?page={p}") rel="prev">"Newer"</a> })}
            {next.map(|p| view! { <a href=format!("?page={p}") rel="next">"Older"</a> })}
        </nav>
    }
}
