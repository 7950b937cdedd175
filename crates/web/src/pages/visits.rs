//! Social-work visits: the phone list of who is due and overdue, and the
//! visit form (the API is `api/visits.rs`).

use crate::error::PageError;
use crate::pages::{html, Nav};
use crate::routes::{Access, Routes};
use crate::session::{CsrfForm, FormList, PageSession, Session};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kangyang_app::facility::{self, FacilityQuery, FacilityView};
use kangyang_app::visits::{self, DueList, RaisedList, VisitInput, VisitView, FINDINGS, RISKS};
use kangyang_app::{register, AppError};
use serde::Deserialize;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get("/visits", SignedIn, due)
        .get("/visits/{id}", SignedIn, form)
        .post("/visits/{id}", SignedIn, submit)
}

#[derive(Template)]
#[template(path = "visits/due.html")]
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
#[template(path = "visits/form.html")]
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

/// The visit form: the ticked findings and risks repeat their key.
pub(crate) async fn submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { session, form }: CsrfForm<FormList>,
) -> Result<Response, PageError> {
    let field = |k: &str| form.get(k);
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
