//! Signing in and out through the API, and who is signed in.

use super::ErrorBody;
use crate::error::ApiError;
use crate::routes::{Access, Routes};
use crate::session::{cleared_cookie, is_secure, session_cookie, ApiSession, ClientOrigin};
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use kangyang_app::{auth, Actor};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::routes;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .api(Public, routes!(login))
        .api(SignedIn, routes!(logout))
        .api(SignedIn, routes!(me))
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct LoginRequest {
    username: String,
    password: String,
    /// The authenticator's current 6-digit code, for accounts that have one.
    totp: Option<String>,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct UserInfo {
    username: String,
    display_name: String,
    role: String,
    /// The region code the user is bound to.
    region: String,
    facility_id: Option<i64>,
    permissions: Vec<String>,
    must_change_password: bool,
    /// An administrator who must first set up an authenticator.
    must_enroll_totp: bool,
    totp_enabled: bool,
}

impl From<&Actor> for UserInfo {
    fn from(a: &Actor) -> UserInfo {
        UserInfo {
            username: a.username.clone(),
            display_name: a.display_name.clone(),
            role: a.role.as_str().to_owned(),
            region: a.scope.region().to_string(),
            facility_id: a.scope.facility_id(),
            permissions: a
                .permissions
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect(),
            must_change_password: a.must_change_password,
            must_enroll_totp: a.must_enroll_totp,
            totp_enabled: a.totp_enabled,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LoginResponse {
    /// Send this in the `X-CSRF-Token` header of every state-changing call.
    csrf_token: String,
    user: UserInfo,
}

/// Sign in. Sets the session cookie. Every failure gives the same 401 answer.
#[utoipa::path(post, path = "/api/v1/login", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub(crate) async fn login(
    State(state): State<AppState>,
    ClientOrigin(origin): ClientOrigin,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let password = auth::Password(req.password);
    let credentials = auth::Credentials {
        username: req.username.trim(),
        password: &password,
        totp: req.totp.as_deref(),
    };
    let (token, actor) = auth::login(&state.app, &credentials, &origin).await?;
    let cookie = session_cookie(&token.0, is_secure(&state, &headers));
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(LoginResponse {
            csrf_token: actor.csrf_token.clone(),
            user: UserInfo::from(&actor),
        }),
    ))
}

/// Sign out: the session ends on the server and the cookie is cleared.
#[utoipa::path(post, path = "/api/v1/logout",
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn logout(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    auth::logout(&state.app, &session.actor, &session.token).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(
            header::SET_COOKIE,
            cleared_cookie(is_secure(&state, &headers)),
        )],
    ))
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = UserInfo), (status = 401, body = ErrorBody)))]
pub(crate) async fn me(ApiSession(session): ApiSession) -> Json<UserInfo> {
    Json(UserInfo::from(&session.actor))
}
