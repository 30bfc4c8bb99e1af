//! The registries of a feed's views: `@local` (what the feed holds, without upstreams) and
//! the named views (what was promoted to them). Nothing is saved through a view, and
//! nothing of a view is cached: each request reads its lines from the database.

use std::sync::Arc;

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
    pub async fn view(&self, feed: &Feed, sel: &ViewSel) -> Result<Option<ViewTarget>, DbError> {
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

    /// The index file of `name` (lower-cased) in a view of `feed`.
    pub async fn view_index_file(
        &self,
        feed: &Feed,
        view: &ViewTarget,
        name: &str,
    ) -> Result<Arc<Rendered>, IndexError> {
        let lines = match view {
            ViewTarget::Local => self.db.packages().own_lines(feed.id, name).await?,
            ViewTarget::View(view) => self.db.views().lines(view.id, name).await?,
        };
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let body = wharf_index::merge(None, &lines)
            .ok_or_else(|| IndexError::NotFound { krate: name.to_owned(), feed: view.label(feed) })?;
        let body = self.quarantine_marked(feed.id, name, body).await?;
        Ok(Arc::new(Rendered::new(body, NO_UPSTREAM)))
    }

    /// A crate file of a view: only a version the view lists.
    pub async fn view_download(
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
