//! Wharf's domain: the vocabulary shared by the server, the database layer and the
//! portal (which compiles this crate to WASM too, so it stays free of I/O).

pub mod badge;
pub mod feed;
pub mod fields;
pub mod name;
pub mod package;
pub mod permissions;
pub mod settings;
pub mod snippet;
pub mod urls;
pub mod vocabulary;

pub use feed::{AdvisoryPolicy, FeedDraft, FeedPatch, FieldError, FieldErrors, ScopeKind, Visibility};
pub use name::{Description, FeedName, NameError};
pub use permissions::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN, Role, TokenScope};
pub use settings::{FeedSettings, FeedSettingsPatch};
pub use urls::{FeedLocation, PublicUrl, safe_next};
pub use vocabulary::{DeliveryState, Origin, SourceKind, WarmState, WebhookEvent};
