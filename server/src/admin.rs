//! `wharf admin …`: accounts and tokens from the command line, for headless servers and
//! automation. Each command is a core operation called as [`Principal::Operator`], so its
//! checks, audit records and change events are the core's; the changes reach running
//! servers through the database when the command ends, so a revocation takes effect at
//! once.

use std::io::Read;

use wharf_db::{Db, DbError, TokenRef};
use wharf_service::{
    Core, CoreError, Principal,
    audit::{self, Via},
    members, tokens,
};

use crate::config::{AdminArgs, AdminCommand};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cannot read the password from standard input: {0}")]
    Stdin(std::io::Error),
}

/// Runs one admin command; returns what to print.
pub async fn run(args: AdminArgs, stdin: impl Read) -> Result<String, AdminError> {
    if let AdminCommand::Restore { dir, storage_url } = &args.command {
        // The database is written by the restore: it is not opened (nor created) first.
        return crate::backup::restore(&args.store, dir, storage_url.as_deref()).await.map_err(AdminError::Invalid);
    }
    if args.store.database_url.is_none() {
        std::fs::create_dir_all(&args.store.data_dir).map_err(|e| {
            AdminError::Invalid(format!("cannot create the data directory {}: {e}", args.store.data_dir.display()))
        })?;
    }
    let db = Db::connect(&args.store.database_url()).await?;
    let (core, _) = crate::command_line::core(&db).map_err(AdminError::Invalid)?;
    let servers = wharf_service::relay::CommandLine::listen(&core);
    let result = audit::within(Via::CLI, run_on(&core, &args.store, args.command, stdin)).await;
    servers.finish().await;
    db.close().await;
    result
}

/// A refusal of the core as the command line says it: each invalid field as `--field:
/// message`.
fn refused(e: CoreError) -> AdminError {
    match e {
        CoreError::Invalid(errors) => AdminError::Invalid(
            errors.0.iter().map(|e| format!("--{}: {}", e.field, e.message)).collect::<Vec<_>>().join(" "),
        ),
        other => AdminError::Invalid(other.to_string()),
    }
}

async fn run_on(
    core: &Core,
    store: &crate::config::StoreArgs,
    command: AdminCommand,
    mut stdin: impl Read,
) -> Result<String, AdminError> {
    let db = &core.db;
    let operator = Principal::Operator;
    match command {
        AdminCommand::CreateUser { name, password_stdin: _, admin } => {
            let mut password = String::new();
            stdin.read_to_string(&mut password).map_err(AdminError::Stdin)?;
            // One trailing newline from `echo` or a here-string is not part of the password.
            let password = password.strip_suffix('\n').map(|p| p.strip_suffix('\r').unwrap_or(p)).unwrap_or(&password);
            let new = members::NewAccount { name, password: password.to_owned(), admin };
            let user = members::create(core, &operator, wharf_db::scopes::DEFAULT_NAME, &new).await.map_err(refused)?;
            let role = if user.is_admin { "administrator" } else { "user" };
            Ok(format!("Created {role} '{}', a member of organization 'default'.", user.name))
        }
        AdminCommand::CreateToken { user, name, scope, expires_days } => {
            let new = tokens::NewToken { name, scope: scope.as_str().to_owned(), expires_in_days: expires_days };
            let (user, info, secret) = tokens::create_for(core, &operator, &user, &new).await.map_err(refused)?;
            let expiry = match expires_days {
                Some(d) => format!("expires in {d} days"),
                None => "never expires".to_owned(),
            };
            Ok(format!(
                "Token '{}' for {} ({}; {expiry}). It is shown only this once:\n{secret}",
                info.name,
                user.name,
                scope.label()
            ))
        }
        AdminCommand::RevokeToken { user, name } => {
            tokens::revoke_for(core, &operator, &user, TokenRef::Name(&name)).await.map_err(refused)?;
            Ok(format!("Revoked token '{name}' of {user}."))
        }
        AdminCommand::Backup { out, storage_url } => {
            crate::backup::backup(db, store, &out, storage_url.as_deref()).await.map_err(AdminError::Invalid)
        }
        AdminCommand::Restore { .. } => Err(AdminError::Invalid("restore runs before the database is opened".into())),
        AdminCommand::ImportAdvisories { path } => {
            use wharf_service::advisories::{ImportFrom, MAX_TARBALL, import};
            let tarball;
            let from = if path.is_dir() {
                ImportFrom::Directory(&path)
            } else {
                let size = std::fs::metadata(&path)
                    .map_err(|e| AdminError::Invalid(format!("cannot read {}: {e}", path.display())))?
                    .len();
                if size > MAX_TARBALL as u64 {
                    return Err(AdminError::Invalid(format!(
                        "{} is larger than {} MiB; point to the unpacked directory instead.",
                        path.display(),
                        MAX_TARBALL / (1024 * 1024)
                    )));
                }
                tarball = std::fs::read(&path)
                    .map_err(|e| AdminError::Invalid(format!("cannot read {}: {e}", path.display())))?;
                ImportFrom::Tarball(&tarball)
            };
            let report = import(core, &operator, from).await.map_err(|e| match e {
                CoreError::Invalid(errors) => {
                    AdminError::Invalid(errors.0.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" "))
                }
                other => AdminError::Invalid(other.to_string()),
            })?;
            let mut out = format!(
                "Read {} advisories: {} added, {} updated, {} unchanged, {} withdrawn removed; {} kept in all.",
                report.read,
                report.imported.added,
                report.imported.updated,
                report.imported.unchanged,
                report.imported.removed,
                report.total
            );
            for rejected in &report.rejected {
                out.push_str(&format!("\nskipped {rejected}"));
            }
            Ok(out)
        }
    }
}
