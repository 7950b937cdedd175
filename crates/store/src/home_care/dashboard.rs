//! A month's figures in scope for the dashboard.

use super::OrderScope;
use crate::sql::Sql;
use crate::{Conn, Result};

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
