//! Every path and absolute URL Wharf hands out, built in one place.

use std::fmt;

/// The base every absolute URL is built from (scheme, host, port and an optional path
/// prefix), without a trailing slash, e.g. `https://pkgs.example.com/wharf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    /// Accepts an `http://` or `https://` base URL with no query or fragment.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let rest = raw
            .strip_prefix("http://")
            .or_else(|| raw.strip_prefix("https://"))
            .ok_or_else(|| format!("the public URL must start with http:// or https:// (got {raw:?})"))?;
        if rest.is_empty() || rest.starts_with('/') {
            return Err(format!("the public URL has no host (got {raw:?})"));
        }
        // Not only spaces: a browser drops tabs and newlines and a URL parser trims control
        // characters, so a base holding them would not be the URL it seems.
        if rest.contains(['?', '#']) || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!(
                "the public URL may not contain a query, fragment, space or control character (got {raw:?})"
            ));
        }
        let base = raw.trim_end_matches('/');
        // What a URL parser (and so a browser) makes of it must be what it says: a host,
        // no user name or password, and the same text back.
        let parsed = url::Url::parse(&format!("{base}/"))
            .map_err(|e| format!("the public URL is not a URL: {e} (got {raw:?})"))?;
        if parsed.host_str().is_none_or(str::is_empty) || !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(format!("the public URL must name a host and no user (got {raw:?})"));
        }
        if !parsed.as_str().eq_ignore_ascii_case(&format!("{base}/")) {
            return Err(format!(
                "the public URL is not in its plain form; use {} (got {raw:?})",
                parsed.as_str().trim_end_matches('/')
            ));
        }
        Ok(Self(base.to_owned()))
    }

    /// Joins an absolute path (starting with `/`) onto the base.
    pub fn join(&self, path: &str) -> String {
        debug_assert!(path.starts_with('/'), "{path} is not absolute");
        format!("{}{path}", self.0)
    }

    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where the browser may be sent after signing in: `next` resolved against the public URL,
/// if it stays on the same origin. Returns the path (with query) to redirect to, always
/// starting with one `/`, ASCII only and free of control characters, so it is a valid
/// `Location` header. `None` for anything else: another host (`//evil`, `/\t/evil`,
/// `https://evil`), a backslash, whitespace or a control character anywhere.
pub fn safe_next(base: &PublicUrl, next: &str) -> Option<String> {
    // Browsers drop TAB/CR/LF inside URLs and read `\` as `/`: refuse them outright
    // rather than guess what a browser will make of them.
    if !next.starts_with('/') || next.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\') {
        return None;
    }
    let origin = url::Url::parse(&base.join("/")).ok()?;
    let target = origin.join(next).ok()?;
    if target.origin() != origin.origin() || !target.username().is_empty() || target.password().is_some() {
        return None;
    }
    let mut path = target.path().to_owned();
    if let Some(query) = target.query() {
        path.push('?');
        path.push_str(query);
    }
    // `url` normalises `/..//x` to `//x`: that would be another host to a browser.
    (path.starts_with('/') && !path.starts_with("//")).then_some(path)
}

/// The organization and project an address is about: `/{org}/…`, and `/{org}/{project}/_…`
/// for a project's pages; `default` for the instance's own pages (`/`, `/_signin`, …).
pub fn scope_of_path(path: &str) -> (String, Option<String>) {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        [org, rest @ ..] if !org.starts_with('_') => {
            let project = match rest {
                [project, next, ..] if !project.starts_with('_') && next.starts_with('_') => {
                    Some((*project).to_owned())
                }
                _ => None,
            };
            ((*org).to_owned(), project)
        }
        _ => (pages::DEFAULT_ORG.to_owned(), None),
    }
}

/// The portal's pages that belong to no feed.
pub mod pages {
    /// An organization's feeds.
    pub fn feeds(org: &str) -> String {
        format!("/{org}/_artifacts")
    }

    /// The Create feed page of an organization.
    pub fn new_feed(org: &str) -> String {
        format!("/{org}/_artifacts/new")
    }

    /// A project's feeds, with the organization's.
    pub fn project_feeds(org: &str, project: &str) -> String {
        format!("/{org}/{project}/_artifacts")
    }

    /// An organization's projects (administrators).
    pub fn projects(org: &str) -> String {
        format!("/{org}/_settings/projects")
    }

    /// Every organization (administrators).
    pub const ORGANIZATIONS: &str = "/_settings/organizations";

    /// An organization's members (administrators).
    pub fn members(org: &str) -> String {
        format!("/{org}/_settings/members")
    }

    /// The signed-in user's personal access tokens.
    pub const TOKENS: &str = "/_user/tokens";
    /// The first setup.
    pub const SETUP: &str = "/_setup";
    /// Signing in.
    pub const SIGN_IN: &str = "/_signin";
    /// The organization every instance starts with.
    pub const DEFAULT_ORG: &str = "default";

    /// The sign-in page, coming back to `next` afterwards.
    pub fn sign_in(next: &str) -> String {
        if next.is_empty() || next == "/" {
            SIGN_IN.to_owned()
        } else {
            format!("{SIGN_IN}?next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>())
        }
    }
}

/// Where a feed sits: its organization, and its project unless it is organization-scoped.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FeedLocation {
    pub org: String,
    pub project: Option<String>,
    pub feed: String,
}

impl FeedLocation {
    /// The same feed's view `view`: its registry paths name `feed@view`.
    pub fn view(&self, view: &str) -> FeedLocation {
        FeedLocation { feed: format!("{}@{view}", self.feed), ..self.clone() }
    }

    /// `/{org}` or `/{org}/{project}`: the prefix of every URL of the feed's scope.
    pub fn scope_path(&self) -> String {
        match &self.project {
            Some(project) => format!("/{}/{project}", self.org),
            None => format!("/{}", self.org),
        }
    }

    /// The sparse index root, with the trailing slash cargo insists on.
    pub fn index_path(&self) -> String {
        format!("{}/_packaging/{}/Cargo/index/", self.scope_path(), self.feed)
    }

    /// The base of cargo's web API (`api` in config.json), without a trailing slash.
    pub fn api_path(&self) -> String {
        format!("{}/_packaging/{}/Cargo", self.scope_path(), self.feed)
    }

    /// A crate's version badge (SVG).
    pub fn badge_path(&self, krate: &str) -> String {
        format!("{}/badge/{krate}.svg", self.api_path())
    }

    /// The download base (`dl` in config.json); cargo appends `/{crate}/{version}/download`.
    pub fn download_path(&self) -> String {
        format!("{}/api/v1/crates", self.api_path())
    }

    /// The management REST resource of the feed.
    pub fn rest_path(&self) -> String {
        format!("{}/_apis/packaging/feeds/{}", self.scope_path(), self.feed)
    }

    /// The feed's page in the portal.
    pub fn page_path(&self) -> String {
        format!("{}/_artifacts/feed/{}", self.scope_path(), self.feed)
    }

    /// The feed's Connect to feed page in the portal.
    pub fn connect_path(&self) -> String {
        format!("{}/connect", self.page_path())
    }

    /// The feed's Settings page.
    pub fn settings_path(&self) -> String {
        format!("{}/settings", self.page_path())
    }

    /// The feed's Permissions page.
    pub fn permissions_path(&self) -> String {
        format!("{}/settings/permissions", self.page_path())
    }

    /// The feed's Views page.
    pub fn views_path(&self) -> String {
        format!("{}/settings/views", self.page_path())
    }

    /// The feed's Upstreams page.
    pub fn upstreams_path(&self) -> String {
        format!("{}/settings/upstreams", self.page_path())
    }

    /// The feed's Webhooks page.
    pub fn webhooks_path(&self) -> String {
        format!("{}/settings/webhooks", self.page_path())
    }

    /// The feed's Audit page (its audit log).
    pub fn audit_path(&self) -> String {
        format!("{}/settings/audit", self.page_path())
    }

    /// The feed's Warm page: upload a `Cargo.lock` (`POST` sends the form there).
    pub fn warm_path(&self) -> String {
        format!("{}/warm", self.page_path())
    }

    /// The page of one warm job of the feed.
    pub fn warm_job_path(&self, job: i64) -> String {
        format!("{}/warm/{job}", self.page_path())
    }

    /// The feed's Security page (the advisories that affect its versions).
    pub fn security_path(&self) -> String {
        format!("{}/security", self.page_path())
    }

    /// The feed's recycle bin page.
    pub fn recycle_bin_path(&self) -> String {
        format!("{}/recycle-bin", self.page_path())
    }

    /// A package's page in the feed.
    pub fn package_path(&self, package: &str) -> String {
        format!("{}/package/{package}", self.page_path())
    }

    /// The `sparse+…` index URL cargo is given.
    pub fn index_url(&self, base: &PublicUrl) -> String {
        format!("sparse+{}", base.join(&self.index_path()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project_feed() -> FeedLocation {
        FeedLocation { org: "default".into(), project: Some("web".into()), feed: "team".into() }
    }

    fn org_feed() -> FeedLocation {
        FeedLocation { org: "default".into(), project: None, feed: "shared".into() }
    }

    #[test]
    fn public_url_is_normalised() {
        assert_eq!(PublicUrl::parse("http://127.0.0.1:3000/").unwrap().as_str(), "http://127.0.0.1:3000");
        assert_eq!(PublicUrl::parse("https://h.example/wharf/").unwrap().join("/x"), "https://h.example/wharf/x");
        assert!(PublicUrl::parse("ftp://h").is_err());
        assert!(PublicUrl::parse("http://").is_err());
        assert!(PublicUrl::parse("http://h/?q").is_err());
        // What the fuzzer found: a user part and a host a URL parser would not keep.
        assert!(PublicUrl::parse("https://pkeom@epkeom@exmple.&rf").is_err());
        assert!(PublicUrl::parse("https://u:p@h.example").is_err());
        assert!(PublicUrl::parse("https://h.example/a/../b").is_err());
        assert!(PublicUrl::parse("https://H.example:443/x").is_err());
        // Found by fuzzing: a URL parser trims the control characters, a join keeps them.
        assert!(PublicUrl::parse("https://h\u{1}\0").is_err());
        assert!(PublicUrl::parse("https://h\u{2028}/").is_err());
    }

    #[test]
    fn project_scoped_paths() {
        let loc = project_feed();
        assert_eq!(loc.index_path(), "/default/web/_packaging/team/Cargo/index/");
        assert_eq!(loc.api_path(), "/default/web/_packaging/team/Cargo");
        assert_eq!(loc.download_path(), "/default/web/_packaging/team/Cargo/api/v1/crates");
        assert_eq!(loc.rest_path(), "/default/web/_apis/packaging/feeds/team");
        assert_eq!(loc.connect_path(), "/default/web/_artifacts/feed/team/connect");
    }

    #[test]
    fn organization_scoped_paths() {
        let loc = org_feed();
        assert_eq!(loc.index_path(), "/default/_packaging/shared/Cargo/index/");
        assert_eq!(loc.rest_path(), "/default/_apis/packaging/feeds/shared");
        assert_eq!(loc.page_path(), "/default/_artifacts/feed/shared");
    }

    #[test]
    fn index_url_uses_the_public_base() {
        let base = PublicUrl::parse("https://pkgs.example.com/wharf").unwrap();
        assert_eq!(
            org_feed().index_url(&base),
            "sparse+https://pkgs.example.com/wharf/default/_packaging/shared/Cargo/index/"
        );
    }

    #[test]
    fn the_scope_of_a_page_comes_from_its_address() {
        let scope = |p: &str| scope_of_path(p);
        assert_eq!(scope("/"), ("default".into(), None));
        assert_eq!(scope("/_signin"), ("default".into(), None));
        assert_eq!(scope("/acme/_artifacts"), ("acme".into(), None));
        assert_eq!(scope("/acme/web/_artifacts"), ("acme".into(), Some("web".into())));
        assert_eq!(scope("/acme/web/_artifacts/feed/team/connect"), ("acme".into(), Some("web".into())));
        assert_eq!(scope("/acme/_artifacts/feed/team"), ("acme".into(), None));
        assert_eq!(scope("/acme/_settings/projects"), ("acme".into(), None));
    }

    #[test]
    fn next_stays_on_this_origin() {
        let base = PublicUrl::parse("https://pkgs.example.com").unwrap();
        let ok = |n: &str| safe_next(&base, n);
        assert_eq!(ok("/").as_deref(), Some("/"));
        assert_eq!(ok("/default/_artifacts?x=1").as_deref(), Some("/default/_artifacts?x=1"));
        assert_eq!(ok("/a/../b").as_deref(), Some("/b"));
        assert_eq!(ok("/caf\u{e9}").as_deref(), Some("/caf%C3%A9"));
        for bad in [
            "",
            "//evil.example/x",
            "/\t/evil.example/x",
            "/\n/evil.example",
            "/\r\n/evil",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example/",
            "evil.example",
            "/x\u{0}y",
            "/x y",
            "/\u{7f}",
            "/..//evil.example",
            "/.//evil.example",
            "/%2e%2e//evil.example",
            "/x#\u{1}",
        ] {
            assert_eq!(ok(bad), None, "{bad:?} must be refused");
        }
    }
}
