//! Signing in and out, the password and the second factor (TOTP) in the
//! browser (the API is `api/auth.rs`).

use crate::error::PageError;
use crate::pages::{html, Nav};
use crate::routes::{Access, Routes};
use crate::session::{
    cleared_cookie, is_secure, login_csrf_cookie, login_csrf_ok, session_cookie, ClientOrigin,
    CsrfForm, PageSession, Session,
};
use crate::AppState;
use askama::Template;
use axum::extract::{Form, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use kangyang_app::{auth, AppError};
use serde::Deserialize;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get("/login", Public, login_form)
        .post("/login", Public, login_submit)
        .post("/logout", SignedIn, logout)
        .get("/password", SignedIn, password_form)
        .post("/password", SignedIn, password_submit)
        .get("/account/totp", SignedIn, totp_form)
        .post("/account/totp", SignedIn, totp_submit)
}

#[derive(Template)]
#[template(path = "auth/login.html")]
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

pub(crate) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm { session, .. }: CsrfForm,
) -> Result<Response, PageError> {
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

#[derive(Template)]
#[template(path = "auth/password.html")]
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
    current: String,
    new: String,
    confirm: String,
}

pub(crate) async fn password_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm { session, form }: CsrfForm<PasswordForm>,
) -> Result<Response, PageError> {
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

#[derive(Template)]
#[template(path = "auth/totp.html")]
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
    code: String,
}

pub(crate) async fn totp_submit(
    State(state): State<AppState>,
    CsrfForm { session, form }: CsrfForm<TotpForm>,
) -> Result<Response, PageError> {
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
