//! Orders and their steps: insert, read in scope, move one step, review,
//! the late sweep, and the demo's whole historic orders.

use super::OrderScope;
use crate::sql::Sql;
use crate::{Conn, Result};

pub struct NewOrder<'a> {
    pub person_id: i64,
    pub village_code: &'a str,
    pub item_code: &'a str,
    pub item_name: &'a str,
    pub quantity: i64,
    pub standard_minutes: i64,
    pub unit_price_fen: i64,
    pub government_fen: i64,
    pub personal_fen: i64,
    pub entitlement_code: &'a str,
    pub month: &'a str,
    pub channel: &'a str,
    pub notes: &'a str,
    pub scheduled_at: i64,
    pub state: &'a str,
    pub created_by: Option<i64>,
}

pub async fn insert_order(conn: &mut Conn, o: &NewOrder<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO home_care_orders (person_id, village_code, item_code, item_name, quantity, \
         standard_minutes, unit_price_fen, government_fen, personal_fen, entitlement_code, month, \
         channel, notes, scheduled_at, state, state_since, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $16) RETURNING id",
    )
    .bind(o.person_id)
    .bind(o.village_code)
    .bind(o.item_code)
    .bind(o.item_name)
    .bind(o.quantity)
    .bind(o.standard_minutes)
    .bind(o.unit_price_fen)
    .bind(o.government_fen)
    .bind(o.personal_fen)
    .bind(o.entitlement_code)
    .bind(o.month)
    .bind(o.channel)
    .bind(o.notes)
    .bind(o.scheduled_at)
    .bind(o.state)
    .bind(now)
    .bind(o.created_by)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// An order with the names a list shows. The person's address is their
/// register address (not sensitive as such, but person-level: shown only to
/// those the scope lets see the order).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub address: String,
    pub village_code: String,
    pub village_name: String,
    pub item_code: String,
    pub item_name: String,
    pub quantity: i64,
    pub standard_minutes: i64,
    pub unit_price_fen: i64,
    pub government_fen: i64,
    pub personal_fen: i64,
    pub entitlement_code: String,
    pub month: String,
    pub channel: String,
    pub notes: String,
    pub scheduled_at: i64,
    pub state: String,
    pub state_since: i64,
    pub was_late: i64,
    pub provider_id: Option<i64>,
    pub provider_name: Option<String>,
    pub caregiver_id: Option<i64>,
    pub caregiver_name: Option<String>,
    pub caregiver_user_id: Option<i64>,
    pub dispatched_at: Option<i64>,
    pub accepted_at: Option<i64>,
    pub check_in_at: Option<i64>,
    pub check_in_lon_e6: Option<i64>,
    pub check_in_lat_e6: Option<i64>,
    pub check_out_at: Option<i64>,
    pub check_out_lon_e6: Option<i64>,
    pub check_out_lat_e6: Option<i64>,
    pub cancel_reason: String,
    pub rating: Option<i64>,
    pub rating_by: String,
    pub rating_comment: String,
    pub anomalies: String,
    pub review: String,
    pub review_note: String,
    pub created_at: i64,
}

const ORDER_SELECT: &str = "SELECT o.id, o.person_id, p.name AS person_name, p.address, \
    o.village_code, COALESCE(r.name, '') AS village_name, o.item_code, o.item_name, o.quantity, \
    o.standard_minutes, o.unit_price_fen, o.government_fen, o.personal_fen, o.entitlement_code, \
    o.month, o.channel, o.notes, o.scheduled_at, o.state, o.state_since, o.was_late, o.provider_id, \
    f.name AS provider_name, o.caregiver_id, c.name AS caregiver_name, c.user_id AS caregiver_user_id, \
    o.dispatched_at, o.accepted_at, o.check_in_at, o.check_in_lon_e6, o.check_in_lat_e6, \
    o.check_out_at, o.check_out_lon_e6, o.check_out_lat_e6, o.cancel_reason, o.rating, o.rating_by, \
    o.rating_comment, o.anomalies, o.review, o.review_note, o.created_at \
    FROM home_care_orders o JOIN persons p ON p.id = o.person_id \
    LEFT JOIN regions r ON r.code = o.village_code \
    LEFT JOIN facilities f ON f.id = o.provider_id \
    LEFT JOIN home_care_caregivers c ON c.id = o.caregiver_id WHERE";

/// The order `id` if it lies in the scope.
pub async fn order(conn: &mut Conn, scope: &OrderScope, id: i64) -> Result<Option<OrderRow>> {
    let mut sql = Sql::new(ORDER_SELECT);
    sql.push(" o.id = ").bind(id).push(" AND");
    scope.apply(&mut sql);
    Ok(sql.query_as().fetch_optional(conn).await?)
}

/// What an order list is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub state: Option<String>,
    pub provider_id: Option<i64>,
    pub person_id: Option<i64>,
    pub month: Option<String>,
    /// Orders assigned to this caregiver.
    pub caregiver_id: Option<i64>,
    /// Only orders with anomalies not yet reviewed.
    pub unreviewed: bool,
    /// Only orders still open (not done, rated or cancelled).
    pub open: bool,
    pub limit: i64,
}

pub async fn orders(conn: &mut Conn, scope: &OrderScope, f: &OrderFilter) -> Result<Vec<OrderRow>> {
    let mut sql = Sql::new(ORDER_SELECT);
    scope.apply(&mut sql);
    if let Some(state) = &f.state {
        sql.push(" AND o.state = ").bind(state.as_str());
    }
    if let Some(p) = f.provider_id {
        sql.push(" AND o.provider_id = ").bind(p);
    }
    if let Some(p) = f.person_id {
        sql.push(" AND o.person_id = ").bind(p);
    }
    if let Some(m) = &f.month {
        sql.push(" AND o.month = ").bind(m.as_str());
    }
    if let Some(c) = f.caregiver_id {
        sql.push(" AND o.caregiver_id = ").bind(c);
    }
    if f.unreviewed {
        sql.push(" AND o.anomalies <> '[]' AND o.review = ''");
    }
    if f.open {
        sql.push(" AND o.state IN ('requested', 'dispatched', 'accepted', 'on_site')");
    }
    sql.push(" ORDER BY o.scheduled_at DESC, o.id DESC LIMIT ")
        .bind(if f.limit > 0 { f.limit } else { 500 });
    Ok(sql.query_as().fetch_all(conn).await?)
}

/// Government-purchased service already taken by a person in a month
/// (orders not cancelled), in fen.
pub async fn used_in_month(conn: &mut Conn, person_id: i64, month: &str) -> Result<i64> {
    let (used,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(government_fen), 0) AS BIGINT) FROM home_care_orders \
         WHERE person_id = $1 AND month = $2 AND state <> 'cancelled'",
    )
    .bind(person_id)
    .bind(month)
    .fetch_one(conn)
    .await?;
    Ok(used)
}

/// The other live orders of a person around a time, as (order, start, end):
/// the time on site where there was one, else the booked time and standard.
pub async fn spans_of_person(
    conn: &mut Conn,
    person_id: i64,
    except: i64,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, i64, i64)>> {
    // (order, booked at, standard minutes, checked in, checked out)
    type Row = (i64, i64, i64, Option<i64>, Option<i64>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, scheduled_at, standard_minutes, check_in_at, check_out_at FROM home_care_orders \
         WHERE person_id = $1 AND id <> $2 AND state <> 'cancelled' \
         AND scheduled_at < $4 AND COALESCE(check_out_at, scheduled_at + standard_minutes * 60) > $3",
    )
    .bind(person_id)
    .bind(except)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, scheduled, minutes, check_in, check_out)| {
            let start = check_in.unwrap_or(scheduled);
            let end = check_out.unwrap_or(start + minutes * 60);
            (id, start, end)
        })
        .collect())
}

/// Records a step's event.
pub async fn add_event(
    conn: &mut Conn,
    order_id: i64,
    step: &str,
    state: &str,
    by: Option<i64>,
    note: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO home_care_order_events (order_id, at, step, state, by_user, note) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(order_id)
    .bind(now)
    .bind(step)
    .bind(state)
    .bind(by)
    .bind(note)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub at: i64,
    pub step: String,
    pub state: String,
    pub by_name: Option<String>,
    pub note: String,
}

pub async fn events(conn: &mut Conn, order_id: i64) -> Result<Vec<EventRow>> {
    Ok(sqlx::query_as(
        "SELECT e.at, e.step, e.state, u.display_name AS by_name, e.note FROM home_care_order_events e \
         LEFT JOIN users u ON u.id = e.by_user WHERE e.order_id = $1 ORDER BY e.at, e.id",
    )
    .bind(order_id)
    .fetch_all(conn)
    .await?)
}

/// Moves an order from `from` to `to`, setting the step's columns; false
/// when the order was no longer in `from` (someone else moved it first).
pub async fn step(
    conn: &mut Conn,
    id: i64,
    from: &str,
    to: &str,
    now: i64,
    set: &StepColumns<'_>,
) -> Result<bool> {
    let mut sql = Sql::new("UPDATE home_care_orders SET state = ");
    sql.bind(to).push(", state_since = ").bind(now);
    if let Some(p) = set.provider_id {
        sql.push(", provider_id = ")
            .bind(p)
            .push(", caregiver_id = NULL, dispatched_at = ")
            .bind(now);
    }
    if let Some(c) = set.caregiver_id {
        sql.push(", caregiver_id = ")
            .bind(c)
            .push(", accepted_at = ")
            .bind(now);
    }
    if let Some((lon, lat)) = set.check_in {
        sql.push(", check_in_at = ")
            .bind(now)
            .push(", check_in_lon_e6 = ")
            .bind(lon)
            .push(", check_in_lat_e6 = ")
            .bind(lat);
    }
    if let Some((lon, lat)) = set.check_out {
        sql.push(", check_out_at = ")
            .bind(now)
            .push(", check_out_lon_e6 = ")
            .bind(lon)
            .push(", check_out_lat_e6 = ")
            .bind(lat);
    }
    if let Some(a) = set.anomalies {
        sql.push(", anomalies = ").bind(a);
    }
    if let Some(r) = set.cancel_reason {
        sql.push(", cancel_reason = ").bind(r);
    }
    if let Some((stars, by, comment)) = set.rating {
        sql.push(", rating = ")
            .bind(stars)
            .push(", rating_by = ")
            .bind(by)
            .push(", rating_comment = ")
            .bind(comment)
            .push(", rated_at = ")
            .bind(now);
    }
    if set.late {
        sql.push(", was_late = 1");
    }
    sql.push(" WHERE id = ")
        .bind(id)
        .push(" AND state = ")
        .bind(from)
        .push(" RETURNING id");
    let moved: Option<(i64,)> = sql.query_as().fetch_optional(conn).await?;
    Ok(moved.is_some())
}

/// What a step sets besides the state.
#[derive(Debug, Clone, Default)]
pub struct StepColumns<'a> {
    pub provider_id: Option<i64>,
    pub caregiver_id: Option<i64>,
    pub check_in: Option<(Option<i64>, Option<i64>)>,
    pub check_out: Option<(Option<i64>, Option<i64>)>,
    pub anomalies: Option<&'a str>,
    pub cancel_reason: Option<&'a str>,
    pub rating: Option<(i64, &'a str, &'a str)>,
    /// The state being left ran past its time limit.
    pub late: bool,
}

/// Records a reviewer's decision on a flagged order not reviewed before.
pub async fn review(
    conn: &mut Conn,
    id: i64,
    outcome: &str,
    note: &str,
    by: i64,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE home_care_orders SET review = $1, review_note = $2, reviewed_by = $3, reviewed_at = $4 \
         WHERE id = $5 AND anomalies <> '[]' AND review = ''",
    )
    .bind(outcome)
    .bind(note)
    .bind(by)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks orders late (they ran past a time limit); returns how many were new.
pub async fn mark_late(conn: &mut Conn, ids: &[i64]) -> Result<u64> {
    let mut n = 0;
    for id in ids {
        n += sqlx::query("UPDATE home_care_orders SET was_late = 1 WHERE id = $1 AND was_late = 0")
            .bind(id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(n)
}

/// Orders still open in scope (for the late sweep): (id, state, state since,
/// scheduled at, standard minutes, late already).
pub async fn open_orders(
    conn: &mut Conn,
    scope: &OrderScope,
) -> Result<Vec<(i64, String, i64, i64, i64, i64)>> {
    let mut sql = Sql::new(
        "SELECT o.id, o.state, o.state_since, o.scheduled_at, o.standard_minutes, o.was_late \
         FROM home_care_orders o WHERE o.state IN ('requested', 'dispatched', 'accepted', 'on_site') AND",
    );
    scope.apply(&mut sql);
    sql.push(" ORDER BY o.id");
    Ok(sql.query_as().fetch_all(conn).await?)
}

/// An order written whole, with the times of each step: the demo's history.
#[derive(Debug, Clone, Default)]
pub struct HistoricOrder {
    pub person_id: i64,
    pub village_code: String,
    pub item_code: String,
    pub item_name: String,
    pub quantity: i64,
    pub standard_minutes: i64,
    pub unit_price_fen: i64,
    pub government_fen: i64,
    pub personal_fen: i64,
    pub entitlement_code: String,
    pub month: String,
    pub channel: String,
    pub scheduled_at: i64,
    pub state: String,
    pub state_since: i64,
    pub was_late: bool,
    pub provider_id: Option<i64>,
    pub caregiver_id: Option<i64>,
    pub dispatched_at: Option<i64>,
    pub accepted_at: Option<i64>,
    pub check_in_at: Option<i64>,
    pub check_in_at_e6: Option<(i64, i64)>,
    pub check_out_at: Option<i64>,
    pub cancel_reason: String,
    pub rating: Option<(i64, String, String, i64)>,
    pub anomalies: String,
    pub review: Option<(String, String, i64)>,
    pub created_at: i64,
}

pub async fn insert_historic(conn: &mut Conn, o: &HistoricOrder) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO home_care_orders (person_id, village_code, item_code, item_name, quantity, \
         standard_minutes, unit_price_fen, government_fen, personal_fen, entitlement_code, month, \
         channel, notes, scheduled_at, state, state_since, was_late, provider_id, caregiver_id, \
         dispatched_at, accepted_at, check_in_at, check_in_lon_e6, check_in_lat_e6, check_out_at, \
         cancel_reason, rating, rating_by, rating_comment, rated_at, anomalies, review, review_note, \
         reviewed_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, '', $13, \
         $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, \
         $32, $33, $34) RETURNING id",
    )
    .bind(o.person_id)
    .bind(&o.village_code)
    .bind(&o.item_code)
    .bind(&o.item_name)
    .bind(o.quantity)
    .bind(o.standard_minutes)
    .bind(o.unit_price_fen)
    .bind(o.government_fen)
    .bind(o.personal_fen)
    .bind(&o.entitlement_code)
    .bind(&o.month)
    .bind(&o.channel)
    .bind(o.scheduled_at)
    .bind(&o.state)
    .bind(o.state_since)
    .bind(i64::from(o.was_late))
    .bind(o.provider_id)
    .bind(o.caregiver_id)
    .bind(o.dispatched_at)
    .bind(o.accepted_at)
    .bind(o.check_in_at)
    .bind(o.check_in_at_e6.map(|p| p.0))
    .bind(o.check_in_at_e6.map(|p| p.1))
    .bind(o.check_out_at)
    .bind(&o.cancel_reason)
    .bind(o.rating.as_ref().map(|r| r.0))
    .bind(o.rating.as_ref().map(|r| r.1.clone()).unwrap_or_default())
    .bind(o.rating.as_ref().map(|r| r.2.clone()).unwrap_or_default())
    .bind(o.rating.as_ref().map(|r| r.3))
    .bind(&o.anomalies)
    .bind(o.review.as_ref().map(|r| r.0.clone()).unwrap_or_default())
    .bind(o.review.as_ref().map(|r| r.1.clone()).unwrap_or_default())
    .bind(o.review.as_ref().map(|r| r.2))
    .bind(o.created_at)
    .fetch_one(conn)
    .await?;
    Ok(id)
}
