//! The scaffolding every portal page shares: load, wait, then show the page or its error;
//! and the breadcrumbs above it.

use std::future::Future;

use leptos::prelude::*;
use wharf_core::urls::pages;

use super::LoadError;
use crate::error::PortalError;

/// What `load` resolves to once it does, "Loading…" until then, and the error (with its
/// status) if it fails. `load` may `?` every resource the page needs.
pub(crate) fn loaded<F, Fut, V>(load: F) -> impl IntoView
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<V, PortalError>> + Send + 'static,
    V: IntoView + 'static,
{
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let load = load.clone();
                Suspend::new(async move {
                    match load().await {
                        Ok(view) => view.into_any(),
                        Err(error) => view! { <LoadError error/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// The trail above a page: the organization's feeds, each step between (label, link),
/// then the page itself.
#[component]
pub(crate) fn Breadcrumbs(
    org: String,
    #[prop(optional)] trail: Vec<(String, String)>,
    #[prop(into)] here: String,
) -> impl IntoView {
    view! {
        <nav class="breadcrumbs" aria-label="Breadcrumbs">
            <a href=pages::feeds(&org)>"Feeds"</a>
            {trail.into_iter().map(|(label, href)| view! { " / " <a href=href>{label}</a> }).collect_view()}
            " / "
            <span aria-current="page">{here}</span>
        </nav>
    }
}

/// A column of a [`DataTable`]: its heading, shown or for screen readers only.
#[derive(Clone, Copy)]
pub(crate) struct Col(pub &'static str, pub bool);

impl Col {
    /// A heading everyone sees.
    pub(crate) const fn shown(label: &'static str) -> Self {
        Col(label, true)
    }

    /// A heading for screen readers only (a column of buttons).
    pub(crate) const fn hidden(label: &'static str) -> Self {
        Col(label, false)
    }
}

/// A table of rows with one heading per column; `flat` inside a card.
#[component]
pub(crate) fn DataTable(
    id: &'static str,
    columns: Vec<Col>,
    #[prop(optional)] boxed: bool,
    children: Children,
) -> impl IntoView {
    let headings = columns
        .into_iter()
        .map(|Col(label, shown)| {
            if shown {
                view! { <th scope="col">{label}</th> }.into_any()
            } else {
                view! { <th scope="col"><span class="visually-hidden">{label}</span></th> }.into_any()
            }
        })
        .collect_view();
    view! {
        <div class=if boxed { "table-wrap" } else { "table-wrap table-wrap--flat" }>
            <table class="table" id=id>
                <thead>
                    <tr>{headings}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}
