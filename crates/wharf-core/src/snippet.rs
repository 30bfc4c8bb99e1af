//! The text of the Connect to feed page: what a user pastes into cargo's configuration.

use crate::feed::Visibility;

/// Everything the Connect snippets depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectInfo {
    /// The feed's name as it was created.
    pub feed: String,
    /// The `sparse+…/` index URL.
    pub index_url: String,
    pub visibility: Visibility,
    /// Whether the feed has crates.io as its upstream.
    pub includes_crates_io: bool,
    /// Absolute URL of the page where a personal access token is created.
    pub tokens_url: String,
}

/// The name the feed gets in cargo's `[registries]` table.
///
/// cargo accepts registry names made of letters, digits, `-` and `_` that do not start
/// with a digit, and reserves `crates-io`; feed names may also contain `.` and start with
/// a digit, so those are mapped to a name cargo takes.
pub fn registry_name(feed: &str) -> String {
    // `.` in a feed name, and the `@` of a view (`feed@release`), become `-`.
    let mut name: String = feed.chars().map(|c| if matches!(c, '.' | '@') { '-' } else { c }).collect();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, "feed-");
    }
    if name.eq_ignore_ascii_case("crates-io") {
        name.push_str("-feed");
    }
    name
}

/// The environment variable cargo reads the feed's token from (for CI).
pub fn token_env_var(feed: &str) -> String {
    format!("CARGO_REGISTRIES_{}_TOKEN", registry_name(feed).to_ascii_uppercase().replace('-', "_"))
}

impl ConnectInfo {
    pub fn registry_name(&self) -> String {
        registry_name(&self.feed)
    }

    /// The project's `.cargo/config.toml`.
    pub fn project_config(&self) -> String {
        let name = self.registry_name();
        let mut out = format!("[registries]\n{name} = {{ index = \"{}\" }}\n", self.index_url);
        if self.includes_crates_io {
            out.push_str(&format!("\n[source.crates-io]\nreplace-with = \"{name}\"\n"));
        }
        // cargo sends no token to a registry that requires one unless a credential
        // provider is configured; in the project's own file, a fresh CI runner with only
        // the token variable works too.
        if self.needs_credentials() {
            out.push('\n');
            out.push_str(&self.credential_config());
        }
        out
    }

    /// How a project adds `krate` from this feed: plainly where the feed replaces
    /// crates.io (naming the registry would add a second copy of a crates.io crate),
    /// else naming the registry.
    pub fn add_command(&self, krate: &str) -> String {
        match self.includes_crates_io {
            true => format!("cargo add {krate}\n"),
            false => format!("cargo add {krate} --registry {}\n", self.registry_name()),
        }
    }

    /// How a `Cargo.toml` depends on a crate from this feed; needed when crates.io is not
    /// replaced by the feed.
    pub fn dependency_example(&self) -> String {
        format!("[dependencies]\nmy-crate = {{ version = \"0.1\", registry = \"{}\" }}\n", self.registry_name())
    }

    /// Whether cargo must be set up with a token before it can read the feed.
    pub fn needs_credentials(&self) -> bool {
        self.visibility.requires_auth()
    }

    /// What lets cargo send a token (part of [`ConnectInfo::project_config`] for feeds
    /// that need one).
    pub fn credential_config(&self) -> String {
        "[registry]\nglobal-credential-providers = [\"cargo:token\"]\n".to_owned()
    }

    /// The command that stores a token for the feed (it reads the token from stdin).
    pub fn login_command(&self) -> String {
        format!("cargo login --registry {}", self.registry_name())
    }

    /// The environment variable CI systems set instead of running `cargo login`.
    pub fn token_env_var(&self) -> String {
        token_env_var(&self.feed)
    }

    /// `cargo publish` to this feed.
    pub fn publish_command(&self) -> String {
        format!("cargo publish --registry {}", self.registry_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::urls::{FeedLocation, PublicUrl};

    fn info(project: Option<&str>, feed: &str, visibility: Visibility, upstream: bool) -> ConnectInfo {
        let base = PublicUrl::parse("https://pkgs.example.com").unwrap();
        let loc = FeedLocation { org: "default".into(), project: project.map(Into::into), feed: feed.into() };
        ConnectInfo {
            feed: feed.into(),
            index_url: loc.index_url(&base),
            visibility,
            includes_crates_io: upstream,
            tokens_url: base.join("/_user/tokens"),
        }
    }

    /// Renders every snippet the Connect page would show, for one snapshot per case.
    fn page(i: &ConnectInfo) -> String {
        let mut out = format!("# .cargo/config.toml\n{}", i.project_config());
        if !i.includes_crates_io {
            out.push_str(&format!("\n# Cargo.toml\n{}", i.dependency_example()));
        }
        out.push_str(&format!("\n# add a crate\n{}", i.add_command("serde")));
        out.push_str(&format!("\n# shell\n{}\n# CI\n{}\n", i.login_command(), i.token_env_var()));
        out
    }

    #[test]
    fn project_public_with_upstream() {
        insta::assert_snapshot!(page(&info(Some("default"), "team", Visibility::Public, true)));
    }

    #[test]
    fn project_public_without_upstream() {
        insta::assert_snapshot!(page(&info(Some("default"), "team", Visibility::Public, false)));
    }

    #[test]
    fn project_organization_with_upstream() {
        insta::assert_snapshot!(page(&info(Some("default"), "team", Visibility::Organization, true)));
    }

    #[test]
    fn project_private_without_upstream() {
        insta::assert_snapshot!(page(&info(Some("default"), "team", Visibility::Private, false)));
    }

    #[test]
    fn organization_public_with_upstream() {
        insta::assert_snapshot!(page(&info(None, "shared", Visibility::Public, true)));
    }

    #[test]
    fn organization_organization_without_upstream() {
        insta::assert_snapshot!(page(&info(None, "shared", Visibility::Organization, false)));
    }

    #[test]
    fn organization_private_with_upstream() {
        insta::assert_snapshot!(page(&info(None, "Shared.Crates", Visibility::Private, true)));
    }

    #[test]
    fn registry_names_are_ones_cargo_accepts() {
        assert_eq!(registry_name("team_feed-1"), "team_feed-1");
        assert_eq!(registry_name("my.feed"), "my-feed");
        assert_eq!(registry_name("1st"), "feed-1st");
        assert_eq!(registry_name("Crates-IO"), "Crates-IO-feed");
        assert_eq!(token_env_var("my.feed-x"), "CARGO_REGISTRIES_MY_FEED_X_TOKEN");
    }
}
