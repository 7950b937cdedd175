//! Children in care: a welfare home's list of children, each child's file
//! (closed to all but the child's carers, or opened with a reason), and the
//! auditor's list of break-glass openings (the API is `api/children.rs`).

use crate::error::PageError;
use crate::pages::{html, Nav};
use crate::routes::{Access, Routes};
use crate::session::{CsrfForm, PageSession, Session};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kangyang_app::children::{
    self, ActivityInput, BreakGlassView, ChildFileInput, ChildFileView, ChildListEntry,
};
use kangyang_app::{facility, AppError};
use kangyang_domain::children::{Guardianship, Schooling, ACTIVITY_KINDS, BREAK_GLASS_MINUTES};
use serde::Deserialize;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get("/facilities/{facility}/children", SignedIn, list)
        .get("/children/{id}", SignedIn, show)
        .post("/children/{id}", SignedIn, save)
        .post("/children/{id}/break-glass", SignedIn, break_glass)
        .post("/children/{id}/activities", SignedIn, add_activity)
        .post("/children/{id}/carers", SignedIn, carers)
        // The auditor's list; after the home-care routes in the old table,
        // which share nothing with it.
        .get("/audit/break-glass", SignedIn, report)
        .post("/audit/break-glass/{grant}/review", SignedIn, review)
}

#[derive(Template)]
#[template(path = "children/list.html")]
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
#[template(path = "children/show.html")]
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
#[template(path = "children/reason.html")]
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

/// The file's fields, read as the API's input through `flatten`, which
/// takes every value as the text a form sends.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct FileForm {
    #[serde(flatten)]
    input: ChildFileInput,
}

pub(crate) async fn save(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { session, form }: CsrfForm<FileForm>,
) -> Result<Response, PageError> {
    let result = children::save_file(&state.app, &session.actor, id, &form.input).await;
    after(&state, &session, id, result).await
}

/// The activity's fields, read as the API's input through `flatten`, which
/// takes every value as the text a form sends.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ActivityForm {
    #[serde(flatten)]
    input: ActivityInput,
}

pub(crate) async fn add_activity(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { session, form }: CsrfForm<ActivityForm>,
) -> Result<Response, PageError> {
    let result = children::add_activity(&state.app, &session.actor, id, &form.input)
        .await
        .map(|_| ());
    after(&state, &session, id, result).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CarerForm {
    username: String,
    remove: String,
    /// The welfare home whose list the form is on: where to go back to.
    facility: Option<i64>,
}

pub(crate) async fn carers(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { session, form }: CsrfForm<CarerForm>,
) -> Result<Response, PageError> {
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
    reason: String,
}

pub(crate) async fn break_glass(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { session, form }: CsrfForm<ReasonForm>,
) -> Result<Response, PageError> {
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
#[template(path = "children/break_glass.html")]
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
    note: String,
}

pub(crate) async fn review(
    State(state): State<AppState>,
    Path(grant): Path<i64>,
    CsrfForm { session, form }: CsrfForm<ReviewForm>,
) -> Result<Response, PageError> {
    children::review(&state.app, &session.actor, grant, &form.note).await?;
    Ok(Redirect::to("/audit/break-glass").into_response())
}
