//! First-run setup, sign-in, and the personal access tokens page. Plain HTML forms: they
//! work without JavaScript, and a refused form comes back with its message.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use wharf_core::MIN_PASSWORD_LEN;

use crate::{
    components::{layout::use_session, snippet::Snippet},
    error::PortalError,
    model::{TokenView, TokensView, human_time},
    pages::{Col, DataTable, FieldError, FormError, form_error, loaded},
    server::{CreateToken, RevokeToken, Setup, SignIn, form_token, list_tokens},
};

#[component]
pub fn SetupPage() -> impl IntoView {
    let session = use_session();
    let token = Resource::new(|| (), |()| form_token());
    let error = form_error::<Setup>();
    view! {
        <Title text="Set up Wharf"/>
        <Suspense fallback=|| ()>
            {move || {
                let error = error.clone();
                Suspend::new(async move {
                    let needs_setup = session.await.map(|s| s.needs_setup).unwrap_or(false);
                    if !needs_setup {
                        return view! {
                            <section class="notice">
                                <h1>"Wharf is set up"</h1>
                                <p>"An administrator exists. " <a href=wharf_core::urls::pages::SIGN_IN>"Sign in"</a> "."</p>
                            </section>
                        }
                        .into_any();
                    }
                    let csrf = token.await.unwrap_or_default();
                    view! {
                        <div class="narrow">
                            <h1>"Welcome to Wharf"</h1>
                            <p class="lead">"Create the first account. It is an administrator: it creates the other accounts and manages the organization."</p>
                            <FormError error=error.clone()/>
                            <form method="post" action=Setup::PATH class="form" id="setup-form" novalidate="">
                                <input type="hidden" name="csrf" value=csrf/>
                                <div class="field">
                                    <label for="setup-name">"User name"</label>
                                    <input id="setup-name" name="name" type="text" autocomplete="username" required=""/>
                                    <FieldError error=error.clone() field="name"/>
                                </div>
                                <div class="field">
                                    <label for="setup-password">"Password"</label>
                                    <input id="setup-password" name="password" type="password" autocomplete="new-password" required=""/>
                                    <p class="hint">{format!("At least {MIN_PASSWORD_LEN} characters.")}</p>
                                    <FieldError error=error.clone() field="password"/>
                                </div>
                                <div class="field">
                                    <label for="setup-password2">"Password again"</label>
                                    <input id="setup-password2" name="password2" type="password" autocomplete="new-password" required=""/>
                                    <FieldError error=error.clone() field="password2"/>
                                </div>
                                <div class="form-actions">
                                    <button type="submit" class="button button--primary">"Create administrator"</button>
                                </div>
                            </form>
                        </div>
                    }
                    .into_any()
                })
            }}
        </Suspense>
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let token = Resource::new(|| (), |()| form_token());
    let query = use_query_map();
    let next = query.read_untracked().get("next").unwrap_or_default();
    let error = form_error::<SignIn>();
    view! {
        <Title text="Sign in"/>
        <Suspense fallback=|| ()>
            {move || {
                let (error, next) = (error.clone(), next.clone());
                Suspend::new(async move {
                    let csrf = token.await.unwrap_or_default();
                    view! {
                        <div class="narrow">
                            <h1>"Sign in"</h1>
                            <FormError error=error.clone()/>
                            <form method="post" action=SignIn::PATH class="form" id="sign-in-form">
                                <input type="hidden" name="csrf" value=csrf/>
                                <input type="hidden" name="next" value=next/>
                                <div class="field">
                                    <label for="sign-in-name">"User name"</label>
                                    <input id="sign-in-name" name="name" type="text" autocomplete="username" required=""/>
                                </div>
                                <div class="field">
                                    <label for="sign-in-password">"Password"</label>
                                    <input id="sign-in-password" name="password" type="password" autocomplete="current-password" required=""/>
                                </div>
                                <div class="form-actions">
                                    <button type="submit" class="button button--primary">"Sign in"</button>
                                </div>
                            </form>
                            <p class="muted small">"No account? Ask a Wharf administrator to create one for you."</p>
                        </div>
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
pub fn TokensPage() -> impl IntoView {
    let session = use_session();
    let tokens = Resource::new(|| (), |()| list_tokens());
    let error = form_error::<CreateToken>().or_else(form_error::<RevokeToken>);
    view! {
        <Title text="Personal access tokens"/>
        <h1>"Personal access tokens"</h1>
        <p class="lead">
            "Cargo and your automation use personal access tokens instead of your password. A token is shown once, when it is created; Wharf keeps only a hash of it."
        </p>
        {loaded(move || {
            let error = error.clone();
            async move {
                let csrf = session.await.map(|s| s.csrf).unwrap_or_default();
                let view = tokens.await?;
                Ok(view! { <Tokens view csrf error/> })
            }
        })}
    }
}

#[component]
fn Tokens(view: TokensView, csrf: String, error: Option<PortalError>) -> impl IntoView {
    let TokensView { tokens, created } = view;
    view! {
        {created.map(|c| view! {
            <section class="notice notice--success" id="new-token" role="status">
                <h2>{format!("Token “{}” created", c.name)}</h2>
                <p>"Copy it now: it will not be shown again. Paste it when " <code>"cargo login --registry FEED"</code> " asks for it."</p>
                <Snippet id="new-token-secret" title="Personal access token" text=c.secret/>
            </section>
        })}
        <section class="card" aria-labelledby="create-token-title">
            <h2 id="create-token-title">"New token"</h2>
            <FormError error=error.clone()/>
            <form method="post" action=wharf_core::urls::pages::TOKENS class="form" id="create-token" novalidate="">
                <input type="hidden" name="csrf" value=csrf.clone()/>
                <div class="field">
                    <label for="token-name">"Name"</label>
                    <input id="token-name" name="name" type="text" autocomplete="off" placeholder="laptop, CI, …"/>
                    <FieldError error=error.clone() field="name"/>
                </div>
                <fieldset class="field">
                    <legend>"Scope"</legend>
                    <div class="choice">
                        <input type="radio" id="scope-read" name="scope" value="read" checked=true/>
                        <label for="scope-read">"Packaging: read" <span class="hint">"Resolve and download crates."</span></label>
                    </div>
                    <div class="choice">
                        <input type="radio" id="scope-write" name="scope" value="write"/>
                        <label for="scope-write">"Packaging: read & write" <span class="hint">"Also publish and yank, and manage feeds."</span></label>
                    </div>
                    <FieldError error=error.clone() field="scope"/>
                </fieldset>
                <div class="field">
                    <label for="token-expiry">"Expires"</label>
                    <select id="token-expiry" name="expires_in_days">
                        <option value="30">"In 30 days"</option>
                        <option value="90" selected=true>"In 90 days"</option>
                        <option value="365">"In a year"</option>
                        <option value="never">"Never"</option>
                    </select>
                    <FieldError error=error.clone() field="expires_in_days"/>
                </div>
                <div class="form-actions">
                    <button type="submit" class="button button--primary">"Create token"</button>
                </div>
            </form>
        </section>
        <section class="card" aria-labelledby="tokens-title">
            <h2 id="tokens-title">"Your tokens"</h2>
            {if tokens.is_empty() {
                view! { <p class="muted">"You have no tokens yet."</p> }.into_any()
            } else {
                view! { <TokenTable tokens csrf/> }.into_any()
            }}
        </section>
    }
}

#[component]
fn TokenTable(tokens: Vec<TokenView>, csrf: String) -> impl IntoView {
    view! {
        <DataTable id="tokens" columns=vec![Col::shown("Name"), Col::shown("Scope"), Col::shown("Starts with"), Col::shown("Created"), Col::shown("Expires"), Col::shown("Last used"), Col::shown("Status")]>
                    {tokens
                        .into_iter()
                        .map(|t| {
                            let live = !t.revoked && !t.expired;
                            let status = if t.revoked { "Revoked" } else if t.expired { "Expired" } else { "Active" };
                            view! {
                                <tr data-token=t.name.clone()>
                                    <td>{t.name.clone()}</td>
                                    <td>{t.scope}</td>
                                    <td class="mono">{format!("{}…", t.prefix)}</td>
                                    <td>{human_time(&t.created_at)}</td>
                                    <td>{t.expires_at.map_or_else(|| "Never".to_owned(), |e| human_time(&e))}</td>
                                    <td>{t.last_used_at.map_or_else(|| "Never".to_owned(), |e| human_time(&e))}</td>
                                    <td>
                                        {if live {
                                            view! {
                                                <form method="post" action=RevokeToken::PATH class="inline-form">
                                                    <input type="hidden" name="csrf" value=csrf.clone()/>
                                                    <input type="hidden" name="id" value=t.id.to_string()/>
                                                    <button type="submit" class="button button--small button--danger">
                                                        {format!("Revoke {}", t.name)}
                                                    </button>
                                                </form>
                                            }.into_any()
                                        } else {
                                            view! { <span class="badge">{status}</span> }.into_any()
                                        }}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
        </DataTable>
    }
}
