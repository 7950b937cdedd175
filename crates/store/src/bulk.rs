//! Loading a very large register into PostgreSQL: COPY instead of INSERT,
//! with the person table's secondary indexes and foreign keys set aside for
//! the load and built again after it. Twenty million random inserts into the
//! blind-index B-trees would each touch a page that is no longer cached; one
//! sorted build per index does not. Everything happens in one transaction
//! (PostgreSQL's DDL is transactional): a load that fails or is killed leaves
//! the table, its indexes and its constraints as they were.
//!
//! Only for an empty register (benchmarks, a first province load): the load
//! takes the table's exclusive lock for its whole duration.

use crate::register::{StoredPerson, WRITE_COLUMNS};
use crate::{Result, StoreError};
use sqlx::postgres::PgConnection;
use sqlx::Connection;

/// An index or constraint of the person table, as it is rebuilt.
#[derive(Debug, Clone)]
enum SetAside {
    /// `CREATE INDEX …` text.
    Index(String),
    /// A unique constraint: its index's `CREATE UNIQUE INDEX …` and name.
    Unique { name: String, create: String },
    /// A foreign key: its name and definition.
    ForeignKey { name: String, definition: String },
}

/// How long each phase of a load took, in seconds.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    pub rows: u64,
    pub copy_seconds: f64,
    pub index_seconds: f64,
    pub commit_seconds: f64,
}

/// A name read from the catalogue, checked before it is written into DDL.
fn identifier(name: String) -> Result<String> {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        Ok(name)
    } else {
        Err(StoreError::Transfer(format!(
            "unexpected index or constraint name {name:?}"
        )))
    }
}

/// Loads the person rows arriving on `chunks` (CSV made by [`copy_row`],
/// with its row count) into the empty person table of the PostgreSQL
/// database at `url`, all or nothing: a producer that fails sends its error,
/// and nothing is kept. `progress` is told the rows sent after each chunk.
pub async fn load_persons(
    url: &str,
    mut chunks: tokio::sync::mpsc::Receiver<std::result::Result<(Vec<u8>, u64), String>>,
    mut progress: impl FnMut(u64),
) -> Result<LoadReport> {
    let mut conn = PgConnection::connect(url).await?;
    let mut tx = conn.begin().await?;
    let (people,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM persons")
        .fetch_one(&mut *tx)
        .await?;
    if people > 0 {
        return Err(StoreError::Transfer(format!(
            "the register already holds {people} people; a bulk load fills an empty one"
        )));
    }
    sqlx::query("LOCK TABLE persons IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await?;
    let set_aside = set_aside(&mut tx).await?;

    let started = std::time::Instant::now();
    let mut report = LoadReport::default();
    let mut copy = tx
        .copy_in_raw(&format!(
            "COPY persons ({}, created_at) FROM STDIN WITH (FORMAT csv)",
            WRITE_COLUMNS.join(", ")
        ))
        .await?;
    while let Some(chunk) = chunks.recv().await {
        let (bytes, rows) = match chunk {
            Ok(chunk) => chunk,
            Err(why) => {
                copy.abort("the load failed").await.ok();
                return Err(StoreError::Transfer(why));
            }
        };
        if let Err(e) = copy.send(bytes).await {
            copy.abort("the load failed").await.ok();
            return Err(e.into());
        }
        report.rows += rows;
        progress(report.rows);
    }
    copy.finish().await?;
    report.copy_seconds = started.elapsed().as_secs_f64();

    let started = std::time::Instant::now();
    // A sorted build per index, in memory where it fits, on both cores.
    sqlx::query("SET LOCAL maintenance_work_mem = '1GB'")
        .execute(&mut *tx)
        .await?;
    sqlx::query("SET LOCAL max_parallel_maintenance_workers = 2")
        .execute(&mut *tx)
        .await?;
    for item in &set_aside {
        match item {
            SetAside::Index(create) => {
                sqlx::query(create).execute(&mut *tx).await?;
            }
            SetAside::Unique { name, create } => {
                sqlx::query(create).execute(&mut *tx).await?;
                sqlx::query(&format!(
                    "ALTER TABLE persons ADD CONSTRAINT {name} UNIQUE USING INDEX {name}"
                ))
                .execute(&mut *tx)
                .await?;
            }
            SetAside::ForeignKey { name, definition } => {
                sqlx::query(&format!(
                    "ALTER TABLE persons ADD CONSTRAINT {name} {definition}"
                ))
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    report.index_seconds = started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();
    tx.commit().await?;
    report.commit_seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Drops the person table's foreign keys and secondary indexes (not its
/// primary key, which other tables' foreign keys point at), returning how to
/// make them again: indexes first, foreign keys last, so a key is checked
/// once over the loaded table.
async fn set_aside(conn: &mut PgConnection) -> Result<Vec<SetAside>> {
    let mut indexes_then_keys = Vec::new();
    let indexes: Vec<(String, String, bool)> = sqlx::query_as(
        "SELECT i.relname::text, pg_get_indexdef(i.oid), \
                EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid AND c.contype = 'u') \
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
         WHERE x.indrelid = 'persons'::regclass AND NOT x.indisprimary",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (name, create, unique_constraint) in indexes {
        let name = identifier(name)?;
        if unique_constraint {
            sqlx::query(&format!("ALTER TABLE persons DROP CONSTRAINT {name}"))
                .execute(&mut *conn)
                .await?;
            indexes_then_keys.push(SetAside::Unique { name, create });
        } else {
            sqlx::query(&format!("DROP INDEX {name}"))
                .execute(&mut *conn)
                .await?;
            indexes_then_keys.push(SetAside::Index(create));
        }
    }
    let foreign: Vec<(String, String)> = sqlx::query_as(
        "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE conrelid = 'persons'::regclass AND contype = 'f'",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (name, definition) in foreign {
        let name = identifier(name)?;
        sqlx::query(&format!("ALTER TABLE persons DROP CONSTRAINT {name}"))
            .execute(&mut *conn)
            .await?;
        indexes_then_keys.push(SetAside::ForeignKey { name, definition });
    }
    Ok(indexes_then_keys)
}

/// Appends one person as a CSV line of the COPY that [`load_persons`] runs:
/// text quoted, NULL as an empty unquoted field, binary as `\x` hex.
pub fn copy_row(out: &mut Vec<u8>, p: &StoredPerson, now: i64) {
    fn text(out: &mut Vec<u8>, v: &str) {
        out.push(b'"');
        for b in v.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    }
    fn opt_text(out: &mut Vec<u8>, v: Option<&str>) {
        if let Some(v) = v {
            text(out, v);
        }
    }
    fn bytes(out: &mut Vec<u8>, v: Option<&[u8]>) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        if let Some(v) = v {
            out.extend_from_slice(b"\\x");
            for b in v {
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 15)]);
            }
        }
    }
    fn sep(out: &mut Vec<u8>) {
        out.push(b',');
    }
    text(out, &p.id_index);
    sep(out);
    bytes(out, Some(&p.id_cipher));
    for v in [
        &p.id_masked,
        &p.id_tail_index,
        &p.name,
        &p.sex,
        &p.birth_date,
    ] {
        sep(out);
        text(out, v);
    }
    sep(out);
    bytes(out, p.phone_cipher.as_deref());
    for v in [&p.phone_index, &p.phone_masked, &p.hukou_region] {
        sep(out);
        opt_text(out, v.as_deref());
    }
    sep(out);
    text(out, &p.village_code);
    sep(out);
    opt_text(out, p.urban_rural.as_deref());
    sep(out);
    text(out, &p.address);
    sep(out);
    text(out, &p.status);
    for v in [
        &p.status_date,
        &p.living_situation,
        &p.economic_status,
        &p.capability_level,
        &p.disability_category,
    ] {
        sep(out);
        opt_text(out, v.as_deref());
    }
    sep(out);
    if let Some(g) = p.disability_grade {
        out.extend_from_slice(g.to_string().as_bytes());
    }
    sep(out);
    bytes(out, p.disability_cert_cipher.as_deref());
    for v in [
        &p.disability_cert_masked,
        &p.child_category,
        &p.guardian_name,
    ] {
        sep(out);
        opt_text(out, v.as_deref());
    }
    sep(out);
    bytes(out, p.guardian_phone_cipher.as_deref());
    for v in [
        &p.guardian_phone_masked,
        &p.household_no,
        &p.emergency_contact_name,
    ] {
        sep(out);
        opt_text(out, v.as_deref());
    }
    sep(out);
    bytes(out, p.emergency_phone_cipher.as_deref());
    sep(out);
    opt_text(out, p.emergency_phone_masked.as_deref());
    sep(out);
    text(out, &p.tags);
    sep(out);
    text(out, &p.content_mac);
    // updated_at, created_at.
    out.extend_from_slice(format!(",{now},{now}\n").as_bytes());
}

/// VACUUM ANALYZE of the person table: statistics for the planner and the
/// visibility map that lets counts be answered from the indexes alone.
pub async fn vacuum_analyze_persons(conn: &mut crate::Conn) -> Result<()> {
    sqlx::query("VACUUM (ANALYZE) persons")
        .execute(conn)
        .await?;
    Ok(())
}
