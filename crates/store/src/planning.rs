//! What the facility-location planner reads: people in need counted per
//! village (aggregates only, no person-level row leaves the database) and
//! facilities with their coordinates.

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
    fn condition(self) -> &'static str {
        match self {
            Need::Elderly => "p.birth_date <= $3",
            Need::Disabled => "p.disability_category IS NOT NULL",
            Need::Children => "p.child_category IS NOT NULL",
            Need::AloneOrChildren => {
                "((p.living_situation = 'alone' AND p.birth_date <= $3) OR p.child_category IS NOT NULL)"
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
    let sql = format!(
        "SELECT p.village_code, CAST(COUNT(*) AS BIGINT) FROM persons p \
         WHERE p.village_code >= $1 AND p.village_code < $2 AND p.status = 'alive' AND {} \
         GROUP BY p.village_code ORDER BY p.village_code",
        need.condition()
    );
    let mut query = sqlx::query_as(&sql).bind(lo).bind(hi);
    if matches!(need, Need::Elderly | Need::AloneOrChildren) {
        query = query.bind(elderly_born_by);
    }
    Ok(query.fetch_all(conn).await?)
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
