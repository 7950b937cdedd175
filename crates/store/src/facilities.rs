//! Facilities (服务机构). The facilities issue fills this out; for now the
//! minimum users are bound to.

use crate::{Conn, Result};

/// The region code of a facility, if it exists.
pub async fn region_of(conn: &mut Conn, facility_id: i64) -> Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT region_code FROM facilities WHERE id = $1")
        .bind(facility_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(code,)| code))
}
