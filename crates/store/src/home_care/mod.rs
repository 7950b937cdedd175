//! Home-care service orders: the catalogue and entitlement rules (JSON
//! bodies), caregivers, clients' homes and care plans, orders and their
//! steps, complaints and call-backs. Every read of an order takes an
//! [`OrderScope`]: the user's region subtree and, for facility users, what
//! their facility is to the order (see [`OrderScope::apply`]).

use crate::register::PersonScope;
use crate::sql::Sql;
use crate::{Conn, Result};
use kangyang_domain::Scope;

/// The orders a user may see, as SQL bounds.
#[derive(Debug, Clone)]
pub struct OrderScope {
    lo: String,
    hi: String,
    facility_id: Option<i64>,
}

impl From<&Scope> for OrderScope {
    fn from(scope: &Scope) -> OrderScope {
        let (lo, hi) = scope.region().subtree_range();
        OrderScope {
            lo,
            hi,
            facility_id: scope.facility_id(),
        }
    }
}

impl OrderScope {
    /// Appends the scope condition for home_care_orders aliased `o`.
    pub(crate) fn apply(&self, sql: &mut Sql) {
        sql.push(" o.village_code >= ")
            .bind(self.lo.as_str())
            .push(" AND o.village_code < ")
            .bind(self.hi.as_str());
        if let Some(f) = self.facility_id {
            // A provider's staff see the orders dispatched to their provider;
            // the city's quality guidance centre supervises every order of
            // its region; a social work station sees its villages' orders.
            sql.push(" AND (o.provider_id = ")
                .bind(f)
                .push(" OR EXISTS (SELECT 1 FROM facilities qf WHERE qf.kind = 'care_quality_centre' AND qf.id = ")
                .bind(f)
                .push(") OR EXISTS (SELECT 1 FROM facility_villages fv JOIN facilities sf ON sf.id = fv.facility_id \
                       WHERE sf.kind = 'social_work_station' AND fv.village_code = o.village_code AND fv.facility_id = ")
                .bind(f)
                .push("))");
        }
    }
}

// ---- catalogue and rules ----

async fn seed(conn: &mut Conn, table: &str, rows: &[(String, String)], now: i64) -> Result<()> {
    let (n,): (i64,) = sqlx::query_as(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table}"))
        .fetch_one(&mut *conn)
        .await?;
    if n > 0 {
        return Ok(());
    }
    for (position, (code, body)) in rows.iter().enumerate() {
        sqlx::query(&format!(
            "INSERT INTO {table} (code, position, body, updated_at) VALUES ($1, $2, $3, $4)"
        ))
        .bind(code)
        .bind(position as i64)
        .bind(body)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn bodies(conn: &mut Conn, table: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as(&format!("SELECT body FROM {table} ORDER BY position, code"))
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(b,)| b).collect())
}

/// Stores the catalogue on a database that has none.
pub async fn seed_items(conn: &mut Conn, items: &[(String, String)], now: i64) -> Result<()> {
    seed(conn, "home_care_items", items, now).await
}

/// Stores the entitlement rules on a database that has none.
pub async fn seed_entitlements(
    conn: &mut Conn,
    rules: &[(String, String)],
    now: i64,
) -> Result<()> {
    seed(conn, "home_care_entitlements", rules, now).await
}

/// The catalogue's JSON bodies in list order.
pub async fn items(conn: &mut Conn) -> Result<Vec<String>> {
    bodies(conn, "home_care_items").await
}

/// The entitlement rules' JSON bodies, most generous first.
pub async fn entitlements(conn: &mut Conn) -> Result<Vec<String>> {
    bodies(conn, "home_care_entitlements").await
}

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

// ---- clients ----

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct ClientRow {
    pub person_id: i64,
    pub longitude_e6: Option<i64>,
    pub latitude_e6: Option<i64>,
    pub plan: String,
}

pub async fn client(conn: &mut Conn, person_id: i64) -> Result<Option<ClientRow>> {
    Ok(sqlx::query_as(
        "SELECT person_id, longitude_e6, latitude_e6, plan FROM home_care_clients WHERE person_id = $1",
    )
    .bind(person_id)
    .fetch_optional(conn)
    .await?)
}

pub async fn save_client(conn: &mut Conn, c: &ClientRow, by: Option<i64>, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO home_care_clients (person_id, longitude_e6, latitude_e6, plan, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (person_id) DO UPDATE SET \
         longitude_e6 = excluded.longitude_e6, latitude_e6 = excluded.latitude_e6, plan = excluded.plan, \
         updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(c.person_id)
    .bind(c.longitude_e6)
    .bind(c.latitude_e6)
    .bind(&c.plan)
    .bind(now)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// Clients with a care plan, in the scope: (person id, plan JSON).
pub async fn planned_clients(conn: &mut Conn, scope: &PersonScope) -> Result<Vec<(i64, String)>> {
    let mut sql = Sql::new(
        "SELECT c.person_id, c.plan FROM home_care_clients c JOIN persons p ON p.id = c.person_id \
         WHERE c.plan <> '[]' AND p.status = 'alive' AND",
    );
    scope.apply(&mut sql);
    sql.push(" ORDER BY c.person_id");
    Ok(sql.query_as().fetch_all(conn).await?)
}

// ---- orders ----

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

// ---- complaints and call-backs ----

pub async fn add_complaint(
    conn: &mut Conn,
    order_id: i64,
    text: &str,
    by: Option<i64>,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO home_care_complaints (order_id, received_at, received_by, text, status) \
         VALUES ($1, $2, $3, $4, 'open') RETURNING id",
    )
    .bind(order_id)
    .bind(now)
    .bind(by)
    .bind(text)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ComplaintRow {
    pub id: i64,
    pub order_id: i64,
    pub person_name: String,
    pub item_name: String,
    pub provider_name: Option<String>,
    pub received_at: i64,
    pub text: String,
    pub status: String,
    pub outcome: String,
    pub closed_at: Option<i64>,
}

const COMPLAINT_SELECT: &str = "SELECT k.id, k.order_id, p.name AS person_name, o.item_name, \
    f.name AS provider_name, k.received_at, k.text, k.status, k.outcome, k.closed_at \
    FROM home_care_complaints k JOIN home_care_orders o ON o.id = k.order_id \
    JOIN persons p ON p.id = o.person_id LEFT JOIN facilities f ON f.id = o.provider_id WHERE";

/// Complaints about orders in scope, open ones first.
pub async fn complaints(
    conn: &mut Conn,
    scope: &OrderScope,
    order_id: Option<i64>,
) -> Result<Vec<ComplaintRow>> {
    let mut sql = Sql::new(COMPLAINT_SELECT);
    scope.apply(&mut sql);
    if let Some(o) = order_id {
        sql.push(" AND k.order_id = ").bind(o);
    }
    sql.push(" ORDER BY CASE WHEN k.status = 'open' THEN 0 ELSE 1 END, k.received_at DESC, k.id DESC LIMIT 500");
    Ok(sql.query_as().fetch_all(conn).await?)
}

/// The complaint `id` if its order lies in the scope.
pub async fn complaint(
    conn: &mut Conn,
    scope: &OrderScope,
    id: i64,
) -> Result<Option<ComplaintRow>> {
    let mut sql = Sql::new(COMPLAINT_SELECT);
    sql.push(" k.id = ").bind(id).push(" AND");
    scope.apply(&mut sql);
    Ok(sql.query_as().fetch_optional(conn).await?)
}

pub async fn close_complaint(
    conn: &mut Conn,
    id: i64,
    outcome: &str,
    by: Option<i64>,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE home_care_complaints SET status = 'closed', outcome = $1, closed_by = $2, closed_at = $3 \
         WHERE id = $4 AND status = 'open'",
    )
    .bind(outcome)
    .bind(by)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Finished orders of a month in scope for call-back sampling: (order,
/// flagged or rated 2 stars or fewer), leaving out those already sampled.
pub async fn callback_candidates(
    conn: &mut Conn,
    scope: &OrderScope,
    month: &str,
) -> Result<Vec<(i64, i64)>> {
    let mut sql = Sql::new(
        "SELECT o.id, CASE WHEN o.anomalies <> '[]' OR COALESCE(o.rating, 5) <= 2 THEN 1 ELSE 0 END \
         FROM home_care_orders o WHERE o.state IN ('done', 'rated') AND o.month = ",
    );
    sql.bind(month)
        .push(" AND NOT EXISTS (SELECT 1 FROM home_care_callbacks b WHERE b.order_id = o.id) AND");
    scope.apply(&mut sql);
    sql.push(" ORDER BY o.id");
    Ok(sql.query_as().fetch_all(conn).await?)
}

pub async fn add_callback_sample(
    conn: &mut Conn,
    order_id: i64,
    by: Option<i64>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO home_care_callbacks (order_id, sampled_at, sampled_by) VALUES ($1, $2, $3) \
         ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(order_id)
    .bind(now)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CallbackRow {
    pub order_id: i64,
    pub person_name: String,
    pub item_name: String,
    pub provider_name: Option<String>,
    pub sampled_at: i64,
    pub called_at: Option<i64>,
    pub reached: Option<i64>,
    pub service_confirmed: Option<i64>,
    pub satisfied: Option<i64>,
    pub notes: String,
}

pub async fn callbacks(
    conn: &mut Conn,
    scope: &OrderScope,
    month: Option<&str>,
    order_id: Option<i64>,
) -> Result<Vec<CallbackRow>> {
    let mut sql = Sql::new(
        "SELECT b.order_id, p.name AS person_name, o.item_name, f.name AS provider_name, b.sampled_at, \
         b.called_at, b.reached, b.service_confirmed, b.satisfied, b.notes \
         FROM home_care_callbacks b JOIN home_care_orders o ON o.id = b.order_id \
         JOIN persons p ON p.id = o.person_id LEFT JOIN facilities f ON f.id = o.provider_id WHERE",
    );
    scope.apply(&mut sql);
    if let Some(m) = month {
        sql.push(" AND o.month = ").bind(m);
    }
    if let Some(o) = order_id {
        sql.push(" AND b.order_id = ").bind(o);
    }
    sql.push(" ORDER BY CASE WHEN b.called_at IS NULL THEN 0 ELSE 1 END, b.order_id LIMIT 1000");
    Ok(sql.query_as().fetch_all(conn).await?)
}

/// Records the outcome of a call-back; the order is sampled by then or now.
#[allow(clippy::too_many_arguments)]
pub async fn record_callback(
    conn: &mut Conn,
    order_id: i64,
    reached: bool,
    confirmed: bool,
    satisfied: bool,
    notes: &str,
    by: Option<i64>,
    now: i64,
) -> Result<()> {
    add_callback_sample(conn, order_id, by, now).await?;
    sqlx::query(
        "UPDATE home_care_callbacks SET called_at = $1, called_by = $2, reached = $3, \
         service_confirmed = $4, satisfied = $5, notes = $6 WHERE order_id = $7",
    )
    .bind(now)
    .bind(by)
    .bind(i64::from(reached))
    .bind(i64::from(confirmed))
    .bind(i64::from(satisfied))
    .bind(notes)
    .bind(order_id)
    .execute(conn)
    .await?;
    Ok(())
}

// ---- figures ----

/// A provider's figures for a month (see `ProviderMetrics`).
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct ProviderFigures {
    pub finished: i64,
    pub on_time: i64,
    pub clean: i64,
    pub ratings: i64,
    pub stars: i64,
    pub complaints: i64,
    pub callbacks: i64,
    pub callbacks_confirmed: i64,
}

pub async fn provider_figures(
    conn: &mut Conn,
    provider_id: i64,
    month: &str,
) -> Result<ProviderFigures> {
    Ok(sqlx::query_as(
        "SELECT \
         CAST(COUNT(*) AS BIGINT) AS finished, \
         CAST(COALESCE(SUM(CASE WHEN o.was_late = 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS on_time, \
         CAST(COALESCE(SUM(CASE WHEN o.anomalies = '[]' THEN 1 ELSE 0 END), 0) AS BIGINT) AS clean, \
         CAST(COALESCE(SUM(CASE WHEN o.rating IS NULL THEN 0 ELSE 1 END), 0) AS BIGINT) AS ratings, \
         CAST(COALESCE(SUM(COALESCE(o.rating, 0)), 0) AS BIGINT) AS stars, \
         CAST(COALESCE(SUM((SELECT COUNT(*) FROM home_care_complaints k WHERE k.order_id = o.id)), 0) AS BIGINT) AS complaints, \
         CAST(COALESCE(SUM((SELECT COUNT(*) FROM home_care_callbacks b WHERE b.order_id = o.id AND b.called_at IS NOT NULL)), 0) AS BIGINT) AS callbacks, \
         CAST(COALESCE(SUM((SELECT COUNT(*) FROM home_care_callbacks b WHERE b.order_id = o.id \
            AND b.service_confirmed = 1 AND b.satisfied = 1)), 0) AS BIGINT) AS callbacks_confirmed \
         FROM home_care_orders o WHERE o.provider_id = $1 AND o.month = $2 AND o.state IN ('done', 'rated')",
    )
    .bind(provider_id)
    .bind(month)
    .fetch_one(conn)
    .await?)
}

/// Counts of a month's orders in scope, grouped by `key` (a column
/// expression over `o`): (key, orders, finished, government fen).
pub async fn counts_by(
    conn: &mut Conn,
    scope: &OrderScope,
    month: &str,
    key: GroupKey,
) -> Result<Vec<(String, i64, i64, i64)>> {
    let expr = match key {
        GroupKey::State => "o.state",
        GroupKey::Item => "o.item_name",
        GroupKey::Town => "SUBSTR(o.village_code, 1, 9)",
        GroupKey::Provider => {
            "COALESCE((SELECT f.name FROM facilities f WHERE f.id = o.provider_id), '')"
        }
    };
    let mut sql = Sql::new(&format!(
        "SELECT {expr} AS k, CAST(COUNT(*) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN o.state IN ('done', 'rated') THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN o.state <> 'cancelled' THEN o.government_fen ELSE 0 END), 0) AS BIGINT) \
         FROM home_care_orders o WHERE o.month = "
    ));
    sql.bind(month).push(" AND");
    scope.apply(&mut sql);
    sql.push(&format!(" GROUP BY {expr} ORDER BY k"));
    Ok(sql.query_as().fetch_all(conn).await?)
}

#[derive(Debug, Clone, Copy)]
pub enum GroupKey {
    State,
    Item,
    Town,
    Provider,
}

/// A month's overall figures in scope.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct MonthFigures {
    pub orders: i64,
    pub finished: i64,
    pub cancelled: i64,
    pub late: i64,
    /// Mean seconds from request to acceptance, over accepted orders.
    pub mean_response_s: Option<i64>,
    /// Mean seconds from request to check-out, over finished orders.
    pub mean_completion_s: Option<i64>,
    pub ratings: i64,
    /// Mean stars × 100.
    pub mean_stars_x100: Option<i64>,
    pub flagged: i64,
    pub unreviewed: i64,
    pub government_fen: i64,
    pub personal_fen: i64,
}

pub async fn month_figures(
    conn: &mut Conn,
    scope: &OrderScope,
    month: &str,
) -> Result<MonthFigures> {
    let mut sql = Sql::new(
        "SELECT CAST(COUNT(*) AS BIGINT) AS orders, \
         CAST(COALESCE(SUM(CASE WHEN o.state IN ('done', 'rated') THEN 1 ELSE 0 END), 0) AS BIGINT) AS finished, \
         CAST(COALESCE(SUM(CASE WHEN o.state = 'cancelled' THEN 1 ELSE 0 END), 0) AS BIGINT) AS cancelled, \
         CAST(COALESCE(SUM(o.was_late), 0) AS BIGINT) AS late, \
         CAST(AVG(o.accepted_at - o.created_at) AS BIGINT) AS mean_response_s, \
         CAST(AVG(o.check_out_at - o.created_at) AS BIGINT) AS mean_completion_s, \
         CAST(COALESCE(SUM(CASE WHEN o.rating IS NULL THEN 0 ELSE 1 END), 0) AS BIGINT) AS ratings, \
         CAST(AVG(o.rating * 100) AS BIGINT) AS mean_stars_x100, \
         CAST(COALESCE(SUM(CASE WHEN o.anomalies <> '[]' THEN 1 ELSE 0 END), 0) AS BIGINT) AS flagged, \
         CAST(COALESCE(SUM(CASE WHEN o.anomalies <> '[]' AND o.review = '' THEN 1 ELSE 0 END), 0) AS BIGINT) AS unreviewed, \
         CAST(COALESCE(SUM(CASE WHEN o.state <> 'cancelled' THEN o.government_fen ELSE 0 END), 0) AS BIGINT) AS government_fen, \
         CAST(COALESCE(SUM(CASE WHEN o.state <> 'cancelled' THEN o.personal_fen ELSE 0 END), 0) AS BIGINT) AS personal_fen \
         FROM home_care_orders o WHERE o.month = ",
    );
    sql.bind(month).push(" AND");
    scope.apply(&mut sql);
    Ok(sql.query_as().fetch_one(conn).await?)
}

/// An elderly person of the register, with what decides the entitlement,
/// and how much government-purchased service they used in a month.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ElderRow {
    pub id: i64,
    pub name: String,
    pub village_code: String,
    pub birth_date: String,
    pub economic_status: Option<String>,
    pub capability_level: Option<String>,
    pub living_situation: Option<String>,
    pub used_fen: i64,
    pub orders: i64,
}

/// Living people born on or before `born_by` in the person scope.
pub async fn elders(
    conn: &mut Conn,
    scope: &PersonScope,
    born_by: &str,
    month: &str,
) -> Result<Vec<ElderRow>> {
    let mut sql = Sql::new(
        "SELECT p.id, p.name, p.village_code, p.birth_date, p.economic_status, p.capability_level, \
         p.living_situation, \
         CAST(COALESCE((SELECT SUM(o.government_fen) FROM home_care_orders o WHERE o.person_id = p.id \
            AND o.state <> 'cancelled' AND o.month = ",
    );
    sql.bind(month)
        .push(
            "), 0) AS BIGINT) AS used_fen, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM home_care_orders o WHERE o.person_id = p.id \
            AND o.state <> 'cancelled' AND o.month = ",
        )
        .bind(month)
        .push(") AS orders FROM persons p WHERE p.status = 'alive' AND p.birth_date <= ")
        .bind(born_by)
        .push(" AND");
    scope.apply(&mut sql);
    sql.push(" ORDER BY p.village_code, p.id");
    Ok(sql.query_as().fetch_all(conn).await?)
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
