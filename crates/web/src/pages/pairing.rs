//! Pairing (结对帮扶) as pages: the region's partner organisations, their
//! pairings with centres and the help given. Each form calls the use case
//! the API (`funds_api.rs`) calls; an error shows the page again with the
//! message beside the form, success goes back to the page.

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
use kangyang_app::facility;
use kangyang_app::pairing::{self, HelpInput, OrgView, PairWith, RegionPairing};
use kangyang_app::pairing::{HELP_KINDS, ORG_KINDS};
use kangyang_app::AppError;
use kangyang_domain::CivilDate;
use serde::Deserialize;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get("/regions/{code}/pairing", SignedIn, page)
        .post("/regions/{code}/partner-orgs", SignedIn, add_org)
        .post("/regions/{code}/pairings", SignedIn, pair)
        .post(
            "/regions/{code}/pairings/{pairing}/help",
            SignedIn,
            add_help,
        )
}

#[derive(Default, PartialEq, Eq)]
enum Which {
    #[default]
    None,
    Org,
    Pair,
    Help(i64),
}

#[derive(Template)]
#[template(path = "pairing/pairing.html")]
struct PairingPage {
    nav: Nav,
    code: String,
    region_name: String,
    orgs: Vec<OrgView>,
    pairings: Vec<RegionPairing>,
    centres: Vec<(i64, String)>,
    org_kinds: Vec<(&'static str, &'static str)>,
    help_kinds: Vec<(&'static str, &'static str)>,
    org_error: Option<String>,
    pair_error: Option<String>,
    help_error: Option<(i64, String)>,
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
    let page = PairingPage {
        nav: Nav::of(actor),
        code: code.to_owned(),
        region_name: overview.region_name,
        orgs: pairing::orgs(app, actor, &region).await?,
        pairings: pairing::of_region(app, actor, &region).await?,
        centres: overview.lines.into_iter().map(|l| (l.id, l.name)).collect(),
        org_kinds: ORG_KINDS.to_vec(),
        help_kinds: HELP_KINDS.to_vec(),
        org_error: message.clone().filter(|_| which == Which::Org),
        pair_error: message.clone().filter(|_| which == Which::Pair),
        help_error: match which {
            Which::Help(p) => message.map(|m| (p, m)),
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
        Ok(_) => Ok(Redirect::to(&format!("/regions/{code}/pairing")).into_response()),
        Err(e @ AppError::Invalid { .. }) => render(state, session, code, which, Some(e)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct OrgForm {
    name: String,
    kind: String,
    contact: String,
}

pub(crate) async fn add_org(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm { session, form }: CsrfForm<OrgForm>,
) -> Result<Response, PageError> {
    let r = pairing::add_org(
        &state.app,
        &session.actor,
        &form.name,
        &form.kind,
        &code,
        &form.contact,
    )
    .await;
    answer(&state, &session, &code, Which::Org, r).await
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct PairForm {
    org_id: String,
    facility_id: String,
    started_on: String,
}

pub(crate) async fn pair(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm { session, form }: CsrfForm<PairForm>,
) -> Result<Response, PageError> {
    let r = match CivilDate::parse(form.started_on.trim()) {
        Ok(started) => {
            pairing::pair(
                &state.app,
                &session.actor,
                form.org_id.trim().parse().unwrap_or(0),
                PairWith::Facility(form.facility_id.trim().parse().unwrap_or(0)),
                started,
            )
            .await
        }
        // The API's key and label.
        Err(_) => Err(AppError::invalid_field(
            "started_on",
            "结对日期",
            "日期应为 YYYY-MM-DD",
        )),
    };
    answer(&state, &session, &code, Which::Pair, r).await
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct HelpForm {
    day: String,
    kind: String,
    amount: String,
    goods: String,
    notes: String,
}

pub(crate) async fn add_help(
    State(state): State<AppState>,
    Path((code, pairing_id)): Path<(String, i64)>,
    CsrfForm { session, form }: CsrfForm<HelpForm>,
) -> Result<Response, PageError> {
    let r = pairing::add_help(
        &state.app,
        &session.actor,
        &HelpInput {
            pairing_id,
            day: &form.day,
            kind: &form.kind,
            amount: &form.amount,
            goods: &form.goods,
            notes: &form.notes,
        },
    )
    .await;
    answer(&state, &session, &code, Which::Help(pairing_id), r).await
}
