//! Installation settings: a small name/value table.

use crate::{Conn, Result};

pub async fn get(conn: &mut Conn, name: &str) -> Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE name = $1")
        .bind(name)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(v,)| v))
}

/// Sets a value only if the name has none yet; returns whether it was set.
pub async fn set_if_absent(conn: &mut Conn, name: &str, value: &str) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(value)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets a value, replacing any there was.
pub async fn set(conn: &mut Conn, name: &str, value: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO settings (name, value) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )
    .bind(name)
    .bind(value)
    .execute(conn)
    .await?;
    Ok(())
}
