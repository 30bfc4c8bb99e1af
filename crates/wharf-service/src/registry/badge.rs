//! A crate's version badge for READMEs: the newest version the feed (or view) offers
//! cargo, or one asked for, drawn as SVG. Read with the same rules as cargo's index.

use wharf_core::badge::{Tone, svg};
use wharf_db::Feed;

use super::{IndexError, Registry, views::ViewTarget};

/// A badge, ready to serve.
#[derive(Debug, Clone)]
pub struct Badge {
    pub svg: String,
    pub etag: String,
    /// Whether the crate (and the version asked for) was found.
    pub found: bool,
}

impl Registry {
    /// The badge of `name` in `feed` (or its `view`): the newest version not yanked, a
    /// release before any pre-release; or `version` as asked.
    pub(crate) async fn badge(
        &self,
        feed: &Feed,
        view: Option<&ViewTarget>,
        name: &str,
        version: Option<&str>,
        caller: &wharf_auth::Principal,
    ) -> Result<Badge, IndexError> {
        let file = match view {
            None => self.index_file(feed, name, caller).await.map(|(rendered, _)| rendered),
            Some(view) => self.view_index_file(feed, view, name, caller).await,
        };
        let (value, tone) = match file {
            Ok(rendered) => {
                let lines: Vec<wharf_index::IndexLine> =
                    wharf_index::lines(&rendered.body).map(|(_, line)| line).collect();
                pick(&lines, version)
            }
            Err(IndexError::NotFound { .. }) => ("not found".to_owned(), Tone::Missing),
            Err(e) => return Err(e),
        };
        let body = svg(name, &value, tone);
        Ok(Badge { etag: super::etag_of(body.as_bytes()), svg: body, found: tone != Tone::Missing })
    }
}

impl Registry {
    /// The version cargo's search names for `name` (lower-cased) in `feed`: the newest the
    /// feed serves `caller` not yanked (a release before any pre-release), else the newest
    /// it serves; `None` when it serves nothing of it.
    pub(crate) async fn newest_served(
        &self,
        feed: &Feed,
        name: &str,
        caller: &wharf_auth::Principal,
    ) -> Result<Option<String>, wharf_db::DbError> {
        let rendered = match self.index_file(feed, name, caller).await {
            Ok((rendered, _)) => rendered,
            Err(IndexError::NotFound { .. } | IndexError::UpstreamDown { .. }) => return Ok(None),
            Err(IndexError::Db(e)) => return Err(e),
        };
        let lines: Vec<wharf_index::IndexLine> = wharf_index::lines(&rendered.body).map(|(_, line)| line).collect();
        let newest = |yanked: bool| {
            lines
                .iter()
                .filter(|l| yanked || !l.yanked)
                .filter_map(|l| semver::Version::parse(&l.vers).ok())
                .max_by_key(|v| (v.pre.is_empty(), v.clone()))
        };
        Ok(newest(false).or_else(|| newest(true)).map(|v| v.to_string()))
    }
}

/// What the badge says of `lines`.
fn pick(lines: &[wharf_index::IndexLine], asked: Option<&str>) -> (String, Tone) {
    if let Some(asked) = asked {
        return match lines.iter().find(|l| l.vers == asked) {
            Some(line) if line.yanked => (format!("v{} yanked", line.vers), Tone::Yanked),
            Some(line) if line.vers.contains('-') => (format!("v{}", line.vers), Tone::Prerelease),
            Some(line) => (format!("v{}", line.vers), Tone::Release),
            None => (format!("v{asked} not found"), Tone::Missing),
        };
    }
    let newest = |pre: bool| {
        lines
            .iter()
            .filter(|l| !l.yanked)
            .filter_map(|l| semver::Version::parse(&l.vers).ok())
            .filter(|v| pre || v.pre.is_empty())
            .max()
    };
    match (newest(false), newest(true)) {
        (Some(release), _) => (format!("v{release}"), Tone::Release),
        (None, Some(pre)) => (format!("v{pre}"), Tone::Prerelease),
        (None, None) => ("all yanked".to_owned(), Tone::Yanked),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(vers: &str, yanked: bool) -> wharf_index::IndexLine {
        wharf_index::IndexLine { name: "a".into(), vers: vers.into(), cksum: String::new(), yanked, pubtime: None }
    }

    #[test]
    fn the_newest_release_first_then_prereleases() {
        let lines = [line("1.0.0", false), line("1.10.0", false), line("1.9.0", false), line("2.0.0-rc.1", false)];
        assert_eq!(pick(&lines, None), ("v1.10.0".into(), Tone::Release));
        assert_eq!(pick(&[line("2.0.0-rc.1", false)], None), ("v2.0.0-rc.1".into(), Tone::Prerelease));
        assert_eq!(pick(&[line("1.0.0", true)], None), ("all yanked".into(), Tone::Yanked));
        assert_eq!(pick(&[line("1.0.0", true)], Some("1.0.0")), ("v1.0.0 yanked".into(), Tone::Yanked));
        assert_eq!(pick(&lines, Some("3.0.0")), ("v3.0.0 not found".into(), Tone::Missing));
    }
}
