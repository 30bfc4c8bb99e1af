//! The management REST API (JSON).

mod advisories;
mod audit;
mod caller;
mod cooldown;
mod feeds;
mod json;
mod openapi;
mod packages;
mod permissions;
mod projects;
mod schema;
mod tokens;
mod views;
mod warm;
mod webhooks;

pub use caller::{Caller, unauthenticated};
pub use json::Unread;
pub use openapi::document as openapi_document;

use super::table::RouteTable;

pub fn routes() -> RouteTable {
    let mut table = RouteTable::default();
    for scope in ["/{org}", "/{org}/{project}"] {
        let feeds = format!("{scope}/_apis/packaging/feeds");
        let feed = format!("{feeds}/{{feed}}");
        let permissions = format!("{feed}/permissions");
        let package = format!("{feed}/packages/{{package}}");
        table = table
            .get(&feeds, feeds::list)
            .post(&feeds, feeds::create)
            .get(&feed, feeds::get)
            .patch(&feed, feeds::update)
            .delete(&feed, feeds::delete)
            .get(&permissions, permissions::get)
            .patch(&permissions, permissions::update)
            .get(&package, packages::get)
            .patch(&package, packages::update)
            .delete(&format!("{package}/versions/{{version}}"), packages::delete_version)
            .get(&format!("{feed}/recycle-bin"), packages::recycle_bin)
            .post(&format!("{feed}/recycle-bin/{{package}}/versions/{{version}}/restore"), packages::restore_version)
            .get(&format!("{feed}/retention/preview"), feeds::retention_preview)
            .post(&format!("{feed}/upstreams/{{source}}/test"), feeds::test_upstream)
            .get(&format!("{feed}/views"), views::list)
            .post(&format!("{feed}/views"), views::create)
            .patch(&format!("{feed}/views/{{view}}"), views::rename)
            .delete(&format!("{feed}/views/{{view}}"), views::delete)
            .post(&format!("{package}/versions/{{version}}/promote"), views::promote)
            .post(&format!("{package}/versions/{{version}}/release-now"), cooldown::release_version)
            .post(&format!("{package}/release-now"), cooldown::release_package)
            .post(&format!("{package}/versions/{{version}}/quarantine"), cooldown::quarantine)
            .delete(&format!("{package}/versions/{{version}}/quarantine"), cooldown::lift_quarantine)
            .get(&format!("{feed}/audit"), audit::feed_log)
            .get(&format!("{feed}/webhooks"), webhooks::list)
            .post(&format!("{feed}/webhooks"), webhooks::create)
            .delete(&format!("{feed}/webhooks/{{id}}"), webhooks::delete)
            .get(&format!("{feed}/webhooks/{{id}}/deliveries"), webhooks::deliveries)
            .post(&format!("{feed}/webhooks/{{id}}/test"), webhooks::send_test)
            .post(&format!("{feed}/warm"), warm::start)
            .get(&format!("{feed}/warm/{{job}}"), warm::status);
    }
    table
        .get("/_apis/openapi.json", openapi::serve)
        .get("/{org}/_apis/projects", projects::list)
        .post("/{org}/_apis/projects", projects::create)
        .patch("/{org}/_apis/projects/{project}", projects::rename)
        .delete("/{org}/_apis/projects/{project}", projects::delete)
        .get("/{org}/_apis/audit", audit::org_log)
        .get("/_apis/audit", audit::instance_log)
        .post("/_apis/advisories", advisories::import)
        .get("/_apis/organizations", projects::organizations)
        .post("/_apis/organizations", projects::create_organization)
        .get("/_apis/tokens", tokens::list)
        .post("/_apis/tokens", tokens::create)
        .delete("/_apis/tokens/{id}", tokens::revoke)
}
