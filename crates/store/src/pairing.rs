//! Pairing (结对帮扶): partner organisations (party branches, companies,
//! volunteer teams), their pairings with centres or people, and the help
//! they give (visits, money in fen, goods).

use crate::{Conn, Result};

pub async fn add_org(
    conn: &mut Conn,
    name: &str,
    kind: &str,
    region_code: &str,
    contact: &str,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO partner_orgs (name, kind, region_code, contact, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(name)
    .bind(kind)
    .bind(region_code)
    .bind(contact)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn org_region(conn: &mut Conn, id: i64) -> Result<Option<String>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT region_code FROM partner_orgs WHERE id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(c,)| c))
}

/// The region a pairing lies in (its facility's or person's).
pub async fn pairing_region(conn: &mut Conn, id: i64) -> Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT region_code FROM pairings WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(c,)| c))
}

/// Pairs an organisation with a facility or a person (exactly one).
pub async fn pair(
    conn: &mut Conn,
    org_id: i64,
    facility_id: Option<i64>,
    person_id: Option<i64>,
    region_code: &str,
    started_on: &str,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO pairings (org_id, facility_id, person_id, region_code, started_on) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(org_id)
    .bind(facility_id)
    .bind(person_id)
    .bind(region_code)
    .bind(started_on)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Help given under a pairing.
pub struct NewHelp<'a> {
    pub pairing_id: i64,
    pub day: &'a str,
    /// visit, money or goods.
    pub kind: &'a str,
    pub amount_fen: i64,
    pub goods: &'a str,
    pub notes: &'a str,
}

pub async fn add_help(conn: &mut Conn, h: &NewHelp<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO help_records (pairing_id, day, kind, amount_fen, goods, notes, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(h.pairing_id)
    .bind(h.day)
    .bind(h.kind)
    .bind(h.amount_fen)
    .bind(h.goods)
    .bind(h.notes)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Organisations with a current pairing in the region `[lo, hi)`.
pub async fn paired_org_count(conn: &mut Conn, lo: &str, hi: &str) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COUNT(DISTINCT org_id) AS BIGINT) FROM pairings \
         WHERE ended_on IS NULL AND region_code >= $1 AND region_code < $2",
    )
    .bind(lo)
    .bind(hi)
    .fetch_one(conn)
    .await?;
    Ok(n)
}

/// A facility's pairings with what each organisation gave.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PairingRow {
    pub id: i64,
    pub org_name: String,
    pub org_kind: String,
    pub started_on: String,
    pub visits: i64,
    pub money_fen: i64,
    pub goods: i64,
}

pub async fn for_facility(conn: &mut Conn, facility_id: i64) -> Result<Vec<PairingRow>> {
    Ok(sqlx::query_as(
        "SELECT pa.id, o.name AS org_name, o.kind AS org_kind, pa.started_on, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM help_records h WHERE h.pairing_id = pa.id \
            AND h.kind = 'visit') AS visits, \
         (SELECT CAST(COALESCE(SUM(h.amount_fen), 0) AS BIGINT) FROM help_records h \
            WHERE h.pairing_id = pa.id) AS money_fen, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM help_records h WHERE h.pairing_id = pa.id \
            AND h.kind = 'goods') AS goods \
         FROM pairings pa JOIN partner_orgs o ON o.id = pa.org_id \
         WHERE pa.facility_id = $1 AND pa.ended_on IS NULL ORDER BY pa.started_on, pa.id",
    )
    .bind(facility_id)
    .fetch_all(conn)
    .await?)
}

/// A partner organisation, for the lists pairing pages choose from.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub region_code: String,
}

/// Organisations registered in the region `[lo, hi)`.
pub async fn orgs(conn: &mut Conn, lo: &str, hi: &str) -> Result<Vec<OrgRow>> {
    Ok(sqlx::query_as(
        "SELECT id, name, kind, region_code FROM partner_orgs \
         WHERE region_code >= $1 AND region_code < $2 ORDER BY id",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(conn)
    .await?)
}

/// A current pairing of the region with a centre, and what was given.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RegionPairingRow {
    pub id: i64,
    pub org_name: String,
    pub facility_name: Option<String>,
    pub started_on: String,
    pub visits: i64,
    pub money_fen: i64,
    pub goods: i64,
}

/// The current pairings with centres in the region `[lo, hi)`; pairings with
/// people are left out, so no person shows on a region's list.
pub async fn with_facilities(conn: &mut Conn, lo: &str, hi: &str) -> Result<Vec<RegionPairingRow>> {
    Ok(sqlx::query_as(
        "SELECT pa.id, o.name AS org_name, f.name AS facility_name, pa.started_on, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM help_records h WHERE h.pairing_id = pa.id \
            AND h.kind = 'visit') AS visits, \
         (SELECT CAST(COALESCE(SUM(h.amount_fen), 0) AS BIGINT) FROM help_records h \
            WHERE h.pairing_id = pa.id) AS money_fen, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM help_records h WHERE h.pairing_id = pa.id \
            AND h.kind = 'goods') AS goods \
         FROM pairings pa JOIN partner_orgs o ON o.id = pa.org_id \
         JOIN facilities f ON f.id = pa.facility_id \
         WHERE pa.ended_on IS NULL AND pa.region_code >= $1 AND pa.region_code < $2 \
         ORDER BY pa.started_on, pa.id",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(conn)
    .await?)
}
