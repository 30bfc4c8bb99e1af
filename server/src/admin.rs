//! `wharf admin …`: accounts and tokens from the command line, for headless servers and
//! automation. Talks to the database directly, so it works while the server runs; the
//! server reads tokens from the database on every request, so a revocation takes effect
//! at once.

use std::io::Read;

use wharf_auth::accounts;
use wharf_db::{Db, DbError, TokenRef};
use wharf_service::audit::{self, Actor, Entry, Origin};

use crate::{
    auth::{IssueError, issue_token},
    config::{AdminArgs, AdminCommand},
};

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
    let result = audit::within(Origin::CLI, run_on(&db, &args.store, args.command, stdin)).await;
    db.close().await;
    result
}

async fn run_on(
    db: &Db,
    store: &crate::config::StoreArgs,
    command: AdminCommand,
    mut stdin: impl Read,
) -> Result<String, AdminError> {
    match command {
        AdminCommand::CreateUser { name, password_stdin: _, admin } => {
            let mut password = String::new();
            stdin.read_to_string(&mut password).map_err(AdminError::Stdin)?;
            // One trailing newline from `echo` or a here-string is not part of the password.
            let password = password.strip_suffix('\n').map(|p| p.strip_suffix('\r').unwrap_or(p)).unwrap_or(&password);
            let user = accounts::create(db, accounts::Kind::User { admin }, &name, password, None).await.map_err(
                |e| match e {
                    accounts::AccountError::Invalid(errors) => AdminError::Invalid(
                        errors.0.iter().map(|e| format!("--{}: {}", e.field, e.message)).collect::<Vec<_>>().join(" "),
                    ),
                    accounts::AccountError::Busy(e) => AdminError::Invalid(e.to_string()),
                    accounts::AccountError::Db(e) => AdminError::Db(e),
                },
            )?;
            let role = if user.is_admin { "administrator" } else { "user" };
            audit::write(db, Actor::COMMAND_LINE, &Entry::instance("account.create", &user.name).detail(role)).await;
            Ok(format!("Created {role} '{}', a member of organization 'default'.", user.name))
        }
        AdminCommand::CreateToken { user, name, scope, expires_days } => {
            let (user, _) = db.users().by_name(&user).await?;
            let (info, secret) =
                issue_token(db, user.id, &name, scope, expires_days, None).await.map_err(|e| match e {
                    IssueError::Invalid(errors) => AdminError::Invalid(errors.to_string()),
                    IssueError::Db(e) => AdminError::Db(e),
                })?;
            let expiry = match expires_days {
                Some(d) => format!("expires in {d} days"),
                None => "never expires".to_owned(),
            };
            let entry = Entry::instance("token.create", format!("{} of {}", info.name, user.name))
                .detail(format!("scope {}; {expiry}", scope.label()));
            audit::write(db, Actor::COMMAND_LINE, &entry).await;
            Ok(format!(
                "Token '{}' for {} ({}; {expiry}). It is shown only this once:\n{secret}",
                info.name,
                user.name,
                scope.label()
            ))
        }
        AdminCommand::RevokeToken { user, name } => {
            let (user, _) = db.users().by_name(&user).await?;
            let tokens = db.tokens().revoke(user.id, TokenRef::Name(&name)).await?;
            let entry = Entry::instance("token.revoke", format!("{name} of {}", user.name))
                .detail(format!("{} token(s) revoked", tokens.len()));
            audit::write(db, Actor::COMMAND_LINE, &entry).await;
            // Running replicas drop their cached tokens.
            wharf_service::relay::announce(db, wharf_service::Change::TokenRevoked { tokens }).await;
            Ok(format!("Revoked token '{name}' of {}.", user.name))
        }
        AdminCommand::Backup { out, storage_url } => {
            crate::backup::backup(db, store, &out, storage_url.as_deref()).await.map_err(AdminError::Invalid)
        }
        AdminCommand::Restore { .. } => Err(AdminError::Invalid("restore runs before the database is opened".into())),
        AdminCommand::ImportAdvisories { path } => {
            use wharf_service::advisories::{ImportFrom, MAX_TARBALL, store};
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
            let report = store(db, Actor::COMMAND_LINE, from).await.map_err(|e| match e {
                wharf_service::CoreError::Invalid(errors) => {
                    AdminError::Invalid(errors.0.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join(" "))
                }
                other => AdminError::Invalid(other.to_string()),
            })?;
            wharf_service::relay::announce(db, wharf_service::Change::AdvisoriesImported).await;
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
