//! The person register (人员登记) through the API: search, register, read,
//! change, reveal a masked field, find by ID number, history (the pages are
//! `pages/register.rs`).

use crate::error::ApiError;
use crate::routes::{Access, Routes};
use crate::session::ApiSession;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use kangyang_app::register::{self, HistoryEntry, PersonQuery, PersonView, RevealField};
use kangyang_app::AppError;
use kangyang_domain::register::{Field, RawPerson};
use serde::{Deserialize, Serialize};
use utoipa_axum::routes;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .api(SignedIn, routes!(search, create))
        .api(SignedIn, routes!(find))
        .api(SignedIn, routes!(get, update))
        .api(SignedIn, routes!(reveal))
        .api(SignedIn, routes!(history))
}

/// Reads a JSON API body into a raw record. The body may be what GET
/// returned: numbers (disability_grade), lists (tags) and nulls are read as
/// text, `village_code` stands for `village`, and keys that are not fields
/// (id, age, the `*_label`s, created_at …) are ignored, so GET's answer can be
/// PUT back unchanged.
fn raw_from_json(
    values: &serde_json::Map<String, serde_json::Value>,
) -> Result<RawPerson, ApiError> {
    use serde_json::Value;
    // The error names the key as sent, with the field's Chinese name.
    let text = |key: &str, field: Field, v: &Value| -> Result<String, ApiError> {
        match v {
            Value::Null => Ok(String::new()),
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Array(items) => items
                .iter()
                .map(|i| match i {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(n) => Ok(n.to_string()),
                    _ => Err(()),
                })
                .collect::<Result<Vec<_>, ()>>()
                .map(|parts| parts.join(","))
                .map_err(|()| {
                    AppError::invalid_field(key, field.header(), "列表中应为文字或数字").into()
                }),
            Value::Bool(_) | Value::Object(_) => {
                Err(AppError::invalid_field(key, field.header(), "应为文字、数字或文字列表").into())
            }
        }
    };
    let mut raw = RawPerson::new();
    for (key, v) in values {
        if let Some(f) = Field::from_key(key) {
            raw.insert(f, text(key, f, v)?);
        }
    }
    // GET names the village `village_code`; `village` wins if both are sent.
    if let (false, Some(v)) = (
        raw.contains_key(&Field::Village),
        values.get("village_code"),
    ) {
        raw.insert(Field::Village, text("village_code", Field::Village, v)?);
    }
    Ok(raw)
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PersonPage {
    /// How many match: counted exactly up to the server's count limit
    /// (200,000 by default), estimated past it.
    total: i64,
    /// `total` is an estimate (PostgreSQL's planner, or on SQLite an
    /// extrapolation from the count), not a count.
    total_is_estimate: bool,
    /// Kept for clients written before `total_is_estimate`: always false,
    /// since `total` is never a bare lower bound any more.
    total_is_lower_bound: bool,
    page: i64,
    page_size: i64,
    persons: Vec<PersonView>,
}

/// Search the register within one's scope, 50 a page.
#[utoipa::path(get, operation_id = "api_search", path = "/api/v1/persons", params(PersonQuery),
    responses((status = 200, body = PersonPage), (status = 401, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn search(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Query(query): Query<PersonQuery>,
) -> Result<Json<PersonPage>, ApiError> {
    let (persons, total) = register::search(&state.app, &session.actor, &query).await?;
    Ok(Json(PersonPage {
        total: total.total,
        total_is_estimate: total.estimated,
        total_is_lower_bound: false,
        page: query.page.unwrap_or(1).max(1),
        page_size: register::PAGE_SIZE,
        persons,
    }))
}

/// Register a person. The body's keys are the field keys (id_number, name,
/// village, phone, living_situation, …); coded values take the code or the
/// Chinese name. Every bad field is reported in `errors`.
#[utoipa::path(post, operation_id = "api_create", path = "/api/v1/persons", request_body = Object,
    responses((status = 201, body = Object), (status = 401, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(values): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<impl IntoResponse, ApiError> {
    let id = register::create(&state.app, &session.actor, &raw_from_json(&values)?).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// One person, sensitive values masked.
#[utoipa::path(get, operation_id = "api_get", path = "/api/v1/persons/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = PersonView), (status = 401, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
) -> Result<Json<PersonView>, ApiError> {
    Ok(Json(register::get(&state.app, &session.actor, id).await?))
}

/// Replace a person's record; takes back unchanged what GET returned.
/// Sensitive fields left out, blank, or sent back masked as GET showed them
/// keep their stored values; coded fields take the code or the Chinese name.
#[utoipa::path(put, operation_id = "api_update", path = "/api/v1/persons/{id}", params(("id" = i64, Path)), request_body = Object,
    responses((status = 204), (status = 401, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn update(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(values): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<StatusCode, ApiError> {
    register::update(&state.app, &session.actor, id, &raw_from_json(&values)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct RevealRequest {
    field: RevealField,
    /// Why the full value is needed; kept in the audit trail.
    reason: String,
}

/// The full value of one masked field, with a reason (audited).
#[utoipa::path(post, operation_id = "api_reveal", path = "/api/v1/persons/{id}/reveal", params(("id" = i64, Path)), request_body = RevealRequest,
    responses((status = 200, body = Object), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn reveal(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(req): Json<RevealRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let value = register::reveal(&state.app, &session.actor, id, req.field, &req.reason).await?;
    Ok(Json(serde_json::json!({ "value": value })))
}

/// An ID number to find a person by; in the body, never in a URL.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct FindRequest {
    id_number: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Found {
    id: i64,
}

/// The person with this ID number, within one's scope (404 otherwise).
#[utoipa::path(post, operation_id = "api_find", path = "/api/v1/persons/find", request_body = FindRequest,
    responses((status = 200, body = Found), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn find(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(req): Json<FindRequest>,
) -> Result<Json<Found>, ApiError> {
    let id = register::find_by_id_number(&state.app, &session.actor, &req.id_number).await?;
    Ok(Json(Found { id }))
}

/// Who changed which field of this person, and when.
#[utoipa::path(get, operation_id = "api_history", path = "/api/v1/persons/{id}/history", params(("id" = i64, Path)),
    responses((status = 200, body = [HistoryEntry]), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn history(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
) -> Result<Json<Vec<HistoryEntry>>, ApiError> {
    Ok(Json(
        register::history(&state.app, &session.actor, id).await?,
    ))
}
