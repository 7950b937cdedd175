//! The system administrator's account management.

use crate::error::PageError;
use crate::pages::Nav;
use crate::session::{check_form_csrf, PageSession};
use crate::AppState;
use askama::Template;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kangyang_app::auth::Password;
use kangyang_app::{civil, users, Actor, AppError};
use kangyang_domain::{RegionCode, Role};
use serde::Deserialize;

struct UserLine {
    username: String,
    display_name: String,
    role_label: &'static str,
    region: String,
    facility_id: Option<i64>,
    status: &'static str,
    last_active: String,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    nav: Nav,
    users: Vec<UserLine>,
    roles: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    status_is_error: bool,
    form: NewUserForm,
}

#[derive(Default, Deserialize)]
pub(crate) struct NewUserForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    password: String,
}

async fn render(
    state: &AppState,
    actor: &Actor,
    form: NewUserForm,
    error: Option<String>,
) -> Result<Response, PageError> {
    let now = state.app.now();
    let users = users::list(&state.app, actor)
        .await?
        .into_iter()
        .map(|u| UserLine {
            status: if u.disabled_at.is_some() {
                "已停用"
            } else if u.locked_until.is_some_and(|t| t > now) {
                "已锁定"
            } else {
                "正常"
            },
            role_label: Role::parse(&u.role).map(Role::label).unwrap_or("未知"),
            last_active: u.last_active_at.map(civil::datetime).unwrap_or_default(),
            username: u.username,
            display_name: u.display_name,
            region: u.region_code,
            facility_id: u.facility_id,
        })
        .collect();
    let page = UsersPage {
        nav: Nav::of(actor),
        users,
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        status_is_error: error.is_some(),
        error,
        form,
    };
    let status = if page.status_is_error {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn list(
    State(state): State<AppState>,
    PageSession(session): PageSession,
) -> Result<Response, PageError> {
    render(&state, &session.actor, NewUserForm::default(), None).await
}

/// Creates an account; the new user must choose their own password at first login.
pub(crate) async fn create(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Form(form): Form<NewUserForm>,
) -> Result<Response, PageError> {
    check_form_csrf(&session, &form.csrf_token)?;
    let actor = &session.actor;
    let parsed = (|| {
        let role =
            Role::parse(&form.role).ok_or_else(|| AppError::invalid("角色", "请选择角色"))?;
        let region = RegionCode::parse(form.region.trim())
            .map_err(|_| AppError::invalid("所属区划", "区划代码应为 2、4、6、9 或 12 位数字"))?;
        Ok::<_, AppError>((role, region))
    })();
    let result = match parsed {
        Ok((role, region)) => {
            users::create_as(
                &state.app,
                actor,
                &users::NewAccount {
                    username: form.username.trim().to_owned(),
                    display_name: form.display_name.clone(),
                    password: Password(form.password.clone()),
                    role,
                    region,
                    facility_id: None,
                    must_change_password: true,
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/users").into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            let form = NewUserForm {
                password: String::new(),
                ..form
            };
            render(&state, actor, form, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}
