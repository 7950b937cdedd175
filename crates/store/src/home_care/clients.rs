//! Clients: a person's home position and care plan, and the elderly people of
//! the register with what decides their entitlement.

use crate::register::PersonScope;
use crate::sql::Sql;
use crate::{Conn, Result};

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
