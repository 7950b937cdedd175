//! Pairing through the JSON API: partner organisations (party branches,
//! companies, volunteer teams), their pairings with a centre or a person,
//! and the help they give. Funds are `api/funds.rs`.

use crate::api::funds::{created, date};
use crate::error::ApiError;
use crate::routes::{Access, Routes};
use crate::session::ApiSession;
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::Json;
use kangyang_app::pairing::{self, HelpInput, PairWith};
use kangyang_app::AppError;
use serde::Deserialize;
use utoipa_axum::routes;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .api(SignedIn, routes!(add_org))
        .api(SignedIn, routes!(pair))
        .api(SignedIn, routes!(add_help))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct OrgRequest {
    name: String,
    /// party_branch, company, volunteer_team, other
    kind: String,
    region: String,
    contact: String,
}

/// Register a partner organisation (party branch, company, volunteer team).
#[utoipa::path(post, path = "/api/v1/partner-orgs", request_body = OrgRequest,
    responses((status = 201, body = Object), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn add_org(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(r): Json<OrgRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let id = pairing::add_org(
        &state.app,
        &session.actor,
        &r.name,
        &r.kind,
        &r.region,
        &r.contact,
    )
    .await?;
    Ok(created(id))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct PairRequest {
    org_id: i64,
    /// Pair with a centre…
    facility_id: Option<i64>,
    /// …or with a person.
    person_id: Option<i64>,
    started_on: String,
}

/// Pair an organisation with a centre or a person.
#[utoipa::path(post, path = "/api/v1/pairings", request_body = PairRequest,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn pair(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(r): Json<PairRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let with = match (r.facility_id, r.person_id) {
        (Some(f), None) => PairWith::Facility(f),
        (None, Some(p)) => PairWith::Person(p),
        _ => {
            return Err(AppError::invalid_field(
                "facility_id",
                "结对对象",
                "请给出 facility_id 或 person_id 之一",
            )
            .into())
        }
    };
    let started = date("started_on", "结对日期", &r.started_on)?;
    let id = pairing::pair(&state.app, &session.actor, r.org_id, with, started).await?;
    Ok(created(id))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub(crate) struct HelpRequest {
    day: String,
    /// visit, money or goods
    kind: String,
    /// Yuan, for money.
    amount: String,
    goods: String,
    notes: String,
}

/// Record help given under a pairing.
#[utoipa::path(post, path = "/api/v1/pairings/{pairing}/help", params(("pairing" = i64, Path)), request_body = HelpRequest,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn add_help(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(pairing_id): Path<i64>,
    Json(r): Json<HelpRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let id = pairing::add_help(
        &state.app,
        &session.actor,
        &HelpInput {
            pairing_id,
            day: &r.day,
            kind: &r.kind,
            amount: &r.amount,
            goods: &r.goods,
            notes: &r.notes,
        },
    )
    .await?;
    Ok(created(id))
}
