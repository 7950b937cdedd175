//! Transfer requests (迁入申请) through the API: a region asks for a person
//! who moved in, and decides the requests for its own people (the page is
//! `pages/transfers.rs`).

use crate::error::ApiError;
use crate::routes::{Access, Routes};
use crate::session::ApiSession;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use kangyang_app::transfers::{self, TransferInput, TransferLists, TransferView};
use serde::Serialize;
use utoipa_axum::routes;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .api(SignedIn, routes!(api_list, api_request))
        .api(SignedIn, routes!(api_get))
        .api(SignedIn, routes!(api_accept))
        .api(SignedIn, routes!(api_refuse))
}

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
