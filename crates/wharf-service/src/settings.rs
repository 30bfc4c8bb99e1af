//! A feed's settings as the adapters hand them over, and as the audit log names them. Each
//! works on the settings' JSON, never on one setting by name, so a setting added to
//! [`FeedSettings`] is read from REST and from the portal's form, and named in the audit
//! record, with no line here.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use wharf_core::{FeedSettings, FeedSettingsPatch, FieldErrors};

use crate::{CoreError, CoreResult};

/// The settings a JSON object names (REST's `PATCH` body less the feed's other fields).
/// A value of the wrong type, or a name that is no setting, is refused by its name.
pub fn from_json(object: Map<String, Value>) -> CoreResult<FeedSettingsPatch> {
    serde_path_to_error::deserialize(Value::Object(object)).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        let mut errors = FieldErrors::default();
        errors.push(&field, err.into_inner().to_string());
        CoreError::Invalid(errors)
    })
}

/// The settings an HTML form sends, by their REST names. The form shows every setting, so
/// a yes-or-no setting it does not send is a checkbox left unticked (off); an empty number
/// is `0` (off). What the form sends is read by the kind of each setting's JSON value.
pub fn from_form(fields: &BTreeMap<String, String>) -> CoreResult<FeedSettingsPatch> {
    let kinds = json_of(&FeedSettings::default());
    let mut object = Map::new();
    let mut errors = FieldErrors::default();
    for (name, kind) in &kinds {
        let text = fields.get(name).map(|t| t.trim());
        let value = match (kind, text) {
            (Value::Bool(_), text) => Value::Bool(text.is_some_and(|t| !matches!(t, "false" | "off"))),
            (_, None) => continue,
            (Value::Number(_), Some("")) => Value::from(0),
            (Value::Number(_), Some(text)) => match text.parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => {
                    errors.push(name, format!("Enter a whole number, or 0 to turn the rule off (got {text:?})."));
                    continue;
                }
            },
            (_, Some(text)) => Value::String(text.to_owned()),
        };
        object.insert(name.clone(), value);
    }
    for name in fields.keys().filter(|name| !kinds.contains_key(*name)) {
        errors.push(name, "This is not a setting of the feed.");
    }
    if !errors.is_empty() {
        return Err(CoreError::Invalid(errors));
    }
    from_json(object)
}

/// What changed between two values, by the settings' REST names in alphabetical order (the
/// same whatever order serde_json keeps): `upstreamCooldownDays: off → 7`. A number's `0`
/// reads "off", as everywhere.
pub fn changed(before: &FeedSettings, after: &FeedSettings) -> Vec<String> {
    let (before, after) = (json_of(before), json_of(after));
    let word = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if n.as_i64() == Some(0) => "off".to_owned(),
        Some(other) => other.to_string(),
        None => "unset".to_owned(),
    };
    let mut names: Vec<&String> = after.keys().filter(|name| before.get(*name) != after.get(*name)).collect();
    names.sort();
    names.into_iter().map(|name| format!("{name}: {} → {}", word(before.get(name)), word(after.get(name)))).collect()
}

/// The settings as a JSON object.
fn json_of(settings: &FeedSettings) -> Map<String, Value> {
    match serde_json::to_value(settings) {
        Ok(Value::Object(object)) => object,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn form(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_form_reads_checkboxes_numbers_and_words() {
        let patch = from_form(&form(&[
            ("keepRemovedUpstream", "on"),
            ("upstreamCooldownDays", " 7 "),
            ("retentionDays", ""),
            ("advisoryPolicy", "block"),
        ]))
        .unwrap();
        let after = patch.apply(&FeedSettings { retention_days: Some(30), ..FeedSettings::default() });
        assert!(after.keep_removed_upstream && !after.allow_anonymous_saves, "unticked is off");
        assert_eq!((after.upstream_cooldown_days, after.retention_days), (Some(7), None));
        assert_eq!(after.advisory_policy, wharf_core::AdvisoryPolicy::Block);
        assert_eq!(patch.retention_max_versions, None, "a number the form did not send stays");
    }

    #[test]
    fn a_form_and_an_object_are_refused_by_the_setting_named() {
        let Err(CoreError::Invalid(errors)) = from_form(&form(&[("retentionDays", "ten"), ("colour", "red")])) else {
            panic!("refused")
        };
        assert!(errors.get("retentionDays").is_some() && errors.get("colour").is_some(), "{errors}");
        let object = json!({"advisoryPolicy": "ignore"}).as_object().cloned().unwrap();
        let Err(CoreError::Invalid(errors)) = from_json(object) else { panic!("refused") };
        assert!(errors.get("advisoryPolicy").is_some_and(|m| m.contains("warn, hide or block")), "{errors}");
    }

    #[test]
    fn changes_are_named_from_the_values() {
        let before = FeedSettings::default();
        let after = FeedSettings { upstream_cooldown_days: Some(7), keep_removed_upstream: true, ..before.clone() };
        assert_eq!(changed(&before, &after), ["keepRemovedUpstream: false → true", "upstreamCooldownDays: off → 7"]);
        assert!(changed(&after, &after).is_empty());
    }
}
