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

/// The project a page belongs to, if its URL names one.
pub fn current_project() -> Memo<Option<String>> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("project").filter(|p| !p.is_empty()))
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
    // The frame sits outside the routes, so it reads the scope from the address itself.
    let scope = Memo::new(move |_| wharf_core::urls::scope_of_path(&location.pathname.get()));
    let org = Memo::new(move |_| scope.get().0);
    let project = Memo::new(move |_| scope.get().1);
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <div class="site-header__inner">
                <a class="brand" href="/">
                    <span class="brand__mark" aria-hidden="true">"⚓"</span>
                    <span class="brand__name">"Wharf"</span>
                </a>
                <a class="org-badge" title="Organization" id="current-org" href=move || pages::feeds(&org.get())>
                    <span class="visually-hidden">"Organization: "</span>
                    {move || org.get()}
                </a>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let signed_in = session.await.map(|s| s.user.is_some()).unwrap_or(false);
                        signed_in.then(|| view! { <ProjectSwitcher org=org.get_untracked() current=project.get_untracked()/> })
                    })}
                </Suspense>
                <nav aria-label="Main" class="site-nav">
                    <A href=move || pages::feeds(&org.get()) exact=true>"Feeds"</A>
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
                            Ok(s) => view! { <UserMenu session=s path org=org.get_untracked()/> }.into_any(),
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
fn UserMenu(session: SessionView, path: String, org: String) -> impl IntoView {
    match session.user {
        Some(user) => view! {
            <div class="user-menu">
                {user.is_admin.then(|| view! {
                    <a href=pages::ORGANIZATIONS>"Organizations"</a>
                    <a href=pages::projects(&org)>"Projects"</a>
                    <a href=pages::members(&org)>"Members"</a>
                })}
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

/// The projects of the organization, the current one marked: each link opens the project's
/// feeds (with the organization's). A `<details>` menu, so it works without JavaScript.
#[component]
fn ProjectSwitcher(org: String, current: Option<String>) -> impl IntoView {
    let org_name = org.clone();
    let projects = Resource::new(move || org.clone(), crate::server::list_projects);
    let label = current.clone().unwrap_or_else(|| "All projects".to_owned());
    view! {
        <details class="project-switcher" id="project-switcher">
            <summary><span class="visually-hidden">"Project: "</span>{label}</summary>
            <Suspense fallback=|| ()>
                {move || {
                    let current = current.clone();
                    let org = org_name.clone();
                    Suspend::new(async move {
                        let list = projects.await.unwrap_or_default();
                        view! {
                            <ul class="project-switcher__list">
                                <li><a href=pages::feeds(&org) aria-current=current.is_none().then_some("page")>"All projects"</a></li>
                                {list
                                    .into_iter()
                                    .map(|p| {
                                        let here = current.as_deref() == Some(p.as_str());
                                        view! { <li><a href=pages::project_feeds(&org, &p) data-project=p.clone() aria-current=here.then_some("page")>{p.clone()}</a></li> }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                    })
                }}
            </Suspense>
        </details>
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
