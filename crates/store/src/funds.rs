//! Funds: sources (government levels, lottery welfare fund, donations),
//! projects (building, equipment, programmes), allocations from sources to
//! projects, and expenditures against projects. Amounts are fen.

use crate::sql::Sql;
use crate::{Conn, Result};

pub async fn add_source(
    conn: &mut Conn,
    name: &str,
    kind: &str,
    region_code: &str,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO fund_sources (name, kind, region_code, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(name)
    .bind(kind)
    .bind(region_code)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SourceRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub region_code: String,
}

pub async fn sources(conn: &mut Conn, lo: &str, hi: &str) -> Result<Vec<SourceRow>> {
    Ok(sqlx::query_as(
        "SELECT id, name, kind, region_code FROM fund_sources \
         WHERE region_code >= $1 AND region_code < $2 ORDER BY id",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(conn)
    .await?)
}

pub struct NewProject<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub region_code: &'a str,
    pub facility_id: Option<i64>,
    pub budget_fen: i64,
    pub started_on: &'a str,
    /// Facilities a programme serves besides `facility_id`.
    pub facilities: &'a [i64],
}

pub async fn add_project(conn: &mut Conn, p: &NewProject<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO projects (name, kind, region_code, facility_id, budget_fen, started_on, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(p.name)
    .bind(p.kind)
    .bind(p.region_code)
    .bind(p.facility_id)
    .bind(p.budget_fen)
    .bind(p.started_on)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    for facility in p.facilities {
        sqlx::query("INSERT INTO project_facilities (project_id, facility_id) VALUES ($1, $2)")
            .bind(id)
            .bind(facility)
            .execute(&mut *conn)
            .await?;
    }
    Ok(id)
}

/// A project with its money: budget, allocated so far, spent so far.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProjectSummary {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub region_code: String,
    pub facility_id: Option<i64>,
    pub facility_name: Option<String>,
    pub budget_fen: i64,
    pub started_on: String,
    pub allocated_fen: i64,
    pub spent_fen: i64,
    /// Facilities a programme serves (from project_facilities).
    pub facility_count: i64,
}

const PROJECT_COLUMNS: &str = "pr.id, pr.name, pr.kind, pr.region_code, pr.facility_id, \
    f.name AS facility_name, pr.budget_fen, pr.started_on, \
    (SELECT CAST(COALESCE(SUM(a.amount_fen), 0) AS BIGINT) FROM allocations a \
     WHERE a.project_id = pr.id) AS allocated_fen, \
    (SELECT CAST(COALESCE(SUM(x.amount_fen), 0) AS BIGINT) FROM expenditures x \
     WHERE x.project_id = pr.id) AS spent_fen, \
    (SELECT CAST(COUNT(*) AS BIGINT) FROM project_facilities pf WHERE pf.project_id = pr.id) \
     AS facility_count";

/// Projects whose region lies in `[lo, hi)`, optionally only those of one facility.
pub async fn projects(
    conn: &mut Conn,
    lo: &str,
    hi: &str,
    facility_id: Option<i64>,
) -> Result<Vec<ProjectSummary>> {
    let mut sql = Sql::new(&format!(
        "SELECT {PROJECT_COLUMNS} FROM projects pr LEFT JOIN facilities f ON f.id = pr.facility_id \
         WHERE pr.region_code >= "
    ));
    sql.bind(lo).push(" AND pr.region_code < ").bind(hi);
    if let Some(f) = facility_id {
        sql.push(" AND (pr.facility_id = ")
            .bind(f)
            .push(
                " OR EXISTS (SELECT 1 FROM project_facilities pf \
                 WHERE pf.project_id = pr.id AND pf.facility_id = ",
            )
            .bind(f)
            .push("))");
    }
    sql.push(" ORDER BY pr.started_on, pr.id");
    Ok(sql.query_as().fetch_all(conn).await?)
}

pub async fn project(conn: &mut Conn, id: i64) -> Result<Option<ProjectSummary>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {PROJECT_COLUMNS} FROM projects pr LEFT JOIN facilities f ON f.id = pr.facility_id \
         WHERE pr.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn allocate(
    conn: &mut Conn,
    source_id: i64,
    project_id: i64,
    amount_fen: i64,
    day: &str,
    note: &str,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO allocations (source_id, project_id, amount_fen, day, note, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(source_id)
    .bind(project_id)
    .bind(amount_fen)
    .bind(day)
    .bind(note)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn spend(
    conn: &mut Conn,
    project_id: i64,
    amount_fen: i64,
    day: &str,
    item: &str,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO expenditures (project_id, amount_fen, day, item, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(project_id)
    .bind(amount_fen)
    .bind(day)
    .bind(item)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// A project's funding mix: (source name, source kind, amount allocated).
pub async fn funding_mix(conn: &mut Conn, project_id: i64) -> Result<Vec<(String, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT s.name, s.kind, CAST(SUM(a.amount_fen) AS BIGINT) FROM allocations a \
         JOIN fund_sources s ON s.id = a.source_id WHERE a.project_id = $1 \
         GROUP BY s.id, s.name, s.kind ORDER BY s.id",
    )
    .bind(project_id)
    .fetch_all(conn)
    .await?)
}

/// Total allocated to projects in `[lo, hi)` from sources of the given kinds.
pub async fn allocated_from_kinds(
    conn: &mut Conn,
    lo: &str,
    hi: &str,
    kinds: &[&str],
) -> Result<i64> {
    let mut total = 0;
    for kind in kinds {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(a.amount_fen), 0) AS BIGINT) FROM allocations a \
             JOIN fund_sources s ON s.id = a.source_id JOIN projects pr ON pr.id = a.project_id \
             WHERE s.kind = $1 AND pr.region_code >= $2 AND pr.region_code < $3",
        )
        .bind(*kind)
        .bind(lo)
        .bind(hi)
        .fetch_one(&mut *conn)
        .await?;
        total += n;
    }
    Ok(total)
}
