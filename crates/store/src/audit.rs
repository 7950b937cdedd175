//! The append-only, hash-chained audit trail.

use crate::sql::Sql;
use crate::{Conn, Result, Store, Tx};
use kangyang_domain::audit::{chain_mac, AuditFields, ChainKey, ChainRow, KeyedFrom};

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
    pub region: String,
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
                region: r.region,
            },
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

const COLUMNS: &str = "id, at, user_id, username, ip, action, object_type, object_id, result, \
    detail, region, prev_hash, hash";

const INSERT: &str = "INSERT INTO audit_log (at, user_id, username, ip, action, object_type,
    object_id, result, detail, region, prev_hash, hash)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id";

async fn insert(tx: &mut Tx, f: &AuditFields, prev_hash: &str, hash: &str) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(INSERT)
        .bind(f.at)
        .bind(f.user_id)
        .bind(&f.username)
        .bind(&f.ip)
        .bind(&f.action)
        .bind(&f.object_type)
        .bind(&f.object_id)
        .bind(&f.result)
        .bind(&f.detail)
        .bind(&f.region)
        .bind(prev_hash)
        .bind(hash)
        .fetch_one(&mut **tx)
        .await?;
    Ok(id)
}

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
pub async fn append(tx: &mut Tx, key: &ChainKey, f: &AuditFields) -> Result<i64> {
    // Writing the head first takes the write lock at once: SQLite's writer lock,
    // PostgreSQL's row lock. Reading first and writing later could let two
    // appenders read the same head.
    sqlx::query("UPDATE audit_head SET last_id = last_id WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    let (prev_hash,): (String,) = sqlx::query_as("SELECT last_hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut **tx)
        .await?;
    let hash = chain_mac(key, &prev_hash, f);
    let id = insert(tx, f, &prev_hash, &hash).await?;
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
pub async fn append_many(tx: &mut Tx, key: &ChainKey, rows: &[AuditFields]) -> Result<()> {
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
        let hash = chain_mac(key, &prev_hash, f);
        last_id = insert(tx, f, &prev_hash, &hash).await?;
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

/// Marks where keyed rows begin, once: the row after the current head (on a
/// new database, row 1). Rows before it were written by a version that hashed
/// without a key. The mark is sealed with the key, so it cannot be moved.
pub async fn start_keyed_chain(store: &Store, key: &ChainKey) -> Result<()> {
    let (mut tx, _guard) = store.begin_audited().await?;
    sqlx::query("UPDATE audit_head SET last_id = last_id WHERE id = 1")
        .execute(&mut *tx)
        .await?;
    let (last_id, seal): (i64, String) =
        sqlx::query_as("SELECT last_id, keyed_seal FROM audit_head WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
    if seal.is_empty() {
        let from = last_id + 1;
        sqlx::query("UPDATE audit_head SET keyed_from = $1, keyed_seal = $2 WHERE id = 1")
            .bind(from)
            .bind(key.seal_keyed_from(from))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Where the keyed rows begin, as recorded.
pub async fn keyed_from(conn: &mut Conn) -> Result<KeyedFrom> {
    let (id, seal): (i64, String) =
        sqlx::query_as("SELECT keyed_from, keyed_seal FROM audit_head WHERE id = 1")
            .fetch_one(conn)
            .await?;
    Ok(KeyedFrom { id, seal })
}

/// One row by id, if it is there.
pub async fn row(conn: &mut Conn, id: i64) -> Result<Option<AuditRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM audit_log WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// The region an audited object belongs to, for scoping who may read its
/// rows: a person's village, a facility's or programme's region. None for an
/// object of another kind, or one that is not (or no longer) there.
pub async fn object_region(
    conn: &mut Conn,
    object_type: &str,
    object_id: &str,
) -> Result<Option<String>> {
    if object_type == "region" {
        // A region's rows name its code; a region import names its source
        // file instead, which is no region.
        let found: Option<(String,)> = sqlx::query_as("SELECT code FROM regions WHERE code = $1")
            .bind(object_id)
            .fetch_optional(conn)
            .await?;
        return Ok(found.map(|(code,)| code));
    }
    let sql = match object_type {
        "person" => "SELECT village_code FROM persons WHERE id = $1",
        "facility" => "SELECT region_code FROM facilities WHERE id = $1",
        "user" => "SELECT region_code FROM users WHERE id = $1",
        "project" => "SELECT region_code FROM projects WHERE id = $1",
        "fund_source" => "SELECT region_code FROM fund_sources WHERE id = $1",
        "partner_org" => "SELECT region_code FROM partner_orgs WHERE id = $1",
        "pairing" => "SELECT region_code FROM pairings WHERE id = $1",
        "rating_round" => "SELECT region_code FROM rating_rounds WHERE id = $1",
        "care_agreement" => "SELECT region_code FROM care_agreements WHERE id = $1",
        "construction" => "SELECT region_code FROM construction_projects WHERE id = $1",
        "order" => {
            "SELECT f.region_code FROM piecework_orders o
             JOIN facilities f ON f.id = o.facility_id WHERE o.id = $1"
        }
        "home_mod_case" => "SELECT village_code FROM home_mod_cases WHERE id = $1",
        "home_care_order" => {
            "SELECT p.village_code FROM home_care_orders o
             JOIN persons p ON p.id = o.person_id WHERE o.id = $1"
        }
        "break_glass" => {
            "SELECT p.village_code FROM break_glass g
             JOIN persons p ON p.id = g.person_id WHERE g.id = $1"
        }
        _ => return Ok(None),
    };
    let Ok(id) = object_id.parse::<i64>() else {
        return Ok(None);
    };
    let found: Option<(String,)> = sqlx::query_as(sql).bind(id).fetch_optional(conn).await?;
    Ok(found.map(|(code,)| code))
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
    /// The reader's region subtree as a code range `[from, to)`; None reads
    /// every row. Rows tied to no region (the command line, unknown sign-in
    /// names) are read only with `unregioned`.
    pub region: Option<(String, String)>,
    pub unregioned: bool,
}

/// Matching rows, newest first, and the total count.
pub async fn search(
    conn: &mut Conn,
    f: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AuditRow>, i64)> {
    let mut count = Sql::new("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE");
    f.apply(&mut count);
    let (total,): (i64,) = count.query_as().fetch_one(&mut *conn).await?;
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM audit_log WHERE"));
    f.apply(&mut sql);
    sql.push(" ORDER BY id DESC LIMIT ")
        .bind(limit)
        .push(" OFFSET ")
        .bind(offset);
    let rows = sql.query_as().fetch_all(conn).await?;
    Ok((rows, total))
}

impl AuditFilter {
    /// Appends the filter's conditions; an absent filter adds none (so the
    /// planner sees only what is asked and can use the indexes).
    fn apply(&self, sql: &mut Sql) {
        // A true start, so that every condition below can begin with AND.
        sql.push(" 1 = 1");
        if let Some(u) = &self.username {
            sql.push(" AND username = ").bind(u.as_str());
        }
        if let Some(a) = &self.action {
            sql.push(" AND action = ").bind(a.as_str());
        }
        if let Some(from) = self.from {
            sql.push(" AND at >= ").bind(from);
        }
        if let Some(to) = self.to {
            sql.push(" AND at < ").bind(to);
        }
        if let Some((lo, hi)) = &self.region {
            sql.push(" AND ((region >= ")
                .bind(lo.as_str())
                .push(" AND region < ")
                .bind(hi.as_str())
                .push(")");
            if self.unregioned {
                sql.push(" OR region = ''");
            }
            sql.push(")");
        }
    }
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
