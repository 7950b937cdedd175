//! Which role may take which action: data, seeded from the domain's defaults.

use crate::{Conn, Result};
use kangyang_domain::access::default_permissions;
use kangyang_domain::Role;

/// Fills `role_permissions` with the defaults when it is empty.
pub async fn seed_defaults(conn: &mut Conn) -> Result<()> {
    let (n,): (i64,) = sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM role_permissions")
        .fetch_one(&mut *conn)
        .await?;
    if n > 0 {
        return Ok(());
    }
    for role in Role::ALL {
        for action in default_permissions(role) {
            sqlx::query("INSERT INTO role_permissions (role, action) VALUES ($1, $2)")
                .bind(role.as_str())
                .bind(action.as_str())
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// Every (role, action) pair in force.
pub async fn list(conn: &mut Conn) -> Result<Vec<(String, String)>> {
    Ok(
        sqlx::query_as("SELECT role, action FROM role_permissions ORDER BY role, action")
            .fetch_all(conn)
            .await?,
    )
}

/// The actions one role may take.
pub async fn for_role(conn: &mut Conn, role: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT action FROM role_permissions WHERE role = $1 ORDER BY action")
            .bind(role)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(a,)| a).collect())
}
