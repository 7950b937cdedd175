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
    if !ok {
        return Err(AppError::invalid_field(
            "username",
            "用户名",
            "用户名为 3-32 位小写字母、数字或 _ . -",
        ));
    }
    // A username is written to the audit trail in clear: it must not be
    // someone's ID number or phone number.
    if crate::auth::looks_like_person_number(username) {
        return Err(AppError::invalid_field(
            "username",
            "用户名",
            "用户名不能使用身份证号或手机号",
        ));
    }
    Ok(())
}

async fn create(app: &App, who: &Who, account: &NewAccount) -> Result<i64> {
    check_username(&account.username)?;
    password::check(&account.password.0, &account.username)
        .map_err(|e| AppError::invalid_field("password", "密码", e.to_string()))?;
    let mut conn = app.store().read().await?;
    if regions::get(&mut conn, account.region.as_str())
        .await?
        .is_none()
    {
        return Err(AppError::invalid_field(
            "region",
            "所属区划",
            "区划代码不存在",
        ));
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
                "must_change_password": account.must_change_password,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A 16-character password with all four character classes, for a new
/// account's first use (and the demo's).
pub fn generate_password() -> Password {
    use rand::seq::SliceRandom;
    use rand::Rng;
    const SETS: [&[u8]; 4] = [
        b"ABCDEFGHJKLMNPQRSTUVWXYZ",
        b"abcdefghijkmnpqrstuvwxyz",
        b"23456789",
        b"-_.!@#",
    ];
    let mut rng = rand::rngs::OsRng;
    let mut chars: Vec<u8> = SETS
        .iter()
        .filter_map(|set| set.choose(&mut rng).copied())
        .collect();
    let all: Vec<u8> = SETS.concat();
    while chars.len() < 16 {
        chars.push(all[rng.gen_range(0..all.len())]);
    }
    chars.shuffle(&mut rng);
    Password(String::from_utf8_lossy(&chars).into_owned())
}

/// An account as the system administrator opens it: who, and where.
#[derive(Debug)]
pub struct AccountRequest {
    pub username: String,
    pub display_name: String,
    pub region: RegionCode,
}

/// A new account and its first password, to be shown once and handed to
/// its holder, who must change it at first sign-in.
#[derive(Debug)]
pub struct OpenedAccount {
    pub id: i64,
    pub username: String,
    pub initial_password: Password,
}

/// Opens an account as the system administrator. Separation of the three
/// administrators (三员分立, GB/T 22239-2019 level 3, 8.1.4.2): the account
/// gets no role (the security administrator grants one), a first password
/// the system generates rather than one the administrator chose, and a
/// region inside the administrator's own.
pub async fn open_account(
    app: &App,
    actor: &Actor,
    request: &AccountRequest,
) -> Result<OpenedAccount> {
    app.require(actor, Action::UserManage).await?;
    require_own_region(actor, &request.region)?;
    let initial_password = generate_password();
    let account = NewAccount {
        username: request.username.clone(),
        display_name: request.display_name.clone(),
        password: Password(initial_password.0.clone()),
        role: Role::Unassigned,
        region: request.region.clone(),
        facility_id: None,
        must_change_password: true,
    };
    let id = create(app, &Who::from(actor), &account).await?;
    Ok(OpenedAccount {
        id,
        username: request.username.clone(),
        initial_password,
    })
}

/// Nobody binds an account to a region outside their own subtree.
fn require_own_region(actor: &Actor, region: &RegionCode) -> Result<()> {
    if actor.scope.facility_id().is_none() && actor.scope.covers(region) {
        Ok(())
    } else {
        Err(AppError::invalid_field(
            "region",
            "所属区划",
            format!("只能选择本人管辖区划（{}）之内的区划", actor.scope.region()),
        ))
    }
}

/// An account of the actor's region subtree; any other is "not found", as
/// people of another region are.
async fn account_in_scope(app: &App, actor: &Actor, user_id: i64, what: &str) -> Result<UserRow> {
    let mut conn = app.store().read().await?;
    let user = users::find_by_id(&mut conn, user_id).await?;
    drop(conn);
    let in_scope = user
        .filter(|u| RegionCode::parse(&u.region_code).is_ok_and(|code| actor.scope.covers(&code)));
    match in_scope {
        Some(user) => Ok(user),
        None => {
            app.audit_denied(actor, what, "user", &user_id.to_string())
                .await?;
            Err(AppError::NotFound)
        }
    }
}

/// One account of the administrator's region subtree.
pub async fn account(app: &App, actor: &Actor, user_id: i64) -> Result<UserRow> {
    let needed = if actor.can(Action::RoleGrant) {
        Action::RoleGrant
    } else {
        Action::UserManage
    };
    app.require(actor, needed).await?;
    account_in_scope(app, actor, user_id, "user.read").await
}

/// Disables (or enables again) an account of the system administrator's
/// region; a disabled account's sessions end at once.
pub async fn set_disabled(app: &App, actor: &Actor, user_id: i64, disabled: bool) -> Result<()> {
    app.require(actor, Action::UserManage).await?;
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    let user = account_in_scope(app, actor, user_id, action).await?;
    if user.id == actor.user_id {
        return Err(AppError::invalid_field(
            "user",
            "账号",
            "不能停用或启用本人的账号",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    users::set_disabled(&mut tx, user.id, disabled.then(|| app.now())).await?;
    if disabled {
        sessions::delete_for_user(&mut tx, user.id).await?;
    } else {
        // Enabled again: the idle clock starts now, or the next sign-in
        // would disable it once more.
        users::touch_active(&mut tx, user.id, app.now()).await?;
    }
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event {
            action,
            object_type: "user",
            object_id: user.id.to_string(),
            result: Outcome::Ok,
            detail: serde_json::json!({ "username": user.username }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What the security administrator gives an account, as typed.
#[derive(Debug, Default)]
pub struct GrantInput {
    /// A business role (`official`, `facility_staff`, …).
    pub role: String,
    /// A region code; not needed with a facility (its region is the account's).
    pub region: String,
    /// A facility id, required for the facility roles (staff, counsellor).
    pub facility_id: String,
}

/// Gives an account of the security administrator's region a business role
/// and a region (or facility) inside their own. Nobody grants to themselves,
/// and administrator accounts keep the role the command line gave them.
/// The account is looked up first: one of another region is "not found"
/// whatever was asked for it.
pub async fn grant(app: &App, actor: &Actor, user_id: i64, input: &GrantInput) -> Result<()> {
    app.require(actor, Action::RoleGrant).await?;
    let user = account_in_scope(app, actor, user_id, "user.grant").await?;
    if user.id == actor.user_id {
        app.audit_denied(actor, "user.grant", "user", &user.id.to_string())
            .await?;
        return Err(AppError::Forbidden);
    }
    if Role::parse(&user.role).is_some_and(Role::is_administrator) {
        return Err(AppError::invalid_field(
            "role",
            "角色",
            "管理员账号的角色只能由服务器管理者在命令行设置",
        ));
    }
    let role = Role::parse(input.role.trim())
        .ok_or_else(|| AppError::invalid_field("role", "角色", "请选择角色"))?;
    let facility_id =
        match input.facility_id.trim() {
            "" => None,
            text => Some(text.parse::<i64>().map_err(|_| {
                AppError::invalid_field("facility_id", "所属机构", "机构编号应为数字")
            })?),
        };
    if !role.grantable() {
        return Err(AppError::invalid_field(
            "role",
            "角色",
            "只能授予业务角色；三类管理员账号在命令行设置",
        ));
    }
    let region = match facility_id {
        Some(facility_id) if role.needs_facility() => facility_region(app, facility_id).await?,
        _ if role.needs_facility() => {
            return Err(AppError::invalid_field(
                "facility_id",
                "所属机构",
                "该角色须绑定一个机构",
            ));
        }
        _ => RegionCode::parse(
            &crate::regions::resolve_input(app, actor, &input.region, "region", "所属区划").await?,
        )
        .map_err(|_| {
            AppError::invalid_field("region", "所属区划", "区划代码应为 2、4、6、9 或 12 位数字")
        })?,
    };
    require_own_region(actor, &region)?;
    let mut conn = app.store().read().await?;
    if regions::get(&mut conn, region.as_str()).await?.is_none() {
        return Err(AppError::invalid_field(
            "region",
            "所属区划",
            "区划代码不存在",
        ));
    }
    drop(conn);
    let facility_id = facility_id.filter(|_| role.needs_facility());
    let (mut tx, _guard) = app.store().begin_audited().await?;
    users::set_role(
        &mut tx,
        user.id,
        role.as_str(),
        region.as_str(),
        facility_id,
    )
    .await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event {
            action: "user.grant",
            object_type: "user",
            object_id: user.id.to_string(),
            result: Outcome::Ok,
            detail: serde_json::json!({
                "username": user.username,
                "role": role.as_str(),
                "region": region.as_str(),
                "facility_id": facility_id,
                "previous_role": user.role,
                "previous_region": user.region_code,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Creates an account from the command line (`kangyang admin create`).
pub async fn create_from_cli(app: &App, account: &NewAccount) -> Result<i64> {
    create(app, &Who::cli(), account).await
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
    password::check(&new.0, username)
        .map_err(|e| AppError::invalid_field("password", "密码", e.to_string()))?;
    let mut conn = app.store().read().await?;
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
    let mut conn = app.store().read().await?;
    let code = kangyang_store::facility::region_of(&mut conn, facility_id)
        .await?
        .ok_or_else(|| AppError::invalid_field("facility_id", "机构", "机构不存在"))?;
    RegionCode::parse(&code).map_err(AppError::internal)
}

/// Whether any account exists (a new installation has none).
pub async fn any_exist(app: &App) -> Result<bool> {
    let mut conn = app.store().read().await?;
    Ok(users::count(&mut conn).await? > 0)
}

pub async fn find(app: &App, username: &str) -> Result<Option<UserRow>> {
    let mut conn = app.store().read().await?;
    Ok(users::find_by_username(&mut conn, username).await?)
}

/// The accounts of the administrator's region subtree, for the system
/// administrator (to open and disable) and the security administrator (to grant).
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<UserRow>> {
    let needed = if actor.can(Action::RoleGrant) {
        Action::RoleGrant
    } else {
        Action::UserManage
    };
    app.require(actor, needed).await?;
    let mut conn = app.store().read().await?;
    Ok(users::list_in(&mut conn, actor.scope.region()).await?)
}

/// Every role with the actions it may take, as in force.
pub async fn permissions(app: &App, actor: &Actor) -> Result<Vec<(Role, Vec<Action>)>> {
    app.require(actor, Action::PermissionRead).await?;
    let mut conn = app.store().read().await?;
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
