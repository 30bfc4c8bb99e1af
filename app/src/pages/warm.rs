//! A feed's Warm page: upload a `Cargo.lock` (a file input, and drag and drop where
//! JavaScript runs) and every crates.io package it pins is saved into the feed by a
//! background job; the job's page shows its progress (live from server-sent events, or by
//! reloading itself without JavaScript) and ends with the report.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    components::layout::use_session,
    model::{FeedView, WarmJobView, WarmUploadError},
    pages::{Breadcrumbs, Col, DataTable, feed_resource, loaded},
    server::warm_job,
};

#[component]
pub fn FeedWarmPage() -> impl IntoView {
    let feed = feed_resource();
    let session = use_session();
    let refused = use_context::<WarmUploadError>();
    loaded(move || {
        let refused = refused.clone();
        async move {
            let feed = feed.await?;
            let session = session.await?;
            let csrf = session.user.is_some().then_some(session.csrf);
            Ok(view! { <Upload feed csrf refused/> })
        }
    })
}

#[component]
fn Upload(feed: FeedView, csrf: Option<String>, refused: Option<WarmUploadError>) -> impl IntoView {
    let loc = feed.location();
    view! {
        <Title text=format!("Warm {}", feed.name)/>
        <Breadcrumbs org=feed.org.clone() here=format!("Warm {}", feed.name)/>
        <h1>"Warm " {feed.name.clone()} " from a Cargo.lock"</h1>
        <p class="lead">
            "Every crates.io package the lockfile pins is saved into the feed, each checked against the lockfile's checksum, \
             by a job that goes on when this page is closed. Builds with that lockfile then work through the feed even when \
             crates.io cannot be reached."
        </p>
        {refused.map(|e| view! { <p class="notice notice--error" role="alert" id="form-error">{e.0}</p> })}
        {match csrf {
            Some(csrf) => view! { <WarmDrop action=loc.warm_path() csrf/> }.into_any(),
            None => view! {
                <p id="warm-sign-in">
                    <a href=wharf_core::urls::pages::sign_in(&loc.warm_path())>"Sign in"</a>
                    " to warm this feed (Collaborators and up)."
                </p>
            }.into_any(),
        }}
    }
}

/// The upload form. Without JavaScript it is a plain multipart form; once interactive, a
/// file dropped on it is put in the file input and the form sent.
#[island]
pub(crate) fn WarmDrop(action: String, csrf: String) -> impl IntoView {
    let dragging = RwSignal::new(false);
    let input = NodeRef::<leptos::html::Input>::new();
    let form = NodeRef::<leptos::html::Form>::new();
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        dropped(&ev, input, form);
    };
    view! {
        <form
            method="post"
            enctype="multipart/form-data"
            action=action
            class="card warm-drop"
            id="warm-drop"
            node_ref=form
            data-dragging=move || dragging.get().then_some("true")
            on:dragover=move |ev: leptos::ev::DragEvent| {
                ev.prevent_default();
                dragging.set(true);
            }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop
        >
            <input type="hidden" name="csrf" value=csrf/>
            <label for="lockfile">"Cargo.lock"</label>
            <input type="file" id="lockfile" name="lockfile" accept=".lock,text/plain" required node_ref=input/>
            <p class="muted small">"Choose the file, or drop it here."</p>
            <button type="submit" class="button button--primary" id="warm-submit">"Warm the feed"</button>
        </form>
    }
}

#[cfg(feature = "hydrate")]
fn dropped(ev: &leptos::ev::DragEvent, input: NodeRef<leptos::html::Input>, form: NodeRef<leptos::html::Form>) {
    let Some(files) = ev.data_transfer().and_then(|t| t.files()) else { return };
    if files.length() == 0 {
        return;
    }
    if let (Some(input), Some(form)) = (input.get_untracked(), form.get_untracked()) {
        input.set_files(Some(&files));
        let _ = form.request_submit();
    }
}

#[cfg(not(feature = "hydrate"))]
fn dropped(_: &leptos::ev::DragEvent, _: NodeRef<leptos::html::Input>, _: NodeRef<leptos::html::Form>) {}

#[component]
pub fn WarmJobPage() -> impl IntoView {
    let feed = feed_resource();
    let params = use_params_map();
    let job = Resource::new(
        move || {
            let p = params.read();
            let job = p.get("job").and_then(|j| j.parse::<i64>().ok());
            (p.get("org").unwrap_or_default(), p.get("project"), p.get("feed").unwrap_or_default(), job)
        },
        |(org, project, feed, job)| async move {
            match job {
                Some(job) => warm_job(org, project, feed, job).await,
                None => Err(crate::error::PortalError::NotFound("There is no such warm job.".into())),
            }
        },
    );
    loaded(move || async move {
        let feed = feed.await?;
        let job = job.await?;
        Ok(view! { <Job feed job/> })
    })
}

#[component]
fn Job(feed: FeedView, job: WarmJobView) -> impl IntoView {
    let loc = feed.location();
    let failed = job.failed.clone();
    let done = job.done;
    view! {
        <Title text=format!("Warming {}", feed.name)/>
        <Breadcrumbs org=feed.org.clone() here=format!("Warm {}", feed.name)/>
        <h1>"Warming " {feed.name.clone()}</h1>
        // Without JavaScript the page reloads itself until the job is done.
        {(!done).then(|| view! { <noscript><meta http-equiv="refresh" content="1"/></noscript> })}
        <WarmProgress job=job.clone()/>
        {done.then(|| view! {
            <section id="warm-report">
                <h2>"Report"</h2>
                {if failed.is_empty() {
                    view! { <p id="warm-no-failures">"Every package of the lockfile is in the feed."</p> }.into_any()
                } else {
                    view! {
                        <DataTable id="warm-failures" columns=vec![Col::shown("Package"), Col::shown("Version"), Col::shown("Reason")]>
                            {failed.iter().map(|(name, version, reason)| view! {
                                <tr data-package=name.clone()>
                                    <td class="mono">{name.clone()}</td>
                                    <td class="mono">{version.clone()}</td>
                                    <td>{reason.clone()}</td>
                                </tr>
                            }).collect_view()}
                        </DataTable>
                    }.into_any()
                }}
            </section>
        })}
        <p><a href=loc.warm_path()>"Warm from another lockfile"</a> " · " <a href=loc.page_path()>"Back to the feed"</a></p>
    }
}

/// The progress bar and the counts. Once interactive, they follow the job's server-sent
/// events and the page reloads for the report when the job is done.
#[island]
fn WarmProgress(job: WarmJobView) -> impl IntoView {
    let state = RwSignal::new((job.done, job.saved, job.present, job.failed.len() as i64));
    let total = job.total;
    follow(job.events_url.clone(), job.done, state);
    view! {
        <section class="card warm-progress" id="warm-progress">
            <progress
                id="warm-bar"
                max=total.max(1).to_string()
                value=move || { let (_, s, p, f) = state.get(); (s + p + f).to_string() }
            ></progress>
            <p role="status" aria-live="polite">
                <span id="warm-state">{move || if state.get().0 { "done" } else { "running" }}</span>
                ": saved " <span id="warm-saved">{move || state.get().1.to_string()}</span>
                ", already there " <span id="warm-present">{move || state.get().2.to_string()}</span>
                ", failed " <span id="warm-failed">{move || state.get().3.to_string()}</span>
                " of " <span id="warm-total">{total.to_string()}</span>
            </p>
        </section>
    }
}

#[cfg(feature = "hydrate")]
fn follow(url: String, done: bool, state: RwSignal<(bool, i64, i64, i64)>) {
    use wasm_bindgen::{JsCast, closure::Closure};
    if done {
        return;
    }
    Effect::new(move |_| {
        let Ok(source) = web_sys::EventSource::new(&url) else { return };
        let on_event = Closure::<dyn Fn(web_sys::MessageEvent)>::new({
            let source = source.clone();
            move |ev: web_sys::MessageEvent| {
                let Some(data) = ev.data().as_string() else { return };
                let Ok(job) = serde_json::from_str::<serde_json::Value>(&data) else { return };
                let count = |k: &str| job[k].as_i64().unwrap_or_default();
                // Each event lists only the failures new since the one before; the count is whole.
                let failed = count("failedCount");
                let finished = job["state"] == "done";
                state.set((finished, count("saved"), count("present"), failed));
                if finished {
                    source.close();
                    // The report is rendered on the server.
                    if let Some(window) = web_sys::window() {
                        let _ = window.location().reload();
                    }
                }
            }
        });
        for kind in ["progress", "done"] {
            let _ = source.add_event_listener_with_callback(kind, on_event.as_ref().unchecked_ref());
        }
        on_event.forget();
    });
}

#[cfg(not(feature = "hydrate"))]
fn follow(_: String, _: bool, _: RwSignal<(bool, i64, i64, i64)>) {}
