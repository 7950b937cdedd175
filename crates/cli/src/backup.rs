//! `kangyang backup`, `kangyang restore` and `kangyang migrate-to-postgres`.
//!
//! A backup is the engine's own consistent copy: SQLite's `VACUUM INTO`
//! (a transactionally consistent copy taken while the server runs, WAL
//! readers and writers carrying on) or `pg_dump`'s custom format. The key
//! file is never in a backup: it is kept apart, and a restore checks that the
//! key it is given opens the restored data before putting it in place.

use crate::commands::{open_app, CmdResult};
use crate::DataArgs;
use kangyang_store::{database_copy, Dialect, Store};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn sqlite_file(data: &DataArgs) -> PathBuf {
    data.data_dir.join("kangyang.db")
}

fn sqlite_url_of(file: &Path) -> String {
    format!("sqlite://{}", file.display())
}

/// Writes a consistent copy of the running database to `to`.
pub async fn backup(data: &DataArgs, to: &Path) -> CmdResult {
    if to.exists() {
        return Err(format!(
            "{} already exists; a backup never overwrites a file",
            to.display()
        ));
    }
    match &data.database_url {
        Some(url) => {
            pg_tool(
                Command::new("pg_dump")
                    .arg("--format=custom")
                    .arg("--file")
                    .arg(to)
                    .arg(url),
                "pg_dump",
            )?;
        }
        None => {
            let file = sqlite_file(data);
            if !file.exists() {
                return Err(format!("no database at {}", file.display()));
            }
            let store = Store::connect(&sqlite_url_of(&file))
                .await
                .map_err(|e| e.to_string())?;
            // VACUUM INTO reads in one transaction: a snapshot, while the
            // server goes on writing.
            let mut conn = store.pool().acquire().await.map_err(|e| e.to_string())?;
            database_copy::sqlite_copy_to(&mut conn, &to.display().to_string())
                .await
                .map_err(|e| format!("backup failed: {e}"))?;
            drop(conn);
            store.close().await;
            restrict(to)?;
        }
    }
    let size = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    println!(
        "backup written to {} ({} bytes); the key file is not in it: keep a copy of it apart",
        to.display(),
        size
    );
    Ok(ExitCode::SUCCESS)
}

/// The register is sensitive: the copy is readable by its owner only.
fn restrict(file: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("cannot restrict {}: {e}", file.display()))
}

fn pg_tool(cmd: &mut Command, name: &str) -> Result<(), String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {name} (is the PostgreSQL client installed?): {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{name} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Puts a backup in place of the database. The server must be stopped.
pub async fn restore(data: &DataArgs, from: &Path, force: bool) -> CmdResult {
    if !from.is_file() {
        return Err(format!("no backup file at {}", from.display()));
    }
    match &data.database_url {
        Some(url) => restore_postgres(data, url, from, force).await,
        None => restore_sqlite(data, from, force).await,
    }
}

async fn restore_sqlite(data: &DataArgs, from: &Path, force: bool) -> CmdResult {
    std::fs::create_dir_all(&data.data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data.data_dir.display()))?;
    let target = sqlite_file(data);
    if target.exists() && !force {
        return Err(format!(
            "a database is already at {}; pass --force to replace it (it is kept beside as kangyang.db.before-restore-…)",
            target.display()
        ));
    }
    // Check the copy where it will live, before anything is replaced.
    let staged = data.data_dir.join("kangyang.db.restoring");
    let _ = std::fs::remove_file(&staged);
    std::fs::copy(from, &staged).map_err(|e| format!("cannot copy the backup: {e}"))?;
    restrict(&staged)?;
    let checked = check_sqlite(data, &staged).await;
    if let Err(e) = checked {
        let _ = std::fs::remove_file(&staged);
        return Err(e);
    }
    if target.exists() {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let kept = data
            .data_dir
            .join(format!("kangyang.db.before-restore-{stamp}"));
        std::fs::rename(&target, &kept)
            .map_err(|e| format!("cannot move the old database: {e}"))?;
        // The old database's WAL belongs with it.
        for suffix in ["-wal", "-shm"] {
            let side = data.data_dir.join(format!("kangyang.db{suffix}"));
            if side.exists() {
                let _ = std::fs::rename(&side, kept.with_extension(format!("db{suffix}")));
            }
        }
        println!("the old database is kept as {}", kept.display());
    }
    std::fs::rename(&staged, &target)
        .map_err(|e| format!("cannot put the backup in place: {e}"))?;
    println!("restored {} into {}", from.display(), target.display());
    Ok(ExitCode::SUCCESS)
}

/// A SQLite copy is sound, of a schema this binary knows, and opens with
/// the key file: otherwise it is not restored.
async fn check_sqlite(data: &DataArgs, file: &Path) -> Result<(), String> {
    let store = Store::open(&sqlite_url_of(file))
        .await
        .map_err(|e| format!("the backup cannot be opened: {e}"))?;
    let mut conn = store.pool().acquire().await.map_err(|e| e.to_string())?;
    let verdict = database_copy::sqlite_integrity(&mut conn)
        .await
        .map_err(|e| format!("the backup cannot be read: {e}"))?;
    drop(conn);
    store.close().await;
    if verdict != "ok" {
        return Err(format!("the backup is damaged: {verdict}"));
    }
    // Opening it as the server would checks the key against it.
    let probe = tempfile_dir(&data.data_dir)?;
    std::fs::rename(file, probe.join("kangyang.db")).map_err(|e| e.to_string())?;
    let opened = open_app(&DataArgs {
        data_dir: probe.clone(),
        database_url: None,
        key_file: Some(key_path(data)),
    })
    .await;
    std::fs::rename(probe.join("kangyang.db"), file).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_dir_all(&probe);
    match opened {
        Ok(app) => {
            app.store().close().await;
            Ok(())
        }
        Err(e) => Err(format!("the backup does not open with this key file: {e}")),
    }
}

fn key_path(data: &DataArgs) -> PathBuf {
    data.key_file
        .clone()
        .unwrap_or_else(|| data.data_dir.join("kangyang.key"))
}

/// A private scratch directory beside the data.
fn tempfile_dir(data_dir: &Path) -> Result<PathBuf, String> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = data_dir.join(format!("restore-check-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

async fn restore_postgres(data: &DataArgs, url: &str, from: &Path, force: bool) -> CmdResult {
    let store = Store::connect(url).await.map_err(|e| e.to_string())?;
    let mut conn = store.pool().acquire().await.map_err(|e| e.to_string())?;
    let tables = database_copy::table_count(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    drop(conn);
    store.close().await;
    if tables > 0 && !force {
        return Err(
            "the target database is not empty; restore into a new database, or pass --force to replace what is there"
                .into(),
        );
    }
    let mut cmd = Command::new("pg_restore");
    cmd.arg("--single-transaction")
        .arg("--no-owner")
        .arg("--exit-on-error");
    if tables > 0 {
        cmd.arg("--clean").arg("--if-exists");
    }
    cmd.arg("--dbname").arg(url).arg(from);
    pg_tool(&mut cmd, "pg_restore")?;
    let app = open_app(data)
        .await
        .map_err(|e| format!("restored, but it does not open with this key file: {e}"))?;
    app.store().close().await;
    println!("restored {} into the PostgreSQL database", from.display());
    Ok(ExitCode::SUCCESS)
}

/// Copies the SQLite deployment of `--data-dir` into the empty PostgreSQL
/// database `to`, all or nothing, and checks every table's row count.
pub async fn migrate_to_postgres(data: &DataArgs, to: &str) -> CmdResult {
    if Dialect::from_url(to).ok() != Some(Dialect::Postgres) {
        return Err("--to must be a postgres:// URL".into());
    }
    let source_args = DataArgs {
        database_url: None,
        ..data.clone()
    };
    if !sqlite_file(&source_args).exists() {
        return Err(format!(
            "no SQLite database at {}",
            sqlite_file(&source_args).display()
        ));
    }
    // Open as the server would: migrated to this binary's schema, key checked.
    let source = open_app(&source_args).await?;
    let target = Store::open(to).await.map_err(|e| e.to_string())?;
    let mut from = source
        .store()
        .pool()
        .begin()
        .await
        .map_err(|e| e.to_string())?;
    let mut tx = target.pool().begin().await.map_err(|e| e.to_string())?;
    let copied = database_copy::copy_all(&mut from, &mut tx)
        .await
        .map_err(|e| format!("nothing was copied: {e}"))?;
    tx.commit().await.map_err(|e| e.to_string())?;
    let source_counts = database_copy::counts(&mut from)
        .await
        .map_err(|e| e.to_string())?;
    from.rollback().await.map_err(|e| e.to_string())?;
    let mut conn = target.pool().acquire().await.map_err(|e| e.to_string())?;
    let target_counts = database_copy::counts(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    drop(conn);
    target.close().await;
    source.store().close().await;
    let rows: u64 = copied.iter().map(|(_, n)| n).sum();
    for (table, n) in &source_counts {
        let there = target_counts
            .iter()
            .find(|(t, _)| t == table)
            .map(|(_, m)| *m);
        if there != Some(*n) {
            return Err(format!(
                "table {table}: {n} rows in SQLite but {there:?} in PostgreSQL"
            ));
        }
    }
    // The copy opens with the same key file, as the server will open it.
    let app = open_app(&DataArgs {
        database_url: Some(to.to_owned()),
        key_file: Some(key_path(data)),
        data_dir: data.data_dir.clone(),
    })
    .await
    .map_err(|e| format!("copied, but the copy does not open: {e}"))?;
    app.store().close().await;
    println!(
        "copied {} tables, {rows} rows, to PostgreSQL; every table's row count matches.\n\
         Start kangyang with --database-url and the same key file ({}).",
        copied.len(),
        key_path(data).display()
    );
    Ok(ExitCode::SUCCESS)
}
