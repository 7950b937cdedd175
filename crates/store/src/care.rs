//! Medical-care agreements between care institutions and clinics, and the
//! work of social-work stations: activities, social workers' training, the
//! station head, and the head's acknowledgements of raised visits.

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

// ---- station activities ----

pub struct NewActivity<'a> {
    pub station_id: i64,
    pub day: &'a str,
    pub kind: &'a str,
    pub title: &'a str,
    pub participants: i64,
    pub notes: &'a str,
    pub by: Option<i64>,
}

pub async fn add_activity(conn: &mut Conn, a: &NewActivity<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO station_activities (station_id, day, kind, title, participants, notes, \
         recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(a.station_id)
    .bind(a.day)
    .bind(a.kind)
    .bind(a.title)
    .bind(a.participants)
    .bind(a.notes)
    .bind(a.by)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActivityRow {
    pub id: i64,
    pub day: String,
    pub kind: String,
    pub title: String,
    pub participants: i64,
    pub notes: String,
    pub recorded_by: Option<String>,
}

/// A station's activities, newest first.
pub async fn activities(conn: &mut Conn, station_id: i64) -> Result<Vec<ActivityRow>> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.day, a.kind, a.title, a.participants, a.notes, \
         u.display_name AS recorded_by FROM station_activities a \
         LEFT JOIN users u ON u.id = a.recorded_by \
         WHERE a.station_id = $1 ORDER BY a.day DESC, a.id DESC",
    )
    .bind(station_id)
    .fetch_all(conn)
    .await?)
}

// ---- social workers' training ----

pub struct NewTraining<'a> {
    pub station_id: i64,
    pub worker_id: i64,
    pub course: &'a str,
    pub day: &'a str,
    pub hours_tenths: i64,
    pub organiser: &'a str,
    pub by: Option<i64>,
}

pub async fn add_training(conn: &mut Conn, t: &NewTraining<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO station_trainings (station_id, worker_id, course, day, hours_tenths, \
         organiser, recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(t.station_id)
    .bind(t.worker_id)
    .bind(t.course)
    .bind(t.day)
    .bind(t.hours_tenths)
    .bind(t.organiser)
    .bind(t.by)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TrainingRow {
    pub id: i64,
    pub worker_id: i64,
    pub worker: String,
    pub course: String,
    pub day: String,
    pub hours_tenths: i64,
    pub organiser: String,
}

/// A station's training records, newest first.
pub async fn trainings(conn: &mut Conn, station_id: i64) -> Result<Vec<TrainingRow>> {
    Ok(sqlx::query_as(
        "SELECT t.id, t.worker_id, u.display_name AS worker, t.course, t.day, t.hours_tenths, \
         t.organiser FROM station_trainings t JOIN users u ON u.id = t.worker_id \
         WHERE t.station_id = $1 ORDER BY t.day DESC, t.id DESC",
    )
    .bind(station_id)
    .fetch_all(conn)
    .await?)
}

// ---- the station's workers and head ----

/// A user bound to a facility: (id, username, display name, role, disabled).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WorkerRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub disabled: bool,
}

/// The users bound to a facility, by display name.
pub async fn workers(conn: &mut Conn, facility_id: i64) -> Result<Vec<WorkerRow>> {
    let rows: Vec<(i64, String, String, String, Option<i64>)> = sqlx::query_as(
        "SELECT id, username, display_name, role, disabled_at FROM users \
         WHERE facility_id = $1 ORDER BY display_name, id",
    )
    .bind(facility_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, username, display_name, role, disabled_at)| WorkerRow {
                id,
                username,
                display_name,
                role,
                disabled: disabled_at.is_some(),
            },
        )
        .collect())
}

/// The station head's user id, if one is designated.
pub async fn head(conn: &mut Conn, station_id: i64) -> Result<Option<i64>> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT user_id FROM station_heads WHERE station_id = $1")
            .bind(station_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(id,)| id))
}

/// Designates the head of a station, replacing any earlier one.
pub async fn set_head(
    conn: &mut Conn,
    station_id: i64,
    user_id: i64,
    by: Option<i64>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO station_heads (station_id, user_id, set_by, set_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (station_id) DO UPDATE SET user_id = excluded.user_id, \
         set_by = excluded.set_by, set_at = excluded.set_at",
    )
    .bind(station_id)
    .bind(user_id)
    .bind(by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

// ---- acknowledgements of raised visits ----

/// An acknowledgement: (person, due day, by whom, note, when).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AckRow {
    pub person_id: i64,
    pub due_on: String,
    pub acknowledged_by: String,
    pub note: String,
    pub acknowledged_at: i64,
}

pub async fn acks(conn: &mut Conn, station_id: i64) -> Result<Vec<AckRow>> {
    Ok(sqlx::query_as(
        "SELECT k.person_id, k.due_on, u.display_name AS acknowledged_by, k.note, \
         k.acknowledged_at FROM visit_raise_acks k JOIN users u ON u.id = k.acknowledged_by \
         WHERE k.station_id = $1",
    )
    .bind(station_id)
    .fetch_all(conn)
    .await?)
}

/// Records an acknowledgement; false when this spell was acknowledged already.
pub async fn acknowledge(
    conn: &mut Conn,
    station_id: i64,
    person_id: i64,
    due_on: &str,
    by: i64,
    note: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO visit_raise_acks (station_id, person_id, due_on, acknowledged_by, note, \
         acknowledged_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (station_id, person_id, due_on) DO NOTHING",
    )
    .bind(station_id)
    .bind(person_id)
    .bind(due_on)
    .bind(by)
    .bind(note)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
