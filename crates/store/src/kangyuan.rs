//! What happens inside a facility: enrolment (入托), daily attendance (签到),
//! five-in-one service records, counselling sessions and piecework (外发加工).
//! Callers have already checked that the facility and the person lie in the
//! user's scope; these functions take facility and person ids as given.

use crate::sql::Sql;
use crate::{Conn, Result, StoreError};

// ---- enrolment ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EnrolmentRow {
    pub id: i64,
    pub person_id: i64,
    pub facility_id: i64,
    pub start_date: String,
    pub end_date: Option<String>,
    pub leave_reason: Option<String>,
}

/// Enrols a person; a second current enrolment in the same facility is a duplicate.
pub async fn enrol(
    conn: &mut Conn,
    facility_id: i64,
    person_id: i64,
    start_date: &str,
    by: Option<i64>,
    now: i64,
) -> Result<i64> {
    let row: std::result::Result<(i64,), sqlx::Error> = sqlx::query_as(
        "INSERT INTO enrolments (person_id, facility_id, start_date, enrolled_by, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(person_id)
    .bind(facility_id)
    .bind(start_date)
    .bind(by)
    .bind(now)
    .fetch_one(conn)
    .await;
    match row {
        Ok((id,)) => Ok(id),
        Err(e) => Err(StoreError::from(e).unique_as("current enrolment")),
    }
}

/// The person's current enrolment in the facility, if any.
pub async fn current_enrolment(
    conn: &mut Conn,
    facility_id: i64,
    person_id: i64,
) -> Result<Option<EnrolmentRow>> {
    Ok(sqlx::query_as(
        "SELECT id, person_id, facility_id, start_date, end_date, leave_reason FROM enrolments \
         WHERE facility_id = $1 AND person_id = $2 AND end_date IS NULL",
    )
    .bind(facility_id)
    .bind(person_id)
    .fetch_optional(conn)
    .await?)
}

/// The facilities a person is currently enrolled in: (facility id, kind).
pub async fn current_facilities_of(conn: &mut Conn, person_id: i64) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT f.id, f.kind FROM enrolments e JOIN facilities f ON f.id = e.facility_id \
         WHERE e.person_id = $1 AND e.end_date IS NULL",
    )
    .bind(person_id)
    .fetch_all(conn)
    .await?)
}

pub async fn end_enrolment(conn: &mut Conn, id: i64, end_date: &str, reason: &str) -> Result<()> {
    sqlx::query("UPDATE enrolments SET end_date = $1, leave_reason = $2 WHERE id = $3")
        .bind(end_date)
        .bind(reason)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A trainee on a facility's list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TraineeRow {
    pub enrolment_id: i64,
    pub person_id: i64,
    pub name: String,
    pub village_code: String,
    pub start_date: String,
    pub end_date: Option<String>,
    pub leave_reason: Option<String>,
}

/// Trainees enrolled at any time between `from` and `to` (inclusive), or
/// all current ones when `from` is None; ordered by name.
pub async fn trainees(
    conn: &mut Conn,
    facility_id: i64,
    period: Option<(&str, &str)>,
) -> Result<Vec<TraineeRow>> {
    let mut sql = Sql::new(
        "SELECT e.id AS enrolment_id, e.person_id, p.name, p.village_code, e.start_date, \
         e.end_date, e.leave_reason FROM enrolments e JOIN persons p ON p.id = e.person_id \
         WHERE e.facility_id = ",
    );
    sql.bind(facility_id);
    match period {
        None => {
            sql.push(" AND e.end_date IS NULL ORDER BY p.name, e.person_id");
        }
        Some((from, to)) => {
            sql.push(" AND e.start_date <= ")
                .bind(to)
                .push(" AND (e.end_date IS NULL OR e.end_date >= ")
                .bind(from)
                .push(") ORDER BY p.name, e.person_id, e.id");
        }
    }
    Ok(sql.query_as().fetch_all(conn).await?)
}

/// Every enrolment of a facility, past ones included, newest first.
pub async fn enrolment_history(conn: &mut Conn, facility_id: i64) -> Result<Vec<TraineeRow>> {
    Ok(sqlx::query_as(
        "SELECT e.id AS enrolment_id, e.person_id, p.name, p.village_code, e.start_date, \
         e.end_date, e.leave_reason FROM enrolments e JOIN persons p ON p.id = e.person_id \
         WHERE e.facility_id = $1 ORDER BY e.end_date IS NULL DESC, e.start_date DESC, e.id DESC",
    )
    .bind(facility_id)
    .fetch_all(conn)
    .await?)
}

// ---- attendance ----

/// Marks a trainee present or absent on a day; marking again replaces the mark.
pub async fn mark_attendance(
    conn: &mut Conn,
    facility_id: i64,
    person_id: i64,
    day: &str,
    present: bool,
    by: Option<i64>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO attendance (facility_id, person_id, day, present, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (facility_id, day, person_id) DO UPDATE SET present = excluded.present, \
         recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
    )
    .bind(facility_id)
    .bind(person_id)
    .bind(day)
    .bind(i64::from(present))
    .bind(by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes a mark (a tap taken back).
pub async fn clear_attendance(
    conn: &mut Conn,
    facility_id: i64,
    person_id: i64,
    day: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM attendance WHERE facility_id = $1 AND person_id = $2 AND day = $3")
        .bind(facility_id)
        .bind(person_id)
        .bind(day)
        .execute(conn)
        .await?;
    Ok(())
}

/// Attendance marks of a facility between two days inclusive: (person, day, present).
pub async fn attendance_between(
    conn: &mut Conn,
    facility_id: i64,
    from: &str,
    to: &str,
) -> Result<Vec<(i64, String, bool)>> {
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT person_id, day, present FROM attendance \
         WHERE facility_id = $1 AND day >= $2 AND day <= $3 ORDER BY day, person_id",
    )
    .bind(facility_id)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(p, d, x)| (p, d, x != 0)).collect())
}

// ---- service records ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServiceRow {
    pub id: i64,
    pub kind: String,
    pub day: String,
    pub title: String,
    pub group_activity: i64,
    pub notes: String,
    pub participants: i64,
}

pub struct NewService<'a> {
    pub facility_id: i64,
    pub kind: &'a str,
    pub day: &'a str,
    pub title: &'a str,
    pub group_activity: bool,
    pub notes: &'a str,
    pub participants: &'a [i64],
    pub by: Option<i64>,
}

pub async fn add_service(conn: &mut Conn, s: &NewService<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO service_records (facility_id, kind, day, title, group_activity, notes, \
         recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(s.facility_id)
    .bind(s.kind)
    .bind(s.day)
    .bind(s.title)
    .bind(i64::from(s.group_activity))
    .bind(s.notes)
    .bind(s.by)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    for person in s.participants {
        sqlx::query("INSERT INTO service_participants (record_id, person_id) VALUES ($1, $2)")
            .bind(id)
            .bind(person)
            .execute(&mut *conn)
            .await?;
    }
    Ok(id)
}

/// A facility's latest service records with their participant counts.
pub async fn services(conn: &mut Conn, facility_id: i64, limit: i64) -> Result<Vec<ServiceRow>> {
    Ok(sqlx::query_as(
        "SELECT s.id, s.kind, s.day, s.title, s.group_activity, s.notes, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM service_participants sp WHERE sp.record_id = s.id) \
         AS participants FROM service_records s WHERE s.facility_id = $1 \
         ORDER BY s.day DESC, s.id DESC LIMIT $2",
    )
    .bind(facility_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Service records of a facility by kind since `from`: (kind, records, person-times).
pub async fn service_counts(
    conn: &mut Conn,
    facility_id: i64,
    from: &str,
) -> Result<Vec<(String, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT s.kind, CAST(COUNT(DISTINCT s.id) AS BIGINT), CAST(COUNT(sp.person_id) AS BIGINT) \
         FROM service_records s LEFT JOIN service_participants sp ON sp.record_id = s.id \
         WHERE s.facility_id = $1 AND s.day >= $2 GROUP BY s.kind ORDER BY s.kind",
    )
    .bind(facility_id)
    .bind(from)
    .fetch_all(conn)
    .await?)
}

// ---- counselling ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CounsellingRow {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    pub day: String,
    pub counsellor: Option<String>,
    pub notes_cipher: Vec<u8>,
}

pub async fn add_counselling(
    conn: &mut Conn,
    facility_id: i64,
    person_id: i64,
    day: &str,
    counsellor_id: Option<i64>,
    notes_cipher: &[u8],
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO counselling_sessions (facility_id, person_id, day, counsellor_id, \
         notes_cipher, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(facility_id)
    .bind(person_id)
    .bind(day)
    .bind(counsellor_id)
    .bind(notes_cipher)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn counselling(conn: &mut Conn, facility_id: i64) -> Result<Vec<CounsellingRow>> {
    Ok(sqlx::query_as(
        "SELECT c.id, c.person_id, p.name, c.day, u.display_name AS counsellor, c.notes_cipher \
         FROM counselling_sessions c JOIN persons p ON p.id = c.person_id \
         LEFT JOIN users u ON u.id = c.counsellor_id \
         WHERE c.facility_id = $1 ORDER BY c.day DESC, c.id DESC",
    )
    .bind(facility_id)
    .fetch_all(conn)
    .await?)
}

// ---- piecework ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    pub id: i64,
    pub facility_id: i64,
    pub company: String,
    pub product: String,
    pub unit_price_fen: i64,
    pub quantity: i64,
    pub start_date: String,
    pub due_date: String,
    /// Pieces made so far.
    pub produced: i64,
}

pub struct NewOrder<'a> {
    pub facility_id: i64,
    pub company: &'a str,
    pub product: &'a str,
    pub unit_price_fen: i64,
    pub quantity: i64,
    pub start_date: &'a str,
    pub due_date: &'a str,
}

pub async fn add_order(conn: &mut Conn, o: &NewOrder<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO piecework_orders (facility_id, company, product, unit_price_fen, quantity, \
         start_date, due_date, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(o.facility_id)
    .bind(o.company)
    .bind(o.product)
    .bind(o.unit_price_fen)
    .bind(o.quantity)
    .bind(o.start_date)
    .bind(o.due_date)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

const ORDER_COLUMNS: &str = "o.id, o.facility_id, o.company, o.product, o.unit_price_fen, \
    o.quantity, o.start_date, o.due_date, \
    (SELECT CAST(COALESCE(SUM(w.quantity), 0) AS BIGINT) FROM piecework_output w \
     WHERE w.order_id = o.id) AS produced";

pub async fn orders(conn: &mut Conn, facility_id: i64) -> Result<Vec<OrderRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM piecework_orders o WHERE o.facility_id = $1 \
         ORDER BY o.start_date DESC, o.id DESC"
    ))
    .bind(facility_id)
    .fetch_all(conn)
    .await?)
}

/// The order `id` if it belongs to the facility.
pub async fn order(conn: &mut Conn, facility_id: i64, id: i64) -> Result<Option<OrderRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM piecework_orders o WHERE o.facility_id = $1 AND o.id = $2"
    ))
    .bind(facility_id)
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Records a trainee's output of a day on an order; recording again replaces it.
pub async fn record_output(
    conn: &mut Conn,
    order_id: i64,
    person_id: i64,
    day: &str,
    quantity: i64,
    by: Option<i64>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO piecework_output (order_id, person_id, day, quantity, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (order_id, day, person_id) DO UPDATE SET quantity = excluded.quantity, \
         recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
    )
    .bind(order_id)
    .bind(person_id)
    .bind(day)
    .bind(quantity)
    .bind(by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// One trainee's output on one order over a period, for the payout sheet.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutputTotal {
    pub person_id: i64,
    pub name: String,
    pub order_id: i64,
    pub product: String,
    pub unit_price_fen: i64,
    pub quantity: i64,
}

pub async fn output_between(
    conn: &mut Conn,
    facility_id: i64,
    from: &str,
    to: &str,
) -> Result<Vec<OutputTotal>> {
    Ok(sqlx::query_as(
        "SELECT w.person_id, p.name, o.id AS order_id, o.product, o.unit_price_fen, \
         CAST(SUM(w.quantity) AS BIGINT) AS quantity \
         FROM piecework_output w JOIN piecework_orders o ON o.id = w.order_id \
         JOIN persons p ON p.id = w.person_id \
         WHERE o.facility_id = $1 AND w.day >= $2 AND w.day <= $3 \
         GROUP BY w.person_id, p.name, o.id, o.product, o.unit_price_fen \
         ORDER BY p.name, w.person_id, o.id",
    )
    .bind(facility_id)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}
