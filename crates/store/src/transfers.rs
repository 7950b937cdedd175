//! Transfer requests (迁入申请) between regions: one person's record moving
//! from the region that holds it to the region they now live in. Not to be
//! confused with `database_copy`, which copies a whole database between engines.
//!
//! A request carries the blind index of the ID number, never the number. The
//! person it means is found by joining `persons` on that index, inside the
//! deciding user's scope, so the requester learns nothing of them until the
//! request is accepted.

use crate::register::PersonScope;
use crate::sql::Sql;
use crate::{Conn, Result};

/// One request as stored, with the requester's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TransferRow {
    pub id: i64,
    pub id_masked: String,
    pub to_village: String,
    pub reason: String,
    pub requested_by: i64,
    pub requester: String,
    pub created_at: i64,
    pub status: String,
    pub from_village: Option<String>,
    pub person_id: Option<i64>,
    pub decided_at: Option<i64>,
}

/// What a new request holds.
#[derive(Debug, Clone)]
pub struct NewTransfer {
    pub id_index: String,
    pub id_masked: String,
    pub to_village: String,
    pub reason: String,
    pub requested_by: i64,
}

const COLUMNS: &str = "t.id, t.id_masked, t.to_village, t.reason, t.requested_by, \
     u.username AS requester, t.created_at, t.status, t.from_village, t.person_id, t.decided_at";

/// Most requests a list shows, newest first.
const LIST_LIMIT: i64 = 200;

pub async fn insert(conn: &mut Conn, t: &NewTransfer, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO transfer_requests (id_index, id_masked, to_village, reason, requested_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(&t.id_index)
    .bind(&t.id_masked)
    .bind(&t.to_village)
    .bind(&t.reason)
    .bind(t.requested_by)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// A pending request for the same number to the same region subtree: a
/// second one would only be a duplicate for the holder to refuse.
pub async fn pending_for(
    conn: &mut Conn,
    id_index: &str,
    region_lo: &str,
    region_hi: &str,
) -> Result<Option<i64>> {
    Ok(sqlx::query_as(
        "SELECT id FROM transfer_requests WHERE id_index = $1 AND status = 'pending' \
         AND to_village >= $2 AND to_village < $3",
    )
    .bind(id_index)
    .bind(region_lo)
    .bind(region_hi)
    .fetch_optional(conn)
    .await?
    .map(|(id,): (i64,)| id))
}

/// One request, whoever may see it (the caller decides).
pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<(TransferRow, String)>> {
    let sql = format!(
        "SELECT {COLUMNS}, t.id_index FROM transfer_requests t JOIN users u ON u.id = t.requested_by \
         WHERE t.id = $1"
    );
    Ok(sqlx::query_as::<_, TransferRowWithIndex>(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .map(|r| (r.row, r.id_index)))
}

#[derive(sqlx::FromRow)]
struct TransferRowWithIndex {
    #[sqlx(flatten)]
    row: TransferRow,
    id_index: String,
}

/// The requests to move people into a region subtree (what its officials asked).
pub async fn to_region(conn: &mut Conn, lo: &str, hi: &str) -> Result<Vec<TransferRow>> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM transfer_requests t JOIN users u ON u.id = t.requested_by \
         WHERE t.to_village >= "
    ));
    sql.bind(lo.to_owned())
        .push(" AND t.to_village < ")
        .bind(hi.to_owned())
        .push(" ORDER BY t.id DESC LIMIT ")
        .bind(LIST_LIMIT);
    Ok(sql.query_as().fetch_all(conn).await?)
}

/// The pending requests for people inside `scope` (what its officials must
/// decide), each with the person it means; and the requests this region
/// decided already (their `from_village` inside the scope's region).
pub async fn for_holder(
    conn: &mut Conn,
    scope: &PersonScope,
    region_lo: &str,
    region_hi: &str,
) -> Result<Vec<TransferRow>> {
    let mut sql = Sql::new(
        "SELECT t.id, t.id_masked, t.to_village, t.reason, t.requested_by, u.username AS requester, \
         t.created_at, t.status, p.village_code AS from_village, p.id AS person_id, t.decided_at \
         FROM transfer_requests t JOIN users u ON u.id = t.requested_by \
         JOIN persons p ON p.id_index = t.id_index WHERE t.status = 'pending' AND",
    );
    scope.apply(&mut sql);
    sql.push(" UNION ALL SELECT ")
        .push(COLUMNS)
        .push(
            " FROM transfer_requests t JOIN users u ON u.id = t.requested_by \
             WHERE t.status <> 'pending' AND t.from_village >= ",
        )
        .bind(region_lo.to_owned())
        .push(" AND t.from_village < ")
        .bind(region_hi.to_owned())
        .push(" ORDER BY 1 DESC LIMIT ")
        .bind(LIST_LIMIT);
    Ok(sql.query_as().fetch_all(conn).await?)
}

/// Records a decision on a pending request; false if it was no longer pending.
pub async fn decide(
    conn: &mut Conn,
    id: i64,
    status: &str,
    person_id: i64,
    from_village: &str,
    decided_by: i64,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE transfer_requests SET status = $1, person_id = $2, from_village = $3, \
         decided_by = $4, decided_at = $5 WHERE id = $6 AND status = 'pending'",
    )
    .bind(status)
    .bind(person_id)
    .bind(from_village)
    .bind(decided_by)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
