//! A feed's Security page (readers): every version it holds that a security advisory
//! affects, with the advisory and what the feed's policy does with it.

use leptos::prelude::*;
use leptos_meta::Title;
use wharf_core::feed::AdvisoryPolicy;

use crate::{
    model::{FeedView, SecurityView},
    pages::{Breadcrumbs, Col, DataTable, feed_resource, loaded},
    server::feed_security,
};

#[component]
pub fn FeedSecurityPage() -> impl IntoView {
    let feed = feed_resource();
    loaded(move || async move {
        let feed = feed.await?;
        let security = feed_security(feed.org.clone(), feed.project.clone(), feed.name.clone()).await?;
        Ok(view! { <Security feed security/> })
    })
}

#[component]
fn Security(feed: FeedView, security: SecurityView) -> impl IntoView {
    let loc = feed.location();
    let policy = match security.policy {
        AdvisoryPolicy::Hide => {
            "hidden from new resolution (builds locked to one still download it); malicious crates are blocked"
        }
        AdvisoryPolicy::Block => "hidden from new resolution and their downloads refused",
        AdvisoryPolicy::Warn => "only marked; malicious crates are blocked",
    };
    let count = security.affected.len();
    view! {
        <Title text=format!("Security of {}", feed.name)/>
        <Breadcrumbs org=feed.org.clone() trail=vec![(feed.name.clone(), loc.page_path())] here="Security"/>
        <h1>"Security: " <span class="feed-name">{feed.name.clone()}</span></h1>
        <p class="lead" id="security-policy">
            {format!("Versions a security advisory affects are {policy}.")}
            {feed.can_administer.then(|| view! { " " <a href=format!("{}#advisory-policy", loc.settings_path())>"Change the policy"</a> })}
        </p>
        {if !security.loaded {
            view! {
                <p class="notice" id="security-summary">
                    "No advisory database is loaded into this Wharf, so nothing is known about the versions this feed holds. "
                    "An administrator loads the RustSec database with " <code>"wharf admin import-advisories PATH"</code>
                    " (a checkout of rustsec/advisory-db), or has Wharf fetch it on a schedule with "
                    <code>"--advisory-db-url"</code> "."
                </p>
            }.into_any()
        } else if count == 0 {
            view! { <p class="muted" id="security-summary">"No version this feed holds is affected by a known advisory."</p> }.into_any()
        } else {
            view! {
                <p class="muted" id="security-summary">{format!("{count} affected version(s)")}</p>
                <DataTable id="affected" columns=vec![Col::shown("Package"), Col::shown("Version"), Col::shown("Advisory"), Col::shown("Severity"), Col::shown("Patched")] boxed=true>
                    {security.affected.into_iter().map(|a| {
                        let level = a.advisory.severity.clone().unwrap_or_else(|| a.advisory.kind.clone());
                        view! {
                            <tr data-package=a.package.clone() data-version=a.version.clone() data-advisory=a.advisory.id.clone()>
                                <td><a href=loc.package_path(&a.package)>{a.package.clone()}</a></td>
                                <td class="mono">{a.version.clone()}</td>
                                <td>
                                    <a href=a.advisory.url.clone() rel="noopener noreferrer nofollow" class="mono">{a.advisory.id.clone()}</a>
                                    " " {a.advisory.title.clone()}
                                    {(a.advisory.kind == "malicious").then(|| view! { " " <span class="badge badge--advisory badge--critical">"malicious"</span> })}
                                </td>
                                <td><span class=format!("badge badge--advisory badge--{level}")>{level.clone()}</span></td>
                                <td class="mono">{a.advisory.patched.join(", ")}</td>
                            </tr>
                        }
                    }).collect_view()}
                </DataTable>
            }.into_any()
        }}
    }
}
