//! Construction projects in the browser and the API: a region's projects
//! (delays highlighted), a project's stages, milestones and payments. The
//! project parameter is `{build}` (`{project}` is the funds project).

use crate::error::{ApiError, PageError};
use crate::pages::region_param;
use crate::pages::{html, Nav};
use crate::session::{check_form_csrf, ApiSession, FormList, PageSession, Session};
use crate::AppState;
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use kangyang_app::construction::{
    self as cons, BuildDetail, BuildInput, BuildList, MilestoneInput, PaymentInput, ProgressInput,
    StageInput,
};
use kangyang_app::AppError;
use kangyang_domain::facility::FacilityKind;
use kangyang_domain::Action;

fn created(id: i64) -> impl IntoResponse {
    (StatusCode::CREATED, Json(serde_json::json!({ "id": id })))
}

// ---- JSON API ----

/// Start a construction project (stage: planning) with its milestones.
#[utoipa::path(post, path = "/api/v1/construction", request_body = BuildInput,
    responses((status = 201, body = Object), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_create(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(input): Json<BuildInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(created(
        cons::create(&state.app, &session.actor, &input).await?,
    ))
}

/// A region's construction projects with stage, budget, paid and delays.
#[utoipa::path(get, path = "/api/v1/regions/{code}/construction", params(("code" = String, Path)),
    responses((status = 200, body = BuildList), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_list(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(code): Path<String>,
) -> Result<Json<BuildList>, ApiError> {
    let region = region_param(&code)?;
    Ok(Json(cons::list(&state.app, &session.actor, &region).await?))
}

/// A construction project: stages, milestones (with delays) and payments.
#[utoipa::path(get, path = "/api/v1/construction/{build}", params(("build" = i64, Path)),
    responses((status = 200, body = BuildDetail), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_detail(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(build): Path<i64>,
) -> Result<Json<BuildDetail>, ApiError> {
    Ok(Json(cons::detail(&state.app, &session.actor, build).await?))
}

/// Move a project to its next stage.
#[utoipa::path(post, path = "/api/v1/construction/{build}/stage", params(("build" = i64, Path)), request_body = StageInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_stage(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(build): Path<i64>,
    Json(input): Json<StageInput>,
) -> Result<StatusCode, ApiError> {
    cons::advance(&state.app, &session.actor, build, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a milestone with its planned date.
#[utoipa::path(post, path = "/api/v1/construction/{build}/milestones", params(("build" = i64, Path)), request_body = MilestoneInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_milestone(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(build): Path<i64>,
    Json(input): Json<MilestoneInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(created(
        cons::add_milestone(&state.app, &session.actor, build, &input).await?,
    ))
}

/// Record the day a milestone was reached.
#[utoipa::path(post, path = "/api/v1/construction/{build}/progress", params(("build" = i64, Path)), request_body = ProgressInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_progress(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(build): Path<i64>,
    Json(input): Json<ProgressInput>,
) -> Result<StatusCode, ApiError> {
    cons::progress(&state.app, &session.actor, build, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Record a payment (also the funds project's expenditure when linked).
#[utoipa::path(post, path = "/api/v1/construction/{build}/payments", params(("build" = i64, Path)), request_body = PaymentInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_pay(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(build): Path<i64>,
    Json(input): Json<PaymentInput>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(created(
        cons::pay(&state.app, &session.actor, build, &input).await?,
    ))
}

// ---- pages ----

/// A refusal a form shows on its page; any other error is the page's.
fn refusal(e: AppError) -> Result<String, PageError> {
    match e {
        AppError::Invalid { message, .. } => Ok(message),
        e => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "construction_list.html")]
struct ListPage {
    nav: Nav,
    l: BuildList,
    can_manage: bool,
    kinds: Vec<(String, String)>,
    error: Option<String>,
}

async fn list_page(
    state: &AppState,
    session: &Session,
    code: &str,
    error: Option<String>,
) -> Result<ListPage, AppError> {
    let region = region_param(code)?;
    let l = cons::list(&state.app, &session.actor, &region).await?;
    Ok(ListPage {
        nav: Nav::of(&session.actor),
        can_manage: session.actor.can(Action::FacilityManage)
            && session.actor.scope.facility_id().is_none(),
        kinds: FacilityKind::ALL
            .iter()
            .map(|k| (k.as_str().to_owned(), k.label().to_owned()))
            .collect(),
        l,
        error,
    })
}

pub(crate) async fn list(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    html(list_page(&state, &session, &code, None).await?)
}

fn optional_number(s: &str) -> Option<i64> {
    let s = s.trim();
    // Not a number: 0, refused by the use case with its field's message.
    (!s.is_empty()).then(|| s.parse().unwrap_or(0))
}

/// The new-project form of the region page.
pub(crate) async fn create(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(code): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormList(form);
    check_form_csrf(&session, &form.get("csrf_token"))?;
    // Out of scope: the page's own 404 (audited) before any input is read.
    let page = list_page(&state, &session, &code, None).await?;
    let mut milestones = Vec::new();
    for stage in [
        "tendering",
        "contract",
        "construction",
        "acceptance",
        "in_use",
    ] {
        let planned = form.get(&format!("planned_{stage}"));
        if !planned.trim().is_empty() {
            milestones.push(MilestoneInput {
                stage: stage.to_owned(),
                name: format!(
                    "{}完成",
                    kangyang_domain::construction::Stage::parse(stage)
                        .map(|s| s.label())
                        .unwrap_or(stage)
                ),
                planned_on: planned,
            });
        }
    }
    let input = BuildInput {
        name: form.get("name"),
        region: {
            let r = form.get("region");
            if r.trim().is_empty() {
                code.clone()
            } else {
                r
            }
        },
        facility_kind: form.get("facility_kind"),
        facility_id: optional_number(&form.get("facility_id")),
        fund_project_id: optional_number(&form.get("fund_project_id")),
        budget: form.get("budget"),
        contractor: form.get("contractor"),
        floor_area_m2: optional_number(&form.get("floor_area_m2")),
        milestones,
    };
    match cons::create(&state.app, &session.actor, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/construction/{id}")).into_response()),
        Err(e) => {
            let message = refusal(e)?;
            let page = ListPage {
                error: Some(message),
                ..page
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "construction.html")]
struct DetailPage {
    nav: Nav,
    d: BuildDetail,
    can_manage: bool,
    stages: Vec<(String, String)>,
    error: Option<String>,
}

async fn detail_page(
    state: &AppState,
    session: &Session,
    build: i64,
    error: Option<String>,
) -> Result<DetailPage, AppError> {
    let d = cons::detail(&state.app, &session.actor, build).await?;
    Ok(DetailPage {
        nav: Nav::of(&session.actor),
        can_manage: session.actor.can(Action::FacilityManage),
        stages: cons::stages(),
        d,
        error,
    })
}

pub(crate) async fn detail(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(build): Path<i64>,
) -> Result<Response, PageError> {
    html(detail_page(&state, &session, build, None).await?)
}

/// After a project form: back to the project, or its page with the refusal.
async fn after_form(
    state: &AppState,
    session: &Session,
    build: i64,
    done: Result<(), AppError>,
) -> Result<Response, PageError> {
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/construction/{build}")).into_response()),
        Err(e) => {
            let message = refusal(e)?;
            let page = detail_page(state, session, build, Some(message)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

pub(crate) async fn stage_submit(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(build): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormList(form);
    check_form_csrf(&session, &form.get("csrf_token"))?;
    let input = StageInput {
        to: form.get("to"),
        day: form.get("day"),
        contractor: form.get("contractor"),
    };
    let done = cons::advance(&state.app, &session.actor, build, &input).await;
    after_form(&state, &session, build, done).await
}

pub(crate) async fn milestone_submit(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(build): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormList(form);
    check_form_csrf(&session, &form.get("csrf_token"))?;
    let input = MilestoneInput {
        stage: form.get("stage"),
        name: form.get("name"),
        planned_on: form.get("planned_on"),
    };
    let done = cons::add_milestone(&state.app, &session.actor, build, &input)
        .await
        .map(|_| ());
    after_form(&state, &session, build, done).await
}

pub(crate) async fn progress_submit(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(build): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormList(form);
    check_form_csrf(&session, &form.get("csrf_token"))?;
    let input = ProgressInput {
        milestone_id: optional_number(&form.get("milestone_id")).unwrap_or(0),
        actual_on: form.get("actual_on"),
    };
    let done = cons::progress(&state.app, &session.actor, build, &input).await;
    after_form(&state, &session, build, done).await
}

pub(crate) async fn payment_submit(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(build): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormList(form);
    check_form_csrf(&session, &form.get("csrf_token"))?;
    let input = PaymentInput {
        amount: form.get("amount"),
        day: form.get("day"),
        item: form.get("item"),
    };
    let done = cons::pay(&state.app, &session.actor, build, &input)
        .await
        .map(|_| ());
    after_form(&state, &session, build, done).await
}
