//! Construction projects in the browser: a region's projects (delays
//! highlighted) with the new-project form, a project's stages, milestones
//! and payments. The project parameter is `{build}` (`{project}` is the
//! funds project). The API is `api/construction.rs`.

use crate::error::PageError;
use crate::pages::{html, region_param, Nav};
use crate::routes::{Access, Routes};
use crate::session::{CsrfForm, PageSession, Session};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kangyang_app::construction::{
    self as cons, BuildDetail, BuildInput, BuildList, MilestoneInput, PaymentInput, ProgressInput,
    StageInput,
};
use kangyang_app::AppError;
use kangyang_domain::facility::FacilityKind;
use kangyang_domain::Action;
use serde::Deserialize;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get("/regions/{code}/construction", SignedIn, list)
        .post("/regions/{code}/construction", SignedIn, create)
        .get("/construction/{build}", SignedIn, detail)
        .post("/construction/{build}/stage", SignedIn, stage_submit)
        .post(
            "/construction/{build}/milestones",
            SignedIn,
            milestone_submit,
        )
        .post("/construction/{build}/progress", SignedIn, progress_submit)
        .post("/construction/{build}/payments", SignedIn, payment_submit)
}

/// A refusal a form shows on its page; any other error is the page's.
fn refusal(e: AppError) -> Result<String, PageError> {
    match e {
        AppError::Invalid { message, .. } => Ok(message),
        e => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "construction/list.html")]
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

/// The new-project form of the region page: the project, and the planned
/// day of each stage's milestone (`planned_<stage>`, left empty for none).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct BuildForm {
    name: String,
    region: String,
    facility_kind: String,
    facility_id: String,
    fund_project_id: String,
    budget: String,
    contractor: String,
    floor_area_m2: String,
    planned_tendering: String,
    planned_contract: String,
    planned_construction: String,
    planned_acceptance: String,
    planned_in_use: String,
}

pub(crate) async fn create(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm { session, form }: CsrfForm<BuildForm>,
) -> Result<Response, PageError> {
    // Out of scope: the page's own 404 (audited) before any input is read.
    let page = list_page(&state, &session, &code, None).await?;
    let mut milestones = Vec::new();
    for (stage, planned) in [
        ("tendering", &form.planned_tendering),
        ("contract", &form.planned_contract),
        ("construction", &form.planned_construction),
        ("acceptance", &form.planned_acceptance),
        ("in_use", &form.planned_in_use),
    ] {
        if !planned.trim().is_empty() {
            milestones.push(MilestoneInput {
                stage: stage.to_owned(),
                name: format!(
                    "{}完成",
                    kangyang_domain::construction::Stage::parse(stage)
                        .map(|s| s.label())
                        .unwrap_or(stage)
                ),
                planned_on: planned.clone(),
            });
        }
    }
    let input = BuildInput {
        name: form.name,
        region: if form.region.trim().is_empty() {
            code.clone()
        } else {
            form.region
        },
        facility_kind: form.facility_kind,
        facility_id: optional_number(&form.facility_id),
        fund_project_id: optional_number(&form.fund_project_id),
        budget: form.budget,
        contractor: form.contractor,
        floor_area_m2: optional_number(&form.floor_area_m2),
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
#[template(path = "construction/show.html")]
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
    Path(build): Path<i64>,
    CsrfForm { session, form }: CsrfForm<StageInput>,
) -> Result<Response, PageError> {
    let done = cons::advance(&state.app, &session.actor, build, &form).await;
    after_form(&state, &session, build, done).await
}

pub(crate) async fn milestone_submit(
    State(state): State<AppState>,
    Path(build): Path<i64>,
    CsrfForm { session, form }: CsrfForm<MilestoneInput>,
) -> Result<Response, PageError> {
    let done = cons::add_milestone(&state.app, &session.actor, build, &form)
        .await
        .map(|_| ());
    after_form(&state, &session, build, done).await
}

/// A milestone reached: which, and on what day.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ProgressForm {
    milestone_id: String,
    actual_on: String,
}

pub(crate) async fn progress_submit(
    State(state): State<AppState>,
    Path(build): Path<i64>,
    CsrfForm { session, form }: CsrfForm<ProgressForm>,
) -> Result<Response, PageError> {
    let input = ProgressInput {
        milestone_id: optional_number(&form.milestone_id).unwrap_or(0),
        actual_on: form.actual_on,
    };
    let done = cons::progress(&state.app, &session.actor, build, &input).await;
    after_form(&state, &session, build, done).await
}

pub(crate) async fn payment_submit(
    State(state): State<AppState>,
    Path(build): Path<i64>,
    CsrfForm { session, form }: CsrfForm<PaymentInput>,
) -> Result<Response, PageError> {
    let done = cons::pay(&state.app, &session.actor, build, &form)
        .await
        .map(|_| ());
    after_form(&state, &session, build, done).await
}
