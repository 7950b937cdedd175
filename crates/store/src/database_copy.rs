//! Moving a whole database between engines, and reading one whole for
//! comparison: `kangyang migrate-to-postgres` and the backup round-trip
//! tests use this.
//!
//! Rows are read and written as plain cells (integer, real, text, bytes,
//! null), which is all the schema uses (see the crate's rules: BIGINT, TEXT,
//! BLOB/BYTEA, no booleans or dates). Tables are copied in the order they
//! were created, so a table's foreign keys point at tables already copied.
//!
//! Table and column names come from the database's own catalogue, checked by
//! `check_name`, and are written into the text: a name cannot be a bound
//! parameter, so the `Sql` builder has no place here.

use crate::{Conn, Dialect, Result, StoreError};
use futures_util::TryStreamExt;
use sqlx::any::AnyTypeInfoKind;
use sqlx::{Row, ValueRef};
use std::collections::BTreeMap;

/// The migrations' own bookkeeping: each side has its own.
const SCHEMA_TABLE: &str = "kangyang_schema";

/// One value of a row.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bytes(Vec<u8>),
}

/// The data tables, in creation order.
pub async fn tables(conn: &mut Conn) -> Result<Vec<String>> {
    let sql = match Dialect::of(conn) {
        Dialect::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             ORDER BY rowid"
        }
        // A table's oid grows with its creation.
        Dialect::Postgres => {
            "SELECT CAST(c.relname AS TEXT) FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind = 'r' AND n.nspname = current_schema() ORDER BY c.oid"
        }
    };
    let names: Vec<(String,)> = sqlx::query_as(sql).fetch_all(&mut *conn).await?;
    Ok(names
        .into_iter()
        .map(|(n,)| n)
        .filter(|n| n != SCHEMA_TABLE)
        .collect())
}

/// A table's columns in their declared order.
pub async fn columns(conn: &mut Conn, table: &str) -> Result<Vec<String>> {
    check_name(table)?;
    let rows: Vec<(String,)> = match Dialect::of(conn) {
        Dialect::Sqlite => {
            sqlx::query_as(&format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"))
                .fetch_all(&mut *conn)
                .await?
        }
        Dialect::Postgres => {
            sqlx::query_as(
                "SELECT CAST(column_name AS TEXT) FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            )
            .bind(table)
            .fetch_all(&mut *conn)
            .await?
        }
    };
    Ok(rows.into_iter().map(|(c,)| c).collect())
}

/// Table and column names come from the catalogue, never from users; still,
/// they are spliced into SQL, so only plain identifiers pass.
fn check_name(name: &str) -> Result<()> {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        Ok(())
    } else {
        Err(StoreError::Transfer(format!(
            "unexpected table or column name {name:?}"
        )))
    }
}

fn cell(row: &sqlx::any::AnyRow, i: usize) -> Result<Cell> {
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Cell::Null);
    }
    let kind = raw.type_info().kind();
    Ok(match kind {
        AnyTypeInfoKind::Null => Cell::Null,
        AnyTypeInfoKind::Bool
        | AnyTypeInfoKind::SmallInt
        | AnyTypeInfoKind::Integer
        | AnyTypeInfoKind::BigInt => Cell::Int(row.try_get::<i64, _>(i)?),
        AnyTypeInfoKind::Real | AnyTypeInfoKind::Double => Cell::Real(row.try_get::<f64, _>(i)?),
        AnyTypeInfoKind::Text => Cell::Text(row.try_get::<String, _>(i)?),
        AnyTypeInfoKind::Blob => Cell::Bytes(row.try_get::<Vec<u8>, _>(i)?),
    })
}

/// Every row of every table, rows sorted, for comparing two databases.
/// Meant for tests and checks of small and medium databases: it holds
/// everything in memory.
pub async fn snapshot(conn: &mut Conn) -> Result<BTreeMap<String, Vec<Vec<Cell>>>> {
    let mut out = BTreeMap::new();
    for table in tables(conn).await? {
        let cols = columns(conn, &table).await?;
        let list = cols.join(", ");
        let rows = sqlx::query(&format!("SELECT {list} FROM {table}"))
            .fetch_all(&mut *conn)
            .await?;
        let mut cells = rows
            .iter()
            .map(|r| {
                (0..cols.len())
                    .map(|i| cell(r, i))
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<Vec<_>>>()?;
        cells.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        out.insert(table, cells);
    }
    Ok(out)
}

/// Rows per table: (table, rows).
pub async fn counts(conn: &mut Conn) -> Result<Vec<(String, i64)>> {
    let mut out = Vec::new();
    for table in tables(conn).await? {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table}"))
            .fetch_one(&mut *conn)
            .await?;
        out.push((table, n));
    }
    Ok(out)
}

/// Rows per statement: well under both engines' parameter limits.
const BATCH_CELLS: usize = 2_000;

/// Copies every table of `from` into `to`, whose schema must be at the same
/// migration version and which must hold no users and no people. What
/// `to`'s migrations seeded (regions, permissions, settings) is replaced by
/// `from`'s. Runs in the caller's transaction on `to`; returns the rows
/// copied per table.
pub async fn copy_all(from: &mut Conn, to: &mut Conn) -> Result<Vec<(String, u64)>> {
    let source_tables = tables(from).await?;
    let target_tables = tables(to).await?;
    if source_tables
        .iter()
        .collect::<std::collections::BTreeSet<_>>()
        != target_tables
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
    {
        return Err(StoreError::Transfer(
            "the two databases have different tables; migrate both to the same version first"
                .into(),
        ));
    }
    for table in ["users", "persons"] {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table}"))
            .fetch_one(&mut *to)
            .await?;
        if n > 0 {
            return Err(StoreError::Transfer(format!(
                "the target database already has {table}; migrate into an empty database"
            )));
        }
    }
    // Clear what the target's set-up seeded, newest tables first.
    for table in target_tables.iter().rev() {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *to)
            .await?;
    }
    let dialect = Dialect::of(to);
    let mut copied = Vec::new();
    for table in &source_tables {
        let cols = columns(from, table).await?;
        for c in &cols {
            check_name(c)?;
        }
        let target_cols = columns(to, table).await?;
        if cols.iter().collect::<std::collections::BTreeSet<_>>()
            != target_cols
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
        {
            return Err(StoreError::Transfer(format!(
                "table {table} has different columns on the two sides"
            )));
        }
        let list = cols.join(", ");
        let per_batch = (BATCH_CELLS / cols.len().max(1)).max(1);
        let select = format!("SELECT {list} FROM {table}");
        let mut rows = sqlx::query(&select).fetch(&mut *from);
        let mut batch: Vec<Vec<Cell>> = Vec::with_capacity(per_batch);
        let mut n = 0u64;
        while let Some(row) = rows.try_next().await? {
            batch.push(
                (0..cols.len())
                    .map(|i| cell(&row, i))
                    .collect::<Result<_>>()?,
            );
            if batch.len() == per_batch {
                n += insert(to, dialect, table, &list, &batch).await?;
                batch.clear();
            }
        }
        drop(rows);
        if !batch.is_empty() {
            n += insert(to, dialect, table, &list, &batch).await?;
        }
        if dialect == Dialect::Postgres && cols.iter().any(|c| c == "id") {
            // Rows came with their ids: move the identity past them so the
            // next insert does not collide.
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false) \
                 WHERE pg_get_serial_sequence('{table}', 'id') IS NOT NULL"
            ))
            .execute(&mut *to)
            .await?;
        }
        copied.push((table.clone(), n));
    }
    Ok(copied)
}

async fn insert(
    to: &mut Conn,
    dialect: Dialect,
    table: &str,
    list: &str,
    rows: &[Vec<Cell>],
) -> Result<u64> {
    let mut sql = format!("INSERT INTO {table} ({list}) VALUES ");
    let mut n = 0;
    for (r, row) in rows.iter().enumerate() {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for (i, c) in row.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            // NULL is written as a literal: a bound NULL carries a type, and
            // PostgreSQL refuses a text-typed NULL in a bigint column.
            if *c == Cell::Null {
                sql.push_str("NULL");
            } else {
                n += 1;
                sql.push_str(&dialect.placeholder(n));
            }
        }
        sql.push(')');
    }
    let mut query = sqlx::query(&sql);
    for c in rows.iter().flatten() {
        query = match c {
            Cell::Null => query,
            Cell::Int(v) => query.bind(*v),
            Cell::Real(v) => query.bind(*v),
            Cell::Text(v) => query.bind(v.clone()),
            Cell::Bytes(v) => query.bind(v.clone()),
        };
    }
    Ok(query.execute(&mut *to).await?.rows_affected())
}

/// SQLite: writes a transactionally consistent copy of the database to
/// `path` (`VACUUM INTO`), while others go on reading and writing.
pub async fn sqlite_copy_to(conn: &mut Conn, path: &str) -> Result<()> {
    if Dialect::of(conn) != Dialect::Sqlite {
        return Err(StoreError::Transfer("VACUUM INTO is SQLite's".into()));
    }
    sqlx::query("VACUUM INTO $1")
        .bind(path)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// SQLite: `PRAGMA integrity_check`'s verdict ("ok" when sound).
pub async fn sqlite_integrity(conn: &mut Conn) -> Result<String> {
    let (verdict,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&mut *conn)
        .await?;
    Ok(verdict)
}

/// How many tables the database has (0 for a new, empty one).
pub async fn table_count(conn: &mut Conn) -> Result<i64> {
    Ok(tables(conn).await?.len() as i64)
}
