//! A person's life events and what they reach: the enrolments, care plan,
//! carer assignments and open home-care orders a death or a move ends, and
//! the records entered after its date (held for review).

use crate::{Conn, Result};

/// A current enrolment (a centre's trainee, a canteen's diner place).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenEnrolment {
    pub id: i64,
    pub facility_id: i64,
    pub facility_name: String,
    pub facility_kind: String,
    pub start_date: String,
}

pub async fn open_enrolments(conn: &mut Conn, person_id: i64) -> Result<Vec<OpenEnrolment>> {
    Ok(sqlx::query_as(
        "SELECT e.id, e.facility_id, f.name AS facility_name, f.kind AS facility_kind, \
         e.start_date FROM enrolments e JOIN facilities f ON f.id = e.facility_id \
         WHERE e.person_id = $1 AND e.end_date IS NULL ORDER BY e.id",
    )
    .bind(person_id)
    .fetch_all(conn)
    .await?)
}

/// Empties a person's home-care plan; whether there was one.
pub async fn clear_care_plan(conn: &mut Conn, person_id: i64, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE home_care_clients SET plan = '[]', updated_at = $2 \
         WHERE person_id = $1 AND plan <> '[]'",
    )
    .bind(person_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Removes a child's carer assignments; how many there were.
pub async fn remove_carers(conn: &mut Conn, person_id: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM child_assignments WHERE person_id = $1")
        .bind(person_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// A home-care order of a person, as a life event sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderAfter {
    pub id: i64,
    pub item_name: String,
    pub scheduled_at: i64,
    pub state: String,
    pub government_fen: i64,
}

/// The person's home-care orders booked from `from` (Unix seconds) on.
pub async fn orders_from(conn: &mut Conn, person_id: i64, from: i64) -> Result<Vec<OrderAfter>> {
    Ok(sqlx::query_as(
        "SELECT id, item_name, scheduled_at, state, government_fen FROM home_care_orders \
         WHERE person_id = $1 AND scheduled_at >= $2 ORDER BY scheduled_at, id",
    )
    .bind(person_id)
    .bind(from)
    .fetch_all(conn)
    .await?)
}

/// A record entered for a day after a life event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecordAfter {
    /// meal, attendance, service or visit
    pub kind: String,
    pub day: String,
    /// The facility (empty for a visit).
    pub place: String,
    /// The meal, the service's title or the visit's mode.
    pub what: String,
    /// Subsidy paid with it, in fen (meals), else 0.
    pub subsidy_fen: i64,
}

/// Meals, attendance marked present, service records and visits dated after `day`.
pub async fn records_after(conn: &mut Conn, person_id: i64, day: &str) -> Result<Vec<RecordAfter>> {
    Ok(sqlx::query_as(
        "SELECT 'meal' AS kind, m.day, f.name AS place, m.meal AS what, m.subsidy_fen \
           FROM canteen_meals m JOIN facilities f ON f.id = m.facility_id \
           WHERE m.person_id = $1 AND m.day > $2 \
         UNION ALL SELECT 'attendance', a.day, f.name, '', CAST(0 AS BIGINT) \
           FROM attendance a JOIN facilities f ON f.id = a.facility_id \
           WHERE a.person_id = $1 AND a.day > $2 AND a.present = 1 \
         UNION ALL SELECT 'service', r.day, f.name, r.title, CAST(0 AS BIGINT) \
           FROM service_participants sp JOIN service_records r ON r.id = sp.record_id \
           JOIN facilities f ON f.id = r.facility_id \
           WHERE sp.person_id = $1 AND r.day > $2 \
         UNION ALL SELECT 'visit', v.day, '', v.mode, CAST(0 AS BIGINT) \
           FROM visits v WHERE v.person_id = $1 AND v.day > $2 \
         ORDER BY 2, 1",
    )
    .bind(person_id)
    .bind(day)
    .fetch_all(conn)
    .await?)
}

pub struct NewLifeEvent<'a> {
    pub person_id: i64,
    pub status: &'a str,
    pub event_date: &'a str,
    pub source: &'a str,
    pub ended: &'a str,
    pub by: Option<i64>,
}

pub async fn insert(conn: &mut Conn, e: &NewLifeEvent<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO life_events (person_id, status, event_date, source, ended, recorded_by, \
         recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(e.person_id)
    .bind(e.status)
    .bind(e.event_date)
    .bind(e.source)
    .bind(e.ended)
    .bind(e.by)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LifeEventRow {
    pub id: i64,
    pub status: String,
    pub event_date: String,
    pub source: String,
    pub ended: String,
    pub recorded_by: Option<String>,
    pub recorded_at: i64,
}

/// A person's life events, newest first, with who recorded them.
pub async fn of_person(conn: &mut Conn, person_id: i64) -> Result<Vec<LifeEventRow>> {
    Ok(sqlx::query_as(
        "SELECT e.id, e.status, e.event_date, e.source, e.ended, u.display_name AS recorded_by, \
         e.recorded_at FROM life_events e LEFT JOIN users u ON u.id = e.recorded_by \
         WHERE e.person_id = $1 ORDER BY e.recorded_at DESC, e.id DESC",
    )
    .bind(person_id)
    .fetch_all(conn)
    .await?)
}

/// Of `people`, those no longer alive and present who were ever enrolled in
/// `facility_id`: (person, status, status date). The facility knew them, so
/// it may be told why a service is refused.
pub async fn ended_here(
    conn: &mut Conn,
    facility_id: i64,
    people: &[i64],
) -> Result<Vec<(i64, String, Option<String>)>> {
    let mut out = Vec::new();
    for person in people {
        let row: Option<(i64, String, Option<String>)> = sqlx::query_as(
            "SELECT p.id, p.status, p.status_date FROM persons p \
             WHERE p.id = $1 AND p.status <> 'alive' AND EXISTS \
             (SELECT 1 FROM enrolments e WHERE e.person_id = p.id AND e.facility_id = $2)",
        )
        .bind(*person)
        .bind(facility_id)
        .fetch_optional(&mut *conn)
        .await?;
        out.extend(row);
    }
    Ok(out)
}

/// A person no longer alive and present whose services are still open.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StillOpen {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub status_date: Option<String>,
    /// Current enrolments (centre trainee, canteen diner place).
    pub enrolments: i64,
    /// 1 when the home-care plan is not empty.
    pub care_plan: i64,
    /// Carer assignments of a child.
    pub carers: i64,
}

/// The people of the scope whose register status says they died or moved
/// while an enrolment, a home-care plan or a carer assignment is still open:
/// what a status changed outside a life event (an edit, an import of the
/// register) left behind. A life event closes all three, so after one the
/// person is not listed.
pub async fn still_open(
    conn: &mut Conn,
    scope: &crate::register::PersonScope,
) -> Result<Vec<StillOpen>> {
    let mut sql = crate::sql::Sql::new(
        "SELECT id, name, status, status_date, enrolments, care_plan, carers FROM (\
         SELECT p.id, p.name, p.status, p.status_date, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM enrolments e WHERE e.person_id = p.id AND e.end_date IS NULL) AS enrolments, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM home_care_clients c WHERE c.person_id = p.id AND c.plan <> '[]') AS care_plan, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM child_assignments a WHERE a.person_id = p.id) AS carers \
         FROM persons p WHERE p.status <> 'alive' AND",
    );
    scope.apply(&mut sql);
    sql.push(") s WHERE enrolments > 0 OR care_plan > 0 OR carers > 0 ORDER BY id");
    Ok(sql.query_as().fetch_all(conn).await?)
}
