//! A feed's settings and its Permissions page (Administrators and Owners).

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use wharf_core::{Role, Visibility};

use crate::{
    components::layout::use_session,
    error::PortalError,
    model::{FeedView, PermissionView},
    pages::{Breadcrumbs, Col, DataTable, FieldError, FormError, feed_fields, feed_resource, form_error, loaded},
    server::{SetRole, UpdateFeedSettings, list_permissions, retention_preview},
};

/// Breadcrumbs and tabs shared by the settings pages.
#[component]
pub(crate) fn SettingsHead(feed: FeedView, current: &'static str) -> impl IntoView {
    let page = feed.location().page_path();
    let tab = move |href: String, label: &'static str| {
        let here = label == current;
        view! { <a href=href class="tab" aria-current=here.then_some("page")>{label}</a> }
    };
    view! {
        <Breadcrumbs org=feed.org.clone() trail=vec![(feed.name.clone(), page)] here="Settings"/>
        <h1>"Feed settings: " <span class="feed-name">{feed.name.clone()}</span></h1>
        <nav class="tabs" aria-label="Settings">
            {tab(feed.location().settings_path(), "General")}
            {tab(feed.location().permissions_path(), "Permissions")}
            {tab(feed.location().views_path(), "Views")}
            {tab(feed.location().upstreams_path(), "Upstreams")}
            {tab(feed.location().webhooks_path(), "Webhooks")}
            {tab(feed.location().audit_path(), "Audit")}
        </nav>
    }
}

#[component]
pub fn FeedSettingsPage() -> impl IntoView {
    let feed = feed_resource();
    let session = use_session();
    let error = form_error::<UpdateFeedSettings>();
    loaded(move || {
        let error = error.clone();
        async move {
            let (csrf, feed) = administered(session, feed).await?;
            Ok(view! { <GeneralSettings feed csrf error/> })
        }
    })
}

/// The page's feed and CSRF token, if the caller may administer the feed.
pub(crate) async fn administered(
    session: Resource<Result<crate::model::SessionView, PortalError>>,
    feed: Resource<Result<FeedView, PortalError>>,
) -> Result<(String, FeedView), PortalError> {
    let session = session.await.unwrap_or_default();
    match feed.await? {
        feed if feed.can_administer => Ok((session.csrf, feed)),
        _ => Err(not_administrator(session.user.is_some())),
    }
}

/// Why a reader of the feed does not see its settings: not signed in (401), or no
/// Administrator role (403).
fn not_administrator(signed_in: bool) -> PortalError {
    if signed_in {
        PortalError::Forbidden("Only the feed's Administrators and Owners change its settings.".into())
    } else {
        PortalError::Unauthorized("Sign in to change the feed's settings.".into())
    }
}

#[component]
fn GeneralSettings(feed: FeedView, csrf: String, error: Option<PortalError>) -> impl IntoView {
    view! {
        <Title text=format!("Settings of {}", feed.name)/>
        <SettingsHead feed=feed.clone() current="General"/>
        <FormError error=error.clone()/>
        <form method="post" action=UpdateFeedSettings::PATH class="form card" id="feed-settings" novalidate="">
            {feed_fields(&feed, &csrf)}
            <div class="field">
                <label for="settings-description">"Description"</label>
                <textarea id="settings-description" name="description" rows="2">{feed.description.clone()}</textarea>
                <FieldError error=error.clone() field="description"/>
            </div>
            <fieldset class="field">
                <legend>"Visibility"</legend>
                {Visibility::ALL
                    .into_iter()
                    .map(|v| {
                        let id = format!("settings-visibility-{}", v.as_str());
                        view! {
                            <div class="choice">
                                <input type="radio" id=id.clone() name="visibility" value=v.as_str() checked=feed.visibility == v/>
                                <label for=id>{v.label()}</label>
                            </div>
                        }
                    })
                    .collect_view()}
                <FieldError error=error.clone() field="visibility"/>
            </fieldset>
            <div class="field">
                <div class="choice">
                    <input type="checkbox" id="settings-upstream" name="upstream" value="on" checked=feed.includes_crates_io/>
                    <label for="settings-upstream">"Include packages from crates.io"</label>
                </div>
                <p class="hint">
                    "Adds crates.io after the feed's other upstream sources, or removes it alone. "
                    <a href=feed.location().upstreams_path()>"All upstream sources"</a>
                </p>
            </div>
            <div class="field">
                <div class="choice">
                    <input
                        type="checkbox"
                        id="settings-anonymous-saves"
                        name="settings[allowAnonymousSaves]"
                        value="on"
                        checked=feed.settings.allow_anonymous_saves
                    />
                    <label for="settings-anonymous-saves">
                        "Allow anonymous users to save packages from upstream"
                        <span class="hint">
                            "Public feeds only: cargo without a token may save crates.io versions into the feed on first use. Off, only Collaborators and above save new versions; anyone still reads saved ones."
                        </span>
                    </label>
                </div>
            </div>
            <div class="field" id="cooldown">
                <label for="settings-cooldown">"Only versions published at least this many days ago"</label>
                <input type="number" min="0" max="365" id="settings-cooldown" name="settings[upstreamCooldownDays]" list="cooldown-choices" value=number(feed.settings.upstream_cooldown_days)/>
                <datalist id="cooldown-choices">
                    <option value="0">"off"</option>
                    <option value="1"></option>
                    <option value="3"></option>
                    <option value="7"></option>
                    <option value="14"></option>
                </datalist>
                <p class="hint">
                    "Upstream cooldown: younger upstream versions are left out of the index and not saved, so a compromised release has time to be caught. Their age comes from the registry's publish time, or from when Wharf first saw them. Versions saved before stay. 0 turns it off."
                </p>
                <FieldError error=error.clone() field="upstreamCooldownDays"/>
            </div>
            <fieldset class="field" id="advisory-policy">
                <legend>"Versions a security advisory affects"</legend>
                {[
                    ("warn", "Only warn", "Marked on the package and Security pages; cargo uses them as before."),
                    ("hide", "Hide them from new resolution", "cargo passes them by; builds locked to one still download it."),
                    ("block", "Block them", "Hidden, and their downloads are refused with the advisory's id."),
                ]
                    .into_iter()
                    .map(|(value, label, hint)| {
                        let id = format!("advisory-policy-{value}");
                        view! {
                            <div class="choice">
                                <input type="radio" id=id.clone() name="settings[advisoryPolicy]" value=value checked=feed.settings.advisory_policy.as_str() == value/>
                                <label for=id>{label} <span class="hint">{hint}</span></label>
                            </div>
                        }
                    })
                    .collect_view()}
                <p class="hint">"Advisories that mark a crate malicious are blocked whatever this says."</p>
                <FieldError error=error.clone() field="advisoryPolicy"/>
            </fieldset>
            <div class="field">
                <div class="choice">
                    <input type="checkbox" id="settings-keep-removed" name="settings[keepRemovedUpstream]" value="on" checked=feed.settings.keep_removed_upstream/>
                    <label for="settings-keep-removed">
                        "Keep versions removed upstream in new resolution"
                        <span class="hint">"Off (the default), a saved version its upstream no longer lists is hidden from new resolution, as removed malware should be; locked builds still download it."</span>
                    </label>
                </div>
            </div>
            <div class="field">
                <div class="choice">
                    <input type="checkbox" id="settings-badges" name="settings[badgesEnabled]" value="on" checked=feed.settings.badges_enabled/>
                    <label for="settings-badges">
                        "Enable package badges"
                        <span class="hint">"Version badges for READMEs, at the feed's badge URLs. Off, those URLs answer 404."</span>
                    </label>
                </div>
            </div>
            <fieldset class="field" id="retention">
                <legend>"Retention"</legend>
                <p class="hint">
                    "Housekeeping moves what these rules take to the recycle bin every hour. They never take a version promoted to a view, nor a package's latest version. 0 turns a rule off."
                </p>
                <label for="settings-retention-max">"Keep at most this many versions of each package"</label>
                <input type="number" min="0" id="settings-retention-max" name="settings[retentionMaxVersions]" value=number(feed.settings.retention_max_versions)/>
                <FieldError error=error.clone() field="retentionMaxVersions"/>
                <label for="settings-retention-days">"Delete versions not downloaded for this many days"</label>
                <input type="number" min="0" id="settings-retention-days" name="settings[retentionDays]" value=number(feed.settings.retention_days)/>
                <FieldError error=error.clone() field="retentionDays"/>
            </fieldset>
            <div class="form-actions">
                <button type="submit" class="button button--primary">"Save"</button>
            </div>
        </form>
        <RetentionPreviewList feed=feed.clone()/>
    }
}

/// A number setting as its field shows it: 0 when off.
fn number(value: Option<i64>) -> String {
    value.unwrap_or(0).to_string()
}

/// What the saved rules would take now.
#[component]
fn RetentionPreviewList(feed: FeedView) -> impl IntoView {
    let rules_on = feed.settings.retention_on();
    rules_on.then(|| {
        loaded(move || {
            let feed = feed.clone();
            async move {
                let taken = retention_preview(feed.org.clone(), feed.project.clone(), feed.name.clone()).await?;
                Ok(view! {
                    <section class="card" aria-labelledby="retention-preview-title" id="retention-preview">
                        <h2 id="retention-preview-title">"What the rules would delete now"</h2>
                        {if taken.is_empty() {
                            view! { <p class="muted" id="retention-preview-empty">"Nothing: every version is kept."</p> }.into_any()
                        } else {
                            view! {
                                <DataTable id="retention-taken" columns=vec![Col::shown("Package"), Col::shown("Version"), Col::shown("Why")]>
                                    {taken
                                        .into_iter()
                                        .map(|t| view! {
                                            <tr data-retired=format!("{}@{}", t.package, t.version)>
                                                <td class="mono">{t.package.clone()}</td>
                                                <td class="mono">{t.version.clone()}</td>
                                                <td>{t.reason.clone()}</td>
                                            </tr>
                                        })
                                        .collect_view()}
                                </DataTable>
                            }
                            .into_any()
                        }}
                    </section>
                })
            }
        })
    })
}

#[component]
pub fn FeedPermissionsPage() -> impl IntoView {
    let feed = feed_resource();
    let session = use_session();
    let error = form_error::<SetRole>();
    loaded(move || {
        let error = error.clone();
        async move {
            let (csrf, feed) = administered(session, feed).await?;
            let list = list_permissions(feed.org.clone(), feed.project.clone(), feed.name.clone()).await?;
            Ok(view! { <Permissions feed list csrf error/> })
        }
    })
}

#[component]
fn Permissions(feed: FeedView, list: Vec<PermissionView>, csrf: String, error: Option<PortalError>) -> impl IntoView {
    let hidden = {
        let (csrf, feed) = (csrf.clone(), feed.clone());
        move || feed_fields(&feed, &csrf)
    };
    let row_hidden = hidden.clone();
    view! {
        <Title text=format!("Permissions of {}", feed.name)/>
        <SettingsHead feed=feed.clone() current="Permissions"/>
        <FormError error=error.clone()/>
        <section class="card" aria-labelledby="permissions-title">
            <h2 id="permissions-title">"Who has access"</h2>
            <p class="muted">
                "Reader reads the feed; Collaborator also saves packages from upstream; Contributor also publishes and yanks; Administrator also changes settings and permissions; Owner also deletes the feed and manages Owners."
            </p>
            <DataTable id="permissions" columns=vec![Col::shown("User"), Col::shown("Role"), Col::hidden("Actions")]>
                        {list
                            .into_iter()
                            .map(|p| {
                                let hidden = row_hidden.clone();
                                view! {
                                    <tr data-user=p.user.clone() data-role=p.role.as_str()>
                                        <td>{p.user.clone()}</td>
                                        <td>{capitalized(p.role.as_str())}</td>
                                        <td class="actions">
                                            <form method="post" action=SetRole::PATH class="inline-form">
                                                {hidden()}
                                                <input type="hidden" name="user" value=p.user.clone()/>
                                                <input type="hidden" name="role" value=""/>
                                                <button type="submit" class="button button--small button--danger">
                                                    {format!("Remove {}", p.user)}
                                                </button>
                                            </form>
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
            </DataTable>
        </section>
        <section class="card" aria-labelledby="grant-title">
            <h2 id="grant-title">"Grant a role"</h2>
            <form method="post" action=SetRole::PATH class="form" id="grant-role" novalidate="">
                {hidden()}
                <div class="field">
                    <label for="grant-user">"User name"</label>
                    <input id="grant-user" name="user" type="text" autocomplete="off"/>
                    <FieldError error=error.clone() field="user"/>
                </div>
                <div class="field">
                    <label for="grant-role-select">"Role"</label>
                    <select id="grant-role-select" name="role">
                        {Role::ALL
                            .into_iter()
                            .map(|r| view! { <option value=r.as_str() selected=r == Role::Reader>{capitalized(r.as_str())}</option> })
                            .collect_view()}
                    </select>
                    <FieldError error=error.clone() field="role"/>
                </div>
                <div class="form-actions">
                    <button type="submit" class="button button--primary">"Grant"</button>
                </div>
            </form>
        </section>
    }
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
