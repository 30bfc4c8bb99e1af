//! What a feed is made of, and the validation of a feed being created or changed.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

pub use crate::{
    fields::{FieldError, FieldErrors},
    settings::AdvisoryPolicy,
};
use crate::{
    name::{Description, FeedName},
    settings::{FeedSettings, FeedSettingsPatch},
};

/// Who can read a feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Anyone, anonymous users included.
    Public,
    /// Every member of the feed's organization.
    Organization,
    /// Only people given a role on the feed.
    Private,
}

impl Visibility {
    pub const ALL: [Visibility; 3] = [Visibility::Public, Visibility::Organization, Visibility::Private];

    /// The value stored in the database and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Organization => "organization",
            Visibility::Private => "private",
        }
    }

    /// The word shown in the portal.
    pub fn label(self) -> &'static str {
        match self {
            Visibility::Public => "Public",
            Visibility::Organization => "Organization",
            Visibility::Private => "Private",
        }
    }

    /// Whether cargo must present a token to read the feed.
    pub fn requires_auth(self) -> bool {
        !matches!(self, Visibility::Public)
    }
}

impl FromStr for Visibility {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Visibility::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("Choose a visibility: public, organization or private (got {s:?})."))
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a feed lives: the whole organization, or one of its projects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ScopeKind {
    Organization,
    Project,
}

impl ScopeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeKind::Organization => "organization",
            ScopeKind::Project => "project",
        }
    }
}

impl FromStr for ScopeKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "organization" => Ok(ScopeKind::Organization),
            "project" => Ok(ScopeKind::Project),
            _ => Err(format!("Choose a scope: project or organization (got {s:?}).")),
        }
    }
}

/// A feed about to be created, every field already valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedDraft {
    pub name: FeedName,
    pub description: Description,
    pub visibility: Visibility,
    pub includes_crates_io: bool,
    /// Its settings from the start (the defaults, or those of a feed it is a copy of).
    pub settings: FeedSettings,
}

impl FeedDraft {
    /// Validates raw input, reporting every bad field at once.
    pub fn parse(
        name: &str,
        description: Option<&str>,
        visibility: &str,
        includes_crates_io: bool,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = FeedName::parse(name).map_err(|e| errors.push("name", e.to_string())).ok();
        let description =
            Description::parse(description.unwrap_or_default()).map_err(|e| errors.push("description", e)).ok();
        let visibility = visibility.parse::<Visibility>().map_err(|e| errors.push("visibility", e)).ok();
        match (name, description, visibility) {
            (Some(name), Some(description), Some(visibility)) if errors.is_empty() => {
                Ok(FeedDraft { name, description, visibility, includes_crates_io, settings: FeedSettings::default() })
            }
            _ => Err(errors),
        }
    }
}

/// A change to an existing feed; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedPatch {
    pub name: Option<FeedName>,
    pub description: Option<Description>,
    pub visibility: Option<Visibility>,
    pub includes_crates_io: Option<bool>,
    /// The settings to change, already checked against the feed's current ones.
    pub settings: Option<FeedSettingsPatch>,
}

impl FeedPatch {
    /// Validates the fields present, reporting every bad one at once.
    pub fn parse(
        name: Option<&str>,
        description: Option<&str>,
        visibility: Option<&str>,
        includes_crates_io: Option<bool>,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = name.and_then(|n| FeedName::parse(n).map_err(|e| errors.push("name", e.to_string())).ok());
        let description =
            description.and_then(|d| Description::parse(d).map_err(|e| errors.push("description", e)).ok());
        let visibility = visibility.and_then(|v| v.parse().map_err(|e| errors.push("visibility", e)).ok());
        errors.into_result(|| FeedPatch { name, description, visibility, includes_crates_io, settings: None })
    }

    pub fn is_empty(&self) -> bool {
        *self == FeedPatch::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility_round_trips() {
        for v in Visibility::ALL {
            assert_eq!(v.as_str().parse::<Visibility>(), Ok(v));
            assert_eq!(v.label().parse::<Visibility>(), Ok(v));
        }
        assert!("secret".parse::<Visibility>().is_err());
    }

    #[test]
    fn draft_reports_every_bad_field() {
        let errors = FeedDraft::parse("bad name", Some(&"x".repeat(2000)), "secret", false).unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "description", "visibility"]);
    }

    #[test]
    fn draft_accepts_good_input() {
        let draft = FeedDraft::parse(" team ", None, "Private", true).unwrap();
        assert_eq!(draft.name.as_str(), "team");
        assert_eq!(draft.description.as_str(), "");
        assert_eq!(draft.visibility, Visibility::Private);
        assert!(draft.includes_crates_io);
    }

    #[test]
    fn patch_validates_only_present_fields() {
        assert!(FeedPatch::parse(None, None, None, None).unwrap().is_empty());
        assert_eq!(FeedPatch::parse(Some(""), None, Some("nope"), None).unwrap_err().0.len(), 2);
    }
}
