//! The work of social-work stations: activities, social workers' training,
//! the station head, and the head's acknowledgements of raised visits.

use crate::{Conn, Result};

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
