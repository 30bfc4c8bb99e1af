//! Command line and environment: every setting is a flag and a `WHARF_*` variable.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use clap::{Args, Parser, Subcommand, ValueEnum};
use wharf_core::PublicUrl;

pub use wharf_service::registry::publish::DEFAULT_MAX_CRATE_SIZE;

/// Wharf: Cargo feeds with a browser portal.
#[derive(Debug, Parser)]
#[command(name = "wharf", version, about, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default when no command is given).
    Serve(Box<ServeArgs>),
    /// Manage accounts and tokens; works while the server runs.
    Admin(AdminArgs),
    /// Save every crates.io package of a Cargo.lock into a feed of a running Wharf.
    Warm(WarmArgs),
    /// Write a feed as a bundle (--out) or as a static sparse registry (--static-dir).
    Export(ExportArgs),
    /// Load a bundle written by `wharf export` into a feed (created if missing).
    Import(ImportArgs),
}

/// `wharf export --feed ORG[/PROJECT]/FEED (--out FILE | --static-dir DIR --base-url URL)`.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["out", "static_dir"])))]
pub struct ExportArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Where crate files are kept, as for `wharf serve` (default: file://<data-dir>/storage).
    #[arg(long, env = "WHARF_STORAGE_URL")]
    pub storage_url: Option<String>,
    /// The feed: ORG/FEED or ORG/PROJECT/FEED.
    #[arg(long)]
    pub feed: String,
    /// Write a bundle (a tar file with a checksum manifest) to this file.
    #[arg(long, conflicts_with = "static_dir")]
    pub out: Option<PathBuf>,
    /// Write a static sparse registry into this directory, for any web server to serve.
    #[arg(long, requires = "base_url")]
    pub static_dir: Option<PathBuf>,
    /// The URL the static directory will be served at (its config.json's `dl` points there).
    #[arg(long, requires = "static_dir")]
    pub base_url: Option<String>,
}

/// `wharf import FILE --feed ORG[/PROJECT]/FEED [--owner NAME]`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Where crate files are kept, as for `wharf serve` (default: file://<data-dir>/storage).
    #[arg(long, env = "WHARF_STORAGE_URL")]
    pub storage_url: Option<String>,
    /// The feed to load into: ORG/FEED or ORG/PROJECT/FEED.
    #[arg(long)]
    pub feed: String,
    /// When the feed does not exist, create it (with the bundle's description and
    /// visibility, and no upstream) with this account as its Owner.
    #[arg(long)]
    pub owner: Option<String>,
    /// The bundle.
    pub bundle: PathBuf,
}

impl StoreArgs {
    /// The crate file store: `url`, or the data directory's.
    pub fn storage(&self, url: Option<&str>) -> Result<StorageUrl, String> {
        match url {
            Some(url) => StorageUrl::parse(url).map_err(|e| format!("--storage-url: {e}")),
            None => Ok(StorageUrl::File(self.data_dir.join("storage"))),
        }
    }
}

/// `wharf warm --url … --token … --feed ORG[/PROJECT]/FEED Cargo.lock`.
#[derive(Debug, Clone, Args)]
pub struct WarmArgs {
    /// The Wharf to talk to, e.g. https://pkgs.example.com.
    #[arg(long, env = "WHARF_URL")]
    pub url: String,
    /// A personal access token that may save into the feed (Collaborator and up).
    #[arg(long, env = "WHARF_TOKEN", hide_env_values = true)]
    pub token: String,
    /// The feed: ORG/FEED or ORG/PROJECT/FEED.
    #[arg(long)]
    pub feed: String,
    /// The lockfile.
    pub lockfile: PathBuf,
}

/// Where Wharf keeps its data; shared by `serve` and `admin`.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Directory for the SQLite database and stored crate files.
    #[arg(long, env = "WHARF_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,

    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB.
    /// Default: SQLite file wharf.db in the data directory.
    #[arg(long, env = "WHARF_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
}

impl StoreArgs {
    /// The database URL, defaulting to the SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("wharf.db").display()),
        }
    }
}

/// `wharf admin …`.
#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account, a member of organization `default`; the password is read from stdin.
    CreateUser {
        #[arg(long)]
        name: String,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Make the account an instance administrator.
        #[arg(long)]
        admin: bool,
    },
    /// Create a personal access token for a user and print it (alone on the last line).
    CreateToken {
        #[arg(long)]
        user: String,
        #[arg(long)]
        name: String,
        /// read (Packaging: read) or write (Packaging: read & write).
        #[arg(long, value_parser = parse_scope)]
        scope: wharf_core::TokenScope,
        /// Days until the token expires (default: never).
        #[arg(long)]
        expires_days: Option<u32>,
    },
    /// Revoke a user's token by name; effective at once, also for a running server.
    RevokeToken {
        #[arg(long)]
        user: String,
        #[arg(long)]
        name: String,
    },
    /// Import the RustSec advisory database: a checkout of the advisory-db repository, or
    /// a .tar.gz of it.
    ImportAdvisories {
        /// A directory holding `crates/{crate}/RUSTSEC-….md`, or a tarball of one.
        path: PathBuf,
    },
    /// Back up the instance while it runs: on SQLite a consistent copy of the database,
    /// and every stored crate file (on PostgreSQL, run pg_dump first; see the README).
    Backup {
        /// A new (or empty) directory for the backup.
        #[arg(long)]
        out: PathBuf,
        /// Where crate files are kept, as for `wharf serve` (default: file://<data-dir>/storage).
        #[arg(long, env = "WHARF_STORAGE_URL")]
        storage_url: Option<String>,
    },
    /// Restore a backup made by `wharf admin backup`, with no server running: the SQLite
    /// database (which must not exist yet) and the crate files.
    Restore {
        /// The backup directory.
        dir: PathBuf,
        /// Where crate files go, as for `wharf serve` (default: file://<data-dir>/storage).
        #[arg(long, env = "WHARF_STORAGE_URL")]
        storage_url: Option<String>,
    },
}

fn parse_scope(s: &str) -> Result<wharf_core::TokenScope, String> {
    s.parse()
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Settings of `wharf serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "WHARF_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Base of every absolute URL Wharf hands out (index URLs, snippets), e.g.
    /// https://pkgs.example.com or https://example.com/wharf behind a proxy.
    /// Default: http://<listen>, or https://<listen> with --tls-cert.
    #[arg(long, env = "WHARF_PUBLIC_URL")]
    pub public_url: Option<String>,

    #[command(flatten)]
    pub store: StoreArgs,

    /// Where crate files are kept: file://PATH, or s3://BUCKET[/PREFIX] for any
    /// S3-compatible store, configured through AWS_ENDPOINT, AWS_ACCESS_KEY_ID,
    /// AWS_SECRET_ACCESS_KEY, AWS_REGION and AWS_ALLOW_HTTP.
    /// Default: file://<data-dir>/storage.
    #[arg(long, env = "WHARF_STORAGE_URL")]
    pub storage_url: Option<String>,

    /// Serve the portal's CSS/JS/WASM from this directory instead of the copy built into
    /// the binary (for development).
    #[arg(long, env = "WHARF_SITE_DIR")]
    pub site_dir: Option<PathBuf>,

    /// Log format.
    #[arg(long, env = "WHARF_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,

    /// Sparse index of the upstream feeds with "Include packages from crates.io" use.
    /// Default: crates.io's (tame-index's CRATES_IO_HTTP_INDEX).
    #[arg(long, env = "WHARF_UPSTREAM_INDEX")]
    pub upstream_index: Option<String>,

    /// Seconds an upstream index file is served from cache before it is revalidated.
    #[arg(long, env = "WHARF_UPSTREAM_TTL", default_value_t = 300)]
    pub upstream_ttl: u64,

    /// Seconds to wait for the upstream's index before serving cached data instead.
    #[arg(long, env = "WHARF_UPSTREAM_TIMEOUT", default_value_t = 10)]
    pub upstream_timeout: u64,

    /// PEM certificate chain: serve https (HTTP/2 and HTTP/1.1) instead of http.
    #[arg(long, env = "WHARF_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key of --tls-cert.
    #[arg(long, env = "WHARF_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Largest .crate file a publish may carry, in bytes.
    #[arg(long, env = "WHARF_MAX_CRATE_SIZE", default_value_t = DEFAULT_MAX_CRATE_SIZE)]
    pub max_crate_size: usize,

    /// Reverse proxies (addresses or CIDR blocks, comma-separated) whose `X-Forwarded-For`
    /// names the real client; from any other peer the header is ignored.
    #[arg(long, env = "WHARF_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_cidr)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// On SIGTERM, keep serving this many seconds while `/_ready` answers 503, so that load
    /// balancers stop sending requests; then finish in-flight requests and stop.
    #[arg(long, env = "WHARF_DRAIN_SECONDS", default_value_t = 0)]
    pub drain_seconds: u64,

    /// The key that seals secrets kept in the database (the tokens of upstream sources),
    /// at least 32 characters: `openssl rand -hex 32`. Every replica needs the same one.
    /// Without it, sources that need a token cannot be added.
    #[arg(long, env = "WHARF_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// When set, `/_metrics` answers only requests with `Authorization: Bearer <token>`.
    #[arg(long, env = "WHARF_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Where to fetch the RustSec advisory database from, as a .tar.gz of the advisory-db
    /// layout (for example GitHub's archive of rustsec/advisory-db), on a schedule.
    #[arg(long, env = "WHARF_ADVISORY_DB_URL")]
    pub advisory_db_url: Option<String>,

    /// Hours between two fetches of `--advisory-db-url`.
    #[arg(long, env = "WHARF_ADVISORY_DB_REFRESH_HOURS", default_value_t = 24,
          value_parser = clap::value_parser!(u64).range(1..=8760))]
    pub advisory_db_refresh_hours: u64,

    /// Days the audit log keeps a record (1 to 36500); older records are removed hourly.
    #[arg(long, env = "WHARF_AUDIT_RETENTION_DAYS", default_value_t = 365,
          value_parser = clap::value_parser!(i64).range(1..=36_500))]
    pub audit_retention_days: i64,

    /// Seconds a request body may take to arrive whole; a slower one is cut off (408).
    #[arg(long, env = "WHARF_BODY_TIMEOUT", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout: u64,
}

fn parse_cidr(s: &str) -> Result<ipnet::IpNet, String> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{s:?} is neither an address nor a CIDR block (like 10.0.0.0/8)"))
}

/// How long a request body may take to arrive whole, unless `--body-timeout` says otherwise.
pub const DEFAULT_BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Who may speak for clients, who may read the metrics, and how long a body may take.
#[derive(Clone)]
pub struct Network {
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// sha256 of the metrics token, when one is set (the token itself is not kept).
    pub metrics_token_hash: Option<String>,
    /// How long a request body may take to arrive whole.
    pub body_timeout: std::time::Duration,
}

impl Default for Network {
    fn default() -> Self {
        Network { trusted_proxies: Vec::new(), metrics_token_hash: None, body_timeout: DEFAULT_BODY_TIMEOUT }
    }
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network")
            .field("trusted_proxies", &self.trusted_proxies)
            .field("metrics_token", &self.metrics_token_hash.as_ref().map(|_| "<set>"))
            .field("body_timeout", &self.body_timeout)
            .finish()
    }
}

/// Settings resolved and checked, ready for [`crate::startup::serve`].
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub public_url: PublicUrl,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// Where crate files are kept.
    pub storage: StorageUrl,
    pub site_dir: Option<PathBuf>,
    pub log_format: LogFormat,
    pub upstream: UpstreamConfig,
    /// Certificate chain and key files, when serving https.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Largest .crate file a publish may carry, in bytes.
    pub max_crate_size: usize,
    pub network: Network,
    /// How long `/_ready` answers 503 before the listener closes on SIGTERM.
    pub drain: std::time::Duration,
    /// Seals upstream sources' tokens.
    pub secret_key: Option<Arc<SecretKey>>,
    /// Days the audit log keeps a record.
    pub audit_retention_days: i64,
    /// The advisory database to fetch, and how often.
    pub advisory_db: Option<(String, std::time::Duration)>,
    /// The time the cooldown and retention rules run on (the system's; tests move it).
    pub clock: wharf_service::clock::Clock,
}

pub use wharf_service::{
    registry::{
        sources::SecretKey,
        upstream::{UpstreamConfig, UpstreamLimits},
    },
    storage::StorageUrl,
};

/// What the command line asks for.
pub enum Invocation {
    Serve(Box<ServeConfig>),
    Admin(AdminArgs),
    Warm(WarmArgs),
    Export(ExportArgs),
    Import(ImportArgs),
}

impl Cli {
    pub fn into_invocation(self) -> Invocation {
        match self.command {
            Some(Command::Admin(args)) => Invocation::Admin(args),
            Some(Command::Warm(args)) => Invocation::Warm(args),
            Some(Command::Export(args)) => Invocation::Export(args),
            Some(Command::Import(args)) => Invocation::Import(args),
            Some(Command::Serve(args)) => Invocation::Serve(Box::new(Self::checked(*args))),
            None => Invocation::Serve(Box::new(Self::checked(self.serve))),
        }
    }

    fn checked(args: ServeArgs) -> ServeConfig {
        args.resolve().unwrap_or_else(|message| {
            use clap::CommandFactory;
            Cli::command().error(clap::error::ErrorKind::ValueValidation, message).exit()
        })
    }
}

impl ServeArgs {
    /// Fills in defaults that depend on other settings and validates the public URL.
    pub fn resolve(self) -> Result<ServeConfig, String> {
        let public_url = match &self.public_url {
            Some(url) => PublicUrl::parse(url).map_err(|e| format!("--public-url: {e}"))?,
            None => {
                let scheme = if self.tls_cert.is_some() { "https" } else { "http" };
                PublicUrl::parse(&format!("{scheme}://{}", self.listen)).map_err(|e| format!("--listen: {e}"))?
            }
        };
        let database_url = self.store.database_url();
        let storage = self.store.storage(self.storage_url.as_deref())?;
        let upstream = UpstreamConfig::new(
            self.upstream_index.as_deref().unwrap_or(tame_index::CRATES_IO_HTTP_INDEX),
            std::time::Duration::from_secs(self.upstream_ttl),
            std::time::Duration::from_secs(self.upstream_timeout.max(1)),
        )
        .map_err(|e| format!("--upstream-index: {e}"))?;
        let secret_key = match self.secret_key.as_deref().filter(|k| !k.is_empty()) {
            Some(secret) => Some(Arc::new(SecretKey::from_secret(secret).map_err(|e| format!("--secret-key: {e}"))?)),
            None => None,
        };
        Ok(ServeConfig {
            secret_key,
            audit_retention_days: self.audit_retention_days,
            clock: Default::default(),
            advisory_db: match self.advisory_db_url.filter(|u| !u.is_empty()) {
                Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                    Some((url, std::time::Duration::from_secs(self.advisory_db_refresh_hours * 3600)))
                }
                Some(url) => return Err(format!("--advisory-db-url: '{url}' is not an http(s) URL")),
                None => None,
            },
            listen: self.listen,
            public_url,
            data_dir: self.store.data_dir,
            database_url,
            storage,
            site_dir: self.site_dir,
            log_format: self.log_format,
            upstream,
            tls: self.tls_cert.zip(self.tls_key),
            max_crate_size: self.max_crate_size,
            drain: std::time::Duration::from_secs(self.drain_seconds),
            network: Network {
                trusted_proxies: self.trusted_proxies,
                metrics_token_hash: self.metrics_token.filter(|t| !t.is_empty()).map(|t| wharf_auth::hash_token(&t)),
                body_timeout: std::time::Duration::from_secs(self.body_timeout),
            },
        })
    }
}
