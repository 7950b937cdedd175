//! User accounts.

use crate::actor::Who;
use crate::audit::{Event, Outcome};
use crate::auth::{hash_password, Password};
use crate::{Actor, App, AppError, Result};
use kangyang_domain::{password, Action, RegionCode, Role};
use kangyang_store::users::{self, NewUser, UserRow};
use kangyang_store::{regions, sessions};

/// A new account as an administrator describes it.
#[derive(Debug)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub password: Password,
    pub role: Role,
    pub region: RegionCode,
    pub facility_id: Option<i64>,
    /// Make the user choose their own password at first login.
    pub must_change_password: bool,
}

fn check_username(username: &str) -> Result<()> {
    let ok = (3..=32).contains(&username.len())
        && username.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            "用户名",
            "用户名为 3-32 位小写字母、数字或 _ . -",
        ))
    }
}

async fn create(app: &App, who: &Who, account: &NewAccount) -> Result<i64> {
    check_username(&account.username)?;
    password::check(&account.password.0, &account.username)
        .map_err(|e| AppError::invalid("密码", e.to_string()))?;
    let mut conn = app.store().pool().acquire().await?;
    if regions::get(&mut conn, account.region.as_str())
        .await?
        .is_none()
    {
        return Err(AppError::invalid("所属区划", "区划代码不存在"));
    }
    drop(conn);
    let hash = hash_password(&account.password.0).await?;
    let display_name = if account.display_name.trim().is_empty() {
        account.username.clone()
    } else {
        account.display_name.trim().to_owned()
    };
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = users::insert(
        &mut tx,
        &NewUser {
            username: &account.username,
            display_name: &display_name,
            password_hash: &hash,
            role: account.role.as_str(),
            region_code: account.region.as_str(),
            facility_id: account.facility_id,
            must_change_password: account.must_change_password,
            now: app.now(),
        },
    )
    .await?;
    app.audit_in(
        &mut tx,
        who,
        Event {
            action: "user.create",
            object_type: "user",
            object_id: id.to_string(),
            result: Outcome::Ok,
            detail: serde_json::json!({
                "username": account.username,
                "role": account.role.as_str(),
                "region": account.region.as_str(),
                "facility_id": account.facility_id,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Creates an account from the command line (`kangyang admin create`).
pub async fn create_from_cli(app: &App, account: &NewAccount) -> Result<i64> {
    create(app, &Who::cli(), account).await
}

/// Creates an account as a signed-in administrator.
pub async fn create_as(app: &App, actor: &Actor, account: &NewAccount) -> Result<i64> {
    app.require(actor, Action::UserManage).await?;
    create(app, &Who::from(actor), account).await
}

/// Sets a user's password from the command line (demo set-up, lost
/// passwords). The policy applies; with `must_change` the user must choose
/// their own at next login. Every session of the user ends.
pub async fn reset_password_from_cli(
    app: &App,
    username: &str,
    new: &Password,
    must_change: bool,
) -> Result<()> {
    password::check(&new.0, username).map_err(|e| AppError::invalid("密码", e.to_string()))?;
    let mut conn = app.store().pool().acquire().await?;
    let user = users::find_by_username(&mut conn, username)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    let hash = hash_password(&new.0).await?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    users::set_password(&mut tx, user.id, &hash, must_change, app.now()).await?;
    users::clear_login_failures(&mut tx, username).await?;
    users::set_locked_until(&mut tx, user.id, None).await?;
    sessions::delete_for_user(&mut tx, user.id).await?;
    app.audit_in(
        &mut tx,
        &Who::cli(),
        Event::ok("password.reset", "user", user.id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The region of a facility, to bind a facility user to.
pub async fn facility_region(app: &App, facility_id: i64) -> Result<RegionCode> {
    let mut conn = app.store().pool().acquire().await?;
    let code = kangyang_store::facilities::region_of(&mut conn, facility_id)
        .await?
        .ok_or_else(|| AppError::invalid("机构", "机构不存在"))?;
    RegionCode::parse(&code).map_err(AppError::internal)
}

/// Whether any account exists (a new installation has none).
pub async fn any_exist(app: &App) -> Result<bool> {
    let mut conn = app.store().pool().acquire().await?;
    Ok(users::count(&mut conn).await? > 0)
}

pub async fn find(app: &App, username: &str) -> Result<Option<UserRow>> {
    let mut conn = app.store().pool().acquire().await?;
    Ok(users::find_by_username(&mut conn, username).await?)
}

/// All accounts, for an administrator.
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<UserRow>> {
    app.require(actor, Action::UserManage).await?;
    let mut conn = app.store().pool().acquire().await?;
    Ok(users::list(&mut conn).await?)
}

/// Every role with the actions it may take, as in force.
pub async fn permissions(app: &App, actor: &Actor) -> Result<Vec<(Role, Vec<Action>)>> {
    app.require(actor, Action::PermissionRead).await?;
    let mut conn = app.store().pool().acquire().await?;
    let pairs = kangyang_store::permissions::list(&mut conn).await?;
    Ok(Role::ALL
        .into_iter()
        .map(|role| {
            let actions = pairs
                .iter()
                .filter(|(r, _)| r == role.as_str())
                .filter_map(|(_, a)| Action::parse(a))
                .collect();
            (role, actions)
        })
        .collect())
}
