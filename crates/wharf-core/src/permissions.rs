//! Who may do what: feed roles and token scopes.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longest password accepted (hashing is deliberately slow; unbounded input is a DoS).
pub const MAX_PASSWORD_LEN: usize = 1024;

/// A role on a feed; each includes the ones below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads the feed and the versions it holds.
    Reader,
    /// Also saves versions from the upstream into the feed.
    Collaborator,
    /// Also publishes, yanks and unyanks.
    Contributor,
    /// Also manages the feed's settings and permissions.
    Administrator,
    /// Everything, including deleting the feed.
    Owner,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Reader, Role::Collaborator, Role::Contributor, Role::Administrator, Role::Owner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Collaborator => "collaborator",
            Role::Contributor => "contributor",
            Role::Administrator => "administrator",
            Role::Owner => "owner",
        }
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(s.trim())).ok_or_else(|| {
            format!("Unknown role {s:?}: use reader, collaborator, contributor, administrator or owner.")
        })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a personal access token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum TokenScope {
    /// Packaging: read.
    Read,
    /// Packaging: read & write.
    Write,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Write => "write",
        }
    }

    /// The name the portal shows.
    pub fn label(self) -> &'static str {
        match self {
            TokenScope::Read => "Packaging: read",
            TokenScope::Write => "Packaging: read & write",
        }
    }
}

impl FromStr for TokenScope {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "read" => Ok(TokenScope::Read),
            "write" => Ok(TokenScope::Write),
            _ => Err(format!("Unknown token scope {s:?}: use read or write.")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_round_trip() {
        assert!(Role::Reader < Role::Collaborator && Role::Administrator < Role::Owner);
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("admin".parse::<Role>().is_err());
        assert_eq!("WRITE".parse::<TokenScope>(), Ok(TokenScope::Write));
        assert!("all".parse::<TokenScope>().is_err());
    }
}
