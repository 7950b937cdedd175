//! Exporting the register through the API (the pages are `pages/export.rs`,
//! which make the files).

use crate::error::ApiError;
use crate::pages::export::{export_response, ExportParams};
use crate::routes::{Access, Routes};
use crate::session::ApiSession;
use crate::AppState;
use axum::extract::{Query, State};
use axum::response::Response;
use kangyang_app::register::PersonQuery;
use kangyang_app::AppError;
use utoipa_axum::routes;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new().api(SignedIn, routes!(persons))
}

/// Export the people matching a search as csv or xlsx (masked unless `unmasked=1`).
#[utoipa::path(get, operation_id = "api_export", path = "/api/v1/persons/export", params(PersonQuery,
        ("format" = Option<String>, Query, description = "csv (default) or xlsx"),
        ("unmasked" = Option<String>, Query, description = "1 for full values: needs person.reveal; audited")),
    responses((status = 200, description = "the file"), (status = 401, body = crate::api::ErrorBody), (status = 403, body = crate::api::ErrorBody)))]
pub(crate) async fn persons(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Query(params): Query<ExportParams>,
) -> Result<Response, ApiError> {
    let xlsx = match params.format.as_deref().unwrap_or("csv") {
        "csv" => false,
        "xlsx" => true,
        _ => return Err(AppError::invalid_field("format", "格式", "格式应为 csv 或 xlsx").into()),
    };
    Ok(export_response(&state, &session, &params, xlsx).await?)
}
