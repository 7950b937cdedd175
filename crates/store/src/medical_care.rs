//! Medical-care agreements (医养结合) between care institutions and clinics.

use crate::sql::Sql;
use crate::{Conn, Result};

// ---- care agreements ----

pub struct NewAgreement<'a> {
    pub institution_id: i64,
    pub clinic_id: i64,
    pub region_code: &'a str,
    /// JSON array of service codes.
    pub services: &'a str,
    pub visits_per_month: i64,
    pub start_date: &'a str,
    pub end_date: Option<&'a str>,
    pub notes: &'a str,
    pub by: Option<i64>,
}

pub async fn add_agreement(conn: &mut Conn, a: &NewAgreement<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO care_agreements (institution_id, clinic_id, region_code, services, \
         visits_per_month, start_date, end_date, notes, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(a.institution_id)
    .bind(a.clinic_id)
    .bind(a.region_code)
    .bind(a.services)
    .bind(a.visits_per_month)
    .bind(a.start_date)
    .bind(a.end_date)
    .bind(a.notes)
    .bind(a.by)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// An agreement with the names of both parties.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgreementRow {
    pub id: i64,
    pub institution_id: i64,
    pub institution_name: String,
    pub institution_kind: String,
    pub clinic_id: i64,
    pub clinic_name: String,
    pub region_code: String,
    pub services: String,
    pub visits_per_month: i64,
    pub start_date: String,
    pub end_date: Option<String>,
    pub notes: String,
    pub end_reason: String,
}

const AGREEMENT: &str = "SELECT a.id, a.institution_id, i.name AS institution_name, \
    i.kind AS institution_kind, a.clinic_id, c.name AS clinic_name, a.region_code, a.services, \
    a.visits_per_month, a.start_date, a.end_date, a.notes, a.end_reason \
    FROM care_agreements a JOIN facilities i ON i.id = a.institution_id \
    JOIN facilities c ON c.id = a.clinic_id";

pub async fn agreement(conn: &mut Conn, id: i64) -> Result<Option<AgreementRow>> {
    Ok(sqlx::query_as(&format!("{AGREEMENT} WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// The agreements a facility is party to (as institution or clinic), newest first.
pub async fn agreements_of(conn: &mut Conn, facility_id: i64) -> Result<Vec<AgreementRow>> {
    Ok(sqlx::query_as(&format!(
        "{AGREEMENT} WHERE a.institution_id = $1 OR a.clinic_id = $1 \
         ORDER BY a.start_date DESC, a.id DESC"
    ))
    .bind(facility_id)
    .fetch_all(conn)
    .await?)
}

/// The agreements between one institution and one clinic.
pub async fn agreements_between(
    conn: &mut Conn,
    institution_id: i64,
    clinic_id: i64,
) -> Result<Vec<AgreementRow>> {
    Ok(sqlx::query_as(&format!(
        "{AGREEMENT} WHERE a.institution_id = $1 AND a.clinic_id = $2 ORDER BY a.start_date"
    ))
    .bind(institution_id)
    .bind(clinic_id)
    .fetch_all(conn)
    .await?)
}

/// The agreements of institutions in the region range `[lo, hi)` in force on `day`.
pub async fn current_agreements_in(
    conn: &mut Conn,
    lo: &str,
    hi: &str,
    day: &str,
) -> Result<Vec<AgreementRow>> {
    Ok(sqlx::query_as(&format!(
        "{AGREEMENT} WHERE a.region_code >= $1 AND a.region_code < $2 \
         AND a.start_date <= $3 AND (a.end_date IS NULL OR a.end_date >= $3) \
         ORDER BY a.region_code, i.name, a.id"
    ))
    .bind(lo)
    .bind(hi)
    .bind(day)
    .fetch_all(conn)
    .await?)
}

/// Ends an agreement: `end_date` becomes its last day in force.
pub async fn end_agreement(
    conn: &mut Conn,
    id: i64,
    end_date: &str,
    reason: &str,
    by: Option<i64>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE care_agreements SET end_date = $1, end_reason = $2, ended_by = $3, ended_at = $4 \
         WHERE id = $5",
    )
    .bind(end_date)
    .bind(reason)
    .bind(by)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A care institution, with how many clinic agreements it has in force.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InstitutionRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub region_code: String,
    pub current_agreements: i64,
}

/// The facilities of `kinds` in the region range `[lo, hi)`, each with the
/// number of its agreements in force on `day`.
pub async fn institutions(
    conn: &mut Conn,
    lo: &str,
    hi: &str,
    kinds: &[&str],
    day: &str,
) -> Result<Vec<InstitutionRow>> {
    let mut sql = Sql::new(
        "SELECT f.id, f.name, f.kind, f.region_code, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM care_agreements a WHERE a.institution_id = f.id \
            AND a.start_date <= ",
    );
    sql.bind(day)
        .push(" AND (a.end_date IS NULL OR a.end_date >= ")
        .bind(day)
        .push(")) AS current_agreements FROM facilities f WHERE f.region_code >= ")
        .bind(lo)
        .push(" AND f.region_code < ")
        .bind(hi)
        .push(" AND f.kind IN (");
    for (i, kind) in kinds.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(*kind);
    }
    if kinds.is_empty() {
        sql.push("''");
    }
    sql.push(") ORDER BY f.region_code, f.name, f.id");
    Ok(sql.query_as().fetch_all(conn).await?)
}
