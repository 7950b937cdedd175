//! The forms of a Kangyuan centre that only the API had: rooms, piecework
//! orders, counselling, the villages served, the star rating criterion by
//! criterion, and opening a rating round from 康园概况. Each calls the use
//! case the API calls, so checks and messages are the same; an error shows
//! the centre page again with the message, success goes back to it.

use crate::error::PageError;
use crate::pages::facility::page_with_error;
use crate::pages::region_param;
use crate::pages::Nav;
use crate::routes::{Access, Routes};
use crate::session::{CsrfForm, FormList, PageSession, Session};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kangyang_app::assessment::{self, RatingInput};
use kangyang_app::facility::{self, FacilityInput};
use kangyang_app::kangyuan::{self, OrderInput};
use kangyang_app::AppError;
use kangyang_domain::facility::FacilityKind;
use serde::Deserialize;
use std::collections::BTreeMap;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .post("/facilities/{facility}/rooms", SignedIn, add_room)
        .post("/facilities/{facility}/orders", SignedIn, add_order)
        .post(
            "/facilities/{facility}/counselling",
            SignedIn,
            add_counselling,
        )
        .post("/facilities/{facility}/villages", SignedIn, set_villages)
        .get("/facilities/{facility}/ratings/new", SignedIn, rating_form)
        .post("/facilities/{facility}/ratings", SignedIn, rate)
        .get("/regions/{code}/rating-rounds", SignedIn, rounds_page)
        .post("/regions/{code}/rating-rounds", SignedIn, open_round)
}

/// The message the centre page shows after one of these forms (`?ok=…`).
pub(crate) fn flash(ok: &str) -> Option<&'static str> {
    match ok {
        "room" => Some("功能室已添加"),
        "order" => Some("加工订单已登记"),
        "counselling" => Some("心理疏导记录已保存"),
        "villages" => Some("服务村（社区）已保存"),
        "rating" => Some("星级评定已保存"),
        _ => None,
    }
}

fn done(facility: i64, ok: &str) -> Response {
    Redirect::to(&format!("/facilities/{facility}?ok={ok}")).into_response()
}

/// A number typed into a select or box; anything else is no such record.
fn id_of(s: &str) -> i64 {
    s.trim().parse().unwrap_or(0)
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct RoomForm {
    name: String,
    function: String,
    area_m2: String,
}

pub(crate) async fn add_room(
    State(state): State<AppState>,
    Path(facility): Path<i64>,
    CsrfForm { session, form }: CsrfForm<RoomForm>,
) -> Result<Response, PageError> {
    let r = facility::add_room(
        &state.app,
        &session.actor,
        facility,
        &form.name,
        &form.function,
        &form.area_m2,
    )
    .await;
    answer(&state, &session, facility, r.map(|_| ()), "room").await
}

async fn answer(
    state: &AppState,
    session: &Session,
    facility: i64,
    result: Result<(), AppError>,
    ok: &str,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(done(facility, ok)),
        Err(e) => page_with_error(state, session, facility, e).await,
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct OrderForm {
    company: String,
    product: String,
    unit_price: String,
    quantity: String,
    start_date: String,
    due_date: String,
}

pub(crate) async fn add_order(
    State(state): State<AppState>,
    Path(facility): Path<i64>,
    CsrfForm { session, form }: CsrfForm<OrderForm>,
) -> Result<Response, PageError> {
    let input = OrderInput {
        company: form.company,
        product: form.product,
        unit_price: form.unit_price,
        quantity: form.quantity,
        start_date: form.start_date,
        due_date: form.due_date,
    };
    let r = kangyuan::add_order(&state.app, &session.actor, facility, &input).await;
    answer(&state, &session, facility, r.map(|_| ()), "order").await
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct CounsellingForm {
    person_id: String,
    day: String,
    notes: String,
}

pub(crate) async fn add_counselling(
    State(state): State<AppState>,
    Path(facility): Path<i64>,
    CsrfForm { session, form }: CsrfForm<CounsellingForm>,
) -> Result<Response, PageError> {
    let r = kangyuan::add_counselling(
        &state.app,
        &session.actor,
        facility,
        id_of(&form.person_id),
        &form.day,
        &form.notes,
    )
    .await;
    answer(&state, &session, facility, r.map(|_| ()), "counselling").await
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct VillagesForm {
    /// Village codes, separated by commas or spaces.
    villages: String,
}

/// The villages served, set as the API's PUT sets them: the facility's
/// record as it stands with only the villages changed.
pub(crate) async fn set_villages(
    State(state): State<AppState>,
    Path(facility): Path<i64>,
    CsrfForm { session, form }: CsrfForm<VillagesForm>,
) -> Result<Response, PageError> {
    let detail = facility::detail(&state.app, &session.actor, facility).await?;
    let mut body = serde_json::to_value(&detail).map_err(AppError::internal)?;
    let codes = form
        .villages
        .split(|c: char| c == ',' || c == '，' || c.is_whitespace())
        .filter(|c| !c.is_empty())
        .collect::<Vec<_>>()
        .join(",");
    if let Some(top) = body.as_object_mut() {
        top.insert("villages".to_owned(), serde_json::Value::String(codes));
    }
    let r = match FacilityInput::from_api(&body) {
        Ok(input) => facility::update(&state.app, &session.actor, facility, &input).await,
        Err(e) => Err(e),
    };
    answer(&state, &session, facility, r, "villages").await
}

/// One line of the provincial form: the criterion, its maximum, what was typed.
struct CriterionLine {
    code: String,
    text: String,
    max_score: u32,
    score: String,
    note: String,
}

struct GroupLines {
    name: String,
    criteria: Vec<CriterionLine>,
}

#[derive(Template)]
#[template(path = "kangyuan/rating_form.html")]
struct RatingFormPage {
    nav: Nav,
    facility_id: i64,
    facility_name: String,
    template_code: String,
    template_name: String,
    groups: Vec<GroupLines>,
    max_total: u32,
    rounds: Vec<(i64, String)>,
    round_id: String,
    evidence: String,
    assessed_on: String,
    assessor: String,
    error: Option<String>,
}

async fn render_rating(
    state: &AppState,
    session: &Session,
    facility_id: i64,
    form: &FormList,
    error: Option<String>,
) -> Result<Response, PageError> {
    let app = &state.app;
    let actor = &session.actor;
    let d = facility::detail(app, actor, facility_id).await?;
    let Some(code) = FacilityKind::parse(&d.facility.kind).and_then(FacilityKind::rating_template)
    else {
        // A kind with no star-rating standard (a canteen, a nursing home):
        // the page says so rather than offering a form.
        let page = RatingFormPage {
            nav: Nav::of(actor),
            facility_id,
            facility_name: d.facility.name.clone(),
            template_code: String::new(),
            template_name: "星级评定".to_owned(),
            groups: Vec::new(),
            max_total: 0,
            rounds: Vec::new(),
            round_id: String::new(),
            evidence: String::new(),
            assessed_on: String::new(),
            assessor: String::new(),
            error: Some("此类机构没有星级评定标准，无需评定".to_owned()),
        };
        return Ok(Html(page.render()?).into_response());
    };
    let template = assessment::template(app, code).await?;
    let groups: Vec<GroupLines> = template
        .groups
        .iter()
        .map(|g| GroupLines {
            name: g.name.clone(),
            criteria: g
                .criteria
                .iter()
                .map(|c| CriterionLine {
                    score: form.get(&format!("score_{}", c.code)),
                    note: form.get(&format!("note_{}", c.code)),
                    code: c.code.clone(),
                    text: c.text.clone(),
                    max_score: c.max_score,
                })
                .collect(),
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = RatingFormPage {
        nav: Nav::of(actor),
        facility_id,
        facility_name: d.facility.name.clone(),
        template_code: template.code.clone(),
        template_name: template.name.clone(),
        max_total: groups
            .iter()
            .flat_map(|g| &g.criteria)
            .map(|c| c.max_score)
            .sum(),
        groups,
        rounds: assessment::rounds_for_facility(app, actor, facility_id, code).await?,
        round_id: form.get("round_id"),
        evidence: form.get("evidence"),
        assessed_on: form.get("assessed_on"),
        assessor: form.get("assessor"),
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The star-rating sheet of a centre: every criterion with its maximum, a
/// score and an evidence note.
pub(crate) async fn rating_form(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
) -> Result<Response, PageError> {
    render_rating(&state, &session, facility, &FormList(Vec::new()), None).await
}

pub(crate) async fn rate(
    State(state): State<AppState>,
    Path(facility): Path<i64>,
    CsrfForm { session, form }: CsrfForm<FormList>,
) -> Result<Response, PageError> {
    let mut scores = BTreeMap::new();
    let mut notes = BTreeMap::new();
    let mut unreadable = Vec::new();
    for (key, value) in &form.0 {
        if let Some(code) = key.strip_prefix("score_") {
            let v = value.trim();
            if v.is_empty() {
                continue;
            }
            match v.parse::<u32>() {
                Ok(n) => {
                    scores.insert(code.to_owned(), n);
                }
                Err(_) => unreadable.push(code.to_owned()),
            }
        } else if let Some(code) = key.strip_prefix("note_") {
            notes.insert(code.to_owned(), value.clone());
        }
    }
    let result = if unreadable.is_empty() {
        let round = form.get("round_id");
        let input = RatingInput {
            template: form.get("template"),
            round_id: (!round.trim().is_empty()).then(|| id_of(&round)),
            scores,
            evidence: form.get("evidence"),
            criterion_notes: notes,
            assessed_on: form.get("assessed_on"),
            assessor: form.get("assessor"),
            brand_project_id: None,
        };
        assessment::rate_facility(&state.app, &session.actor, facility, &input)
            .await
            .map(|_| ())
    } else {
        Err(AppError::invalid_field(
            "scores",
            "评分",
            "得分应为不小于 0 的整数",
        ))
    };
    match result {
        Ok(()) => Ok(done(facility, "rating")),
        Err(e @ AppError::Invalid { .. }) => {
            render_rating(&state, &session, facility, &form, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct RoundForm {
    name: String,
    opened_on: String,
}

#[derive(Template)]
#[template(path = "kangyuan/rounds.html")]
struct RoundsPage {
    nav: Nav,
    code: String,
    region_name: String,
    rounds: Vec<(String, String)>,
    form: RoundForm,
    error: Option<String>,
}

async fn render_rounds(
    state: &AppState,
    session: &Session,
    code: &str,
    form: RoundForm,
    error: Option<String>,
) -> Result<Response, PageError> {
    let region = region_param(code)?;
    let overview = facility::kangyuan_overview(&state.app, &session.actor, &region).await?;
    let rounds = assessment::rounds_of_region(&state.app, &session.actor, &region).await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = RoundsPage {
        nav: Nav::of(&session.actor),
        code: code.to_owned(),
        region_name: overview.region_name,
        rounds,
        form,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The region's star-rating rounds and the form to open one.
pub(crate) async fn rounds_page(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    render_rounds(&state, &session, &code, RoundForm::default(), None).await
}

/// Opens a star-rating round of the region.
pub(crate) async fn open_round(
    State(state): State<AppState>,
    Path(code): Path<String>,
    CsrfForm { session, form }: CsrfForm<RoundForm>,
) -> Result<Response, PageError> {
    match assessment::open_round_typed(
        &state.app,
        &session.actor,
        kangyang_domain::assessment::KANGYUAN_STAR,
        &form.name,
        &code,
        &form.opened_on,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/regions/{code}/rating-rounds")).into_response()),
        Err(e @ AppError::Invalid { .. }) => {
            render_rounds(&state, &session, &code, form, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}
