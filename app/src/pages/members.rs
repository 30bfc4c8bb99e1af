//! The organization's members: Wharf administrators create accounts and add or remove members.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use wharf_core::MIN_PASSWORD_LEN;

use crate::{
    components::layout::{current_org, use_session},
    error::PortalError,
    model::{MembersView, human_time},
    pages::{Col, DataTable, FieldError, FormError, form_error, loaded},
    server::{AddMember, CreateMember, RemoveMember, list_members},
};

#[component]
pub fn MembersPage() -> impl IntoView {
    let org = current_org();
    let session = use_session();
    let members = Resource::new(move || org.get(), list_members);
    let error = form_error::<CreateMember>().or_else(form_error::<AddMember>).or_else(form_error::<RemoveMember>);
    view! {
        <Title text="Members"/>
        <h1>"Members of " {move || org.get()}</h1>
        {loaded(move || {
            let error = error.clone();
            async move {
                let csrf = session.await.map(|s| s.csrf).unwrap_or_default();
                let view = members.await?;
                Ok(view! { <Members org=org.get_untracked() view csrf error/> })
            }
        })}
    }
}

#[component]
fn Members(org: String, view: MembersView, csrf: String, error: Option<PortalError>) -> impl IntoView {
    let MembersView { members, others } = view;
    let (row_org, row_csrf) = (org.clone(), csrf.clone());
    view! {
        <FormError error=error.clone()/>
        <section class="card" aria-labelledby="members-title">
            <h2 id="members-title">"Members"</h2>
            <DataTable id="members" columns=vec![Col::shown("Name"), Col::shown("Wharf administrator"), Col::shown("Member since"), Col::hidden("Actions")]>
                        {members
                            .into_iter()
                            .map(|m| view! {
                                <tr data-member=m.name.clone()>
                                    <td>{m.name.clone()}</td>
                                    <td>{if m.is_admin { "Yes" } else { "No" }}</td>
                                    <td>{human_time(&m.joined_at)}</td>
                                    <td class="actions">
                                        <form method="post" action=RemoveMember::PATH class="inline-form">
                                            <input type="hidden" name="csrf" value=row_csrf.clone()/>
                                            <input type="hidden" name="org" value=row_org.clone()/>
                                            <input type="hidden" name="name" value=m.name.clone()/>
                                            <button type="submit" class="button button--small button--danger">
                                                {format!("Remove {}", m.name)}
                                            </button>
                                        </form>
                                    </td>
                                </tr>
                            })
                            .collect_view()}
            </DataTable>
        </section>
        <section class="card" aria-labelledby="create-member-title">
            <h2 id="create-member-title">"Create an account"</h2>
            <p class="muted">"The new account becomes a member of this organization. Tell the person their first password."</p>
            <form method="post" action=CreateMember::PATH class="form" id="create-member" novalidate="">
                <input type="hidden" name="csrf" value=csrf.clone()/>
                <input type="hidden" name="org" value=org.clone()/>
                <div class="field">
                    <label for="member-name">"User name"</label>
                    <input id="member-name" name="name" type="text" autocomplete="off"/>
                    <FieldError error=error.clone() field="name"/>
                </div>
                <div class="field">
                    <label for="member-password">"Password"</label>
                    <input id="member-password" name="password" type="password" autocomplete="new-password"/>
                    <p class="hint">{format!("At least {MIN_PASSWORD_LEN} characters.")}</p>
                    <FieldError error=error.clone() field="password"/>
                </div>
                <div class="field">
                    <div class="choice">
                        <input type="checkbox" id="member-admin" name="admin" value="on"/>
                        <label for="member-admin">"Wharf administrator" <span class="hint">"Manages accounts and every feed."</span></label>
                    </div>
                </div>
                <div class="form-actions">
                    <button type="submit" class="button button--primary">"Create account"</button>
                </div>
            </form>
        </section>
        {(!others.is_empty()).then(|| view! {
            <section class="card" aria-labelledby="add-member-title">
                <h2 id="add-member-title">"Add an existing account"</h2>
                <form method="post" action=AddMember::PATH class="form form--row" id="add-member">
                    <input type="hidden" name="csrf" value=csrf.clone()/>
                    <input type="hidden" name="org" value=org.clone()/>
                    <label for="add-member-name" class="visually-hidden">"Account"</label>
                    <select id="add-member-name" name="name">
                        {others.into_iter().map(|o| view! { <option value=o.clone()>{o.clone()}</option> }).collect_view()}
                    </select>
                    <button type="submit" class="button">"Add"</button>
                </form>
            </section>
        })}
    }
}
