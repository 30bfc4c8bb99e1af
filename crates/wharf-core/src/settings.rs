//! A feed's settings: what the feed does, as one typed value with one patch type and one
//! check. What the feed *is* (its name, description and visibility) and where it reads from
//! (its upstream sources) are not settings: they have columns and rules of their own
//! ([`crate::FeedPatch`]).
//!
//! The database keeps [`FeedSettings`] as one JSON object, REST shows and takes each setting
//! by its camelCase name, the portal's form and REST's `PATCH` both become a
//! [`FeedSettingsPatch`], and the audit record names what changed by comparing the values'
//! JSON. Adding a setting is therefore: a field of [`FeedSettings`] (and its default), a
//! field of [`FeedSettingsPatch`] (and its line in [`FeedSettingsPatch::apply`]), a line in
//! [`FeedSettings::check`] when it has a range, then the code that obeys it and its control
//! on the portal's settings page.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::fields::FieldErrors;

/// Most versions per package the retention rule may name.
pub const MAX_RETENTION_VERSIONS: i64 = 100_000;
/// Most days the retention rule may name.
pub const MAX_RETENTION_DAYS: i64 = 36_500;
/// Longest upstream cooldown, in days.
pub const MAX_COOLDOWN_DAYS: i64 = 365;

/// What a feed does. Every field has a default, so a value stored before a setting existed
/// reads with that setting's default. A number that can be off is `None` here and `0` in
/// JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct FeedSettings {
    /// Public feeds: may anonymous users save versions from the upstream?
    pub allow_anonymous_saves: bool,
    /// Retention: keep at most this many versions of each package (0: no limit).
    #[serde(with = "zero_is_off")]
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub retention_max_versions: Option<i64>,
    /// Retention: delete versions not downloaded for this many days (0: never).
    #[serde(with = "zero_is_off")]
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub retention_days: Option<i64>,
    /// Upstream versions younger than this many days are held back (0: off).
    #[serde(with = "zero_is_off")]
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub upstream_cooldown_days: Option<i64>,
    /// What the feed does with versions a security advisory affects.
    pub advisory_policy: AdvisoryPolicy,
    /// Whether versions removed upstream stay in new resolution (hidden by default).
    pub keep_removed_upstream: bool,
    /// Whether the feed draws version badges (off, their URLs answer 404).
    pub badges_enabled: bool,
}

impl Default for FeedSettings {
    fn default() -> Self {
        FeedSettings {
            allow_anonymous_saves: true,
            retention_max_versions: None,
            retention_days: None,
            upstream_cooldown_days: None,
            advisory_policy: AdvisoryPolicy::Warn,
            keep_removed_upstream: false,
            badges_enabled: true,
        }
    }
}

impl FeedSettings {
    /// Every value out of its range, by the setting's REST name, all at once.
    pub fn check(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut range = |field: &str, value: Option<i64>, max: i64| {
            if let Some(n) = value.filter(|n| !(1..=max).contains(n)) {
                errors
                    .push(field, format!("Enter a whole number from 1 to {max}, or 0 to turn the rule off (got {n})."));
            }
        };
        range("retentionMaxVersions", self.retention_max_versions, MAX_RETENTION_VERSIONS);
        range("retentionDays", self.retention_days, MAX_RETENTION_DAYS);
        range("upstreamCooldownDays", self.upstream_cooldown_days, MAX_COOLDOWN_DAYS);
        errors.into_result(|| ())
    }

    /// Whether a retention rule is on.
    pub fn retention_on(&self) -> bool {
        self.retention_max_versions.is_some() || self.retention_days.is_some()
    }
}

/// A change of settings: only the fields present (and not `null`) change; a number's `0`
/// turns it off. REST's `PATCH` body and the portal's settings form both read into it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FeedSettingsPatch {
    /// Public feeds: may anonymous users save versions from the upstream?
    pub allow_anonymous_saves: Option<bool>,
    /// Retention: keep at most this many versions of each package; 0 turns the rule off.
    pub retention_max_versions: Option<i64>,
    /// Retention: delete versions not downloaded for this many days; 0 turns the rule off.
    pub retention_days: Option<i64>,
    /// Hold back upstream versions younger than this many days; 0 turns it off.
    pub upstream_cooldown_days: Option<i64>,
    /// `warn`, `hide` or `block` versions a security advisory affects.
    pub advisory_policy: Option<AdvisoryPolicy>,
    /// Keep versions removed upstream in new resolution.
    pub keep_removed_upstream: Option<bool>,
    /// Draw version badges.
    pub badges_enabled: Option<bool>,
}

impl FeedSettingsPatch {
    /// `settings` with this patch's fields in place (not checked: see [`FeedSettings::check`]).
    pub fn apply(&self, settings: &FeedSettings) -> FeedSettings {
        let off = |n: i64| (n != 0).then_some(n);
        // Taken apart whole, so that a field added to the patch and forgotten here does not
        // compile.
        let FeedSettingsPatch {
            allow_anonymous_saves,
            retention_max_versions,
            retention_days,
            upstream_cooldown_days,
            advisory_policy,
            keep_removed_upstream,
            badges_enabled,
        } = self.clone();
        FeedSettings {
            allow_anonymous_saves: allow_anonymous_saves.unwrap_or(settings.allow_anonymous_saves),
            retention_max_versions: retention_max_versions.map_or(settings.retention_max_versions, off),
            retention_days: retention_days.map_or(settings.retention_days, off),
            upstream_cooldown_days: upstream_cooldown_days.map_or(settings.upstream_cooldown_days, off),
            advisory_policy: advisory_policy.unwrap_or(settings.advisory_policy),
            keep_removed_upstream: keep_removed_upstream.unwrap_or(settings.keep_removed_upstream),
            badges_enabled: badges_enabled.unwrap_or(settings.badges_enabled),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == FeedSettingsPatch::default()
    }
}

/// What a feed does with versions a security advisory affects. Malicious crates are
/// blocked whatever the policy says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
// Read through `FromStr`, so that a word it does not know is refused with a message naming
// the words it does.
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum AdvisoryPolicy {
    /// Mark them on the package and Security pages only.
    #[default]
    Warn,
    /// Also hide them from new resolution (the index marks them yanked; locked builds
    /// still download them).
    Hide,
    /// Also refuse their downloads.
    Block,
}

impl AdvisoryPolicy {
    pub const ALL: [AdvisoryPolicy; 3] = [AdvisoryPolicy::Warn, AdvisoryPolicy::Hide, AdvisoryPolicy::Block];

    pub fn as_str(self) -> &'static str {
        match self {
            AdvisoryPolicy::Warn => "warn",
            AdvisoryPolicy::Hide => "hide",
            AdvisoryPolicy::Block => "block",
        }
    }
}

impl FromStr for AdvisoryPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AdvisoryPolicy::ALL
            .into_iter()
            .find(|p| p.as_str() == s.trim())
            .ok_or_else(|| format!("'{s}' is not a policy: use warn, hide or block."))
    }
}

impl TryFrom<String> for AdvisoryPolicy {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// A number that can be off: `None` is written `0`, and `0` (or `null`) reads as `None`.
mod zero_is_off {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(value.unwrap_or(0))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        Ok(Option::<i64>::deserialize(d)?.filter(|n| *n != 0))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn stored_values_read_with_defaults_for_what_they_lack() {
        let settings: FeedSettings = serde_json::from_value(json!({"retentionDays": 30, "unknown": 1})).unwrap();
        assert_eq!(settings, FeedSettings { retention_days: Some(30), ..FeedSettings::default() });
        let back = serde_json::to_value(&settings).unwrap();
        assert_eq!(back["retentionDays"], json!(30));
        assert_eq!(back["retentionMaxVersions"], json!(0));
        assert_eq!(serde_json::from_value::<FeedSettings>(back).unwrap(), settings);
    }

    #[test]
    fn a_patch_changes_only_what_it_names_and_zero_turns_off() {
        let on = FeedSettings { upstream_cooldown_days: Some(7), ..FeedSettings::default() };
        let patch: FeedSettingsPatch =
            serde_json::from_value(json!({"upstreamCooldownDays": 0, "keepRemovedUpstream": true})).unwrap();
        let after = patch.apply(&on);
        assert_eq!(after.upstream_cooldown_days, None);
        assert!(after.keep_removed_upstream && after.allow_anonymous_saves);
        assert!(FeedSettingsPatch::default().apply(&on) == on && FeedSettingsPatch::default().is_empty());
    }

    #[test]
    fn every_setting_can_be_patched_by_its_name() {
        let settings = serde_json::to_value(FeedSettings::default()).unwrap();
        let patch = serde_json::to_value(FeedSettingsPatch::default()).unwrap();
        let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&settings), keys(&patch));
    }

    #[test]
    fn check_reports_every_value_out_of_range() {
        let bad = FeedSettings {
            retention_max_versions: Some(-3),
            upstream_cooldown_days: Some(MAX_COOLDOWN_DAYS + 1),
            ..FeedSettings::default()
        };
        let fields: Vec<String> = bad.check().unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["retentionMaxVersions", "upstreamCooldownDays"]);
        assert!(FeedSettings::default().check().is_ok());
    }
}
