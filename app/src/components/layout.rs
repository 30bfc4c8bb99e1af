//! The frame around every page: header with the organization, navigation, main area.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};

/// The organization a page belongs to: the `org` path parameter, `default` on `/`.
pub fn current_org() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("org").unwrap_or_else(|| "default".to_owned()))
}

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <div class="site-header__inner">
                <a class="brand" href="/">
                    <span class="brand__mark" aria-hidden="true">"⚓"</span>
                    <span class="brand__name">"Wharf"</span>
                </a>
                <span class="org-badge" title="Organization">
                    <span class="visually-hidden">"Organization: "</span>
                    "default"
                </span>
                <nav aria-label="Main" class="site-nav">
                    <A href="/default/_artifacts" exact=true>"Feeds"</A>
                    <A href="/default/_artifacts/new">"Create feed"</A>
                </nav>
            </div>
        </header>
        <main id="main" class="site-main" tabindex="-1">{children()}</main>
        <HydrationMarker/>
        <footer class="site-footer">"Wharf — Cargo feeds for your team"</footer>
    }
}

/// Marks the page as interactive once the WASM bundle has hydrated its islands: effects run
/// only in the browser, after every island of the page is hydrated (tests wait for this).
#[island]
pub fn HydrationMarker() -> impl IntoView {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    view! { <span id="hydrated" hidden data-hydrated=move || hydrated.get().then_some("true")></span> }
}
