//! The registries of a feed's views: `@local` (what the feed holds, without upstreams) and
//! the named views (what was promoted to them). Nothing is saved through a view, and
//! nothing of a view is cached: each request reads its lines from the database. A view
//! serves through its feed's policies: it offers a version only as the feed itself offers
//! it to the same caller (marked yanked where the feed marks it: quarantined, hidden by an
//! advisory, removed or yanked upstream), and refuses the downloads the feed refuses.

use std::{collections::HashMap, sync::Arc};

use wharf_auth::Principal;
use wharf_db::{DbError, Feed, View};

use super::{
    Download, DownloadError, IndexError, Registry,
    index::{NO_UPSTREAM, Rendered},
};
use crate::views::ViewSel;

/// A view's registry, resolved.
#[derive(Debug, Clone)]
pub enum ViewTarget {
    Local,
    View(View),
}

impl ViewTarget {
    /// `feed@view`, as messages name it.
    fn label(&self, feed: &Feed) -> String {
        match self {
            ViewTarget::Local => format!("{}@local", feed.name),
            ViewTarget::View(view) => format!("{}@{}", feed.name, view.name),
        }
    }
}

impl Registry {
    /// The view a registry URL names; `None` for the feed itself, `NotFound` for a view the
    /// feed does not have.
    pub(crate) async fn view(&self, feed: &Feed, sel: &ViewSel) -> Result<Option<ViewTarget>, DbError> {
        Ok(match sel {
            ViewSel::Feed => None,
            ViewSel::Local => Some(ViewTarget::Local),
            ViewSel::Named(name) => {
                Some(ViewTarget::View(self.db.views().get(feed.id, name).await.map_err(|e| match e {
                    DbError::NotFound(_) => {
                        DbError::NotFound(format!("Feed '{}' has no view named '{name}'.", feed.name))
                    }
                    e => e,
                })?))
            }
        })
    }

    /// The index file of `name` (lower-cased) in a view of `feed`, as `caller` may see it.
    pub(crate) async fn view_index_file(
        &self,
        feed: &Feed,
        view: &ViewTarget,
        name: &str,
        caller: &Principal,
    ) -> Result<Arc<Rendered>, IndexError> {
        self.view_index_file_at(feed, view, name, caller, 0).await
    }

    /// [`Registry::view_index_file`] of a feed `depth` feeds down a chain of feed sources.
    pub(super) async fn view_index_file_at(
        &self,
        feed: &Feed,
        view: &ViewTarget,
        name: &str,
        caller: &Principal,
        depth: u8,
    ) -> Result<Arc<Rendered>, IndexError> {
        let not_found = || IndexError::NotFound { krate: name.to_owned(), feed: view.label(feed) };
        let lines = match view {
            ViewTarget::Local => self.db.packages().own_lines(feed.id, name).await?,
            ViewTarget::View(view) => self.db.views().lines(view.id, name).await?,
        };
        if lines.is_empty() {
            return Err(not_found());
        }
        // What the feed serves of the name, every policy applied.
        let served = match self.index_file_at(feed, name, caller, depth).await {
            Ok((rendered, _)) => rendered,
            Err(IndexError::NotFound { .. }) => return Err(not_found()),
            Err(e) => return Err(e),
        };
        let offered: HashMap<String, bool> =
            wharf_index::lines(&served.body).map(|(_, line)| (line.vers, line.yanked)).collect();
        // Only the versions the feed offers (the dependency-confusion guard hides saved
        // upstream versions of a local name from the feed, so from its views too).
        let lines: Vec<&str> = lines
            .iter()
            .map(String::as_str)
            .filter(|line| {
                wharf_index::lines(line.as_bytes()).next().is_some_and(|(_, l)| offered.contains_key(&l.vers))
            })
            .collect();
        let body = wharf_index::merge(None, &lines).ok_or_else(not_found)?;
        let yanked = offered.into_iter().filter(|(_, yanked)| *yanked).map(|(vers, _)| vers).collect();
        let body = wharf_index::mark_yanked(&body, &yanked);
        Ok(Arc::new(Rendered::new(body, NO_UPSTREAM, served.judged.clone())))
    }

    /// A crate file of a view: only a version the view lists.
    pub(crate) async fn view_download(
        &self,
        feed: &Feed,
        view: &ViewTarget,
        name: &str,
        version: &str,
    ) -> Result<Download, DownloadError> {
        let key = name.to_ascii_lowercase();
        let stored = match view {
            ViewTarget::Local => self.db.packages().find_version(feed.id, &key, version).await?,
            ViewTarget::View(view) => self.db.views().find_version(view.id, &key, version).await?,
        };
        let stored = stored.ok_or_else(|| DownloadError::NotFound {
            krate: name.to_owned(),
            version: version.to_owned(),
            feed: view.label(feed),
        })?;
        self.serve_found(feed, &key, name, version, &stored).await
    }
}
