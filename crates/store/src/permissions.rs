//! Which role may take which action: data, seeded from the domain's defaults.

use crate::{settings, Conn, Result};
use kangyang_domain::access::default_permissions;
use kangyang_domain::{Action, Role};
use std::collections::HashSet;

/// What the seeding has already offered, so that a later version adds only
/// what is new and a grant an administrator removed stays removed.
const SEEDED_ROLES: &str = "permissions.seeded_roles";
const SEEDED_ACTIONS: &str = "permissions.seeded_actions";

/// Fills `role_permissions` with the defaults: all of them on a new
/// database; on an upgraded one, the defaults of roles and of actions that a
/// newer version added. What was seeded before is remembered in `settings`
/// (a database from before that bookkeeping counts what its table holds).
pub async fn seed_defaults(conn: &mut Conn) -> Result<()> {
    let remembered = |list: Option<String>| -> Option<HashSet<String>> {
        list.map(|l| l.split(',').map(str::to_owned).collect())
    };
    let roles = match remembered(settings::get(&mut *conn, SEEDED_ROLES).await?) {
        Some(roles) => roles,
        None => column(conn, "SELECT DISTINCT role FROM role_permissions").await?,
    };
    let actions = match remembered(settings::get(&mut *conn, SEEDED_ACTIONS).await?) {
        Some(actions) => actions,
        None => column(conn, "SELECT DISTINCT action FROM role_permissions").await?,
    };
    for role in Role::ALL {
        let new_role = !roles.contains(role.as_str());
        for action in default_permissions(role)
            .iter()
            .filter(|a| new_role || !actions.contains(a.as_str()))
        {
            sqlx::query(
                "INSERT INTO role_permissions (role, action) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(role.as_str())
            .bind(action.as_str())
            .execute(&mut *conn)
            .await?;
        }
    }
    let all_roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    let all_actions: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
    settings::set(conn, SEEDED_ROLES, &all_roles.join(",")).await?;
    settings::set(conn, SEEDED_ACTIONS, &all_actions.join(",")).await?;
    Ok(())
}

async fn column(conn: &mut Conn, sql: &str) -> Result<HashSet<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(sql).fetch_all(conn).await?;
    Ok(rows.into_iter().map(|(v,)| v).collect())
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
