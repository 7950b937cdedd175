//! Which role may take which action: data, seeded from the domain's defaults.

use crate::{Conn, Result};
use kangyang_domain::access::default_permissions;
use kangyang_domain::Role;

/// Fills `role_permissions` with the defaults: all of them on a new
/// database, and on an upgraded one the defaults of actions the table has
/// never held (actions a newer version added). An action the table already
/// knows keeps the grants in force, so what a security administrator changed
/// stays changed.
pub async fn seed_defaults(conn: &mut Conn) -> Result<()> {
    let known: Vec<(String,)> = sqlx::query_as("SELECT DISTINCT action FROM role_permissions")
        .fetch_all(&mut *conn)
        .await?;
    let known: std::collections::HashSet<String> = known.into_iter().map(|(a,)| a).collect();
    for role in Role::ALL {
        for action in default_permissions(role)
            .iter()
            .filter(|a| !known.contains(a.as_str()))
        {
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
