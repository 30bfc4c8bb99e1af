//! The REST API's OpenAPI 3.1 description, served at `GET /_apis/openapi.json`.
//!
//! Each handler carries its own `#[utoipa::path]` (written for the organization scope:
//! method, path, request body, its own answers). What every operation shares is added here,
//! once, by [`Shared`]:
//! - the feed routes again at project scope (`/{org}/{project}/_apis/packaging/feeds…`),
//!   the router's second copy of them, with operation ids ending in `InProject`;
//! - every `{name}` of a path as a required path parameter;
//! - the answers every operation can give: `400` (a path or query value that does not
//!   parse), `401` (a wrong, expired or revoked token, or none where one is needed), `503`
//!   (the database away; `Retry-After`); `403` for changes (a browser session's change
//!   without its CSRF token); and for JSON bodies `413`, `415` and `422`;
//! - the credentials: a personal access token (`Bearer`, `Basic` with the token as the
//!   password, or raw as cargo sends it) or the browser session (whose changes also carry
//!   `X-CSRF-Token`). An annotation saying `security(())` marks an operation anonymous
//!   callers may use too (reading Public feeds); it keeps that and takes the credentials.
//!
//! The integration test `openapi` checks that the description names exactly the router's
//! REST routes.

use std::sync::LazyLock;

use axum::{
    http::{Method, header},
    response::{IntoResponse, Response},
};
use utoipa::{
    Modify, OpenApi,
    openapi::{
        self, ContentBuilder, HeaderBuilder, ObjectBuilder, PathItem, Ref, RefOr, ResponseBuilder, Type,
        path::{Operation, ParameterBuilder, ParameterIn},
        security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme},
    },
};

use super::{advisories, audit, cooldown, feeds, packages, permissions, projects, tokens, views, warm, webhooks};
use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Wharf REST API",
        description = "The management API of Wharf, a self-hosted Cargo registry: feeds, their views, \
            packages, permissions, supply-chain guards, webhooks, projects, organizations, tokens and the \
            audit log. Feed routes exist at organization scope (`/{org}/_apis/packaging/feeds`) and at project \
            scope (`/{org}/{project}/_apis/packaging/feeds`). Errors are `{\"errors\": [{\"detail\": \"…\"}]}`."
    ),
    paths(
        serve,
        feeds::list, feeds::create, feeds::get, feeds::update, feeds::delete,
        feeds::retention_preview, feeds::test_upstream,
        permissions::get, permissions::update,
        packages::get, packages::update, packages::delete_version, packages::recycle_bin,
        packages::restore_version,
        views::list, views::create, views::rename, views::delete, views::promote,
        cooldown::release_version, cooldown::release_package, cooldown::quarantine, cooldown::lift_quarantine,
        audit::feed_log, audit::org_log, audit::instance_log,
        webhooks::list, webhooks::create, webhooks::delete, webhooks::deliveries, webhooks::send_test,
        warm::start, warm::status,
        projects::list, projects::create, projects::rename, projects::delete,
        projects::organizations, projects::create_organization,
        advisories::import,
        tokens::list, tokens::create, tokens::revoke,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Shared),
    tags(
        (name = "feeds", description = "Feeds: create, list, read, change, delete."),
        (name = "permissions", description = "Who holds which role on a feed."),
        (name = "packages", description = "A feed's packages, their versions and the recycle bin."),
        (name = "views", description = "A feed's views (`@local`, `@prerelease`, `@release`, …) and promotion."),
        (name = "supply chain", description = "Upstream cooldown, quarantine and security advisories."),
        (name = "audit", description = "The audit log, read only."),
        (name = "webhooks", description = "A feed's webhooks and their deliveries."),
        (name = "operations", description = "Warming a feed from a Cargo.lock."),
        (name = "projects", description = "Organizations and their projects."),
        (name = "tokens", description = "The caller's personal access tokens."),
        (name = "meta", description = "This description."),
    ),
)]
struct ApiDoc;

/// This description, as JSON (OpenAPI 3.1).
#[utoipa::path(get, path = "/_apis/openapi.json", operation_id = "openapi", tag = "meta",
    security(()),
    responses((status = 200, description = "The OpenAPI description of this API.", body = serde_json::Value)))]
pub async fn serve() -> Response {
    static JSON: LazyLock<bytes::Bytes> =
        LazyLock::new(|| document().to_json().expect("the description serializes").into());
    ([(header::CONTENT_TYPE, "application/json")], JSON.clone()).into_response()
}

/// The whole description.
pub fn document() -> openapi::OpenApi {
    ApiDoc::openapi()
}

/// The org-scope prefix of the feed routes, and its project-scope twin.
const ORG_FEEDS: &str = "/{org}/_apis/packaging/feeds";
const PROJECT_FEEDS: &str = "/{org}/{project}/_apis/packaging/feeds";

/// Adds what every operation shares (see the module's documentation).
struct Shared;

impl Modify for Shared {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        let paths = std::mem::take(&mut doc.paths.paths);
        let mut all = Vec::new();
        for (path, item) in paths {
            if let Some(rest) = path.strip_prefix(ORG_FEEDS) {
                let mut twin = item.clone();
                for (_, op) in operations(&mut twin) {
                    op.operation_id = op.operation_id.take().map(|id| format!("{id}InProject"));
                }
                all.push((format!("{PROJECT_FEEDS}{rest}"), twin));
            }
            all.push((path, item));
        }
        for (path, item) in &mut all {
            for (method, op) in operations(item) {
                if op.operation_id.as_deref() == Some("openapi") {
                    continue;
                }
                add_path_parameters(path, op);
                add_shared_responses(&method, op);
                add_security(&method, op);
            }
        }
        doc.paths.paths = all.into_iter().collect();

        let components = doc.components.get_or_insert_with(Default::default);
        let scheme = |key: ApiKey| SecurityScheme::ApiKey(key);
        let value = |name: &str, description: &str| ApiKeyValue::with_description(name, description);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A personal access token (`wharf_` and 64 hex digits): `Bearer <token>`."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some("A personal access token as the password; the user name is ignored."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cargoToken",
            scheme(ApiKey::Header(value("Authorization", "A personal access token, raw, as cargo sends it."))),
        );
        components.add_security_scheme(
            "session",
            scheme(ApiKey::Cookie(value(wharf_auth::session::COOKIE_NAME, "The portal's browser session."))),
        );
        components.add_security_scheme(
            "csrf",
            scheme(ApiKey::Header(value(
                "X-CSRF-Token",
                "The session's CSRF token: changes made with the browser session carry it (and come from this \
                 site).",
            ))),
        );
        for (name, response) in shared_responses() {
            components.responses.insert(name.to_owned(), response.into());
        }
        super::schema::join_flattened(components, &["FeedResource"]);
    }
}

/// The operations of a path, with their methods.
fn operations(item: &mut PathItem) -> impl Iterator<Item = (Method, &mut Operation)> {
    [
        (Method::GET, &mut item.get),
        (Method::PUT, &mut item.put),
        (Method::POST, &mut item.post),
        (Method::DELETE, &mut item.delete),
        (Method::PATCH, &mut item.patch),
        (Method::HEAD, &mut item.head),
        (Method::OPTIONS, &mut item.options),
        (Method::TRACE, &mut item.trace),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.as_mut().map(|op| (method, op)))
}

/// The words and schema of each path parameter, by name.
fn path_parameter(name: &str) -> (&'static str, RefOr<openapi::Schema>) {
    let text = || ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).into();
    // Organizations, projects, feeds and views follow one naming rule (wharf_core::FeedName).
    let named =
        || ObjectBuilder::new().schema_type(Type::String).pattern(Some(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")).into();
    let id = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(openapi::SchemaFormat::KnownFormat(openapi::KnownFormat::Int64)))
        .minimum(Some(i64::MIN))
        .maximum(Some(i64::MAX))
        .into();
    match name {
        "org" => ("The organization's name.", named()),
        "project" => ("The project's name.", named()),
        "feed" => ("The feed's name (matched ignoring case).", named()),
        "package" => ("The package's (crate's) name.", text()),
        "version" => ("The version (semver).", text()),
        "view" => ("The view's name, without the `@`.", named()),
        "source" => ("The upstream source's name.", text()),
        "id" => ("The id.", id),
        "job" => ("The warm job's id.", id),
        other => panic!("path parameter {{{other}}} has no description in openapi::path_parameter"),
    }
}

/// Declares each `{name}` of the path, in order, unless the operation does.
fn add_path_parameters(path: &str, op: &mut Operation) {
    let params = op.parameters.get_or_insert_with(Vec::new);
    let names: Vec<&str> = path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')).collect();
    for (at, name) in names.into_iter().enumerate() {
        if params.iter().any(|p| p.name == name && p.parameter_in == ParameterIn::Path) {
            continue;
        }
        let (description, schema) = path_parameter(name);
        let param = ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Path)
            .required(openapi::Required::True)
            .description(Some(description))
            .schema(Some(schema))
            .build();
        params.insert(at.min(params.len()), param);
    }
}

/// The shared answers, as named responses of the components.
fn shared_responses() -> Vec<(&'static str, openapi::Response)> {
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
    };
    let retry_after = HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0)))
        .description(Some("Seconds to wait before trying again."))
        .build();
    vec![
        ("BadRequest", error("A path or query value that does not parse, or a body that is not valid JSON.").build()),
        ("Unauthorized", error("Credentials needed, or a wrong, expired or revoked token.").build()),
        (
            "Forbidden",
            error("Not allowed: the caller's role or token, or a session's change without its CSRF token.").build(),
        ),
        ("PayloadTooLarge", error("A body over 64 KiB.").build()),
        ("UnsupportedMediaType", error("A body not sent as `application/json`.").build()),
        (
            "Invalid",
            error("A body of the wrong shape or with invalid fields: one entry per field, with `field`.").build(),
        ),
        (
            "Unavailable",
            error("The database cannot be reached or the server is busy: try again after `Retry-After`.")
                .header("Retry-After", retry_after)
                .build(),
        ),
    ]
}

/// Adds the shared answers the operation does not describe itself.
fn add_shared_responses(method: &Method, op: &mut Operation) {
    let json_body = op.request_body.as_ref().is_some_and(|body| body.content.contains_key("application/json"));
    let mut shared = vec![("400", "BadRequest"), ("401", "Unauthorized"), ("503", "Unavailable")];
    if method != Method::GET {
        shared.push(("403", "Forbidden"));
    }
    if json_body {
        shared.extend([("413", "PayloadTooLarge"), ("415", "UnsupportedMediaType"), ("422", "Invalid")]);
    }
    for (status, name) in shared {
        op.responses.responses.entry(status.to_owned()).or_insert_with(|| Ref::from_response_name(name).into());
    }
}

/// The credentials an operation takes; anonymous callers too where it said so.
fn add_security(method: &Method, op: &mut Operation) {
    let anonymous = op.security.as_ref().is_some_and(|list| list.contains(&SecurityRequirement::default()));
    let none = Vec::<String>::new;
    let session = if method == Method::GET {
        SecurityRequirement::new("session", none())
    } else {
        SecurityRequirement::new("session", none()).add("csrf", none())
    };
    let mut list = Vec::new();
    if anonymous {
        list.push(SecurityRequirement::default());
    }
    list.extend([
        SecurityRequirement::new("token", none()),
        SecurityRequirement::new("basic", none()),
        SecurityRequirement::new("cargoToken", none()),
        session,
    ]);
    op.security = Some(list);
}
