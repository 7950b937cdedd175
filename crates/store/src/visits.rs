//! Social-work visits: the rules (as JSON) and the visits made.

use crate::{Conn, Result};

/// Stores the rules on a database that has none.
pub async fn seed_rules(conn: &mut Conn, rules: &[(String, String)], now: i64) -> Result<()> {
    let (n,): (i64,) = sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM visit_rules")
        .fetch_one(&mut *conn)
        .await?;
    if n > 0 {
        return Ok(());
    }
    for (code, body) in rules {
        sqlx::query("INSERT INTO visit_rules (code, body, updated_at) VALUES ($1, $2, $3)")
            .bind(code)
            .bind(body)
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Every rule's JSON body, by code.
pub async fn rules(conn: &mut Conn) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT body FROM visit_rules ORDER BY code")
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|(b,)| b).collect())
}

pub struct NewVisit<'a> {
    pub person_id: i64,
    pub station_id: Option<i64>,
    pub worker_id: Option<i64>,
    pub day: &'a str,
    pub mode: &'a str,
    pub findings: &'a str,
    pub risk_flags: &'a str,
    pub referral: &'a str,
    pub notes: &'a str,
}

pub async fn add(conn: &mut Conn, v: &NewVisit<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO visits (person_id, station_id, worker_id, day, mode, findings, risk_flags, \
         referral, notes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(v.person_id)
    .bind(v.station_id)
    .bind(v.worker_id)
    .bind(v.day)
    .bind(v.mode)
    .bind(v.findings)
    .bind(v.risk_flags)
    .bind(v.referral)
    .bind(v.notes)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VisitRow {
    pub id: i64,
    pub day: String,
    pub mode: String,
    pub findings: String,
    pub risk_flags: String,
    pub referral: String,
    pub notes: String,
    pub worker: Option<String>,
}

pub async fn of_person(conn: &mut Conn, person_id: i64) -> Result<Vec<VisitRow>> {
    Ok(sqlx::query_as(
        "SELECT v.id, v.day, v.mode, v.findings, v.risk_flags, v.referral, v.notes, \
         u.display_name AS worker FROM visits v LEFT JOIN users u ON u.id = v.worker_id \
         WHERE v.person_id = $1 ORDER BY v.day DESC, v.id DESC",
    )
    .bind(person_id)
    .fetch_all(conn)
    .await?)
}

/// A person living in a station's villages, with what the rules look at and
/// their last visits: (any kind, in person).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Visitee {
    pub id: i64,
    pub name: String,
    pub village_code: String,
    pub village_name: String,
    pub birth_date: String,
    pub status: String,
    pub living_situation: Option<String>,
    pub economic_status: Option<String>,
    pub child_category: Option<String>,
    pub last_any: Option<String>,
    pub last_in_person: Option<String>,
    /// Who made the latest visit (a user's display name), if anyone recorded.
    pub last_worker: Option<String>,
}

/// The people of a station's villages who may need visits: elderly (born on
/// or before `elderly_born_by`), children in need, and anyone in special
/// economic difficulty; with their last visits.
pub async fn visitees(
    conn: &mut Conn,
    station_id: i64,
    elderly_born_by: &str,
) -> Result<Vec<Visitee>> {
    Ok(sqlx::query_as(
        "SELECT p.id, p.name, p.village_code, r.name AS village_name, p.birth_date, p.status, \
         p.living_situation, p.economic_status, p.child_category, \
         (SELECT MAX(v.day) FROM visits v WHERE v.person_id = p.id) AS last_any, \
         (SELECT MAX(v.day) FROM visits v WHERE v.person_id = p.id AND v.mode = 'in_person') \
           AS last_in_person, \
         (SELECT u.display_name FROM visits v JOIN users u ON u.id = v.worker_id \
           WHERE v.person_id = p.id ORDER BY v.day DESC, v.id DESC LIMIT 1) AS last_worker \
         FROM facility_villages fv JOIN persons p ON p.village_code = fv.village_code \
         JOIN regions r ON r.code = p.village_code \
         WHERE fv.facility_id = $1 AND p.status = 'alive' \
         AND (p.birth_date <= $2 OR p.child_category IS NOT NULL) \
         ORDER BY p.village_code, p.name, p.id",
    )
    .bind(station_id)
    .bind(elderly_born_by)
    .fetch_all(conn)
    .await?)
}
