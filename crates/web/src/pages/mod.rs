//! Server-rendered pages in Chinese. askama escapes every value it prints;
//! no page renders user-supplied HTML.
//!
//! The pages of a concept live in `pages/<concept>.rs`; what is still here
//! (sign-in, password, second factor, home, regions) moves out the same way.

pub(crate) mod funds;
pub(crate) mod holidays;
pub(crate) mod kangyuan_forms;
pub(crate) mod pairing;
pub(crate) mod transfers;
pub(crate) mod users;
pub(crate) mod workbench;

use crate::error::PageError;
use crate::session::{
    check_form_csrf, cleared_cookie, is_secure, login_csrf_cookie, login_csrf_ok, session_cookie,
    ClientOrigin, PageSession, Session,
};
use crate::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use kangyang_app::regions::{self, ChildView, RegionDetail};
use kangyang_app::{auth, Actor, AppError};
use kangyang_domain::{Action, Role};
use serde::Deserialize;

/// What the page header shows of the signed-in user.
pub(crate) struct Nav {
    pub(crate) display_name: String,
    pub(crate) role_label: &'static str,
    pub(crate) home_region: String,
    pub(crate) csrf_token: String,
    pub(crate) can_see_permissions: bool,
    pub(crate) can_audit: bool,
    pub(crate) can_manage_users: bool,
    pub(crate) can_read_persons: bool,
    pub(crate) can_read_facilities: bool,
    /// Social workers (and officials) see the visit list.
    pub(crate) can_visit: bool,
    /// Officials see the Kangyuan overview of their region.
    pub(crate) can_see_overview: bool,
    /// Region-scoped readers of people follow the home-modification target.
    pub(crate) can_see_modifications: bool,
    /// Home-care orders: the hotline, providers and their caregivers.
    pub(crate) can_home_care: bool,
    /// Counsellors record counselling sessions on the centre page.
    pub(crate) can_counsel: bool,
}

impl Nav {
    pub(crate) fn of(actor: &Actor) -> Nav {
        Nav {
            display_name: actor.display_name.clone(),
            role_label: actor.role.label(),
            home_region: actor.scope.region().to_string(),
            csrf_token: actor.csrf_token.clone(),
            can_see_permissions: actor.can(Action::PermissionRead),
            can_audit: actor.can(Action::AuditRead),
            can_manage_users: actor.can(Action::UserManage) || actor.can(Action::RoleGrant),
            can_read_persons: actor.can(Action::PersonRead),
            can_read_facilities: actor.can(Action::FacilityRead),
            can_visit: actor.can(Action::PersonWrite)
                && matches!(actor.role, Role::SocialWorker | Role::Official),
            can_see_overview: actor.can(Action::FacilityRead)
                && actor.scope.facility_id().is_none(),
            can_see_modifications: actor.can(Action::PersonRead)
                && actor.scope.facility_id().is_none(),
            can_home_care: actor.can(Action::PersonRead) && actor.role != Role::Counsellor,
            can_counsel: actor.can(Action::CounsellingNotes),
        }
    }
}

pub(crate) fn html(t: impl Template) -> Result<Response, PageError> {
    Ok(Html(t.render()?).into_response())
}

#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage {
    pub status: u16,
    pub message: String,
}

pub(crate) async fn not_found() -> Response {
    PageError::new(AppError::NotFound).into_response()
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    username: String,
    error: Option<String>,
    login_csrf: String,
}

/// The login page with a fresh CSRF token in its form and in a cookie.
fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    username: String,
    error: Option<String>,
) -> Result<Response, PageError> {
    let token = auth::form_token();
    let page = LoginPage {
        username,
        error,
        login_csrf: token.clone(),
    };
    Ok((
        status,
        [(
            header::SET_COOKIE,
            login_csrf_cookie(&token, is_secure(state, headers)),
        )],
        Html(page.render()?),
    )
        .into_response())
}

pub(crate) async fn login_form(
    State(state): State<AppState>,
    session: Option<axum::Extension<Session>>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if session.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    login_page(&state, &headers, StatusCode::OK, String::new(), None)
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    totp: String,
    #[serde(default)]
    login_csrf: String,
}

pub(crate) async fn login_submit(
    State(state): State<AppState>,
    ClientOrigin(origin): ClientOrigin,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let username = form.username.trim().to_owned();
    if !login_csrf_ok(&headers, &form.login_csrf) {
        // Posted from another site, or from a page older than its cookie:
        // nothing is checked; a fresh form is offered.
        return login_page(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            username,
            Some("登录页面已过期，请重新输入后登录".to_owned()),
        );
    }
    let password = auth::Password(form.password);
    let credentials = auth::Credentials {
        username: &username,
        password: &password,
        totp: Some(form.totp.trim()).filter(|c| !c.is_empty()),
    };
    match auth::login(&state.app, &credentials, &origin).await {
        Ok((token, _actor)) => Ok((
            [(
                header::SET_COOKIE,
                session_cookie(&token.0, is_secure(&state, &headers)),
            )],
            Redirect::to("/"),
        )
            .into_response()),
        Err(e @ (AppError::LoginFailed | AppError::RateLimited)) => login_page(
            &state,
            &headers,
            StatusCode::UNAUTHORIZED,
            username,
            Some(e.to_string()),
        ),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    csrf_token: String,
}

pub(crate) async fn logout(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    check_form_csrf(&session, &form.csrf_token)?;
    auth::logout(&state.app, &session.actor, &session.token).await?;
    Ok((
        [(
            header::SET_COOKIE,
            cleared_cookie(is_secure(&state, &headers)),
        )],
        Redirect::to("/login"),
    )
        .into_response())
}

/// Home: the region the user is bound to.

#[derive(Template)]
#[template(path = "region.html")]
struct RegionPage {
    nav: Nav,
    detail: RegionDetail,
    children: Vec<ChildView>,
}

pub(crate) async fn region(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let actor = &session.actor;
    let detail = regions::get(&state.app, actor, &code).await?;
    let children = regions::children(&state.app, actor, &code).await?;
    html(RegionPage {
        nav: Nav::of(actor),
        detail,
        children,
    })
}

#[derive(Deserialize)]
pub(crate) struct SearchQuery {
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "region_search.html")]
struct RegionSearchPage {
    nav: Nav,
    q: String,
    results: Vec<RegionDetail>,
}

pub(crate) async fn regions_search(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(query): Query<SearchQuery>,
) -> Result<Response, PageError> {
    let results = regions::search(&state.app, &session.actor, &query.q).await?;
    html(RegionSearchPage {
        nav: Nav::of(&session.actor),
        q: query.q,
        results,
    })
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    nav: Nav,
    forced: bool,
    error: Option<String>,
}

pub(crate) async fn password_form(
    PageSession(session): PageSession,
) -> Result<Response, PageError> {
    html(PasswordPage {
        forced: session.actor.must_change_password,
        nav: Nav::of(&session.actor),
        error: None,
    })
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    csrf_token: String,
    current: String,
    new: String,
    confirm: String,
}

pub(crate) async fn password_submit(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    check_form_csrf(&session, &form.csrf_token)?;
    let again = |session: &Session, message: String| -> Result<Response, PageError> {
        let page = PasswordPage {
            forced: session.actor.must_change_password,
            nav: Nav::of(&session.actor),
            error: Some(message),
        };
        Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
    };
    if form.new != form.confirm {
        return again(&session, "两次输入的新密码不一致".to_owned());
    }
    match auth::change_password(
        &state.app,
        &session.actor,
        &auth::Password(form.current),
        &auth::Password(form.new),
    )
    .await
    {
        // Every session ended with the change: sign in again with the new password.
        Ok(()) => Ok((
            [(
                header::SET_COOKIE,
                cleared_cookie(is_secure(&state, &headers)),
            )],
            Redirect::to("/login"),
        )
            .into_response()),
        Err(AppError::Invalid { message, .. }) => again(&session, message),
        Err(e) => Err(e.into()),
    }
}

struct PermissionRow {
    role_label: &'static str,
    role: &'static str,
    allowed: Vec<bool>,
}

#[derive(Template)]
#[template(path = "permissions.html")]
struct PermissionsPage {
    nav: Nav,
    actions: Vec<(&'static str, &'static str)>,
    rows: Vec<PermissionRow>,
}

pub(crate) async fn permissions(
    State(state): State<AppState>,
    PageSession(session): PageSession,
) -> Result<Response, PageError> {
    let table = kangyang_app::users::permissions(&state.app, &session.actor).await?;
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

#[derive(Template)]
#[template(path = "totp.html")]
struct TotpPage {
    nav: Nav,
    enabled: bool,
    required: bool,
    secret: String,
    uri: String,
    error: Option<String>,
}

/// Setting up the authenticator: shows a new secret, or that one is bound.
pub(crate) async fn totp_form(
    State(state): State<AppState>,
    PageSession(session): PageSession,
) -> Result<Response, PageError> {
    let actor = &session.actor;
    let (secret, uri) = if actor.totp_enabled {
        (String::new(), String::new())
    } else {
        let enrollment = auth::begin_totp(&state.app, actor).await?;
        (enrollment.secret, enrollment.uri)
    };
    html(TotpPage {
        nav: Nav::of(actor),
        enabled: actor.totp_enabled,
        required: actor.must_enroll_totp,
        secret,
        uri,
        error: None,
    })
}

#[derive(Deserialize)]
pub(crate) struct TotpForm {
    csrf_token: String,
    code: String,
}

pub(crate) async fn totp_submit(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Form(form): Form<TotpForm>,
) -> Result<Response, PageError> {
    check_form_csrf(&session, &form.csrf_token)?;
    match auth::confirm_totp(&state.app, &session.actor, &form.code).await {
        Ok(()) => Ok(Redirect::to("/").into_response()),
        Err(AppError::Invalid { message, .. }) => {
            // Start over with a new secret: the user re-enters it.
            let enrollment = auth::begin_totp(&state.app, &session.actor).await?;
            let page = TotpPage {
                nav: Nav::of(&session.actor),
                enabled: false,
                required: session.actor.must_enroll_totp,
                secret: enrollment.secret,
                uri: enrollment.uri,
                error: Some(message),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
