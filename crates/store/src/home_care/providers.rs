//! Providers (facilities of kind `home_care_centre`) with their load, and
//! their caregivers.

use crate::sql::Sql;
use crate::{Conn, Result};

// ---- caregivers ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaregiverRow {
    pub id: i64,
    pub provider_id: i64,
    pub name: String,
    pub qualification: String,
    pub phone_masked: String,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub active: i64,
}

const CAREGIVER_COLUMNS: &str = "c.id, c.provider_id, c.name, c.qualification, c.phone_masked, \
    c.user_id, u.username, c.active";

pub struct NewCaregiver<'a> {
    pub provider_id: i64,
    pub name: &'a str,
    pub qualification: &'a str,
    pub phone_cipher: Option<Vec<u8>>,
    pub phone_masked: &'a str,
    pub user_id: Option<i64>,
}

pub async fn add_caregiver(conn: &mut Conn, c: &NewCaregiver<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO home_care_caregivers (provider_id, name, qualification, phone_cipher, \
         phone_masked, user_id, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, 1, $7) RETURNING id",
    )
    .bind(c.provider_id)
    .bind(c.name)
    .bind(c.qualification)
    .bind(c.phone_cipher.clone())
    .bind(c.phone_masked)
    .bind(c.user_id)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn caregivers(conn: &mut Conn, provider_id: i64) -> Result<Vec<CaregiverRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CAREGIVER_COLUMNS} FROM home_care_caregivers c LEFT JOIN users u ON u.id = c.user_id \
         WHERE c.provider_id = $1 ORDER BY c.active DESC, c.name, c.id"
    ))
    .bind(provider_id)
    .fetch_all(conn)
    .await?)
}

pub async fn caregiver(conn: &mut Conn, id: i64) -> Result<Option<CaregiverRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CAREGIVER_COLUMNS} FROM home_care_caregivers c LEFT JOIN users u ON u.id = c.user_id \
         WHERE c.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// The caregiver record a user account checks in as, if any.
pub async fn caregiver_of_user(conn: &mut Conn, user_id: i64) -> Result<Option<CaregiverRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CAREGIVER_COLUMNS} FROM home_care_caregivers c LEFT JOIN users u ON u.id = c.user_id \
         WHERE c.user_id = $1 AND c.active = 1 ORDER BY c.id LIMIT 1"
    ))
    .bind(user_id)
    .fetch_optional(conn)
    .await?)
}

// ---- providers ----

/// A home-care provider in scope, with its load on a day.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProviderRow {
    pub id: i64,
    pub name: String,
    pub region_code: String,
    pub capacity: Option<i64>,
    /// Orders booked for the day and not cancelled.
    pub booked: i64,
    /// Whether it serves the village asked about (1) or not (0).
    pub serves: i64,
}

/// Home-care providers visible in `scope`, with how many orders each has on
/// the day `[day_start, day_end)` and whether it serves `village`.
pub async fn providers(
    conn: &mut Conn,
    scope: &crate::facility::FacilityScope,
    village: &str,
    day_start: i64,
    day_end: i64,
) -> Result<Vec<ProviderRow>> {
    let mut sql = Sql::new(
        "SELECT f.id, f.name, f.region_code, f.capacity, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM home_care_orders o WHERE o.provider_id = f.id \
            AND o.state <> 'cancelled' AND o.scheduled_at >= ",
    );
    sql.bind(day_start)
        .push(" AND o.scheduled_at < ")
        .bind(day_end)
        .push(
            ") AS booked, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM facility_villages fv WHERE fv.facility_id = f.id \
            AND fv.village_code = ",
        )
        .bind(village)
        .push(") AS serves FROM facilities f WHERE f.kind = 'home_care_centre' AND");
    scope.apply(&mut sql);
    sql.push(" ORDER BY f.region_code, f.name, f.id");
    Ok(sql.query_as().fetch_all(conn).await?)
}

/// Whether a provider serves a village.
pub async fn serves(conn: &mut Conn, provider_id: i64, village: &str) -> Result<bool> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM facility_villages WHERE facility_id = $1 AND village_code = $2",
    )
    .bind(provider_id)
    .bind(village)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// The kind of a facility, if it exists.
pub async fn facility_kind(conn: &mut Conn, id: i64) -> Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT kind FROM facilities WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(k,)| k))
}

/// Links a caregiver record to a user account.
pub async fn link_user(conn: &mut Conn, caregiver_id: i64, user_id: i64) -> Result<()> {
    sqlx::query("UPDATE home_care_caregivers SET user_id = $1 WHERE id = $2")
        .bind(user_id)
        .bind(caregiver_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Gives a provider's accepted and on-site orders to one caregiver.
pub async fn assign_open_orders(
    conn: &mut Conn,
    provider_id: i64,
    caregiver_id: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE home_care_orders SET caregiver_id = $1 WHERE provider_id = $2 \
         AND state IN ('accepted', 'on_site')",
    )
    .bind(caregiver_id)
    .bind(provider_id)
    .execute(conn)
    .await?;
    Ok(())
}
