//! Schemas of the OpenAPI description for values whose Rust types live in other crates
//! (which stay free of utoipa) or are plain strings with a fixed set of values. Each mirrors
//! the serde form of the type it describes.
#![allow(dead_code, reason = "described, never built: the values are other types' serde forms")]

use utoipa::{
    PartialSchema, ToSchema,
    openapi::{KnownFormat, ObjectBuilder, RefOr, Schema, SchemaFormat, Type},
};

/// Who can read a feed: anyone, the organization's members, or only those with a role.
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Organization,
    Private,
}

/// Where a feed lives.
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ScopeKind {
    Organization,
    Project,
}

/// A role on a feed; each includes the ones below it.
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Reader,
    Collaborator,
    Contributor,
    Administrator,
    Owner,
}

/// What a personal access token may do: `read` packages, or also `write` (publish, change
/// settings, mint tokens).
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TokenScope {
    Read,
    Write,
}

/// What a feed does with versions a security advisory affects.
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AdvisoryPolicy {
    Warn,
    Hide,
    Block,
}

/// The kind of an upstream source: crates.io, any sparse index, or another feed of this
/// Wharf.
#[derive(ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    CratesIo,
    Sparse,
    Feed,
}

/// An event a webhook may take (wharf_service::webhooks::EVENTS).
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WebhookEvent {
    Publish,
    Yank,
    Unyank,
    Delete,
    Restore,
    Promote,
}

/// A warm job: `running` until every entry was looked at, then `done`.
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WarmState {
    Running,
    Done,
}

/// A request body taken as raw bytes (any content type).
pub struct Binary;

impl PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for Binary {}
