//! Command line and environment: every setting is a flag and a `WHARF_*` variable.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};
use wharf_core::PublicUrl;

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
    Serve(ServeArgs),
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
    /// Default: http://<listen>.
    #[arg(long, env = "WHARF_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Directory for the SQLite database and stored crate files.
    #[arg(long, env = "WHARF_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB.
    /// Default: SQLite file wharf.db in the data directory.
    #[arg(long, env = "WHARF_DATABASE_URL")]
    pub database_url: Option<String>,

    /// Serve the portal's CSS/JS/WASM from this directory instead of the copy built into
    /// the binary (for development).
    #[arg(long, env = "WHARF_SITE_DIR")]
    pub site_dir: Option<PathBuf>,

    /// Log format.
    #[arg(long, env = "WHARF_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

/// Settings resolved and checked, ready for [`crate::startup::serve`].
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub public_url: PublicUrl,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub site_dir: Option<PathBuf>,
    pub log_format: LogFormat,
}

impl Cli {
    pub fn into_serve_config(self) -> ServeConfig {
        let args = match self.command {
            Some(Command::Serve(args)) => args,
            None => self.serve,
        };
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
            None => PublicUrl::parse(&format!("http://{}", self.listen)).map_err(|e| format!("--listen: {e}"))?,
        };
        let database_url = match self.database_url {
            Some(url) => url,
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("wharf.db").display()),
        };
        Ok(ServeConfig {
            listen: self.listen,
            public_url,
            data_dir: self.data_dir,
            database_url,
            site_dir: self.site_dir,
            log_format: self.log_format,
        })
    }
}
