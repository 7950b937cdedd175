//! The holiday calendar (放假、调休上班) in the browser and the API: anyone
//! signed in reads it; a province or city official adds and removes days
//! (`kangyang_app::holidays`, audited).

use crate::error::{ApiError, PageError};
use crate::pages::{html, Nav};
use crate::session::{check_form_csrf, ApiSession, PageSession};
use crate::AppState;
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use kangyang_app::holidays::{self, HolidayInput, HolidayList};
use kangyang_domain::holidays::DayKind;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct YearQuery {
    /// The year, e.g. 2026; this year when absent.
    pub year: Option<u16>,
}

#[derive(Template)]
#[template(path = "holidays.html")]
struct HolidaysPage {
    nav: Nav,
    list: HolidayList,
    kinds: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

async fn page(
    state: &AppState,
    session: &crate::session::Session,
    year: Option<u16>,
    error: Option<String>,
) -> Result<HolidaysPage, PageError> {
    Ok(HolidaysPage {
        nav: Nav::of(&session.actor),
        list: holidays::list(&state.app, &session.actor, year).await?,
        kinds: DayKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        error,
    })
}

pub(crate) async fn show(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    html(page(&state, &session, q.year, None).await?)
}

/// The add form: a day with its kind and name.
pub(crate) async fn add(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    check_form_csrf(&session, &field("csrf_token"))?;
    let input = HolidayInput {
        day: field("day"),
        kind: field("kind"),
        name: field("name"),
    };
    let year = input.day.get(..4).and_then(|y| y.parse().ok());
    match holidays::set(&state.app, &session.actor, &input).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/holidays?year={}", year.unwrap_or(0))).into_response())
        }
        Err(e @ kangyang_app::AppError::Invalid { .. }) => {
            let p = page(&state, &session, year, Some(e.to_string())).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(p)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The remove button of a day.
pub(crate) async fn remove(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    check_form_csrf(&session, &field("csrf_token"))?;
    let day = field("day");
    holidays::remove(&state.app, &session.actor, &day).await?;
    let year = day.get(..4).unwrap_or("");
    Ok(Redirect::to(&format!("/holidays?year={year}")).into_response())
}

/// A year's holiday calendar and whether the caller may edit it.
#[utoipa::path(get, path = "/api/v1/holidays", params(YearQuery),
    responses((status = 200, body = HolidayList)))]
pub(crate) async fn api_list(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Query(q): Query<YearQuery>,
) -> Result<Json<HolidayList>, ApiError> {
    Ok(Json(
        holidays::list(&state.app, &session.actor, q.year).await?,
    ))
}

/// Set a day as a holiday (放假) or a make-up working day (调休上班).
#[utoipa::path(post, path = "/api/v1/holidays", request_body = HolidayInput,
    responses((status = 204), (status = 403, body = crate::api::ErrorBody),
        (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_set(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(input): Json<HolidayInput>,
) -> Result<StatusCode, ApiError> {
    holidays::set(&state.app, &session.actor, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub(crate) struct RemoveRequest {
    /// YYYY-MM-DD.
    pub day: String,
}

/// Remove a day from the calendar: it becomes an ordinary day again.
#[utoipa::path(post, path = "/api/v1/holidays/remove", request_body = RemoveRequest,
    responses((status = 204), (status = 403, body = crate::api::ErrorBody),
        (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_remove(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(req): Json<RemoveRequest>,
) -> Result<StatusCode, ApiError> {
    holidays::remove(&state.app, &session.actor, &req.day).await?;
    Ok(StatusCode::NO_CONTENT)
}
