//! Quality: complaints, call-back samples and their outcomes, and a
//! provider's figures for its score.

use super::OrderScope;
use crate::sql::Sql;
use crate::{Conn, Result};

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
