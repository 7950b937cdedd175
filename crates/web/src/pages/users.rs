//! Accounts, kept apart as the separation of the three administrators asks
//! (三员分立, GB/T 22239-2019 level 3): the system administrator opens and
//! disables accounts, the security administrator gives them a role and a
//! region; the auditor reads what both did in the audit trail. These are the
//! pages; the API is `api/users.rs`.

use crate::api::users::parse_region;
use crate::error::PageError;
use crate::pages::{html, Nav};
use crate::routes::{Access, Routes};
use crate::session::{CsrfForm, PageSession, Session};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kangyang_app::users::{self, AccountRequest, GrantInput, OpenedAccount};
use kangyang_app::{civil, Actor, AppError};
use kangyang_domain::{Action, Role};
use kangyang_store::users::UserRow;
use serde::Deserialize;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get("/admin/permissions", SignedIn, permissions)
        .get("/admin/users", SignedIn, list)
        .post("/admin/users", SignedIn, create)
        .get("/admin/users/{user}", SignedIn, show)
        .post("/admin/users/{user}/grant", SignedIn, grant)
        .post("/admin/users/{user}/disable", SignedIn, disable)
        .post("/admin/users/{user}/enable", SignedIn, enable)
}

struct UserLine {
    id: i64,
    username: String,
    display_name: String,
    role_label: &'static str,
    region: String,
    facility_id: Option<i64>,
    status: &'static str,
    last_active: String,
}

fn status_of(u: &UserRow, now: i64) -> &'static str {
    if u.disabled_at.is_some() {
        "已停用"
    } else if u.locked_until.is_some_and(|t| t > now) {
        "已锁定"
    } else if u.must_change_password != 0 {
        "待首次登录改密"
    } else {
        "正常"
    }
}

fn line(u: UserRow, now: i64) -> UserLine {
    UserLine {
        id: u.id,
        status: status_of(&u, now),
        role_label: Role::parse(&u.role).map(Role::label).unwrap_or("未知"),
        last_active: u.last_active_at.map(civil::datetime).unwrap_or_default(),
        username: u.username,
        display_name: u.display_name,
        region: u.region_code,
        facility_id: u.facility_id,
    }
}

#[derive(Template)]
#[template(path = "users/list.html")]
struct UsersPage {
    nav: Nav,
    users: Vec<UserLine>,
    can_open: bool,
    error: Option<String>,
    form: NewUserForm,
    /// The account just opened and its first password, shown this once.
    opened: Option<(String, String)>,
}

#[derive(Default, Deserialize)]
pub(crate) struct NewUserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    region: String,
}

async fn render(
    state: &AppState,
    actor: &Actor,
    form: NewUserForm,
    error: Option<String>,
    opened: Option<OpenedAccount>,
) -> Result<Response, PageError> {
    let now = state.app.now();
    let users = users::list(&state.app, actor)
        .await?
        .into_iter()
        .map(|u| line(u, now))
        .collect();
    let form = NewUserForm {
        region: if form.region.is_empty() {
            actor.scope.region().to_string()
        } else {
            form.region
        },
        ..form
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = UsersPage {
        nav: Nav::of(actor),
        users,
        can_open: actor.can(Action::UserManage),
        error,
        form,
        opened: opened.map(|o| (o.username, o.initial_password.0)),
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn list(
    State(state): State<AppState>,
    PageSession(session): PageSession,
) -> Result<Response, PageError> {
    render(&state, &session.actor, NewUserForm::default(), None, None).await
}

/// Opens an account; its first password is shown on the answer page, once.
pub(crate) async fn create(
    State(state): State<AppState>,
    CsrfForm { session, form }: CsrfForm<NewUserForm>,
) -> Result<Response, PageError> {
    let actor = &session.actor;
    let result = match parse_region(&form.region) {
        Ok(region) => {
            let request = AccountRequest {
                username: form.username.trim().to_owned(),
                display_name: form.display_name.clone(),
                region,
            };
            users::open_account(&state.app, actor, &request).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(opened) => render(&state, actor, NewUserForm::default(), None, Some(opened)).await,
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            render(&state, actor, form, Some(e.to_string()), None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "users/show.html")]
struct UserPage {
    nav: Nav,
    user: UserLine,
    disabled: bool,
    can_open: bool,
    can_grant: bool,
    roles: Vec<(&'static str, &'static str)>,
    role: String,
    error: Option<String>,
}

async fn render_one(
    state: &AppState,
    actor: &Actor,
    user_id: i64,
    error: Option<String>,
) -> Result<Response, PageError> {
    let user = users::account(&state.app, actor, user_id).await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = UserPage {
        nav: Nav::of(actor),
        disabled: user.disabled_at.is_some(),
        role: user.role.clone(),
        user: line(user, state.app.now()),
        can_open: actor.can(Action::UserManage),
        can_grant: actor.can(Action::RoleGrant),
        roles: Role::ALL
            .into_iter()
            .filter(|r| r.grantable())
            .map(|r| (r.as_str(), r.label()))
            .collect(),
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// One account: the security administrator grants from here, the system
/// administrator disables or enables it.
pub(crate) async fn show(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(user_id): Path<i64>,
) -> Result<Response, PageError> {
    render_one(&state, &session.actor, user_id, None).await
}

#[derive(Deserialize)]
pub(crate) struct GrantForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    facility_id: String,
}

pub(crate) async fn grant(
    State(state): State<AppState>,
    Path(user_id): Path<i64>,
    CsrfForm { session, form }: CsrfForm<GrantForm>,
) -> Result<Response, PageError> {
    let actor = &session.actor;
    let input = GrantInput {
        role: form.role,
        region: form.region,
        facility_id: form.facility_id,
    };
    let result = users::grant(&state.app, actor, user_id, &input).await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/admin/users/{user_id}")).into_response()),
        Err(e @ AppError::Invalid { .. }) => {
            render_one(&state, actor, user_id, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn set_disabled_page(
    state: &AppState,
    session: &Session,
    user_id: i64,
    disabled: bool,
) -> Result<Response, PageError> {
    match users::set_disabled(&state.app, &session.actor, user_id, disabled).await {
        Ok(()) => Ok(Redirect::to(&format!("/admin/users/{user_id}")).into_response()),
        Err(e @ AppError::Invalid { .. }) => {
            render_one(state, &session.actor, user_id, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn disable(
    State(state): State<AppState>,
    Path(user_id): Path<i64>,
    CsrfForm { session, .. }: CsrfForm,
) -> Result<Response, PageError> {
    set_disabled_page(&state, &session, user_id, true).await
}

pub(crate) async fn enable(
    State(state): State<AppState>,
    Path(user_id): Path<i64>,
    CsrfForm { session, .. }: CsrfForm,
) -> Result<Response, PageError> {
    set_disabled_page(&state, &session, user_id, false).await
}

// ---- the permission table ----

struct PermissionRow {
    role_label: &'static str,
    role: &'static str,
    allowed: Vec<bool>,
}

#[derive(Template)]
#[template(path = "users/permissions.html")]
struct PermissionsPage {
    nav: Nav,
    actions: Vec<(&'static str, &'static str)>,
    rows: Vec<PermissionRow>,
}

pub(crate) async fn permissions(
    State(state): State<AppState>,
    PageSession(session): PageSession,
) -> Result<Response, PageError> {
    let table = users::permissions(&state.app, &session.actor).await?;
    let rows = table
        .iter()
        .map(|(role, actions): &(Role, Vec<Action>)| PermissionRow {
            role_label: role.label(),
            role: role.as_str(),
            allowed: Action::ALL.iter().map(|a| actions.contains(a)).collect(),
        })
        .collect();
    html(PermissionsPage {
        nav: Nav::of(&session.actor),
        actions: Action::ALL
            .iter()
            .map(|a| (a.as_str(), a.label()))
            .collect(),
        rows,
    })
}
