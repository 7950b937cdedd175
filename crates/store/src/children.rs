//! Children in care: their files, activities, the staff assigned to each
//! child, and break-glass openings of a file by anyone else.
//!
//! These functions take a person id the use case has already checked
//! against the actor's scope (`register::get` with the actor's `PersonScope`);
//! the file's own rule (assigned or break-glass) is decided in the app.

use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChildFileRow {
    pub person_id: i64,
    pub facility_id: i64,
    pub facility_name: String,
    pub guardianship: String,
    pub schooling: String,
    pub allowance_fen: i64,
    pub details_cipher: Vec<u8>,
    pub updated_at: i64,
}

pub async fn file(conn: &mut Conn, person_id: i64) -> Result<Option<ChildFileRow>> {
    Ok(sqlx::query_as(
        "SELECT c.person_id, c.facility_id, f.name AS facility_name, c.guardianship, c.schooling, \
         c.allowance_fen, c.details_cipher, c.updated_at FROM child_files c \
         JOIN facilities f ON f.id = c.facility_id WHERE c.person_id = $1",
    )
    .bind(person_id)
    .fetch_optional(conn)
    .await?)
}

pub struct FileValues<'a> {
    pub person_id: i64,
    pub facility_id: i64,
    pub guardianship: &'a str,
    pub schooling: &'a str,
    pub allowance_fen: i64,
    pub details_cipher: &'a [u8],
    pub updated_by: Option<i64>,
}

/// Creates or replaces a child's file.
pub async fn save_file(conn: &mut Conn, v: &FileValues<'_>, now: i64) -> Result<()> {
    // An upsert both engines accept (SQLite 3.24+, PostgreSQL 9.5+).
    sqlx::query(
        "INSERT INTO child_files (person_id, facility_id, guardianship, schooling, allowance_fen, \
         details_cipher, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (person_id) DO UPDATE SET facility_id = excluded.facility_id, \
         guardianship = excluded.guardianship, schooling = excluded.schooling, \
         allowance_fen = excluded.allowance_fen, details_cipher = excluded.details_cipher, \
         updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(v.person_id)
    .bind(v.facility_id)
    .bind(v.guardianship)
    .bind(v.schooling)
    .bind(v.allowance_fen)
    .bind(v.details_cipher)
    .bind(now)
    .bind(v.updated_by)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActivityRow {
    pub id: i64,
    pub day: String,
    pub kind: String,
    pub notes_cipher: Vec<u8>,
    pub by_name: Option<String>,
}

pub async fn add_activity(
    conn: &mut Conn,
    person_id: i64,
    day: &str,
    kind: &str,
    notes_cipher: &[u8],
    by: Option<i64>,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO child_activities (person_id, day, kind, notes_cipher, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(person_id)
    .bind(day)
    .bind(kind)
    .bind(notes_cipher)
    .bind(by)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn activities(conn: &mut Conn, person_id: i64) -> Result<Vec<ActivityRow>> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.day, a.kind, a.notes_cipher, u.display_name AS by_name \
         FROM child_activities a LEFT JOIN users u ON u.id = a.created_by \
         WHERE a.person_id = $1 ORDER BY a.day DESC, a.id DESC",
    )
    .bind(person_id)
    .fetch_all(conn)
    .await?)
}

pub async fn is_assigned(conn: &mut Conn, person_id: i64, user_id: i64) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT user_id FROM child_assignments WHERE person_id = $1 AND user_id = $2",
    )
    .bind(person_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.is_some())
}

/// Assigns a user to a child; assigning twice changes nothing.
pub async fn assign(
    conn: &mut Conn,
    person_id: i64,
    user_id: i64,
    by: Option<i64>,
    now: i64,
) -> Result<bool> {
    if is_assigned(conn, person_id, user_id).await? {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO child_assignments (person_id, user_id, assigned_at, assigned_by) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(person_id)
    .bind(user_id)
    .bind(now)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(true)
}

pub async fn unassign(conn: &mut Conn, person_id: i64, user_id: i64) -> Result<bool> {
    let done = sqlx::query("DELETE FROM child_assignments WHERE person_id = $1 AND user_id = $2")
        .bind(person_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The users assigned to a child: (user id, username, display name).
pub async fn assigned(conn: &mut Conn, person_id: i64) -> Result<Vec<(i64, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT u.id, u.username, u.display_name FROM child_assignments a \
         JOIN users u ON u.id = a.user_id WHERE a.person_id = $1 ORDER BY u.display_name, u.id",
    )
    .bind(person_id)
    .fetch_all(conn)
    .await?)
}

/// A child on a welfare home's list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChildRow {
    pub person_id: i64,
    pub name: String,
    pub birth_date: String,
    pub sex: String,
    pub start_date: String,
    /// 1 when the asking user is assigned to the child.
    pub mine: i64,
    pub carers: i64,
    pub has_file: i64,
}

/// The children currently placed in a facility, with whether `user_id` is
/// assigned to each: names and ages only, nothing from the files.
pub async fn children_of(conn: &mut Conn, facility_id: i64, user_id: i64) -> Result<Vec<ChildRow>> {
    Ok(sqlx::query_as(
        "SELECT p.id AS person_id, p.name, p.birth_date, p.sex, e.start_date, \
         CAST((SELECT COUNT(*) FROM child_assignments a WHERE a.person_id = p.id \
               AND a.user_id = $2) AS BIGINT) AS mine, \
         CAST((SELECT COUNT(*) FROM child_assignments a WHERE a.person_id = p.id) AS BIGINT) \
           AS carers, \
         CAST((SELECT COUNT(*) FROM child_files c WHERE c.person_id = p.id) AS BIGINT) AS has_file \
         FROM enrolments e JOIN persons p ON p.id = e.person_id \
         WHERE e.facility_id = $1 AND e.end_date IS NULL ORDER BY p.name, p.id",
    )
    .bind(facility_id)
    .bind(user_id)
    .fetch_all(conn)
    .await?)
}

/// The break-glass opening of `user_id` on the child that is still open at
/// `now`, if any: (id, expires at).
pub async fn open_break_glass(
    conn: &mut Conn,
    user_id: i64,
    person_id: i64,
    now: i64,
) -> Result<Option<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT id, expires_at FROM break_glass WHERE user_id = $1 AND person_id = $2 \
         AND expires_at > $3 ORDER BY expires_at DESC LIMIT 1",
    )
    .bind(user_id)
    .bind(person_id)
    .bind(now)
    .fetch_optional(conn)
    .await?)
}

pub async fn add_break_glass(
    conn: &mut Conn,
    user_id: i64,
    person_id: i64,
    reason: &str,
    now: i64,
    expires_at: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO break_glass (user_id, person_id, reason, opened_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user_id)
    .bind(person_id)
    .bind(reason)
    .bind(now)
    .bind(expires_at)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// A break-glass opening as the auditor sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BreakGlassRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub person_id: i64,
    pub facility_name: Option<String>,
    pub reason: String,
    pub opened_at: i64,
    pub reviewed_at: Option<i64>,
    pub reviewer: Option<String>,
    pub review_note: String,
}

/// Break-glass openings of children living in `scope` (the village-code
/// range of the reader's region), those not yet reviewed first, newest first.
pub async fn break_glass_list(
    conn: &mut Conn,
    scope: (&str, &str),
    limit: i64,
) -> Result<Vec<BreakGlassRow>> {
    Ok(sqlx::query_as(
        "SELECT b.id, u.username, u.display_name, b.person_id, f.name AS facility_name, b.reason, \
         b.opened_at, b.reviewed_at, r.display_name AS reviewer, b.review_note \
         FROM break_glass b JOIN users u ON u.id = b.user_id \
         JOIN persons p ON p.id = b.person_id \
         LEFT JOIN users r ON r.id = b.reviewed_by \
         LEFT JOIN child_files c ON c.person_id = b.person_id \
         LEFT JOIN facilities f ON f.id = c.facility_id \
         WHERE p.village_code >= $1 AND p.village_code < $2 \
         ORDER BY CASE WHEN b.reviewed_at IS NULL THEN 0 ELSE 1 END, b.opened_at DESC, b.id DESC \
         LIMIT $3",
    )
    .bind(scope.0)
    .bind(scope.1)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Openings of children living in `scope` that await review.
pub async fn unreviewed_count(conn: &mut Conn, scope: (&str, &str)) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM break_glass b JOIN persons p ON p.id = b.person_id \
         WHERE b.reviewed_at IS NULL AND p.village_code >= $1 AND p.village_code < $2",
    )
    .bind(scope.0)
    .bind(scope.1)
    .fetch_one(conn)
    .await?;
    Ok(n)
}

/// Marks an opening of a child living in `scope` reviewed; false when there
/// is no such opening there, or it was already reviewed (a review is never
/// overwritten).
pub async fn review(
    conn: &mut Conn,
    scope: (&str, &str),
    id: i64,
    reviewer: i64,
    note: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE break_glass SET reviewed_at = $1, reviewed_by = $2, review_note = $3 \
         WHERE id = $4 AND reviewed_at IS NULL AND person_id IN \
         (SELECT id FROM persons WHERE village_code >= $5 AND village_code < $6)",
    )
    .bind(now)
    .bind(reviewer)
    .bind(note)
    .bind(id)
    .bind(scope.0)
    .bind(scope.1)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Children of a child category (e.g. `institutional_care`) in scope, alive
/// and in the register: (id, birth date), oldest first.
pub async fn of_category(
    conn: &mut Conn,
    scope: &crate::register::PersonScope,
    category: &str,
) -> Result<Vec<(i64, String)>> {
    let mut sql = crate::sql::Sql::new(
        "SELECT p.id, p.birth_date FROM persons p WHERE p.status = 'alive' AND p.child_category = ",
    );
    sql.bind(category).push(" AND");
    scope.apply(&mut sql);
    sql.push(" ORDER BY p.birth_date, p.id");
    Ok(sql.query_as().fetch_all(conn).await?)
}
