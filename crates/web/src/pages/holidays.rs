//! The holiday calendar (放假、调休上班) in the browser: anyone
//! signed in reads it; a province or city official adds and removes days
//! (`kangyang_app::holidays`, audited).

use crate::error::PageError;
use crate::pages::{html, Nav};
use crate::routes::{Access, Routes};
use crate::session::{CsrfForm, PageSession};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kangyang_app::holidays::{self, HolidayInput, HolidayList};
use kangyang_domain::holidays::DayKind;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct YearQuery {
    /// The year, e.g. 2026; this year when absent.
    pub year: Option<u16>,
}

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get("/holidays", SignedIn, show)
        .post("/holidays", SignedIn, add)
        .post("/holidays/remove", SignedIn, remove)
}

#[derive(Deserialize)]
pub(crate) struct DayForm {
    #[serde(default)]
    day: String,
}

#[derive(Template)]
#[template(path = "holidays/calendar.html")]
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
    CsrfForm {
        session,
        form: input,
    }: CsrfForm<HolidayInput>,
) -> Result<Response, PageError> {
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
    CsrfForm { session, form }: CsrfForm<DayForm>,
) -> Result<Response, PageError> {
    let day = form.day;
    holidays::remove(&state.app, &session.actor, &day).await?;
    let year = day.get(..4).unwrap_or("");
    Ok(Redirect::to(&format!("/holidays?year={year}")).into_response())
}
