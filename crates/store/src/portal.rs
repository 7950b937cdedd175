//! What the public portal reads: facilities' public fields only (never the
//! contact person, the eligibility rule or anything about people), without a
//! user scope, since anyone may read them.

use crate::sql::Sql;
use crate::{Conn, Result};

/// A facility as the public sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PublicFacilityRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub region_code: String,
    pub address: String,
    pub longitude_e6: Option<i64>,
    pub latitude_e6: Option<i64>,
    pub opening_hours: String,
    pub contact_phone: String,
    pub capacity: Option<i64>,
    /// The result code of the latest star rating ("3_star"…), if rated.
    pub star_result: Option<String>,
}

fn select(star_template: &str) -> Sql {
    let mut sql = Sql::new(
        "SELECT f.id, f.name, f.kind, f.region_code, f.address, f.longitude_e6, f.latitude_e6, \
         f.opening_hours, f.contact_phone, f.capacity, \
         (SELECT a.result FROM assessments a WHERE a.subject_type = 'facility' \
            AND a.subject_id = f.id AND a.template_code = ",
    );
    sql.bind(star_template).push(
        " ORDER BY a.assessed_on DESC, a.id DESC LIMIT 1) AS star_result \
         FROM facilities f",
    );
    sql
}

/// Facilities in `[lo, hi)`, optionally of one kind, by region then name.
pub async fn facilities(
    conn: &mut Conn,
    star_template: &str,
    lo: &str,
    hi: &str,
    kind: Option<&str>,
) -> Result<Vec<PublicFacilityRow>> {
    let mut sql = select(star_template);
    sql.push(" WHERE f.region_code >= ")
        .bind(lo)
        .push(" AND f.region_code < ")
        .bind(hi);
    if let Some(kind) = kind {
        sql.push(" AND f.kind = ").bind(kind);
    }
    sql.push(" ORDER BY f.region_code, f.name, f.id");
    Ok(sql.query_as().fetch_all(conn).await?)
}

pub async fn facility(
    conn: &mut Conn,
    star_template: &str,
    id: i64,
) -> Result<Option<PublicFacilityRow>> {
    let mut sql = select(star_template);
    sql.push(" WHERE f.id = ").bind(id);
    Ok(sql.query_as().fetch_optional(conn).await?)
}
