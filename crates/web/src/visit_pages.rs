//! Social-work visits: the phone list of who is due and overdue, the visit
//! form, and their API.

use crate::error::{ApiError, PageError};
use crate::pages::{html, Nav};
use crate::session::{check_form_csrf, ApiSession, FormList, PageSession, Session};
use crate::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use kangyang_app::facility::{self, FacilityQuery, FacilityView};
use kangyang_app::visits::{self, DueList, RaisedList, VisitInput, VisitView, FINDINGS, RISKS};
use kangyang_app::{register, AppError};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub(crate) struct StationParam {
    /// The station (officials); a social worker's own station otherwise.
    station: Option<i64>,
}

/// Who of a station's people is due or overdue for a visit, most urgent first.
#[utoipa::path(get, path = "/api/v1/visits/due", params(StationParam),
    responses((status = 200, body = DueList), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_due(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Query(p): Query<StationParam>,
) -> Result<Json<DueList>, ApiError> {
    Ok(Json(
        visits::due_list(&state.app, &session.actor, p.station).await?,
    ))
}

/// Record a visit to a person (in person or by phone), with findings, risks and referral.
#[utoipa::path(post, path = "/api/v1/persons/{id}/visits", params(("id" = i64, Path)), request_body = VisitInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_record(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
    Json(input): Json<VisitInput>,
) -> Result<impl IntoResponse, ApiError> {
    let visit = visits::record(&state.app, &session.actor, id, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "id": visit })),
    ))
}

/// A person's visits, newest first.
#[utoipa::path(get, path = "/api/v1/persons/{id}/visits", params(("id" = i64, Path)),
    responses((status = 200, body = [VisitView]), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_of_person(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
) -> Result<Json<Vec<VisitView>>, ApiError> {
    Ok(Json(
        visits::of_person(&state.app, &session.actor, id).await?,
    ))
}

#[derive(Template)]
#[template(path = "visits.html")]
struct DuePage {
    nav: Nav,
    list: Option<DueList>,
    stations: Vec<FacilityView>,
    error: Option<String>,
    /// Visits raised to the station head: for the head and officials only.
    raised: Option<RaisedList>,
    message: Option<String>,
    /// What went wrong with an acknowledgement.
    raised_error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DueParams {
    station: Option<i64>,
    ok: Option<String>,
}

pub(crate) async fn due(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(p): Query<DueParams>,
) -> Result<Response, PageError> {
    let message =
        (p.ok.as_deref() == Some("acknowledged")).then(|| "已确认，记入处理记录".to_owned());
    html(due_page(&state, &session, p.station, message, None).await?)
}

/// The visit list again, with what went wrong acknowledging a raised visit.
pub(crate) async fn due_page_with_error(
    state: &AppState,
    session: &Session,
    error: String,
) -> Result<Response, PageError> {
    let page = due_page(state, session, None, None, Some(error)).await?;
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        axum::response::Html(page.render()?),
    )
        .into_response())
}

async fn due_page(
    state: &AppState,
    session: &Session,
    station: Option<i64>,
    message: Option<String>,
    raised_error: Option<String>,
) -> Result<DuePage, AppError> {
    let actor = &session.actor;
    let (list, error) = match visits::due_list(&state.app, actor, station).await {
        Ok(list) => (Some(list), None),
        Err(AppError::Invalid { message, .. }) => (None, Some(message)),
        Err(e) => return Err(e),
    };
    let raised = if list.is_some() {
        visits::raised_for(&state.app, actor, station).await?
    } else {
        None
    };
    // Without a station of their own, officials pick one.
    let stations = if list.is_none() {
        facility::list(
            &state.app,
            actor,
            &FacilityQuery {
                kind: Some("social_work_station".into()),
                region: None,
            },
        )
        .await?
    } else {
        Vec::new()
    };
    Ok(DuePage {
        nav: Nav::of(actor),
        list,
        stations,
        error,
        raised,
        message,
        raised_error,
    })
}

#[derive(Template)]
#[template(path = "visit_form.html")]
struct VisitPage {
    nav: Nav,
    person_id: i64,
    person_name: String,
    village: String,
    today: String,
    findings: &'static [(&'static str, &'static str)],
    risks: &'static [(&'static str, &'static str)],
    history: Vec<VisitView>,
    error: Option<String>,
}

async fn visit_page(
    state: &AppState,
    session: &crate::session::Session,
    id: i64,
    error: Option<String>,
) -> Result<VisitPage, AppError> {
    let person = register::get(&state.app, &session.actor, id).await?;
    Ok(VisitPage {
        nav: Nav::of(&session.actor),
        person_id: id,
        person_name: person.name,
        village: person.village_name,
        today: state.app.today().to_string(),
        findings: &FINDINGS,
        risks: &RISKS,
        history: visits::of_person(&state.app, &session.actor, id).await?,
        error,
    })
}

pub(crate) async fn form(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    html(visit_page(&state, &session, id, None).await?)
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormList(form);
    let field = |k: &str| form.get(k);
    check_form_csrf(&session, &field("csrf_token"))?;
    let input = VisitInput {
        day: field("day"),
        mode: field("mode"),
        findings: form.all("finding"),
        risk_flags: form.all("risk"),
        referral: field("referral"),
        notes: field("notes"),
    };
    match visits::record(&state.app, &session.actor, id, &input).await {
        Ok(_) => Ok(Redirect::to("/visits").into_response()),
        Err(e @ AppError::Invalid { .. }) => {
            let page = visit_page(&state, &session, id, Some(e.to_string())).await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::response::Html(page.render()?),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}
