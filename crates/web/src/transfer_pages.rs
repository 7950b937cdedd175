//! Transfer requests (迁入申请): the page where a region asks for a person
//! who moved in and decides the requests for its own people, and the API.

use crate::error::{ApiError, PageError};
use crate::pages::Nav;
use crate::session::{check_form_csrf, ApiSession, PageSession, Session};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use kangyang_app::transfers::{self, TransferInput, TransferLists, TransferView};
use kangyang_app::AppError;
use serde::{Deserialize, Serialize};

// ---- API ----

/// The transfer requests the user's region made, and those for people it holds.
#[utoipa::path(get, path = "/api/v1/transfers",
    responses((status = 200, body = TransferLists), (status = 401, body = crate::api::ErrorBody), (status = 403, body = crate::api::ErrorBody)))]
pub(crate) async fn api_list(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
) -> Result<Json<TransferLists>, ApiError> {
    Ok(Json(transfers::list(&state.app, &session.actor).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Requested {
    id: i64,
    /// Always "pending": whether the number is registered elsewhere is not told.
    status: &'static str,
}

/// Ask for a person who now lives in one's region to be moved here. The ID
/// number travels in the body, never in a URL.
#[utoipa::path(post, path = "/api/v1/transfers", request_body = TransferInput,
    responses((status = 201, body = Requested), (status = 401, body = crate::api::ErrorBody), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_request(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(input): Json<TransferInput>,
) -> Result<impl IntoResponse, ApiError> {
    let id = transfers::request(&state.app, &session.actor, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(Requested {
            id,
            status: "pending",
        }),
    ))
}

/// One transfer request, as the user's side sees it (404 for anyone else).
#[utoipa::path(get, path = "/api/v1/transfers/{transfer}", params(("transfer" = i64, Path)),
    responses((status = 200, body = TransferView), (status = 401, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_get(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
) -> Result<Json<TransferView>, ApiError> {
    Ok(Json(transfers::get(&state.app, &session.actor, id).await?))
}

/// Accept a pending request for a person one's region holds: the person's
/// village becomes the requested one.
#[utoipa::path(post, path = "/api/v1/transfers/{transfer}/accept", params(("transfer" = i64, Path)),
    responses((status = 200, body = TransferView), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_accept(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
) -> Result<Json<TransferView>, ApiError> {
    Ok(Json(
        transfers::decide(&state.app, &session.actor, id, true).await?,
    ))
}

/// Refuse a pending request for a person one's region holds.
#[utoipa::path(post, path = "/api/v1/transfers/{transfer}/refuse", params(("transfer" = i64, Path)),
    responses((status = 200, body = TransferView), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_refuse(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
) -> Result<Json<TransferView>, ApiError> {
    Ok(Json(
        transfers::decide(&state.app, &session.actor, id, false).await?,
    ))
}

// ---- pages ----

#[derive(Template)]
#[template(path = "transfers.html")]
struct TransfersPage {
    nav: Nav,
    lists: TransferLists,
    village: String,
    reason: String,
    error: Option<String>,
    notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
pub(crate) struct Outcome {
    #[serde(default)]
    done: String,
}

async fn page(
    state: &AppState,
    session: &Session,
    input: Option<&TransferInput>,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Result<Response, PageError> {
    let lists = transfers::list(&state.app, &session.actor).await?;
    let page = TransfersPage {
        nav: Nav::of(&session.actor),
        lists,
        // The ID number is never put back into the page.
        village: input.map(|i| i.village.clone()).unwrap_or_default(),
        reason: input.map(|i| i.reason.clone()).unwrap_or_default(),
        error,
        notice,
    };
    let status = if page.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, axum::response::Html(page.render()?)).into_response())
}

pub(crate) async fn list(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(outcome): Query<Outcome>,
) -> Result<Response, PageError> {
    let notice = match outcome.done.as_str() {
        "requested" => Some("迁入申请已提交，等待原登记地处理。"),
        "accepted" => Some("已同意迁入，此人已转到申请的村（社区）。"),
        "refused" => Some("已不同意此迁入申请。"),
        _ => None,
    };
    page(&state, &session, None, None, notice).await
}

#[derive(Deserialize)]
pub(crate) struct RequestForm {
    csrf_token: String,
    #[serde(flatten)]
    input: TransferInput,
}

pub(crate) async fn request(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Form(form): Form<RequestForm>,
) -> Result<Response, PageError> {
    check_form_csrf(&session, &form.csrf_token)?;
    match transfers::request(&state.app, &session.actor, &form.input).await {
        Ok(_) => Ok(Redirect::to("/transfers?done=requested").into_response()),
        Err(AppError::Invalid { message, .. }) => {
            page(&state, &session, Some(&form.input), Some(message), None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    csrf_token: String,
}

async fn decide_form(
    state: &AppState,
    session: &Session,
    id: i64,
    csrf: &str,
    accept: bool,
) -> Result<Response, PageError> {
    check_form_csrf(session, csrf)?;
    transfers::decide(&state.app, &session.actor, id, accept).await?;
    let done = if accept { "accepted" } else { "refused" };
    Ok(Redirect::to(&format!("/transfers?done={done}")).into_response())
}

pub(crate) async fn accept(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    decide_form(&state, &session, id, &form.csrf_token, true).await
}

pub(crate) async fn refuse(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    decide_form(&state, &session, id, &form.csrf_token, false).await
}
