//! The table of the authorization matrix: (method, route pattern) → the expected cell of
//! each caller (see the parent module for the cells and the callers).

use axum::http::Method;

/// The expected cells of a route: one row for every visibility, or one per visibility
/// (Public, Organization, Private).
#[derive(Clone, Copy)]
pub(super) enum Row {
    All(&'static str),
    ByVisibility([&'static str; 3]),
}

/// A feed the caller may not read answers as a missing one: 401 to anonymous callers, 404
/// to signed-in ones (private feed names cannot be probed).
const READ: Row = Row::ByVisibility(["........", "U.......", "UN......"]);
const ADMINISTER: Row = Row::ByVisibility(["UFFFF...", "UFFFF...", "UNFFF..."]);
const OWN: Row = Row::ByVisibility(["UFFFFF..", "UFFFFF..", "UNFFFF.."]);
const SIGNED_IN: Row = Row::All("U.......");
const EVERYONE: Row = Row::All("........");
const LISTED: Row = Row::ByVisibility(["vvvvvvvv", "hvvvvvvv", "hhvvvvvv"]);
const WRITE: Row = Row::ByVisibility(["UFFF....", "UFFF....", "UNFF...."]);
/// Changing crate owners is refused with a pointer to feed roles, for those who may read.
const OWNERS_CHANGE: Row = Row::ByVisibility(["BBBBBBBB", "UBBBBBBB", "UNBBBBBB"]);
const FORM_SIGNED_IN: Row = Row::All("U>>>>>>>");
const FORM_ADMINISTER: Row = Row::ByVisibility(["UFFFF>>>", "UFFFF>>>", "UNFFF>>>"]);
const FORM_WRITE: Row = Row::ByVisibility(["UFFF>>>>", "UFFF>>>>", "UNFF>>>>"]);
const FORM_INSTANCE_ADMIN: Row = Row::All("UFFFFFF>");

/// The table: (method, route pattern) → expected cells. Patterns are axum's, as the
/// server's route inventory names them; the project-scoped and organization-scoped forms
/// of a feed route have the same rules.
pub(super) fn table() -> Vec<(Method, &'static str, Row)> {
    use Method as M;
    let mut rows = Vec::new();
    for (scope, api, cargo, page) in [
        ("org", "/{org}/_apis/packaging/feeds", "/{org}/_packaging/{feed}/Cargo", "/{org}/_artifacts/feed/{feed}"),
        (
            "project",
            "/{org}/{project}/_apis/packaging/feeds",
            "/{org}/{project}/_packaging/{feed}/Cargo",
            "/{org}/{project}/_artifacts/feed/{feed}",
        ),
    ] {
        let _ = scope;
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        rows.extend([
            (M::GET, api, LISTED),
            (M::POST, api, Row::All("U.......")),
            (M::GET, leak(format!("{api}/{{feed}}")), READ),
            (M::PATCH, leak(format!("{api}/{{feed}}")), ADMINISTER),
            (M::DELETE, leak(format!("{api}/{{feed}}")), OWN),
            (M::GET, leak(format!("{api}/{{feed}}/permissions")), ADMINISTER),
            (M::PATCH, leak(format!("{api}/{{feed}}/permissions")), ADMINISTER),
            (M::GET, leak(format!("{api}/{{feed}}/packages/{{package}}")), READ),
            (M::PATCH, leak(format!("{api}/{{feed}}/packages/{{package}}")), ADMINISTER),
            (M::DELETE, leak(format!("{api}/{{feed}}/packages/{{package}}/versions/{{version}}")), ADMINISTER),
            (M::GET, leak(format!("{api}/{{feed}}/recycle-bin")), ADMINISTER),
            (M::POST, leak(format!("{api}/{{feed}}/recycle-bin/{{package}}/versions/{{version}}/restore")), ADMINISTER),
            (M::GET, leak(format!("{api}/{{feed}}/views")), READ),
            (M::GET, leak(format!("{api}/{{feed}}/retention/preview")), ADMINISTER),
            (M::POST, leak(format!("{api}/{{feed}}/upstreams/{{source}}/test")), ADMINISTER),
            (M::POST, leak(format!("{api}/{{feed}}/views")), ADMINISTER),
            (M::PATCH, leak(format!("{api}/{{feed}}/views/{{view}}")), ADMINISTER),
            (M::DELETE, leak(format!("{api}/{{feed}}/views/{{view}}")), ADMINISTER),
            (M::POST, leak(format!("{api}/{{feed}}/packages/{{package}}/versions/{{version}}/promote")), WRITE),
            (
                M::POST,
                leak(format!("{api}/{{feed}}/packages/{{package}}/versions/{{version}}/release-now")),
                ADMINISTER,
            ),
            (M::POST, leak(format!("{api}/{{feed}}/packages/{{package}}/release-now")), ADMINISTER),
            (M::POST, leak(format!("{api}/{{feed}}/packages/{{package}}/versions/{{version}}/quarantine")), ADMINISTER),
            (
                M::DELETE,
                leak(format!("{api}/{{feed}}/packages/{{package}}/versions/{{version}}/quarantine")),
                ADMINISTER,
            ),
            (M::GET, leak(format!("{cargo}/index/config.json")), READ),
            (M::GET, leak(format!("{cargo}/badge/{{file}}")), READ),
            (M::GET, leak(format!("{cargo}/index/{{*path}}")), READ),
            (M::GET, leak(format!("{cargo}/api/v1/crates/{{krate}}/{{version}}/download")), READ),
            (M::PUT, leak(format!("{cargo}/api/v1/crates/new")), WRITE),
            (M::DELETE, leak(format!("{cargo}/api/v1/crates/{{krate}}/{{version}}/yank")), WRITE),
            (M::PUT, leak(format!("{cargo}/api/v1/crates/{{krate}}/{{version}}/unyank")), WRITE),
            (M::GET, leak(format!("{cargo}/api/v1/crates")), READ),
            (M::GET, leak(format!("{cargo}/api/v1/crates/{{krate}}/owners")), READ),
            (M::PUT, leak(format!("{cargo}/api/v1/crates/{{krate}}/owners")), OWNERS_CHANGE),
            (M::DELETE, leak(format!("{cargo}/api/v1/crates/{{krate}}/owners")), OWNERS_CHANGE),
            (M::GET, page, READ),
            (M::GET, leak(format!("{page}/connect")), READ),
            (M::GET, leak(format!("{page}/settings")), ADMINISTER),
            (M::GET, leak(format!("{page}/settings/permissions")), ADMINISTER),
            (M::GET, leak(format!("{page}/settings/views")), ADMINISTER),
            (M::GET, leak(format!("{page}/settings/upstreams")), ADMINISTER),
            (M::GET, leak(format!("{page}/package/{{package}}")), READ),
            (M::GET, leak(format!("{page}/recycle-bin")), ADMINISTER),
            (M::GET, leak(format!("{page}/settings/audit")), ADMINISTER),
            (M::GET, leak(format!("{page}/security")), READ),
            (M::GET, leak(format!("{api}/{{feed}}/audit")), ADMINISTER),
            (M::GET, leak(format!("{api}/{{feed}}/webhooks")), ADMINISTER),
            (M::POST, leak(format!("{api}/{{feed}}/webhooks")), ADMINISTER),
            (M::DELETE, leak(format!("{api}/{{feed}}/webhooks/{{id}}")), ADMINISTER),
            (M::GET, leak(format!("{api}/{{feed}}/webhooks/{{id}}/deliveries")), ADMINISTER),
            (M::POST, leak(format!("{api}/{{feed}}/webhooks/{{id}}/test")), ADMINISTER),
            (M::GET, leak(format!("{page}/settings/webhooks")), ADMINISTER),
            // The Warm page and its upload (anonymous callers are sent to sign in; warming
            // needs Collaborator, also on a public feed; the matrix's feeds have no
            // upstream, so an allowed upload is refused with 409), and a job's page.
            (M::GET, leak(format!("{page}/warm")), READ),
            (M::POST, leak(format!("{page}/warm")), Row::ByVisibility([">FFCCCCC", ">FFCCCCC", ">NFCCCCC"])),
            (M::GET, leak(format!("{page}/warm/{{job}}")), Row::ByVisibility(["UFF.....", "UFF.....", "UNF....."])),
            // The matrix's feeds have no upstream: a warm job is refused with 409 once allowed.
            (M::POST, leak(format!("{api}/{{feed}}/warm")), Row::ByVisibility(["UFFCCCCC", "UFFCCCCC", "UNFCCCCC"])),
            (
                M::GET,
                leak(format!("{api}/{{feed}}/warm/{{job}}")),
                Row::ByVisibility(["UFF.....", "UFF.....", "UNF....."]),
            ),
        ]);
    }
    rows.extend([
        (M::GET, "/{org}/_apis/projects", SIGNED_IN),
        (M::POST, "/{org}/_apis/projects", Row::All("UFFFFFF.")),
        (M::PATCH, "/{org}/_apis/projects/{project}", Row::All("UFFFFFF.")),
        (M::DELETE, "/{org}/_apis/projects/{project}", Row::All("UFFFFFF.")),
        (M::GET, "/_apis/organizations", SIGNED_IN),
        (M::POST, "/_apis/organizations", Row::All("UFFFFFF.")),
        (M::GET, "/_apis/tokens", SIGNED_IN),
        (M::POST, "/_apis/tokens", SIGNED_IN),
        (M::DELETE, "/_apis/tokens/{id}", SIGNED_IN),
        // The organization's and the instance's audit logs, and importing advisories.
        (M::GET, "/{org}/_apis/audit", Row::All("UFFFFFF.")),
        (M::GET, "/_apis/audit", Row::All("UFFFFFF.")),
        (M::POST, "/_apis/advisories", Row::All("UFFFFFF.")),
        // The API's OpenAPI description is public.
        (M::GET, "/_apis/openapi.json", EVERYONE),
        // Static assets, metrics and health are for everyone (a missing asset is 404).
        (M::GET, "/pkg/{*file}", Row::All("NNNNNNNN")),
        (M::GET, "/_metrics", EVERYONE),
        (M::GET, "/_health", EVERYONE),
        (M::GET, "/_ready", EVERYONE),
        // Portal pages.
        (M::GET, "/", EVERYONE),
        (M::GET, "/{org}/_artifacts", EVERYONE),
        (M::GET, "/{org}/_artifacts/new", SIGNED_IN),
        (M::GET, "/{org}/_settings/members", Row::All("UFFFFFF.")),
        (M::GET, "/{org}/_settings/projects", SIGNED_IN),
        (M::GET, "/_settings/organizations", SIGNED_IN),
        (M::GET, "/{org}/{project}/_artifacts", EVERYONE),
        (M::GET, "/_setup", EVERYONE),
        (M::GET, "/_signin", EVERYONE),
        (M::GET, "/_user/tokens", SIGNED_IN),
        // Server functions.
        (M::POST, "/_fn/session_info", EVERYONE),
        (M::POST, "/_fn/form_token", EVERYONE),
        (M::POST, "/_fn/list_feeds", LISTED),
        (M::POST, "/_fn/list_projects", SIGNED_IN),
        (M::POST, "/_fn/get_feed", READ),
        (M::POST, "/_fn/list_packages", READ),
        (M::POST, "/_fn/create_feed", FORM_SIGNED_IN),
        (M::POST, "/_fn/setup", Row::All("CCCCCCCC")),
        (M::POST, "/_fn/sign_in", Row::All("UUUUUUUU")),
        (M::POST, "/_fn/sign_out", Row::All(">>>>>>>>")),
        (M::POST, "/_fn/list_tokens", SIGNED_IN),
        // Answers the new token (for scripts in the page); the form posts to the page.
        (M::POST, "/_fn/create_token", SIGNED_IN),
        (M::POST, "/_user/tokens", Row::All(">.......")),
        (M::POST, "/_fn/revoke_token", FORM_SIGNED_IN),
        (M::POST, "/_fn/list_members", Row::All("UFFFFFF.")),
        (M::POST, "/_fn/create_member", FORM_INSTANCE_ADMIN),
        (M::POST, "/_fn/add_member", FORM_INSTANCE_ADMIN),
        (M::POST, "/_fn/remove_member", FORM_INSTANCE_ADMIN),
        (M::POST, "/_fn/update_feed_settings", FORM_ADMINISTER),
        (M::POST, "/_fn/list_permissions", ADMINISTER),
        (M::POST, "/_fn/set_role", FORM_ADMINISTER),
        (M::POST, "/_fn/get_package", READ),
        (M::POST, "/_fn/list_recycle_bin", ADMINISTER),
        (M::POST, "/_fn/delete_version", FORM_ADMINISTER),
        (M::POST, "/_fn/restore_version", FORM_ADMINISTER),
        (M::POST, "/_fn/set_allow_external", FORM_ADMINISTER),
        (M::POST, "/_fn/list_views", READ),
        (M::POST, "/_fn/list_organizations", SIGNED_IN),
        (M::POST, "/_fn/create_organization", FORM_INSTANCE_ADMIN),
        (M::POST, "/_fn/create_project", FORM_INSTANCE_ADMIN),
        (M::POST, "/_fn/rename_project", FORM_INSTANCE_ADMIN),
        (M::POST, "/_fn/delete_project", FORM_INSTANCE_ADMIN),
        (M::POST, "/_fn/retention_preview", ADMINISTER),
        (M::POST, "/_fn/create_view", FORM_ADMINISTER),
        (M::POST, "/_fn/rename_view", FORM_ADMINISTER),
        (M::POST, "/_fn/delete_view", FORM_ADMINISTER),
        (M::POST, "/_fn/promote_version", FORM_WRITE),
        (M::POST, "/_fn/list_upstreams", READ),
        (M::POST, "/_fn/add_upstream", FORM_ADMINISTER),
        (M::POST, "/_fn/remove_upstream", FORM_ADMINISTER),
        (M::POST, "/_fn/move_upstream", FORM_ADMINISTER),
        (M::POST, "/_fn/test_upstream", FORM_ADMINISTER),
        (M::POST, "/_fn/feed_audit", ADMINISTER),
        (M::POST, "/_fn/feed_security", READ),
        (M::POST, "/_fn/warm_job", Row::ByVisibility(["UFF.....", "UFF.....", "UNF....."])),
        (M::POST, "/_fn/set_quarantine", FORM_ADMINISTER),
        (M::POST, "/_fn/release_now", FORM_ADMINISTER),
        (M::POST, "/_fn/list_webhooks", ADMINISTER),
        (M::POST, "/_fn/create_webhook", FORM_ADMINISTER),
        (M::POST, "/_fn/delete_webhook", FORM_ADMINISTER),
        (M::POST, "/_fn/test_webhook", FORM_ADMINISTER),
    ]);
    rows
}
