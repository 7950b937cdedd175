//! Home-care service orders: the catalogue and entitlement rules (JSON
//! bodies), caregivers, clients' homes and care plans, orders and their
//! steps, complaints and call-backs. Every read of an order takes an
//! [`OrderScope`]: the user's region subtree and, for facility users, what
//! their facility is to the order (see [`OrderScope::apply`]).
//!
//! This file holds the order scope and the catalogue; `clients`, `orders`,
//! `providers`, `quality` and `dashboard` hold the rest, the same names as in
//! domain and app.

use crate::sql::Sql;
use crate::{Conn, Result};
use kangyang_domain::Scope;

mod clients;
mod dashboard;
mod orders;
mod providers;
mod quality;

// The concept's one public face: callers name `home_care::X` whichever file X lives in.
pub use clients::*;
pub use dashboard::*;
pub use orders::*;
pub use providers::*;
pub use quality::*;

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

// `table` is one of the two catalogue tables named by the callers below,
// never input: a table name cannot be a bound parameter, so it is written in.
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
