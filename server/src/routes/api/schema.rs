//! Schemas of the OpenAPI description for values that have no Rust type of their own, and
//! the joining of flattened ones. The domain's enums and a feed's settings describe
//! themselves (`wharf_core`'s `openapi` feature).

use utoipa::{
    PartialSchema, ToSchema,
    openapi::{
        Components, KnownFormat, Object, ObjectBuilder, RefOr, Schema, SchemaFormat, Type,
        schema::{AdditionalProperties, AllOf},
    },
};

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

/// Joins each `allOf` that the derive writes for a `#[serde(flatten)]`ed field (a feed's
/// settings, in its resource and its `PATCH` body) into the one object the JSON is: the
/// parts' properties (the struct's own first), their required ones, and closed
/// (`additionalProperties: false`) when a part is. An `allOf` with a part that is not an
/// object stays as it is. The schemas named in `sent_whole` are answers that always carry
/// every property (the flattened part's serde defaults matter only when it is read), so
/// each of their properties is required.
pub fn join_flattened(components: &mut Components, sent_whole: &[&str]) {
    let joined: Vec<(String, Object)> = components
        .schemas
        .iter()
        .filter_map(|(name, schema)| match schema {
            RefOr::T(Schema::AllOf(all)) => Some((name.clone(), join(all, components)?)),
            _ => None,
        })
        .collect();
    for (name, mut object) in joined {
        if sent_whole.contains(&name.as_str()) {
            object.required = object.properties.keys().cloned().collect();
            object.properties.values_mut().for_each(drop_default);
        }
        components.schemas.insert(name, RefOr::T(Schema::Object(object)));
    }
}

/// A property of an answer without the default the derive gives it from `Default` (what
/// the value is when read, which an answer never is); a `oneOf` left with one choice
/// becomes that choice.
fn drop_default(property: &mut RefOr<Schema>) {
    match property {
        RefOr::T(Schema::Object(object)) => object.default = None,
        RefOr::T(Schema::OneOf(one)) if one.items.len() == 1 => {
            let only = one.items.remove(0);
            *property = only;
        }
        RefOr::T(Schema::OneOf(one)) => one.default = None,
        _ => {}
    }
}

fn join(all: &AllOf, components: &Components) -> Option<Object> {
    let object_of = |part: &RefOr<Schema>| match part {
        RefOr::T(Schema::Object(object)) => Some(object.clone()),
        RefOr::Ref(r) => match components.schemas.get(r.ref_location.strip_prefix("#/components/schemas/")?) {
            Some(RefOr::T(Schema::Object(object))) => Some(object.clone()),
            _ => None,
        },
        _ => None,
    };
    // The derive puts the flattened parts (references) first; the struct's own fields lead.
    let (own, flattened): (Vec<_>, Vec<_>) = all.items.iter().partition(|part| matches!(part, RefOr::T(_)));
    let mut parts = own.into_iter().chain(flattened).map(object_of).collect::<Option<Vec<Object>>>()?.into_iter();
    let mut joined = parts.next()?;
    for part in parts {
        joined.properties.extend(part.properties);
        joined.required.extend(part.required);
        if matches!(part.additional_properties.as_deref(), Some(AdditionalProperties::FreeForm(false))) {
            joined.additional_properties = part.additional_properties;
        }
    }
    joined.description = all.description.clone().or(joined.description);
    Some(joined)
}
