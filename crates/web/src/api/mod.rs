//! The JSON API under `/api/v1`, described by the OpenAPI document it serves.
//!
//! Each concept's handlers live in a module of their own (`api/<concept>.rs`)
//! and declare their routes there with `#[utoipa::path]` and
//! [`Routes::api`](crate::routes::Routes::api): the document below is what the
//! router collected, plus the description.

pub(crate) mod audit;
pub(crate) mod auth;
pub(crate) mod canteen;
pub(crate) mod capability;
pub(crate) mod children;
pub(crate) mod construction;
pub(crate) mod dashboards;
pub(crate) mod export;
pub(crate) mod facility;
pub(crate) mod funds;
pub(crate) mod holidays;
pub(crate) mod home_care;
pub(crate) mod home_modification;
pub(crate) mod kangyuan;
pub(crate) mod medical_care;
pub(crate) mod pairing;
pub(crate) mod planning;
pub(crate) mod regions;
pub(crate) mod register;
pub(crate) mod station;
pub(crate) mod transfers;
pub(crate) mod users;
pub(crate) mod visits;
pub(crate) mod workbench;

use crate::routes::{Access, Routes};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::Serialize;
use std::sync::Arc;
use utoipa::openapi::OpenApi as Document;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::routes;

/// The description of the document. Its operations come from the routes
/// themselves, and with them every schema they name (see [`document`]).
#[derive(OpenApi)]
#[openapi(info(
    title = "kangyang 康养 API",
    description = "Community welfare services platform. Every call but login acts as the \
            signed-in user (session cookie `kangyang_session`) and sees only that user's region \
            or facility. State-changing calls must send the session's CSRF token in the \
            `X-CSRF-Token` header; login returns it."
))]
struct ApiDoc;

/// The OpenAPI document: the description of [`ApiDoc`] with the operations
/// and schemas the router collected from the routes' own declarations.
pub(crate) fn document(collected: Document) -> Document {
    let mut doc = ApiDoc::openapi();
    doc.merge(collected);
    doc
}

/// The document, made once when the router is built.
#[derive(Clone)]
pub(crate) struct ServedDocument(pub Arc<Document>);

pub(crate) async fn openapi(Extension(doc): Extension<ServedDocument>) -> impl IntoResponse {
    Json(Document::clone(&doc.0))
}

/// Every error answer has this shape.
#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    /// A stable code: unauthenticated, login_failed, forbidden, csrf, not_found, invalid, …
    error: String,
    /// What went wrong, in Chinese, for the user.
    message: String,
    /// For `invalid`: which field, by its key in the request.
    field: Option<String>,
    /// For `invalid`: the field's Chinese name, as forms and sheets show it.
    label: Option<String>,
}

/// Liveness and database reachability.
#[utoipa::path(get, path = "/healthz", responses((status = 200), (status = 503)))]
pub(crate) async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match sqlx_ping(&state).await {
        true => (StatusCode::OK, Json(serde_json::json!({ "status": "ok" }))),
        false => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "database unreachable" })),
        ),
    }
}

async fn sqlx_ping(state: &AppState) -> bool {
    state.app.store().read().await.is_ok()
}

/// Health, the document itself, signing in and out, regions.
pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .api(Public, routes!(healthz))
        // The document describes the API, not itself.
        .get("/api/v1/openapi.json", Public, openapi)
        .merge(auth::routes())
        .merge(regions::routes())
}
