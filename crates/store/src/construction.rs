//! Construction projects: the project, its milestones, payments and stages.
//! Amounts are fen; dates are 'YYYY-MM-DD'.

use crate::sql::Sql;
use crate::{Conn, Result};

pub struct NewBuild<'a> {
    pub name: &'a str,
    pub region_code: &'a str,
    pub facility_id: Option<i64>,
    pub facility_kind: &'a str,
    pub fund_project_id: Option<i64>,
    pub stage: &'a str,
    pub budget_fen: i64,
    pub contractor: &'a str,
    pub floor_area_m2: Option<i64>,
}

pub async fn insert(conn: &mut Conn, b: &NewBuild<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO construction_projects (name, region_code, facility_id, facility_kind, \
         fund_project_id, stage, budget_fen, contractor, floor_area_m2, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
    )
    .bind(b.name)
    .bind(b.region_code)
    .bind(b.facility_id)
    .bind(b.facility_kind)
    .bind(b.fund_project_id)
    .bind(b.stage)
    .bind(b.budget_fen)
    .bind(b.contractor)
    .bind(b.floor_area_m2)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BuildRow {
    pub id: i64,
    pub name: String,
    pub region_code: String,
    pub region_name: String,
    pub facility_id: Option<i64>,
    pub facility_name: Option<String>,
    pub facility_kind: String,
    pub fund_project_id: Option<i64>,
    pub fund_project_name: Option<String>,
    pub stage: String,
    pub budget_fen: i64,
    pub contractor: String,
    pub floor_area_m2: Option<i64>,
    pub paid_fen: i64,
}

const COLUMNS: &str = "c.id, c.name, c.region_code, r.name AS region_name, c.facility_id, \
    f.name AS facility_name, c.facility_kind, c.fund_project_id, pr.name AS fund_project_name, \
    c.stage, c.budget_fen, c.contractor, c.floor_area_m2, \
    (SELECT CAST(COALESCE(SUM(p.amount_fen), 0) AS BIGINT) FROM construction_payments p \
     WHERE p.project_id = c.id) AS paid_fen";

const FROM: &str = "FROM construction_projects c JOIN regions r ON r.code = c.region_code \
    LEFT JOIN facilities f ON f.id = c.facility_id LEFT JOIN projects pr ON pr.id = c.fund_project_id";

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<BuildRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} {FROM} WHERE c.id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Projects whose region lies in `[lo, hi)`, optionally of one facility only.
pub async fn list(
    conn: &mut Conn,
    lo: &str,
    hi: &str,
    facility_id: Option<i64>,
) -> Result<Vec<BuildRow>> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} {FROM} WHERE c.region_code >= "));
    sql.bind(lo).push(" AND c.region_code < ").bind(hi);
    if let Some(f) = facility_id {
        sql.push(" AND c.facility_id = ").bind(f);
    }
    sql.push(" ORDER BY c.id");
    Ok(sql.query_as().fetch_all(conn).await?)
}

pub async fn set_stage(
    conn: &mut Conn,
    id: i64,
    stage: &str,
    day: &str,
    user_id: Option<i64>,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE construction_projects SET stage = $1, updated_at = $2 WHERE id = $3")
        .bind(stage)
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO construction_stages (project_id, stage, day, user_id, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(stage)
    .bind(day)
    .bind(user_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_contractor(conn: &mut Conn, id: i64, contractor: &str) -> Result<()> {
    sqlx::query("UPDATE construction_projects SET contractor = $1 WHERE id = $2")
        .bind(contractor)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// (stage, day) in the order they were reached.
pub async fn stages(conn: &mut Conn, id: i64) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT stage, day FROM construction_stages WHERE project_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MilestoneRow {
    pub id: i64,
    pub project_id: i64,
    pub stage: String,
    pub name: String,
    pub planned_on: String,
    pub actual_on: Option<String>,
}

pub async fn add_milestone(
    conn: &mut Conn,
    project_id: i64,
    stage: &str,
    name: &str,
    planned_on: &str,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO construction_milestones (project_id, stage, name, planned_on, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(project_id)
    .bind(stage)
    .bind(name)
    .bind(planned_on)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Records a milestone's actual date; false if it is not the project's.
pub async fn set_actual(
    conn: &mut Conn,
    project_id: i64,
    milestone_id: i64,
    actual_on: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE construction_milestones SET actual_on = $1 WHERE id = $2 AND project_id = $3",
    )
    .bind(actual_on)
    .bind(milestone_id)
    .bind(project_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Milestones of the projects in `ids`, by planned date.
pub async fn milestones(conn: &mut Conn, ids: &[i64]) -> Result<Vec<MilestoneRow>> {
    let mut all = Vec::new();
    for id in ids {
        let rows: Vec<MilestoneRow> = sqlx::query_as(
            "SELECT id, project_id, stage, name, planned_on, actual_on FROM construction_milestones \
             WHERE project_id = $1 ORDER BY planned_on, id",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        all.extend(rows);
    }
    Ok(all)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaymentRow {
    pub id: i64,
    pub amount_fen: i64,
    pub day: String,
    pub item: String,
    pub expenditure_id: Option<i64>,
}

pub async fn add_payment(
    conn: &mut Conn,
    project_id: i64,
    amount_fen: i64,
    day: &str,
    item: &str,
    expenditure_id: Option<i64>,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO construction_payments (project_id, amount_fen, day, item, expenditure_id, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(project_id)
    .bind(amount_fen)
    .bind(day)
    .bind(item)
    .bind(expenditure_id)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Takes a funds project's recorded expenditures as this project's payments
/// (for a project whose spending was recorded before it was tracked here).
pub async fn adopt_expenditures(
    conn: &mut Conn,
    project_id: i64,
    fund_project_id: i64,
    now: i64,
) -> Result<u64> {
    let done = sqlx::query(
        "INSERT INTO construction_payments (project_id, amount_fen, day, item, expenditure_id, \
         created_at) SELECT $1, x.amount_fen, x.day, x.item, x.id, $2 FROM expenditures x \
         WHERE x.project_id = $3 AND NOT EXISTS (SELECT 1 FROM construction_payments p \
         WHERE p.expenditure_id = x.id)",
    )
    .bind(project_id)
    .bind(now)
    .bind(fund_project_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

pub async fn payments(conn: &mut Conn, project_id: i64) -> Result<Vec<PaymentRow>> {
    Ok(sqlx::query_as(
        "SELECT id, amount_fen, day, item, expenditure_id FROM construction_payments \
         WHERE project_id = $1 ORDER BY day, id",
    )
    .bind(project_id)
    .fetch_all(conn)
    .await?)
}
