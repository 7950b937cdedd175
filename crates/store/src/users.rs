//! User accounts, their password history and failed logins.

use crate::{Conn, Result, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub region_code: String,
    pub facility_id: Option<i64>,
    pub password_changed_at: i64,
    pub must_change_password: i64,
    pub totp_secret: Option<Vec<u8>>,
    pub totp_enabled: i64,
    pub totp_last_step: Option<i64>,
    pub disabled_at: Option<i64>,
    pub locked_until: Option<i64>,
    pub last_active_at: Option<i64>,
    pub created_at: i64,
}

const COLUMNS: &str = "id, username, display_name, password_hash, role, region_code, facility_id, \
    password_changed_at, must_change_password, totp_secret, totp_enabled, totp_last_step, disabled_at, locked_until, last_active_at, created_at";

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub region_code: &'a str,
    pub facility_id: Option<i64>,
    pub must_change_password: bool,
    pub now: i64,
}

pub async fn find_by_username(conn: &mut Conn, username: &str) -> Result<Option<UserRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE username = $1"))
            .bind(username)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn find_by_id(conn: &mut Conn, id: i64) -> Result<Option<UserRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn count(conn: &mut Conn) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM users")
        .fetch_one(conn)
        .await?;
    Ok(n)
}

pub async fn list(conn: &mut Conn) -> Result<Vec<UserRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM users ORDER BY username"))
            .fetch_all(conn)
            .await?,
    )
}

/// The accounts bound to a region of `region`'s subtree (a facility account
/// by its facility's region), by username.
pub async fn list_in(
    conn: &mut Conn,
    region: &kangyang_domain::RegionCode,
) -> Result<Vec<UserRow>> {
    let (lo, hi) = region.subtree_range();
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE region_code >= $1 AND region_code < $2 ORDER BY username"
    ))
    .bind(lo)
    .bind(hi)
    .fetch_all(conn)
    .await?)
}

/// Gives an account its role and binding (region, and facility for facility roles).
pub async fn set_role(
    conn: &mut Conn,
    id: i64,
    role: &str,
    region_code: &str,
    facility_id: Option<i64>,
) -> Result<()> {
    sqlx::query("UPDATE users SET role = $1, region_code = $2, facility_id = $3 WHERE id = $4")
        .bind(role)
        .bind(region_code)
        .bind(facility_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert(conn: &mut Conn, u: &NewUser<'_>) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO users (username, display_name, password_hash, role, region_code, facility_id,
            password_changed_at, must_change_password, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7) RETURNING id",
    )
    .bind(u.username)
    .bind(u.display_name)
    .bind(u.password_hash)
    .bind(u.role)
    .bind(u.region_code)
    .bind(u.facility_id)
    .bind(u.now)
    .bind(i64::from(u.must_change_password))
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| StoreError::from(e).unique_as("username"))?;
    add_password_history(conn, id, u.password_hash, u.now).await?;
    Ok(id)
}

/// Sets a new password hash and records it in the history.
pub async fn set_password(
    conn: &mut Conn,
    id: i64,
    password_hash: &str,
    must_change: bool,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE users SET password_hash = $1, password_changed_at = $2, must_change_password = $3,
            disabled_at = NULL
         WHERE id = $4",
    )
    .bind(password_hash)
    .bind(now)
    .bind(i64::from(must_change))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    add_password_history(conn, id, password_hash, now).await
}

async fn add_password_history(conn: &mut Conn, id: i64, hash: &str, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO password_history (user_id, password_hash, set_at) VALUES ($1, $2, $3)",
    )
    .bind(id)
    .bind(hash)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The hashes of the user's `n` most recent passwords, newest first.
pub async fn recent_password_hashes(conn: &mut Conn, id: i64, n: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT password_hash FROM password_history WHERE user_id = $1
         ORDER BY set_at DESC, id DESC LIMIT $2",
    )
    .bind(id)
    .bind(n)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(h,)| h).collect())
}

/// Stores an (encrypted) TOTP secret; `enabled` once the user has confirmed it.
pub async fn set_totp(
    conn: &mut Conn,
    id: i64,
    sealed_secret: Option<&[u8]>,
    enabled: bool,
) -> Result<()> {
    sqlx::query(
        "UPDATE users SET totp_secret = $1, totp_enabled = $2, totp_last_step = NULL WHERE id = $3",
    )
    .bind(sealed_secret.map(<[u8]>::to_vec))
    .bind(i64::from(enabled))
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn enable_totp(conn: &mut Conn, id: i64) -> Result<()> {
    sqlx::query("UPDATE users SET totp_enabled = 1 WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records the time step of an accepted code, unless one at or after it was
/// already used; returns false for a replayed code.
pub async fn use_totp_step(conn: &mut Conn, id: i64, step: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_disabled(conn: &mut Conn, id: i64, disabled_at: Option<i64>) -> Result<()> {
    sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2")
        .bind(disabled_at)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_locked_until(conn: &mut Conn, id: i64, until: Option<i64>) -> Result<()> {
    sqlx::query("UPDATE users SET locked_until = $1 WHERE id = $2")
        .bind(until)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn touch_active(conn: &mut Conn, id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE users SET last_active_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn record_login_failure(
    conn: &mut Conn,
    username: &str,
    ip: &str,
    at: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO login_failures (username, ip, at) VALUES ($1, $2, $3)")
        .bind(username)
        .bind(ip)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// How many logins failed for `username` at or after `since`.
pub async fn login_failures_since(conn: &mut Conn, username: &str, since: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM login_failures WHERE username = $1 AND at >= $2",
    )
    .bind(username)
    .bind(since)
    .fetch_one(conn)
    .await?;
    Ok(n)
}

pub async fn clear_login_failures(conn: &mut Conn, username: &str) -> Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE username = $1")
        .bind(username)
        .execute(conn)
        .await?;
    Ok(())
}
