//! The facility-location planner in the browser (`/regions/{code}/planner`,
//! a GET form whose answer is a linkable, printable page; the API is
//! `api/planning.rs`).

use crate::error::PageError;
use crate::pages::region_param;
use crate::pages::{html, Nav};
use crate::routes::{Access, Routes};
use crate::session::PageSession;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use kangyang_app::planning::{self, PlanInput, PlanView, PlannerContext};
use kangyang_app::AppError;
use serde::Deserialize;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new().get("/regions/{code}/planner", SignedIn, page)
}

/// The page's form, as typed (numbers are read leniently: what does not
/// parse is passed on as out of range, so the message names its field).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PlannerQuery {
    kind: String,
    objective: String,
    k: String,
    radius_km: String,
    cutoff_km: String,
    use_capacity: String,
    candidate_capacity: String,
}

fn int(s: &str) -> Option<i64> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.parse().unwrap_or(-1))
}

fn real(s: &str) -> Option<f64> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.parse().unwrap_or(f64::NAN))
}

#[derive(Template)]
#[template(path = "planning/planner.html")]
struct PlannerPage {
    nav: Nav,
    c: PlannerContext,
    q: PlannerQuery,
    p: Option<PlanView>,
    error: Option<String>,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(code): Path<String>,
    Query(q): Query<PlannerQuery>,
) -> Result<Response, PageError> {
    let region = region_param(&code)?;
    let actor = &session.actor;
    let c = planning::context(&state.app, actor, &region).await?;
    let mut page = PlannerPage {
        nav: Nav::of(actor),
        c,
        q,
        p: None,
        error: None,
    };
    if page.q.kind.trim().is_empty() {
        return html(page);
    }
    let input = PlanInput {
        kind: page.q.kind.clone(),
        objective: page.q.objective.clone(),
        k: int(&page.q.k),
        radius_km: real(&page.q.radius_km),
        cutoff_km: real(&page.q.cutoff_km),
        use_capacity: !page.q.use_capacity.is_empty(),
        candidate_capacity: int(&page.q.candidate_capacity),
        candidates: Vec::new(),
    };
    match planning::plan(&state.app, actor, &region, &input).await {
        Ok(p) => {
            page.p = Some(p);
            html(page)
        }
        Err(AppError::Invalid { message, .. }) => {
            page.error = Some(message);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
