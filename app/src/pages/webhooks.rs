//! A feed's Webhooks page (Administrators and Owners): each webhook with its latest
//! deliveries (response codes, retries), "Send a test", delete, and a form to add one.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;

use crate::{
    components::layout::use_session,
    error::PortalError,
    model::{FeedView, WebhookView, human_time},
    pages::{
        Col, DataTable, FieldError, FormError, feed_fields, feed_resource, form_error, loaded,
        settings::{SettingsHead, administered},
    },
    server::{CreateWebhook, DeleteWebhook, TestWebhook, list_webhooks},
};

#[component]
pub fn FeedWebhooksPage() -> impl IntoView {
    let feed = feed_resource();
    let session = use_session();
    let error = form_error::<CreateWebhook>().or_else(form_error::<DeleteWebhook>).or_else(form_error::<TestWebhook>);
    loaded(move || {
        let error = error.clone();
        async move {
            let (csrf, feed) = administered(session, feed).await?;
            let hooks = list_webhooks(feed.org.clone(), feed.project.clone(), feed.name.clone()).await?;
            Ok(view! { <Webhooks feed hooks csrf error/> })
        }
    })
}

#[component]
fn Webhooks(feed: FeedView, hooks: Vec<WebhookView>, csrf: String, error: Option<PortalError>) -> impl IntoView {
    let add_fields = feed_fields(&feed, &csrf);
    let list = hooks
        .into_iter()
        .map(|hook| {
            let id = hook.id.to_string();
            view! {
                <section class="card webhook" data-webhook=id.clone()>
                    <h2 class="mono">{hook.url.clone()}</h2>
                    <p class="muted">{format!("Events: {}", hook.events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", "))}</p>
                    <div class="form-actions">
                        <form method="post" action=TestWebhook::PATH class="inline-form">
                            {feed_fields(&feed, &csrf)}
                            <input type="hidden" name="id" value=id.clone()/>
                            <button type="submit" class="button button--small">"Send a test"</button>
                        </form>
                        <form method="post" action=DeleteWebhook::PATH class="inline-form">
                            {feed_fields(&feed, &csrf)}
                            <input type="hidden" name="id" value=id.clone()/>
                            <button type="submit" class="button button--small button--danger">"Delete"</button>
                        </form>
                    </div>
                    {if hook.deliveries.is_empty() {
                        view! { <p class="muted">"No deliveries yet."</p> }.into_any()
                    } else {
                        view! {
                            <DataTable id="deliveries" columns=vec![Col::shown("Event"), Col::shown("State"), Col::shown("Response"), Col::shown("Attempts"), Col::shown("When")]>
                                {hook.deliveries.iter().map(|d| view! {
                                    <tr data-event=d.event.clone() data-state=d.state.as_str()>
                                        <td class="mono">{d.event.clone()}</td>
                                        <td>{d.state.as_str()}</td>
                                        <td>{d.response_code.map(|c| c.to_string()).or_else(|| d.error.clone()).unwrap_or_default()}</td>
                                        <td>{d.attempts}</td>
                                        <td>{human_time(&d.at)}</td>
                                    </tr>
                                }).collect_view()}
                            </DataTable>
                        }.into_any()
                    }}
                </section>
            }
        })
        .collect_view();
    view! {
        <Title text=format!("Webhooks of {}", feed.name)/>
        <SettingsHead feed=feed.clone() current="Webhooks"/>
        <p class="lead">
            "Wharf POSTs each chosen event as JSON, signed with " <code>"X-Wharf-Signature: sha256=…"</code>
            " (HMAC-SHA256 of the body under the secret), and retries with backoff until the receiver answers 2xx."
        </p>
        <FormError error=error.clone()/>
        {list}
        <form method="post" action=CreateWebhook::PATH class="form card" id="add-webhook" novalidate="">
            {add_fields}
            <div class="field">
                <label for="webhook-url">"Payload URL"</label>
                <input type="url" id="webhook-url" name="url" required="" placeholder="https://ci.example.com/hooks/wharf"/>
                <FieldError error=error.clone() field="url"/>
            </div>
            <div class="field">
                <label for="webhook-secret">"Secret"</label>
                <input type="password" id="webhook-secret" name="secret" required="" minlength="16" autocomplete="off"/>
                <p class="hint">"16 characters or more; receivers check each signature with it. It is kept sealed and never shown again."</p>
                <FieldError error=error.clone() field="secret"/>
            </div>
            <fieldset class="field">
                <legend>"Events"</legend>
                {wharf_core::WebhookEvent::ALL.iter().map(|event| {
                    let id = format!("webhook-event-{event}");
                    view! {
                        <div class="choice">
                            <input type="checkbox" id=id.clone() name=format!("ev_{event}") value="on" checked=*event == wharf_core::WebhookEvent::Publish/>
                            <label for=id>{event.as_str()}</label>
                        </div>
                    }
                }).collect_view()}
                <FieldError error=error.clone() field="events"/>
            </fieldset>
            <button type="submit" class="button button--primary">"Add webhook"</button>
        </form>
    }
}
