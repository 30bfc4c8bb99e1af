//! The closed sets of values the domain names by word: an upstream source's kind, a
//! version's origin, a webhook's events, a warm job's and a delivery's state. Each is declared once, here, with
//! its words; serde, the REST description (feature `openapi`), the database and the portal
//! use these types, never the words by hand.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// Declares a closed set: the enum, `ALL`, `as_str`, `FromStr` (the message names every
/// word) and `Display`. Each word is its variant's name in kebab-case, which is how serde
/// and the REST description (`rename_all`) write it too; the tests hold the two together.
macro_rules! closed_set {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $($(#[$vmeta:meta])* $variant:ident = $word:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "kebab-case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in the order people read them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word for the value, as serde, the database and URLs write it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }

            /// Every word, comma-separated, for messages.
            pub fn words() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let s = s.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str().eq_ignore_ascii_case(s))
                    .ok_or_else(|| format!("'{s}' is not {}: choose from {}.", $what, Self::words()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

closed_set! {
    /// The kind of an upstream source: crates.io, any sparse index, or another feed of this
    /// Wharf.
    SourceKind, "a kind of source" {
        /// This instance's crates.io (its `--upstream-index`).
        CratesIo = "crates-io",
        /// A sparse registry at an address (Wharf administrators add these).
        Sparse = "sparse",
        /// A feed of this Wharf, or one of its views.
        Feed = "feed",
    }
}

closed_set! {
    /// Where a version a feed holds came from.
    Origin, "an origin" {
        /// Published to the feed.
        Local = "local",
        /// Saved from one of its upstream sources.
        Upstream = "upstream",
    }
}

closed_set! {
    /// An event a webhook may take.
    WebhookEvent, "an event" {
        /// A version was published.
        Publish = "publish",
        /// A version was yanked.
        Yank = "yank",
        /// A version was unyanked.
        Unyank = "unyank",
        /// A version was deleted to the recycle bin.
        Delete = "delete",
        /// A version was restored from the recycle bin.
        Restore = "restore",
        /// A version was promoted to a view.
        Promote = "promote",
    }
}

closed_set! {
    /// A warm job: `running` until every entry was looked at, then `done`.
    WarmState, "a warm job's state" {
        /// Entries are still being looked at.
        Running = "running",
        /// Every entry was looked at; the report is final.
        Done = "done",
    }
}

closed_set! {
    /// A webhook delivery: `pending` until it is answered with 2xx (`delivered`) or its
    /// tries run out (`failed`).
    DeliveryState, "a delivery's state" {
        /// Waiting for its next try.
        Pending = "pending",
        /// Answered with a 2xx status.
        Delivered = "delivered",
        /// Every try failed.
        Failed = "failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each word is what serde writes (and reads), and parses back to its value.
    fn round_trip<T>(all: &[T])
    where
        T: Copy + PartialEq + fmt::Debug + fmt::Display + Serialize + for<'de> Deserialize<'de> + FromStr,
    {
        for value in all {
            let word = value.to_string();
            assert_eq!(serde_json::to_string(value).unwrap(), format!("\"{word}\""), "{value:?}");
            assert_eq!(serde_json::from_str::<T>(&format!("\"{word}\"")).unwrap(), *value);
            assert!(word.parse::<T>().is_ok_and(|parsed| parsed == *value), "{word}");
        }
    }

    #[test]
    fn words_round_trip_through_strings_and_serde() {
        round_trip(SourceKind::ALL);
        round_trip(Origin::ALL);
        round_trip(WebhookEvent::ALL);
        round_trip(WarmState::ALL);
        round_trip(DeliveryState::ALL);
        assert_eq!("Crates-IO ".parse::<SourceKind>(), Ok(SourceKind::CratesIo));
        assert_eq!(WebhookEvent::ALL.len(), 6);
        let message = "push".parse::<WebhookEvent>().unwrap_err();
        assert_eq!(message, "'push' is not an event: choose from publish, yank, unyank, delete, restore, promote.");
        assert!(serde_json::from_str::<WarmState>("\"paused\"").is_err());
        assert_eq!(serde_json::from_str::<DeliveryState>("\"failed\"").unwrap(), DeliveryState::Failed);
    }
}
