//! The holiday calendar: days that are holidays (放假) or make-up working
//! days (调休上班), seeded by migration 16 with China's 2026 arrangement.

use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HolidayRow {
    /// YYYY-MM-DD.
    pub day: String,
    /// holiday or workday.
    pub kind: String,
    pub name: String,
}

/// The calendar's days between `from` and `to` (inclusive, YYYY-MM-DD), by day.
pub async fn between(conn: &mut Conn, from: &str, to: &str) -> Result<Vec<HolidayRow>> {
    Ok(sqlx::query_as(
        "SELECT day, kind, name FROM holidays WHERE day >= $1 AND day <= $2 ORDER BY day",
    )
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

/// Sets a day's kind and name, replacing what the day had.
pub async fn put(conn: &mut Conn, row: &HolidayRow, user_id: Option<i64>, now: i64) -> Result<()> {
    // Delete then insert: one statement per engine would need ON CONFLICT,
    // which both have, but this keeps the SQL plain and the caller's
    // transaction makes it one change.
    sqlx::query("DELETE FROM holidays WHERE day = $1")
        .bind(&row.day)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO holidays (day, kind, name, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&row.day)
    .bind(&row.kind)
    .bind(&row.name)
    .bind(user_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Removes a day; whether it was there.
pub async fn remove(conn: &mut Conn, day: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM holidays WHERE day = $1")
        .bind(day)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
