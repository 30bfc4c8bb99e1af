//! An organization's projects, and the instance's organizations: listed for members,
//! created, renamed and deleted by Wharf administrators.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use wharf_core::urls::pages;

use crate::{
    components::layout::{current_org, use_session},
    error::PortalError,
    pages::{Col, DataTable, FieldError, FormError, form_error, loaded},
    server::{CreateOrganization, CreateProject, DeleteProject, RenameProject, list_organizations, list_projects},
};

#[component]
pub fn ProjectsPage() -> impl IntoView {
    let org = current_org();
    let session = use_session();
    let projects = Resource::new(move || org.get(), list_projects);
    let error = form_error::<CreateProject>().or_else(form_error::<RenameProject>).or_else(form_error::<DeleteProject>);
    view! {
        <Title text="Projects"/>
        <h1>"Projects of " {move || org.get()}</h1>
        {loaded(move || {
            let error = error.clone();
            async move {
                let session = session.await.unwrap_or_default();
                let admin = session.user.as_ref().is_some_and(|u| u.is_admin);
                let list = projects.await?;
                Ok(view! { <Projects org=org.get_untracked() list admin csrf=session.csrf error/> })
            }
        })}
    }
}

#[component]
fn Projects(org: String, list: Vec<String>, admin: bool, csrf: String, error: Option<PortalError>) -> impl IntoView {
    let (row_org, row_csrf) = (org.clone(), csrf.clone());
    view! {
        <p class="lead">"A project holds feeds of its own; the organization's feeds are shared by all its projects."</p>
        <FormError error=error.clone()/>
        <DataTable id="projects" columns=vec![Col::shown("Project"), Col::hidden("Actions")] boxed=true>
            {list
                .into_iter()
                .map(|p| {
                    let (org, csrf) = (row_org.clone(), row_csrf.clone());
                    view! {
                        <tr data-project=p.clone()>
                            <td><a href=pages::project_feeds(&org, &p)>{p.clone()}</a></td>
                            <td class="actions">
                                {admin.then(|| view! {
                                    <form method="post" action=RenameProject::PATH class="inline-form">
                                        <input type="hidden" name="csrf" value=csrf.clone()/>
                                        <input type="hidden" name="org" value=org.clone()/>
                                        <input type="hidden" name="project" value=p.clone()/>
                                        <label class="visually-hidden" for=format!("rename-project-{p}")>{format!("New name of {p}")}</label>
                                        <input type="text" name="name" id=format!("rename-project-{p}") value=p.clone() required=""/>
                                        <button type="submit" class="button button--small">"Rename"</button>
                                    </form>
                                    <form method="post" action=DeleteProject::PATH class="inline-form">
                                        <input type="hidden" name="csrf" value=csrf.clone()/>
                                        <input type="hidden" name="org" value=org.clone()/>
                                        <input type="hidden" name="project" value=p.clone()/>
                                        <button type="submit" class="button button--small button--danger">{format!("Delete {p}")}</button>
                                    </form>
                                })}
                            </td>
                        </tr>
                    }
                })
                .collect_view()}
        </DataTable>
        {admin.then(|| view! {
            <form method="post" action=CreateProject::PATH class="form card" id="add-project" novalidate="">
                <input type="hidden" name="csrf" value=csrf.clone()/>
                <input type="hidden" name="org" value=org.clone()/>
                <div class="field">
                    <label for="project-name">"New project"</label>
                    <input type="text" id="project-name" name="name" required=""/>
                    <FieldError error=error.clone() field="name"/>
                </div>
                <button type="submit" class="button button--primary">"Create project"</button>
            </form>
        })}
    }
}

#[component]
pub fn OrganizationsPage() -> impl IntoView {
    let session = use_session();
    let error = form_error::<CreateOrganization>();
    view! {
        <Title text="Organizations"/>
        <h1>"Organizations"</h1>
        {loaded(move || {
            let error = error.clone();
            async move {
                let session = session.await.unwrap_or_default();
                let admin = session.user.as_ref().is_some_and(|u| u.is_admin);
                let list = list_organizations().await?;
                Ok(view! {
                    <p class="lead">"Each organization has its own members, projects and feeds."</p>
                    <FormError error=error.clone()/>
                    <DataTable id="organizations" columns=vec![Col::shown("Organization"), Col::hidden("Actions")] boxed=true>
                        {list
                            .into_iter()
                            .map(|o| view! {
                                <tr data-org=o.clone()>
                                    <td><a href=pages::feeds(&o)>{o.clone()}</a></td>
                                    <td class="actions">
                                        <a href=pages::projects(&o)>"Projects"</a> " "
                                        {admin.then(|| view! { <a href=pages::members(&o)>"Members"</a> })}
                                    </td>
                                </tr>
                            })
                            .collect_view()}
                    </DataTable>
                    {admin.then(|| view! {
                        <form method="post" action=CreateOrganization::PATH class="form card" id="add-organization" novalidate="">
                            <input type="hidden" name="csrf" value=session.csrf.clone()/>
                            <div class="field">
                                <label for="organization-name">"New organization"</label>
                                <input type="text" id="organization-name" name="name" required=""/>
                                <FieldError error=error.clone() field="name"/>
                            </div>
                            <button type="submit" class="button button--primary">"Create organization"</button>
                        </form>
                    })}
                })
            }
        })}
    }
}
