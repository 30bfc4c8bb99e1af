//! The Cargo sparse-registry format, the parts Wharf serves and proxies: where a crate's
//! index file lives, what an index line says, how a feed's own lines merge with an
//! upstream's file, `config.json`, and how an upstream's `dl` turns into a download URL.

pub mod advisory;
pub mod bundle;
mod config;
pub mod crate_file;
mod entry;
mod line;
pub mod lockfile;
mod merge;
mod path;
pub mod publish;
mod toml_walk;

pub use config::{DlTemplate, RegistryConfig};
pub use entry::{IndexDependency, IndexEntry};
pub use line::{IndexLine, lines, mark_yanked, retain, strict_json};
pub use merge::merge;
pub use path::{PathError, index_path, name_from_index_path, validate_crate_name, validate_new_crate_name};
