//! The append-only, hash-chained audit trail.

use crate::{Conn, Result, Store, Tx};
use kangyang_domain::audit::{chain_hash, AuditFields, ChainRow};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub user_id: Option<i64>,
    pub username: String,
    pub ip: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub result: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

impl From<AuditRow> for ChainRow {
    fn from(r: AuditRow) -> ChainRow {
        ChainRow {
            id: r.id,
            fields: AuditFields {
                at: r.at,
                user_id: r.user_id,
                username: r.username,
                ip: r.ip,
                action: r.action,
                object_type: r.object_type,
                object_id: r.object_id,
                result: r.result,
                detail: r.detail,
            },
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

const COLUMNS: &str =
    "id, at, user_id, username, ip, action, object_type, object_id, result, detail, prev_hash, hash";

impl Store {
    /// Begins a transaction that will append to the audit trail. Hold the
    /// returned guard until the transaction commits or rolls back: it keeps
    /// the chain linear within this process.
    pub async fn begin_audited(&self) -> Result<(Tx, tokio::sync::OwnedMutexGuard<()>)> {
        let guard = self.audit_lock.clone().lock_owned().await;
        let tx = self.begin().await?;
        Ok((tx, guard))
    }
}

/// Appends one row inside the caller's transaction. Call it through a
/// transaction from [`Store::begin_audited`].
pub async fn append(tx: &mut Tx, f: &AuditFields) -> Result<i64> {
    // Writing the head first takes the write lock at once: SQLite's writer lock,
    // PostgreSQL's row lock. Reading first and writing later could let two
    // appenders read the same head.
    sqlx::query("UPDATE audit_head SET last_id = last_id WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    let (prev_hash,): (String,) = sqlx::query_as("SELECT last_hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut **tx)
        .await?;
    let hash = chain_hash(&prev_hash, f);
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO audit_log (at, user_id, username, ip, action, object_type, object_id, result,
            detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(f.at)
    .bind(f.user_id)
    .bind(&f.username)
    .bind(&f.ip)
    .bind(&f.action)
    .bind(&f.object_type)
    .bind(&f.object_id)
    .bind(&f.result)
    .bind(&f.detail)
    .bind(&prev_hash)
    .bind(&hash)
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query("UPDATE audit_head SET last_id = $1, last_hash = $2 WHERE id = 1")
        .bind(id)
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

/// Appends several rows, in order, inside the caller's transaction (from
/// [`Store::begin_audited`]): the head is locked and read once and written
/// once, so a batch costs one round of bookkeeping, not one per row.
pub async fn append_many(tx: &mut Tx, rows: &[AuditFields]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query("UPDATE audit_head SET last_id = last_id WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    let (mut prev_hash,): (String,) =
        sqlx::query_as("SELECT last_hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut **tx)
            .await?;
    let mut last_id = 0;
    for f in rows {
        let hash = chain_hash(&prev_hash, f);
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO audit_log (at, user_id, username, ip, action, object_type, object_id, result,
                detail, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(f.at)
        .bind(f.user_id)
        .bind(&f.username)
        .bind(&f.ip)
        .bind(&f.action)
        .bind(&f.object_type)
        .bind(&f.object_id)
        .bind(&f.result)
        .bind(&f.detail)
        .bind(&prev_hash)
        .bind(&hash)
        .fetch_one(&mut **tx)
        .await?;
        last_id = id;
        prev_hash = hash;
    }
    sqlx::query("UPDATE audit_head SET last_id = $1, last_hash = $2 WHERE id = 1")
        .bind(last_id)
        .bind(&prev_hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The chain's head: the id and hash of the last row appended.
pub async fn head(conn: &mut Conn) -> Result<(i64, String)> {
    Ok(
        sqlx::query_as("SELECT last_id, last_hash FROM audit_head WHERE id = 1")
            .fetch_one(conn)
            .await?,
    )
}

/// Rows with id greater than `after`, in id order, at most `limit`.
pub async fn page(conn: &mut Conn, after: i64, limit: i64) -> Result<Vec<AuditRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// A search of the trail for the auditor.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub username: Option<String>,
    pub action: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// Matching rows, newest first, and the total count.
pub async fn search(
    conn: &mut Conn,
    f: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AuditRow>, i64)> {
    // Every filter is always bound; an absent one is a NULL that matches all.
    let filter = "($1 IS NULL OR username = $1) AND ($2 IS NULL OR action = $2)
        AND ($3 IS NULL OR at >= $3) AND ($4 IS NULL OR at < $4)";
    let (total,): (i64,) = sqlx::query_as(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE {filter}"
    ))
    .bind(&f.username)
    .bind(&f.action)
    .bind(f.from)
    .bind(f.to)
    .fetch_one(&mut *conn)
    .await?;
    let rows = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE {filter} ORDER BY id DESC LIMIT $5 OFFSET $6"
    ))
    .bind(&f.username)
    .bind(&f.action)
    .bind(f.from)
    .bind(f.to)
    .bind(limit)
    .bind(offset)
    .fetch_all(conn)
    .await?;
    Ok((rows, total))
}

/// The rows about one object with one of the given actions, oldest first.
pub async fn for_object(
    conn: &mut Conn,
    object_type: &str,
    object_id: &str,
    actions: &[&str],
) -> Result<Vec<AuditRow>> {
    let rows: Vec<AuditRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE object_type = $1 AND object_id = $2 ORDER BY id"
    ))
    .bind(object_type)
    .bind(object_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| actions.contains(&r.action.as_str()))
        .collect())
}
