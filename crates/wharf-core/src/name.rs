//! Names of feeds (and of organizations and projects, which follow the same rule).

use std::fmt;

/// Longest feed name accepted, in characters.
pub const MAX_NAME_LEN: usize = 64;
/// Longest feed description accepted, in characters.
pub const MAX_DESCRIPTION_LEN: usize = 1024;

/// A valid feed name: 1–64 ASCII letters, digits, `-`, `_` or `.`, starting with a
/// letter or digit. Uniqueness is case-insensitive, see [`FeedName::key`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FeedName(String);

/// Why a name was refused; `Display` is the message shown to the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameError {
    Empty,
    TooLong { len: usize },
    BadStart(char),
    BadChar(char),
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::Empty => f.write_str("Enter a name."),
            NameError::TooLong { len } => write!(f, "The name is {len} characters long; use at most {MAX_NAME_LEN}."),
            NameError::BadStart(c) => {
                write!(f, "The name must start with a letter or a digit, not {}.", describe_char(*c))
            }
            NameError::BadChar(c) => write!(
                f,
                "The name may contain only letters, digits, '-', '_' and '.'; {} is not allowed.",
                describe_char(*c)
            ),
        }
    }
}

impl std::error::Error for NameError {}

fn describe_char(c: char) -> String {
    if c == ' ' {
        "a space".to_owned()
    } else if c.is_control() {
        format!("the control character U+{:04X}", c as u32)
    } else {
        format!("'{c}'")
    }
}

impl FeedName {
    /// Checks `raw` (surrounding whitespace is ignored) against the naming rule.
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let name = raw.trim();
        let mut chars = name.chars();
        let first = chars.next().ok_or(NameError::Empty)?;
        let len = name.chars().count();
        if len > MAX_NAME_LEN {
            return Err(NameError::TooLong { len });
        }
        if !first.is_ascii_alphanumeric() {
            return Err(NameError::BadStart(first));
        }
        if let Some(bad) = chars.find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
            return Err(NameError::BadChar(bad));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name as the user spelled it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key names are compared by: two feeds whose keys are equal collide.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for FeedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A feed description: optional free text, at most [`MAX_DESCRIPTION_LEN`] characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Description(String);

impl Description {
    /// Trims `raw` and checks its length and that it holds no control characters
    /// other than line breaks and tabs.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let text = raw.trim();
        let len = text.chars().count();
        if len > MAX_DESCRIPTION_LEN {
            return Err(format!("The description is {len} characters long; use at most {MAX_DESCRIPTION_LEN}."));
        }
        if let Some(c) = text.chars().find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
            return Err(format!("The description contains {}, which is not allowed.", describe_char(c)));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_names() {
        for ok in ["a", "Z", "7", "team-feed", "team_feed.v2", "A1-b2_c3.d4", &"x".repeat(64)] {
            let name = FeedName::parse(ok).unwrap_or_else(|e| panic!("{ok:?} refused: {e}"));
            assert_eq!(name.as_str(), ok);
        }
    }

    #[test]
    fn trims_surrounding_whitespace() {
        assert_eq!(FeedName::parse("  feed \t").unwrap().as_str(), "feed");
    }

    #[test]
    fn refuses_empty_names() {
        assert_eq!(FeedName::parse(""), Err(NameError::Empty));
        assert_eq!(FeedName::parse("   "), Err(NameError::Empty));
    }

    #[test]
    fn refuses_long_names() {
        assert_eq!(FeedName::parse(&"x".repeat(65)), Err(NameError::TooLong { len: 65 }));
        assert_eq!(
            FeedName::parse(&"x".repeat(65)).unwrap_err().to_string(),
            "The name is 65 characters long; use at most 64."
        );
    }

    #[test]
    fn refuses_bad_first_characters() {
        for (raw, c) in [("-feed", '-'), ("_feed", '_'), (".feed", '.'), ("éfeed", 'é')] {
            assert_eq!(FeedName::parse(raw), Err(NameError::BadStart(c)), "{raw}");
        }
    }

    #[test]
    fn refuses_bad_characters() {
        for (raw, c) in [("my feed", ' '), ("feed/x", '/'), ("fééd", 'é'), ("a+b", '+'), ("a\u{7}", '\u{7}')] {
            assert_eq!(FeedName::parse(raw), Err(NameError::BadChar(c)), "{raw}");
        }
        assert_eq!(
            FeedName::parse("my feed").unwrap_err().to_string(),
            "The name may contain only letters, digits, '-', '_' and '.'; a space is not allowed."
        );
    }

    #[test]
    fn keys_ignore_case() {
        assert_eq!(FeedName::parse("My-Feed").unwrap().key(), FeedName::parse("my-FEED").unwrap().key());
    }

    #[test]
    fn descriptions_are_bounded() {
        assert_eq!(Description::parse("  hi  ").unwrap().as_str(), "hi");
        assert!(Description::parse(&"d".repeat(1024)).is_ok());
        assert!(Description::parse(&"d".repeat(1025)).is_err());
        assert!(Description::parse("line\nbreak").is_ok());
        assert!(Description::parse("bell\u{7}").is_err());
    }
}
