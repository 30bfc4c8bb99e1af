//! A feed's Views page (Administrators and Owners): every view with its own registry URL,
//! and forms to add, rename and delete views.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;

use crate::{
    components::{layout::use_session, snippet::Snippet},
    error::PortalError,
    model::{FeedView, ViewInfo},
    pages::{
        Col, DataTable, FieldError, FormError, feed_fields, feed_resource, form_error, loaded,
        settings::{SettingsHead, administered},
    },
    server::{CreateView, DeleteView, RenameView, list_views},
};

#[component]
pub fn FeedViewsPage() -> impl IntoView {
    let feed = feed_resource();
    let session = use_session();
    let error = form_error::<CreateView>().or_else(form_error::<RenameView>).or_else(form_error::<DeleteView>);
    loaded(move || {
        let error = error.clone();
        async move {
            let (csrf, feed) = administered(session, feed).await?;
            let views = list_views(feed.org.clone(), feed.project.clone(), feed.name.clone()).await?;
            Ok(view! { <Views feed views csrf error/> })
        }
    })
}

#[component]
fn Views(feed: FeedView, views: Vec<ViewInfo>, csrf: String, error: Option<PortalError>) -> impl IntoView {
    let add_fields = feed_fields(&feed, &csrf);
    view! {
        <Title text=format!("Views of {}", feed.name)/>
        <SettingsHead feed=feed.clone() current="Views"/>
        <p class="lead">
            "Each view is a registry of its own that lists only the versions promoted to it: share "
            <code>"@release"</code>
            " with the rest of the organization, or make it another feed's upstream. "
            <code>"@local"</code>
            " holds every version of the feed, without its upstreams. Publishing always goes to the feed."
        </p>
        <FormError error=error.clone()/>
        <DataTable id="views" columns=vec![Col::shown("View"), Col::shown("Versions"), Col::shown("Index"), Col::hidden("Actions")] boxed=true>
            {views
                .into_iter()
                .map(|v| {
                    let built_in = v.versions.is_none();
                    view! {
                        <tr data-view=v.name.clone()>
                            <td class="mono">{format!("@{}", v.name)}</td>
                            <td>{v.versions.map_or_else(|| "all".to_owned(), |n| n.to_string())}</td>
                            <td><Snippet id=format!("view-index-{}", v.name) title="Index" text=v.index_url.clone()/></td>
                            <td class="actions">
                                {(!built_in).then(|| view! {
                                    <form method="post" action=RenameView::PATH class="inline-form">
                                        {feed_fields(&feed, &csrf)}
                                        <input type="hidden" name="view" value=v.name.clone()/>
                                        <label class="visually-hidden" for=format!("rename-{}", v.name)>{format!("New name of @{}", v.name)}</label>
                                        <input type="text" name="name" size="10" id=format!("rename-{}", v.name) value=v.name.clone() required=""/>
                                        <button type="submit" class="button button--small">"Rename"</button>
                                    </form>
                                    <form method="post" action=DeleteView::PATH class="inline-form">
                                        {feed_fields(&feed, &csrf)}
                                        <input type="hidden" name="view" value=v.name.clone()/>
                                        <button type="submit" class="button button--small button--danger">{format!("Delete @{}", v.name)}</button>
                                    </form>
                                })}
                            </td>
                        </tr>
                    }
                })
                .collect_view()}
        </DataTable>
        <form method="post" action=CreateView::PATH class="form card" id="add-view" novalidate="">
            {add_fields}
            <div class="field">
                <label for="view-name">"New view"</label>
                <input type="text" id="view-name" name="name" required="" placeholder="e.g. beta"/>
                <FieldError error=error.clone() field="name"/>
            </div>
            <button type="submit" class="button button--primary">"Add view"</button>
        </form>
    }
}
