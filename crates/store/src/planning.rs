//! What the facility-location planner reads: people in need counted per
//! village (aggregates only, no person-level row leaves the database) and
//! facilities with their coordinates.

use crate::sql::Sql;
use crate::{Conn, Result};

/// Who counts as "in need" of a kind of facility. The SQL of each is fixed
/// here; nothing a user sends is spliced into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// People aged 60 and over.
    Elderly,
    /// People with a disability certificate.
    Disabled,
    /// Children in a child-welfare category.
    Children,
    /// Elderly people living alone, and children in a child-welfare category.
    AloneOrChildren,
}

impl Need {
    /// Appends the condition; `elderly_born_by` is bound where it takes part.
    fn condition(self, sql: &mut Sql, elderly_born_by: &str) {
        match self {
            Need::Elderly => {
                sql.push("p.birth_date <= ").bind(elderly_born_by);
            }
            Need::Disabled => {
                sql.push("p.disability_category IS NOT NULL");
            }
            Need::Children => {
                sql.push("p.child_category IS NOT NULL");
            }
            Need::AloneOrChildren => {
                sql.push("((p.living_situation = 'alone' AND p.birth_date <= ")
                    .bind(elderly_born_by)
                    .push(") OR p.child_category IS NOT NULL)");
            }
        }
    }
}

/// Living people in need per village of `[lo, hi)`: (village code, count).
/// `elderly_born_by` is the last birth date of someone aged 60 today.
pub async fn need_by_village(
    conn: &mut Conn,
    lo: &str,
    hi: &str,
    need: Need,
    elderly_born_by: &str,
) -> Result<Vec<(String, i64)>> {
    let mut sql = Sql::new(
        "SELECT p.village_code, CAST(COUNT(*) AS BIGINT) FROM persons p WHERE p.village_code >= ",
    );
    sql.bind(lo)
        .push(" AND p.village_code < ")
        .bind(hi)
        .push(" AND p.status = 'alive' AND ");
    need.condition(&mut sql, elderly_born_by);
    sql.push(" GROUP BY p.village_code ORDER BY p.village_code");
    Ok(sql.query_as().fetch_all(conn).await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FacilityPoint {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub region_code: String,
    pub longitude_e6: Option<i64>,
    pub latitude_e6: Option<i64>,
    pub capacity: Option<i64>,
}

/// Every facility of `[lo, hi)` with its coordinates (if known) and capacity.
pub async fn facility_points(conn: &mut Conn, lo: &str, hi: &str) -> Result<Vec<FacilityPoint>> {
    Ok(sqlx::query_as(
        "SELECT id, name, kind, region_code, longitude_e6, latitude_e6, capacity FROM facilities \
         WHERE region_code >= $1 AND region_code < $2 ORDER BY id",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(conn)
    .await?)
}
