//! Transfer requests (迁入申请): the page where a region asks for a person
//! who moved in and decides the requests for its own people (the API is
//! `api/transfers.rs`).

use crate::error::PageError;
use crate::pages::Nav;
use crate::routes::{Access, Routes};
use crate::session::{CsrfForm, PageSession, Session};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kangyang_app::transfers::{self, TransferInput, TransferLists};
use kangyang_app::AppError;
use serde::Deserialize;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get("/transfers", SignedIn, list)
        .post("/transfers", SignedIn, request)
        .post("/transfers/{transfer}/accept", SignedIn, accept)
        .post("/transfers/{transfer}/refuse", SignedIn, refuse)
}

#[derive(Template)]
#[template(path = "transfers/list.html")]
struct TransfersPage {
    nav: Nav,
    lists: TransferLists,
    village: String,
    reason: String,
    error: Option<String>,
    notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
pub(crate) struct Outcome {
    #[serde(default)]
    done: String,
}

async fn page(
    state: &AppState,
    session: &Session,
    input: Option<&TransferInput>,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Result<Response, PageError> {
    let lists = transfers::list(&state.app, &session.actor).await?;
    let page = TransfersPage {
        nav: Nav::of(&session.actor),
        lists,
        // The ID number is never put back into the page.
        village: input.map(|i| i.village.clone()).unwrap_or_default(),
        reason: input.map(|i| i.reason.clone()).unwrap_or_default(),
        error,
        notice,
    };
    let status = if page.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, axum::response::Html(page.render()?)).into_response())
}

pub(crate) async fn list(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(outcome): Query<Outcome>,
) -> Result<Response, PageError> {
    let notice = match outcome.done.as_str() {
        "requested" => Some("迁入申请已提交，等待原登记地处理。"),
        "accepted" => Some("已同意迁入，此人已转到申请的村（社区）。"),
        "refused" => Some("已不同意此迁入申请。"),
        _ => None,
    };
    page(&state, &session, None, None, notice).await
}

pub(crate) async fn request(
    State(state): State<AppState>,
    CsrfForm { session, form }: CsrfForm<TransferInput>,
) -> Result<Response, PageError> {
    match transfers::request(&state.app, &session.actor, &form).await {
        Ok(_) => Ok(Redirect::to("/transfers?done=requested").into_response()),
        Err(AppError::Invalid { message, .. }) => {
            page(&state, &session, Some(&form), Some(message), None).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn decide_form(
    state: &AppState,
    session: &Session,
    id: i64,
    accept: bool,
) -> Result<Response, PageError> {
    transfers::decide(&state.app, &session.actor, id, accept).await?;
    let done = if accept { "accepted" } else { "refused" };
    Ok(Redirect::to(&format!("/transfers?done={done}")).into_response())
}

pub(crate) async fn accept(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { session, .. }: CsrfForm,
) -> Result<Response, PageError> {
    decide_form(&state, &session, id, true).await
}

pub(crate) async fn refuse(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { session, .. }: CsrfForm,
) -> Result<Response, PageError> {
    decide_form(&state, &session, id, false).await
}
