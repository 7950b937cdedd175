//! The assessment engine's storage: templates (as JSON), rating rounds and
//! scored assessments of facilities, people or projects.

use crate::{Conn, Result};

/// Stores a template, replacing one with the same code.
pub async fn put_template(
    conn: &mut Conn,
    code: &str,
    name: &str,
    body: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO assessment_templates (code, name, body, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, body = excluded.body, \
         updated_at = excluded.updated_at",
    )
    .bind(code)
    .bind(name)
    .bind(body)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A template's JSON body.
pub async fn template(conn: &mut Conn, code: &str) -> Result<Option<String>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT body FROM assessment_templates WHERE code = $1")
            .bind(code)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(b,)| b))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoundRow {
    pub id: i64,
    pub template_code: String,
    pub name: String,
    pub region_code: String,
    pub opened_on: String,
}

pub async fn add_round(
    conn: &mut Conn,
    template_code: &str,
    name: &str,
    region_code: &str,
    opened_on: &str,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO rating_rounds (template_code, name, region_code, opened_on, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(template_code)
    .bind(name)
    .bind(region_code)
    .bind(opened_on)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn round(conn: &mut Conn, id: i64) -> Result<Option<RoundRow>> {
    Ok(sqlx::query_as(
        "SELECT id, template_code, name, region_code, opened_on FROM rating_rounds WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Rounds whose region lies in or above `[lo, hi)`'s subtree root `region`.
pub async fn rounds(conn: &mut Conn, lo: &str, hi: &str) -> Result<Vec<RoundRow>> {
    Ok(sqlx::query_as(
        "SELECT id, template_code, name, region_code, opened_on FROM rating_rounds \
         WHERE region_code >= $1 AND region_code < $2 ORDER BY opened_on DESC, id DESC",
    )
    .bind(lo)
    .bind(hi)
    .fetch_all(conn)
    .await?)
}

pub struct NewAssessment<'a> {
    pub template_code: &'a str,
    pub round_id: Option<i64>,
    pub subject_type: &'a str,
    pub subject_id: i64,
    pub region_code: &'a str,
    /// JSON object: criterion code → score.
    pub scores: &'a str,
    pub total: i64,
    pub result: Option<&'a str>,
    pub evidence: &'a str,
    pub assessed_on: &'a str,
    pub assessor: &'a str,
    pub by: Option<i64>,
}

const ASSESSMENT_COLUMNS: &str = "template_code, round_id, subject_type, subject_id, \
    region_code, scores, total, result, evidence, assessed_on, assessor, recorded_by, created_at";

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind_assessment<'q>(q: AnyQuery<'q>, a: &NewAssessment<'q>, now: i64) -> AnyQuery<'q> {
    q.bind(a.template_code)
        .bind(a.round_id)
        .bind(a.subject_type)
        .bind(a.subject_id)
        .bind(a.region_code)
        .bind(a.scores)
        .bind(a.total)
        .bind(a.result)
        .bind(a.evidence)
        .bind(a.assessed_on)
        .bind(a.assessor)
        .bind(a.by)
        .bind(now)
}

pub async fn add_assessment(conn: &mut Conn, a: &NewAssessment<'_>, now: i64) -> Result<i64> {
    let text = format!(
        "INSERT INTO assessments ({ASSESSMENT_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id"
    );
    let row = bind_assessment(sqlx::query(&text), a, now)
        .fetch_one(conn)
        .await?;
    Ok(sqlx::Row::try_get(&row, 0)?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssessmentRow {
    pub id: i64,
    pub template_code: String,
    pub round_name: Option<String>,
    pub scores: String,
    pub total: i64,
    pub result: Option<String>,
    pub evidence: String,
    pub assessed_on: String,
    pub assessor: String,
}

/// A subject's assessments under one template, newest first: its history.
pub async fn history(
    conn: &mut Conn,
    template_code: &str,
    subject_type: &str,
    subject_id: i64,
) -> Result<Vec<AssessmentRow>> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.template_code, r.name AS round_name, a.scores, a.total, a.result, \
         a.evidence, a.assessed_on, a.assessor FROM assessments a \
         LEFT JOIN rating_rounds r ON r.id = a.round_id \
         WHERE a.template_code = $1 AND a.subject_type = $2 AND a.subject_id = $3 \
         ORDER BY a.assessed_on DESC, a.id DESC",
    )
    .bind(template_code)
    .bind(subject_type)
    .bind(subject_id)
    .fetch_all(conn)
    .await?)
}

/// The subjects of a kind that have at least one assessment under a template.
pub async fn assessed_subjects(
    conn: &mut Conn,
    template_code: &str,
    subject_type: &str,
) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT DISTINCT subject_id FROM assessments WHERE template_code = $1 \
         AND subject_type = $2",
    )
    .bind(template_code)
    .bind(subject_type)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Stores many assessments (the demo's), several to a statement.
pub async fn add_assessments(conn: &mut Conn, all: &[NewAssessment<'_>], now: i64) -> Result<()> {
    let dialect = crate::Dialect::of(conn);
    for chunk in all.chunks(40) {
        let text = format!(
            "INSERT INTO assessments ({ASSESSMENT_COLUMNS}) VALUES {}",
            dialect.value_rows(chunk.len(), 13)
        );
        let mut q = sqlx::query(&text);
        for a in chunk {
            q = bind_assessment(q, a, now);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The people of the scope whose latest assessment under `template_code` was
/// made before `cutoff` (YYYY-MM-DD): (id, name, latest date), oldest first.
pub async fn due_since(
    conn: &mut Conn,
    template_code: &str,
    scope: &crate::register::PersonScope,
    cutoff: &str,
) -> Result<Vec<(i64, String, String)>> {
    let mut sql = crate::sql::Sql::new(
        "SELECT p.id, p.name, a.latest FROM persons p JOIN (SELECT subject_id, MAX(assessed_on) AS latest \
         FROM assessments WHERE subject_type = 'person' AND template_code = ",
    );
    sql.bind(template_code)
        .push(" GROUP BY subject_id) a ON a.subject_id = p.id WHERE a.latest < ")
        .bind(cutoff)
        .push(" AND p.status = 'alive' AND");
    scope.apply(&mut sql);
    sql.push(" ORDER BY a.latest, p.id");
    Ok(sql.query_as().fetch_all(conn).await?)
}
