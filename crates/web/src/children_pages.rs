//! Children in care: a welfare home's list of children, each child's file
//! (closed to all but the child's carers, or opened with a reason), and the
//! auditor's list of break-glass openings. Pages and the JSON API.

use crate::error::{ApiError, PageError};
use crate::pages::{html, Nav};
use crate::session::{check_form_csrf, ApiSession, PageSession, Session};
use crate::AppState;
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use kangyang_app::children::{
    self, ActivityInput, BreakGlassView, ChildFileInput, ChildFileView, ChildListEntry,
};
use kangyang_app::{facility, AppError};
use kangyang_domain::children::{Guardianship, Schooling, ACTIVITY_KINDS, BREAK_GLASS_MINUTES};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct ReasonInput {
    /// Why the file must be opened, e.g. "夜间急诊，核对过敏史".
    reason: String,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct CarerInput {
    /// A staff account of the child's welfare home.
    username: String,
    /// true to take the account off the child.
    remove: bool,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct ReviewInput {
    note: String,
}

// ---- API ----

/// A child's file: for the child's carers, or read-only after a reason was
/// given (`POST …/break-glass`); otherwise 403 `reason_required`.
#[utoipa::path(get, path = "/api/v1/children/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = ChildFileView), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_file(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
) -> Result<Json<ChildFileView>, ApiError> {
    Ok(Json(children::file(&state.app, &session.actor, id).await?))
}

/// Writes a child's file (the child's carers only).
#[utoipa::path(post, path = "/api/v1/children/{id}", params(("id" = i64, Path)), request_body = ChildFileInput,
    responses((status = 204), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_save(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(input): Json<ChildFileInput>,
) -> Result<StatusCode, ApiError> {
    children::save_file(&state.app, &session.actor, id, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Opens a child's file for 30 minutes to someone not assigned to the
/// child, on a reason the auditor will see.
#[utoipa::path(post, path = "/api/v1/children/{id}/break-glass", params(("id" = i64, Path)), request_body = ReasonInput,
    responses((status = 200, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_break_glass(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(input): Json<ReasonInput>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let opened = children::break_glass(&state.app, &session.actor, id, &input.reason).await?;
    Ok(Json(serde_json::json!({
        "break_glass": opened,
        "minutes": opened.map(|_| BREAK_GLASS_MINUTES),
    })))
}

/// Records an activity in a child's file (the child's carers only).
#[utoipa::path(post, path = "/api/v1/children/{id}/activities", params(("id" = i64, Path)), request_body = ActivityInput,
    responses((status = 201, body = Object), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_add_activity(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(input): Json<ActivityInput>,
) -> Result<impl IntoResponse, ApiError> {
    let activity = children::add_activity(&state.app, &session.actor, id, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "id": activity })),
    ))
}

/// Assigns a staff member of the child's welfare home to the child, or
/// takes them off (`remove`). Officials over the home.
#[utoipa::path(post, path = "/api/v1/children/{id}/carers", params(("id" = i64, Path)), request_body = CarerInput,
    responses((status = 204), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_carers(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(input): Json<CarerInput>,
) -> Result<StatusCode, ApiError> {
    children::assign(
        &state.app,
        &session.actor,
        id,
        &input.username,
        input.remove,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The children placed in a welfare home: names and ages, whether the
/// caller is one of each child's carers; nothing from the files.
#[utoipa::path(get, path = "/api/v1/facilities/{facility}/children", params(("facility" = i64, Path)),
    responses((status = 200, body = [ChildListEntry]), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_children(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
) -> Result<Json<Vec<ChildListEntry>>, ApiError> {
    Ok(Json(
        children::children_of(&state.app, &session.actor, facility).await?,
    ))
}

/// Break-glass openings of children's files, those awaiting review first
/// (auditor only).
#[utoipa::path(get, path = "/api/v1/audit/break-glass",
    responses((status = 200, body = Object), (status = 403, body = crate::api::ErrorBody)))]
pub(crate) async fn api_break_glass_report(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (waiting, entries) = children::break_glass_report(&state.app, &session.actor).await?;
    Ok(Json(
        serde_json::json!({ "awaiting_review": waiting, "entries": entries }),
    ))
}

/// The auditor marks a break-glass opening reviewed.
#[utoipa::path(post, path = "/api/v1/audit/break-glass/{grant}/review", params(("grant" = i64, Path)), request_body = ReviewInput,
    responses((status = 204), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_review(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(grant): Path<i64>,
    Json(input): Json<ReviewInput>,
) -> Result<StatusCode, ApiError> {
    children::review(&state.app, &session.actor, grant, &input.note).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- pages ----

#[derive(Template)]
#[template(path = "children.html")]
struct ChildrenPage {
    nav: Nav,
    facility_id: i64,
    facility_name: String,
    children: Vec<ChildListEntry>,
    may_assign: bool,
    error: Option<String>,
}

async fn children_page(
    state: &AppState,
    session: &Session,
    facility: i64,
    error: Option<String>,
) -> Result<Response, PageError> {
    let children = children::children_of(&state.app, &session.actor, facility).await?;
    let detail = facility::detail(&state.app, &session.actor, facility).await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = ChildrenPage {
        nav: Nav::of(&session.actor),
        facility_id: facility,
        facility_name: detail.facility.name,
        children,
        may_assign: may_assign(session),
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

fn may_assign(session: &Session) -> bool {
    session.actor.can(kangyang_domain::Action::FacilityManage)
        && session.actor.scope.facility_id().is_none()
}

pub(crate) async fn list(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
) -> Result<Response, PageError> {
    children_page(&state, &session, facility, None).await
}

#[derive(Template)]
#[template(path = "child.html")]
struct ChildPage {
    nav: Nav,
    v: ChildFileView,
    may_write: bool,
    guardianships: Vec<(&'static str, &'static str)>,
    schoolings: Vec<(&'static str, &'static str)>,
    activity_kinds: &'static [(&'static str, &'static str)],
    today: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "child_reason.html")]
struct ReasonPage {
    nav: Nav,
    person_id: i64,
    minutes: i64,
    error: Option<String>,
}

fn reason_page(session: &Session, id: i64, error: Option<String>) -> Result<String, PageError> {
    Ok(ReasonPage {
        nav: Nav::of(&session.actor),
        person_id: id,
        minutes: BREAK_GLASS_MINUTES,
        error,
    }
    .render()?)
}

async fn child_page(
    state: &AppState,
    session: &Session,
    id: i64,
    error: Option<String>,
) -> Result<Response, PageError> {
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    match children::file(&state.app, &session.actor, id).await {
        Ok(v) => {
            let page = ChildPage {
                nav: Nav::of(&session.actor),
                may_write: v.access == "assigned"
                    && session.actor.can(kangyang_domain::Action::ServiceRecord),
                v,
                guardianships: Guardianship::ALL
                    .iter()
                    .map(|g| (g.as_str(), g.label()))
                    .collect(),
                schoolings: Schooling::ALL
                    .iter()
                    .map(|s| (s.as_str(), s.label()))
                    .collect(),
                activity_kinds: ACTIVITY_KINDS,
                today: state.app.today().to_string(),
                error,
            };
            Ok((status, Html(page.render()?)).into_response())
        }
        // Not one of the child's carers: the page asks for a reason.
        Err(AppError::ReasonRequired) => {
            Ok((StatusCode::FORBIDDEN, Html(reason_page(session, id, None)?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn show(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    child_page(&state, &session, id, None).await
}

/// Runs a form's use case; a bad field shows the page again with the
/// message, anything else succeeds back to the file.
async fn after(
    state: &AppState,
    session: &Session,
    id: i64,
    result: Result<(), AppError>,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/children/{id}")).into_response()),
        Err(e @ AppError::Invalid { .. }) => {
            child_page(state, session, id, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct FileForm {
    csrf_token: String,
    #[serde(flatten)]
    input: ChildFileInput,
}

pub(crate) async fn save(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<i64>,
    Form(form): Form<FileForm>,
) -> Result<Response, PageError> {
    check_form_csrf(&session, &form.csrf_token)?;
    let result = children::save_file(&state.app, &session.actor, id, &form.input).await;
    after(&state, &session, id, result).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ActivityForm {
    csrf_token: String,
    #[serde(flatten)]
    input: ActivityInput,
}

pub(crate) async fn add_activity(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<i64>,
    Form(form): Form<ActivityForm>,
) -> Result<Response, PageError> {
    check_form_csrf(&session, &form.csrf_token)?;
    let result = children::add_activity(&state.app, &session.actor, id, &form.input)
        .await
        .map(|_| ());
    after(&state, &session, id, result).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CarerForm {
    csrf_token: String,
    username: String,
    remove: String,
    /// The welfare home whose list the form is on: where to go back to.
    facility: Option<i64>,
}

pub(crate) async fn carers(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<i64>,
    Form(form): Form<CarerForm>,
) -> Result<Response, PageError> {
    check_form_csrf(&session, &form.csrf_token)?;
    let result = children::assign(
        &state.app,
        &session.actor,
        id,
        &form.username,
        form.remove == "1",
    )
    .await;
    match (result, form.facility) {
        (Ok(()), Some(f)) => {
            Ok(Redirect::to(&format!("/facilities/{f}/children#c{id}")).into_response())
        }
        (Ok(()), None) => Ok(Redirect::to(&format!("/children/{id}")).into_response()),
        (Err(e @ AppError::Invalid { .. }), Some(f)) => {
            children_page(&state, &session, f, Some(e.to_string())).await
        }
        (Err(e @ AppError::Invalid { .. }), None) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(reason_page(&session, id, Some(e.to_string()))?),
        )
            .into_response()),
        (Err(e), _) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ReasonForm {
    csrf_token: String,
    reason: String,
}

pub(crate) async fn break_glass(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<i64>,
    Form(form): Form<ReasonForm>,
) -> Result<Response, PageError> {
    check_form_csrf(&session, &form.csrf_token)?;
    match children::break_glass(&state.app, &session.actor, id, &form.reason).await {
        Ok(_) => Ok(Redirect::to(&format!("/children/{id}")).into_response()),
        Err(e @ AppError::Invalid { .. }) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(reason_page(&session, id, Some(e.to_string()))?),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "break_glass.html")]
struct BreakGlassPage {
    nav: Nav,
    waiting: i64,
    entries: Vec<BreakGlassView>,
}

pub(crate) async fn report(
    State(state): State<AppState>,
    PageSession(session): PageSession,
) -> Result<Response, PageError> {
    let (waiting, entries) = children::break_glass_report(&state.app, &session.actor).await?;
    html(BreakGlassPage {
        nav: Nav::of(&session.actor),
        waiting,
        entries,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ReviewForm {
    csrf_token: String,
    note: String,
}

pub(crate) async fn review(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(grant): Path<i64>,
    Form(form): Form<ReviewForm>,
) -> Result<Response, PageError> {
    check_form_csrf(&session, &form.csrf_token)?;
    children::review(&state.app, &session.actor, grant, &form.note).await?;
    Ok(Redirect::to("/audit/break-glass").into_response())
}
