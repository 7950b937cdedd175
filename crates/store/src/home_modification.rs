//! Age-friendly home modification (居家适老化改造): annual targets per region,
//! cases with their items, history of steps and before/after photos.
//!
//! A case is person-level: every read of one case or of a person's cases
//! joins the person and applies the reader's [`PersonScope`]. The progress
//! figures of a region are counts by the case's village code, read only by
//! region-scoped users (the app checks).

use crate::register::PersonScope;
use crate::sql::Sql;
use crate::{Conn, Result, StoreError};

// ---- targets ----

/// Sets (or replaces) a region's target for a year.
pub async fn set_target(
    conn: &mut Conn,
    region_code: &str,
    year: i64,
    households: i64,
    by: Option<i64>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO home_mod_targets (region_code, year, households, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (region_code, year) DO UPDATE SET \
         households = excluded.households, updated_by = excluded.updated_by, \
         updated_at = excluded.updated_at",
    )
    .bind(region_code)
    .bind(year)
    .bind(households)
    .bind(by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The targets of a year for regions whose code is in `[lo, hi)`: (region, households).
pub async fn targets(conn: &mut Conn, year: i64, lo: &str, hi: &str) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT region_code, households FROM home_mod_targets \
         WHERE year = $1 AND region_code >= $2 AND region_code < $3 ORDER BY region_code",
    )
    .bind(year)
    .bind(lo)
    .bind(hi)
    .fetch_all(conn)
    .await?)
}

/// One region's target for a year.
pub async fn target(conn: &mut Conn, region_code: &str, year: i64) -> Result<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT households FROM home_mod_targets WHERE region_code = $1 AND year = $2",
    )
    .bind(region_code)
    .bind(year)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(n,)| n))
}

// ---- cases ----

pub struct NewCase<'a> {
    pub person_id: i64,
    pub village_code: &'a str,
    pub year: i64,
    pub state: &'a str,
    pub since: &'a str,
    pub applied_on: &'a str,
    pub by: Option<i64>,
}

/// Inserts a case; a second live case of the person in the year is a `Duplicate`.
pub async fn insert_case(conn: &mut Conn, c: &NewCase<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO home_mod_cases (person_id, village_code, year, state, since, applied_on, \
         total_fen, basic_fen, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, 0, $7, $8, $8) RETURNING id",
    )
    .bind(c.person_id)
    .bind(c.village_code)
    .bind(c.year)
    .bind(c.state)
    .bind(c.since)
    .bind(c.applied_on)
    .bind(c.by)
    .bind(now)
    .fetch_one(conn)
    .await
    .map_err(|e| StoreError::from(e).unique_as("年度改造案件"))?;
    Ok(id)
}

/// A case with the few person fields its page shows (name, masked ID number).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseRow {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub id_masked: String,
    pub birth_date: String,
    pub economic_status: Option<String>,
    pub village_code: String,
    pub year: i64,
    pub state: String,
    pub since: String,
    pub applied_on: String,
    pub total_fen: i64,
    pub basic_fen: i64,
}

const CASE_COLUMNS: &str = "c.id, c.person_id, p.name AS person_name, p.id_masked, \
    p.birth_date, p.economic_status, c.village_code, c.year, c.state, c.since, c.applied_on, \
    c.total_fen, c.basic_fen";

/// One case, if its person is inside the scope.
pub async fn case(conn: &mut Conn, scope: &PersonScope, id: i64) -> Result<Option<CaseRow>> {
    let mut sql = Sql::new(&format!(
        "SELECT {CASE_COLUMNS} FROM home_mod_cases c JOIN persons p ON p.id = c.person_id \
         WHERE c.id = "
    ));
    sql.bind(id).push(" AND");
    scope.apply(&mut sql);
    Ok(sql.query_as().fetch_optional(conn).await?)
}

/// A person's cases (the caller has checked the person's scope), newest first.
pub async fn cases_of_person(conn: &mut Conn, person_id: i64) -> Result<Vec<CaseRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CASE_COLUMNS} FROM home_mod_cases c JOIN persons p ON p.id = c.person_id \
         WHERE c.person_id = $1 ORDER BY c.year DESC, c.id DESC"
    ))
    .bind(person_id)
    .fetch_all(conn)
    .await?)
}

/// Moves a case from `from` to `to` on `since`. False when the case was no
/// longer in `from` (someone else moved it first).
pub async fn move_state(
    conn: &mut Conn,
    id: i64,
    from: &str,
    to: &str,
    since: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE home_mod_cases SET state = $1, since = $2, updated_at = $3 \
         WHERE id = $4 AND state = $5",
    )
    .bind(to)
    .bind(since)
    .bind(now)
    .bind(id)
    .bind(from)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub struct NewStep<'a> {
    pub case_id: i64,
    pub from: Option<&'a str>,
    pub to: &'a str,
    pub day: &'a str,
    pub by: Option<i64>,
    pub note: &'a str,
}

pub async fn add_step(conn: &mut Conn, s: &NewStep<'_>, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO home_mod_history (case_id, from_state, to_state, day, user_id, note, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(s.case_id)
    .bind(s.from)
    .bind(s.to)
    .bind(s.day)
    .bind(s.by)
    .bind(s.note)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StepRow {
    pub from_state: Option<String>,
    pub to_state: String,
    pub day: String,
    pub user_name: Option<String>,
    pub note: String,
}

/// A case's steps, oldest first.
pub async fn history(conn: &mut Conn, case_id: i64) -> Result<Vec<StepRow>> {
    Ok(sqlx::query_as(
        "SELECT h.from_state, h.to_state, h.day, u.display_name AS user_name, h.note \
         FROM home_mod_history h LEFT JOIN users u ON u.id = h.user_id \
         WHERE h.case_id = $1 ORDER BY h.id",
    )
    .bind(case_id)
    .fetch_all(conn)
    .await?)
}

// ---- items ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub item_code: String,
    pub basic: i64,
    pub quantity: i64,
    pub unit_cost_fen: i64,
}

pub async fn items(conn: &mut Conn, case_id: i64) -> Result<Vec<ItemRow>> {
    Ok(sqlx::query_as(
        "SELECT item_code, basic, quantity, unit_cost_fen FROM home_mod_items \
         WHERE case_id = $1 ORDER BY item_code",
    )
    .bind(case_id)
    .fetch_all(conn)
    .await?)
}

/// Sets one item line of a case (adding it or replacing its quantity and cost).
pub async fn set_item(conn: &mut Conn, case_id: i64, item: &ItemRow, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO home_mod_items (case_id, item_code, basic, quantity, unit_cost_fen, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (case_id, item_code) DO UPDATE \
         SET basic = excluded.basic, quantity = excluded.quantity, \
         unit_cost_fen = excluded.unit_cost_fen, updated_at = excluded.updated_at",
    )
    .bind(case_id)
    .bind(&item.item_code)
    .bind(item.basic)
    .bind(item.quantity)
    .bind(item.unit_cost_fen)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes an item line; false when the case had no such line.
pub async fn remove_item(conn: &mut Conn, case_id: i64, item_code: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM home_mod_items WHERE case_id = $1 AND item_code = $2")
        .bind(case_id)
        .bind(item_code)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Recomputes a case's cost totals from its items (in the same transaction
/// as the change of items, so the two never disagree).
pub async fn recompute_totals(conn: &mut Conn, case_id: i64, now: i64) -> Result<()> {
    // SUM of BIGINT is NUMERIC on PostgreSQL: cast back.
    sqlx::query(
        "UPDATE home_mod_cases SET \
         total_fen = (SELECT CAST(COALESCE(SUM(quantity * unit_cost_fen), 0) AS BIGINT) \
           FROM home_mod_items WHERE case_id = $1), \
         basic_fen = (SELECT CAST(COALESCE(SUM(quantity * unit_cost_fen), 0) AS BIGINT) \
           FROM home_mod_items WHERE case_id = $1 AND basic = 1), \
         updated_at = $2 WHERE id = $1",
    )
    .bind(case_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

// ---- photos ----

pub struct NewPhoto<'a> {
    pub case_id: i64,
    pub phase: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
    pub by: Option<i64>,
}

pub async fn add_photo(conn: &mut Conn, p: &NewPhoto<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO home_mod_photos (case_id, phase, content_type, bytes, size, uploaded_at, \
         uploaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(p.case_id)
    .bind(p.phase)
    .bind(p.content_type)
    .bind(p.bytes.to_vec())
    .bind(p.bytes.len() as i64)
    .bind(now)
    .bind(p.by)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// A photo without its bytes.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PhotoRow {
    pub id: i64,
    pub phase: String,
    pub content_type: String,
    pub size: i64,
    pub uploaded_at: i64,
    pub uploaded_by: Option<String>,
}

pub async fn photos(conn: &mut Conn, case_id: i64) -> Result<Vec<PhotoRow>> {
    Ok(sqlx::query_as(
        "SELECT f.id, f.phase, f.content_type, f.size, f.uploaded_at, \
         u.display_name AS uploaded_by FROM home_mod_photos f \
         LEFT JOIN users u ON u.id = f.uploaded_by WHERE f.case_id = $1 ORDER BY f.id",
    )
    .bind(case_id)
    .fetch_all(conn)
    .await?)
}

pub async fn photo_count(conn: &mut Conn, case_id: i64) -> Result<i64> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM home_mod_photos WHERE case_id = $1")
            .bind(case_id)
            .fetch_one(conn)
            .await?;
    Ok(n)
}

/// A photo of the case: its content type and bytes.
pub async fn photo(
    conn: &mut Conn,
    case_id: i64,
    photo_id: i64,
) -> Result<Option<(String, Vec<u8>)>> {
    Ok(sqlx::query_as(
        "SELECT content_type, bytes FROM home_mod_photos WHERE id = $1 AND case_id = $2",
    )
    .bind(photo_id)
    .bind(case_id)
    .fetch_optional(conn)
    .await?)
}

// ---- progress ----

/// Cases of a year in `[lo, hi)` counted by the first `prefix_len` digits of
/// their village code (the child region they lie in) and state:
/// (child code, state, cases).
pub async fn counts(
    conn: &mut Conn,
    year: i64,
    lo: &str,
    hi: &str,
    prefix_len: usize,
) -> Result<Vec<(String, String, i64)>> {
    // The length is a region level's digit count (2-12), never user input;
    // written into the text because PostgreSQL's SUBSTR takes an INTEGER and a
    // bound value would arrive as BIGINT.
    let prefix_len = prefix_len.clamp(1, 12);
    Ok(sqlx::query_as(&format!(
        "SELECT SUBSTR(village_code, 1, {prefix_len}) AS child, state, \
         CAST(COUNT(*) AS BIGINT) FROM home_mod_cases \
         WHERE year = $1 AND village_code >= $2 AND village_code < $3 \
         GROUP BY SUBSTR(village_code, 1, {prefix_len}), state"
    ))
    .bind(year)
    .bind(lo)
    .bind(hi)
    .fetch_all(conn)
    .await?)
}

/// An open case (neither paid nor withdrawn), for the stuck list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenCase {
    pub id: i64,
    pub person_name: String,
    pub village_code: String,
    pub state: String,
    pub since: String,
}

/// Open cases of any year in `[lo, hi)` whose people are inside the scope,
/// oldest state first.
pub async fn open_cases(
    conn: &mut Conn,
    scope: &PersonScope,
    lo: &str,
    hi: &str,
) -> Result<Vec<OpenCase>> {
    let mut sql = Sql::new(
        "SELECT c.id, p.name AS person_name, c.village_code, c.state, c.since \
         FROM home_mod_cases c JOIN persons p ON p.id = c.person_id \
         WHERE c.state NOT IN ('paid', 'withdrawn') AND c.village_code >= ",
    );
    sql.bind(lo)
        .push(" AND c.village_code < ")
        .bind(hi)
        .push(" AND");
    scope.apply(&mut sql);
    sql.push(" ORDER BY c.since, c.id");
    Ok(sql.query_as().fetch_all(conn).await?)
}

/// Whether any case lies in `[lo, hi)` for the year (the demo seeds once).
pub async fn any_case(conn: &mut Conn, year: i64, lo: &str, hi: &str) -> Result<bool> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM home_mod_cases \
         WHERE year = $1 AND village_code >= $2 AND village_code < $3",
    )
    .bind(year)
    .bind(lo)
    .bind(hi)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}
