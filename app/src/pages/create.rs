//! The Create feed form. It works without JavaScript: the server validates, and a refused
//! form comes back filled in with a message beside each field to correct.

use leptos::prelude::*;
use leptos_meta::Title;
use wharf_core::{Visibility, name::MAX_NAME_LEN};

use crate::{
    components::layout::{current_org, use_session},
    error::PortalError,
    model::FeedFormValues,
    pages::loaded,
    server::{CreateFeed, SCOPE_ORGANIZATION, SCOPE_PROJECT_PREFIX, list_projects},
};

fn visibility_hint(v: Visibility) -> &'static str {
    match v {
        Visibility::Public => "Anyone can read it, without signing in.",
        Visibility::Organization => "Every member of the organization can read it.",
        Visibility::Private => "Only people you give a role on the feed can read it.",
    }
}

#[component]
pub fn CreateFeedPage() -> impl IntoView {
    let org = current_org();
    let session = use_session();
    let projects = Resource::new(move || org.get(), list_projects);
    // The project the visitor came from (its feeds page links here with `?project=`).
    let current = leptos_router::hooks::use_query_map().read_untracked().get("project").filter(|p| !p.is_empty());
    // A form posted without JavaScript comes back with its error in the URL; the server
    // reads it here and hands it to the island, which cannot see the URL itself.
    let initial_error = ServerAction::<CreateFeed>::new().value().get_untracked().and_then(Result::err);
    view! {
        <Title text="Create feed"/>
        <h1>"Create feed"</h1>
        <p class="lead">"A feed stores your crates and, if you choose, the crates.io crates your builds use."</p>
        {loaded(move || {
            let (initial_error, current) = (initial_error.clone(), current.clone());
            async move {
                let csrf = session.await.map(|s| s.csrf).unwrap_or_default();
                let projects = projects.await?;
                // The default scope: the current project, else `default`, else the first one.
                let scope = current
                    .and_then(|c| projects.iter().find(|p| p.eq_ignore_ascii_case(&c)).cloned())
                    .or_else(|| projects.iter().find(|p| *p == "default").cloned())
                    .or_else(|| projects.first().cloned())
                    .map_or_else(|| SCOPE_ORGANIZATION.to_owned(), |p| format!("{SCOPE_PROJECT_PREFIX}{p}"));
                Ok(view! { <CreateFeedForm org=org.get_untracked() projects scope initial_error csrf/> })
            }
        })}
    }
}

/// The form itself: an island, so it validates and submits without a page load when
/// JavaScript runs, and is a plain form post when it does not.
#[island]
fn CreateFeedForm(
    org: String,
    projects: Vec<String>,
    /// The scope chosen at first.
    scope: String,
    initial_error: Option<PortalError>,
    csrf: String,
) -> impl IntoView {
    let scope = StoredValue::new(scope);
    let action = ServerAction::<CreateFeed>::new();
    let initial_error = StoredValue::new(initial_error);
    let error = move || match action.value().get() {
        Some(result) => result.err(),
        None => initial_error.get_value(),
    };
    let values = move || match error() {
        Some(PortalError::Invalid { values, .. }) => *values,
        _ => FeedFormValues {
            visibility: Visibility::Organization.as_str().to_owned(),
            scope: scope.get_value(),
            upstream: true,
            ..Default::default()
        },
    };
    let field_error = move |field: &'static str| move || error().and_then(|e| e.field(field));

    view! {
        {move || error().map(|e| view! { <p class="notice notice--error" role="alert" id="form-error">{e.to_string()}</p> })}
        <ActionForm action attr:class="form" attr:id="create-feed" attr:novalidate="">
            <input type="hidden" name="csrf" value=csrf/>
            <input type="hidden" name="org" value=org.clone()/>

            <div class="field">
                <label for="feed-name">"Name"</label>
                <input
                    id="feed-name"
                    name="name"
                    type="text"
                    autocomplete="off"
                    spellcheck="false"
                    value=move || values().name
                    aria-invalid=move || field_error("name")().map(|_| "true")
                    aria-describedby="feed-name-hint feed-name-error"
                />
                <p class="hint" id="feed-name-hint">
                    {format!("Up to {MAX_NAME_LEN} letters, digits, '-', '_' or '.', starting with a letter or digit.")}
                </p>
                <p class="field-error" id="feed-name-error">{field_error("name")}</p>
            </div>

            <div class="field">
                <label for="feed-description">"Description"</label>
                <textarea id="feed-description" name="description" rows="2" aria-describedby="feed-description-error">
                    {move || values().description}
                </textarea>
                <p class="field-error" id="feed-description-error">{field_error("description")}</p>
            </div>

            <fieldset class="field" aria-describedby="feed-visibility-error">
                <legend>"Visibility"</legend>
                {Visibility::ALL
                    .into_iter()
                    .map(|v| {
                        let id = format!("visibility-{}", v.as_str());
                        view! {
                            <div class="choice">
                                <input
                                    type="radio"
                                    id=id.clone()
                                    name="visibility"
                                    value=v.as_str()
                                    checked=move || values().visibility == v.as_str()
                                />
                                <label for=id>{v.label()} <span class="hint">{visibility_hint(v)}</span></label>
                            </div>
                        }
                    })
                    .collect_view()}
                <p class="field-error" id="feed-visibility-error">{field_error("visibility")}</p>
            </fieldset>

            <fieldset class="field" aria-describedby="feed-scope-error">
                <legend>"Scope"</legend>
                {projects
                    .into_iter()
                    .map(|p| {
                        let value = format!("{SCOPE_PROJECT_PREFIX}{p}");
                        let id = format!("scope-project-{p}");
                        let checked_value = value.clone();
                        view! {
                            <div class="choice">
                                <input
                                    type="radio"
                                    id=id.clone()
                                    name="scope"
                                    value=value
                                    checked=move || values().scope == checked_value
                                />
                                <label for=id>
                                    "Project " <strong>{p.clone()}</strong>
                                    <span class="hint">"Lives in the project; its URLs include the project."</span>
                                </label>
                            </div>
                        }
                    })
                    .collect_view()}
                <div class="choice">
                    <input
                        type="radio"
                        id="scope-organization"
                        name="scope"
                        value=SCOPE_ORGANIZATION
                        checked=move || values().scope == SCOPE_ORGANIZATION
                    />
                    <label for="scope-organization">
                        "Organization" <span class="hint">"Shared by every project of the organization."</span>
                    </label>
                </div>
                <p class="field-error" id="feed-scope-error">{field_error("scope")}</p>
            </fieldset>

            <div class="field">
                <div class="choice">
                    <input type="checkbox" id="feed-upstream" name="upstream" value="on" checked=move || values().upstream/>
                    <label for="feed-upstream">
                        "Include packages from crates.io"
                        <span class="hint">"Crates from crates.io resolve through the feed and are saved into it on first use."</span>
                    </label>
                </div>
            </div>

            <div class="form-actions">
                <button type="submit" class="button button--primary" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Creating…" } else { "Create" }}
                </button>
                <a class="button" href=wharf_core::urls::pages::feeds(&org)>"Cancel"</a>
            </div>
        </ActionForm>
    }
}
