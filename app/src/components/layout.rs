//! The frame around every page: header with the organization, navigation and the signed-in
//! user, main area. While no account exists, every page leads to the setup page.

use leptos::prelude::*;
use leptos_router::{
    components::A,
    hooks::{use_location, use_params_map},
};

use wharf_core::urls::pages;

use crate::{error::PortalError, model::SessionView, server::session_info};

/// The organization a page belongs to: the `org` path parameter, `default` on `/`.
pub fn current_org() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("org").unwrap_or_else(|| pages::DEFAULT_ORG.to_owned()))
}

/// Who is looking at the page; provided by [`Layout`] to every page.
#[derive(Clone, Copy)]
pub struct SessionResource(pub Resource<Result<SessionView, PortalError>>);

/// The viewer's session, loaded once per page.
pub fn use_session() -> Resource<Result<SessionView, PortalError>> {
    expect_context::<SessionResource>().0
}

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let session = Resource::new(|| (), |()| session_info());
    provide_context(SessionResource(session));
    let location = use_location();
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
                    {pages::DEFAULT_ORG}
                </span>
                <nav aria-label="Main" class="site-nav">
                    <A href=pages::feeds(pages::DEFAULT_ORG) exact=true>"Feeds"</A>
                    <A href=pages::new_feed(pages::DEFAULT_ORG)>"Create feed"</A>
                </nav>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let path = location.pathname.get_untracked();
                        match session.await {
                            Ok(s) if s.needs_setup && path != pages::SETUP => {
                                #[cfg(feature = "ssr")]
                                leptos_axum::redirect(pages::SETUP);
                                ().into_any()
                            }
                            Ok(s) => view! { <UserMenu session=s path/> }.into_any(),
                            Err(_) => ().into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </header>
        <main id="main" class="site-main" tabindex="-1">{children()}</main>
        <HydrationMarker/>
        <footer class="site-footer">"Wharf — Cargo feeds for your team"</footer>
    }
}

/// The signed-in user's name and links, or a Sign in link.
#[component]
fn UserMenu(session: SessionView, path: String) -> impl IntoView {
    match session.user {
        Some(user) => view! {
            <div class="user-menu">
                {user.is_admin.then(|| view! { <a href=pages::members(pages::DEFAULT_ORG)>"Members"</a> })}
                <a href=pages::TOKENS>"Access tokens"</a>
                <span class="user-menu__name" id="signed-in-user">{user.name}</span>
                <form method="post" action="/_fn/sign_out" class="inline-form">
                    <input type="hidden" name="csrf" value=session.csrf/>
                    <button type="submit" class="button button--small" id="sign-out">"Sign out"</button>
                </form>
            </div>
        }
        .into_any(),
        None if path == pages::SIGN_IN || path == pages::SETUP => ().into_any(),
        None => view! {
            <div class="user-menu">
                <a class="button button--small" id="sign-in" href=sign_in_href(&path)>"Sign in"</a>
            </div>
        }
        .into_any(),
    }
}

/// The sign-in page, coming back to `path` afterwards.
pub fn sign_in_href(path: &str) -> String {
    pages::sign_in(path)
}

/// Marks the page as interactive once the WASM bundle has hydrated its islands: effects run
/// only in the browser, after every island of the page is hydrated (tests wait for this).
#[island]
pub fn HydrationMarker() -> impl IntoView {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    view! { <span id="hydrated" hidden data-hydrated=move || hydrated.get().then_some("true")></span> }
}
