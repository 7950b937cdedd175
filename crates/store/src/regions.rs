//! The region tree (统计用区划代码).

use crate::sql::escape_like;
use crate::{Conn, Result};
use kangyang_domain::RegionCode;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RegionRow {
    pub code: String,
    pub parent_code: Option<String>,
    pub depth: i64,
    pub name: String,
    pub urban_rural: Option<String>,
    pub retired_on: Option<String>,
}

/// A region to insert or update.
#[derive(Debug, Clone)]
pub struct NewRegion {
    pub code: RegionCode,
    pub name: String,
}

const COLUMNS: &str = "code, parent_code, depth, name, urban_rural, retired_on";

pub async fn get(conn: &mut Conn, code: &str) -> Result<Option<RegionRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM regions WHERE code = $1"))
            .bind(code)
            .fetch_optional(conn)
            .await?,
    )
}

/// Several regions by code, in code order (unknown codes are skipped).
pub async fn get_many(conn: &mut Conn, codes: &[String]) -> Result<Vec<RegionRow>> {
    let mut rows = Vec::with_capacity(codes.len());
    for code in codes {
        if let Some(row) = get(&mut *conn, code).await? {
            rows.push(row);
        }
    }
    Ok(rows)
}

/// The provinces, or the children of `parent`, in code order.
pub async fn children(conn: &mut Conn, parent: Option<&str>) -> Result<Vec<RegionRow>> {
    let rows = match parent {
        Some(p) => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM regions WHERE parent_code = $1 ORDER BY code"
            ))
            .bind(p)
            .fetch_all(conn)
            .await?
        }
        None => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM regions WHERE parent_code IS NULL ORDER BY code"
            ))
            .fetch_all(conn)
            .await?
        }
    };
    Ok(rows)
}

/// For each child of `parent`: how many direct children and how many villages it has.
pub async fn child_counts(
    conn: &mut Conn,
    parent: &RegionCode,
    child_code_len: usize,
) -> Result<HashMap<String, (i64, i64)>> {
    let (lo, hi) = parent.subtree_range();
    let direct: Vec<(String, i64)> = sqlx::query_as(
        "SELECT parent_code, CAST(COUNT(*) AS BIGINT) FROM regions
         WHERE parent_code >= $1 AND parent_code < $2 AND depth = $3
         GROUP BY parent_code",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(parent.level().depth() + 2)
    .fetch_all(&mut *conn)
    .await?;
    let villages: Vec<(String, i64)> = sqlx::query_as(
        // CAST: PostgreSQL's substr takes INTEGER and will not narrow a BIGINT itself.
        "SELECT substr(code, 1, CAST($3 AS INTEGER)), CAST(COUNT(*) AS BIGINT) FROM regions
         WHERE code >= $1 AND code < $2 AND depth = 5
         GROUP BY 1",
    )
    .bind(&lo)
    .bind(&hi)
    .bind(child_code_len as i64)
    .fetch_all(&mut *conn)
    .await?;
    let mut counts: HashMap<String, (i64, i64)> = HashMap::new();
    for (code, n) in direct {
        counts.entry(code).or_default().0 = n;
    }
    for (code, n) in villages {
        counts.entry(code).or_default().1 = n;
    }
    Ok(counts)
}

/// Regions whose name contains `q`, inside the subtree of `within`, by level then code.
pub async fn search(
    conn: &mut Conn,
    q: &str,
    within: &RegionCode,
    limit: i64,
) -> Result<Vec<RegionRow>> {
    let (lo, hi) = within.subtree_range();
    let pattern = format!("%{}%", escape_like(q));
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM regions
         WHERE code >= $1 AND code < $2 AND name LIKE $3 ESCAPE '\\'
         ORDER BY depth, code LIMIT $4"
    ))
    .bind(&lo)
    .bind(&hi)
    .bind(&pattern)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

pub async fn count(conn: &mut Conn) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM regions")
        .fetch_one(conn)
        .await?;
    Ok(n)
}

/// Inserts or renames regions. Rows must come parents first.
/// Returns how many were new.
pub async fn upsert(conn: &mut Conn, regions: &[NewRegion]) -> Result<u64> {
    let before = count(&mut *conn).await?;
    // Multi-row statements save round trips; 40 rows (200 parameters) a
    // statement, with the placeholders of `Dialect::value_rows` (the shape of
    // every bulk insert: see `Dialect::placeholder` for why not `Sql`).
    let dialect = crate::Dialect::of(conn);
    for chunk in regions.chunks(40) {
        let sql = format!(
            "INSERT INTO regions (code, parent_code, depth, name, urban_rural) VALUES {} \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, urban_rural = excluded.urban_rural",
            dialect.value_rows(chunk.len(), 5)
        );
        let mut query = sqlx::query(&sql);
        for r in chunk {
            query = query
                .bind(r.code.as_str().to_owned())
                .bind(r.code.parent().map(String::from))
                .bind(r.code.level().depth())
                .bind(r.name.clone())
                .bind(r.code.urban_rural().map(|u| u.as_str().to_owned()));
        }
        query.execute(&mut *conn).await?;
    }
    let after = count(&mut *conn).await?;
    Ok((after - before).max(0) as u64)
}

/// Every village-level region under `parent`, in code order.
pub async fn villages_under(conn: &mut Conn, parent: &RegionCode) -> Result<Vec<RegionRow>> {
    let (lo, hi) = parent.subtree_range();
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM regions WHERE code >= $1 AND code < $2 AND depth = 5 AND retired_on IS NULL ORDER BY code"
    ))
    .bind(&lo)
    .bind(&hi)
    .fetch_all(conn)
    .await?)
}

/// For every region with current children: how many digits its children's
/// codes have (its first current child's, as a dashboard lists them).
pub async fn child_code_lengths(
    conn: &mut Conn,
) -> Result<std::collections::HashMap<String, usize>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT parent_code, MIN(code) FROM regions \
         WHERE parent_code IS NOT NULL AND retired_on IS NULL GROUP BY parent_code",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(parent, first)| (parent, first.len()))
        .collect())
}

/// Every current region of `root`'s subtree down to the villages, `root`
/// included, parents before children (by depth, then code).
pub async fn current_subtree(conn: &mut Conn, root: &RegionCode) -> Result<Vec<RegionRow>> {
    let (lo, hi) = root.subtree_range();
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM regions WHERE code >= $1 AND code < $2 AND retired_on IS NULL \
         ORDER BY depth, code"
    ))
    .bind(&lo)
    .bind(&hi)
    .fetch_all(conn)
    .await?)
}
