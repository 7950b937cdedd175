//! The funds of a region as pages: each project's funding mix and spending,
//! and the forms to register a source, start a project, allocate money from
//! a source to a project and record what was spent. Each form calls the use
//! case the API (`funds_api.rs`) calls; an error shows the page again with
//! the message beside the form, success goes back to the page.

use crate::error::PageError;
use crate::pages::region_param;
use crate::pages::Nav;
use crate::routes::{Access, Routes};
use crate::session::{CsrfForm, PageSession, Session};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kangyang_app::facility::{self, ProjectView};
use kangyang_app::funds::{self, SourceView, PROJECT_KINDS, SOURCE_KINDS};
use kangyang_app::AppError;
use kangyang_domain::money::Fen;
use kangyang_domain::CivilDate;
use serde::Deserialize;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get("/regions/{code}/funds", SignedIn, page)
        .post("/regions/{code}/funds/sources", SignedIn, add_source)
        .post("/regions/{code}/funds/projects", SignedIn, add_project)
        .post(
            "/regions/{code}/funds/projects/{project}/allocations",
            SignedIn,
            allocate,
        )
        .post(
            "/regions/{code}/funds/projects/{project}/expenditures",
            SignedIn,
            spend,
        )
}

/// Which form an error belongs to, so the message shows beside it.
#[derive(Default, PartialEq, Eq)]
enum Which {
    #[default]
    None,
    Source,
    Project,
    Money(i64),
}

#[derive(Template)]
#[template(path = "funds/funds.html")]
struct FundsPage {
    nav: Nav,
    code: String,
    region_name: String,
    projects: Vec<ProjectView>,
    sources: Vec<SourceView>,
    source_kinds: Vec<(&'static str, &'static str)>,
    project_kinds: Vec<(&'static str, &'static str)>,
    centres: Vec<(i64, String)>,
    source_error: Option<String>,
    project_error: Option<String>,
    money_error: Option<(i64, String)>,
}

async fn render(
    state: &AppState,
    session: &Session,
    code: &str,
    which: Which,
    error: Option<AppError>,
) -> Result<Response, PageError> {
    let app = &state.app;
    let actor = &session.actor;
    let region = region_param(code)?;
    let overview = facility::kangyuan_overview(app, actor, &region).await?;
    let message = error.as_ref().map(ToString::to_string);
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = FundsPage {
        nav: Nav::of(actor),
        code: code.to_owned(),
        region_name: overview.region_name,
        projects: funds::projects(app, actor, &region).await?,
        sources: funds::sources(app, actor).await?,
        source_kinds: SOURCE_KINDS.to_vec(),
        project_kinds: PROJECT_KINDS.to_vec(),
        centres: overview.lines.into_iter().map(|l| (l.id, l.name)).collect(),
        source_error: message.clone().filter(|_| which == Which::Source),
        project_error: message.clone().filter(|_| which == Which::Project),
        money_error: match which {
            Which::Money(p) => message.map(|m| (p, m)),
            _ => None,
        },
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn page(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    render(&state, &session, &code, Which::None, None).await
}

async fn answer(
    state: &AppState,
    session: &Session,
    code: &str,
    which: Which,
    result: Result<i64, AppError>,
) -> Result<Response, PageError> {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/regions/{code}/funds")).into_response()),
        Err(e @ AppError::Invalid { .. }) => render(state, session, code, which, Some(e)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct SourceForm {
    name: String,
    kind: String,
}

pub(crate) async fn add_source(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm { session, form }: CsrfForm<SourceForm>,
) -> Result<Response, PageError> {
    let r = funds::add_source(&state.app, &session.actor, &form.name, &form.kind, &code).await;
    answer(&state, &session, &code, Which::Source, r).await
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct ProjectForm {
    name: String,
    kind: String,
    facility_id: String,
    budget: String,
    started_on: String,
}

pub(crate) async fn add_project(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm { session, form }: CsrfForm<ProjectForm>,
) -> Result<Response, PageError> {
    // The same parsing, keys and labels as the API's.
    let budget =
        Fen::parse_yuan(&form.budget).map_err(|m| AppError::invalid_field("budget", "预算", m));
    let started = CivilDate::parse(form.started_on.trim())
        .map_err(|_| AppError::invalid_field("started_on", "开始日期", "日期应为 YYYY-MM-DD"));
    let facility_id = form.facility_id.trim().parse::<i64>().ok();
    let r = match (budget, started) {
        (Ok(budget), Ok(started_on)) => {
            let input = funds::ProjectInput {
                name: &form.name,
                kind: &form.kind,
                region: &code,
                facility_id,
                budget,
                started_on,
                facilities: &[],
            };
            funds::add_project(&state.app, &session.actor, &input).await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    answer(&state, &session, &code, Which::Project, r).await
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct MoneyForm {
    source_id: String,
    amount: String,
    day: String,
    item: String,
}

pub(crate) async fn allocate(
    State(state): State<AppState>,
    Path((code, project)): Path<(String, i64)>,
    CsrfForm { session, form }: CsrfForm<MoneyForm>,
) -> Result<Response, PageError> {
    let r = funds::allocate(
        &state.app,
        &session.actor,
        form.source_id.trim().parse().unwrap_or(0),
        project,
        &form.amount,
        &form.day,
        &form.item,
    )
    .await;
    answer(&state, &session, &code, Which::Money(project), r).await
}

pub(crate) async fn spend(
    State(state): State<AppState>,
    Path((code, project)): Path<(String, i64)>,
    CsrfForm { session, form }: CsrfForm<MoneyForm>,
) -> Result<Response, PageError> {
    let r = funds::spend(
        &state.app,
        &session.actor,
        project,
        &form.amount,
        &form.day,
        &form.item,
    )
    .await;
    answer(&state, &session, &code, Which::Money(project), r).await
}
