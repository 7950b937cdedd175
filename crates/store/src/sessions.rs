//! Server-side sessions. Only a hash of the session token is stored, so a copy
//! of the database cannot be used to ride on anyone's session.

use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub ip: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

pub async fn insert(conn: &mut Conn, s: &SessionRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, ip, created_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&s.token_hash)
    .bind(s.user_id)
    .bind(&s.csrf_token)
    .bind(&s.ip)
    .bind(s.created_at)
    .bind(s.last_seen_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(conn: &mut Conn, token_hash: &str) -> Result<Option<SessionRow>> {
    Ok(sqlx::query_as(
        "SELECT token_hash, user_id, csrf_token, ip, created_at, last_seen_at
         FROM sessions WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await?)
}

pub async fn touch(conn: &mut Conn, token_hash: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
        .bind(now)
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut Conn, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete_for_user(conn: &mut Conn, user_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes sessions idle since before `idle_before` or created before `created_before`.
pub async fn delete_expired(conn: &mut Conn, idle_before: i64, created_before: i64) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
            .bind(idle_before)
            .bind(created_before)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}
