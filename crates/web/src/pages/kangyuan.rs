//! What a Kangyuan centre (康园中心) does, in the browser: enrolment and
//! leaving, services and activities, piecework output and brand projects
//! from the centre page (`pages/facility.rs`, which they render again with a
//! form's error), the phone sign-in sheet, the monthly sheets, and a
//! region's Kangyuan overview (康园概况). The API is `api/kangyuan.rs`.
//!
//! Form fields arrive as strings and are checked by the use cases, after the
//! facility's scope: a facility outside one's scope is "not found" whatever
//! the form says.

use crate::error::PageError;
use crate::pages::facility::page_with_error;
use crate::pages::{html, month_or_this, region_param, xlsx, Nav};
use crate::routes::{Access, Routes};
use crate::session::{CsrfForm, FormList, PageSession};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use kangyang_app::facility::{
    self, BrandProjectInput, BrandScoreInput, KangyuanOverview, MilestoneInput,
};
use kangyang_app::kangyuan::{self, AttendanceDay, EnrolRequest, Mark, ServiceInput};
use kangyang_app::AppError;
use serde::Deserialize;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .post(
            "/facilities/{facility}/brand-projects",
            SignedIn,
            add_brand_project,
        )
        .post(
            "/facilities/{facility}/brand-projects/{brand}/milestones",
            SignedIn,
            add_brand_milestone,
        )
        .post(
            "/facilities/{facility}/brand-projects/{brand}/score",
            SignedIn,
            score_brand_project,
        )
        .post("/facilities/{facility}/output", SignedIn, record_output)
        .post("/facilities/{facility}/enrolments", SignedIn, enrol)
        .post("/facilities/{facility}/leave", SignedIn, leave)
        .post("/facilities/{facility}/services", SignedIn, add_service)
        .get("/facilities/{facility}/attendance", SignedIn, attendance)
        .post("/facilities/{facility}/attendance", SignedIn, mark)
        .post("/facilities/{facility}/attendance/day", SignedIn, mark_day)
        .get(
            "/facilities/{facility}/attendance.xlsx",
            SignedIn,
            attendance_xlsx,
        )
        .get("/facilities/{facility}/payout.xlsx", SignedIn, payout_xlsx)
        .get("/regions/{code}/kangyuan", SignedIn, overview)
}

/// A person id from a form: missing or malformed reads as 0, which the use
/// case refuses with a field error (after it has checked the facility's scope).
fn id_field(s: &str) -> i64 {
    s.trim().parse().unwrap_or(0)
}

/// A brand project from the centre page.
pub(crate) async fn add_brand_project(
    State(state): State<AppState>,
    Path(facility): Path<i64>,
    CsrfForm { session, form }: CsrfForm<BrandProjectInput>,
) -> Result<Response, PageError> {
    match facility::add_brand_project(&state.app, &session.actor, facility, &form).await {
        Ok(_) => Ok(Redirect::to(&format!("/facilities/{facility}?ok=brand")).into_response()),
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}

/// A brand project's milestone from the centre page.
pub(crate) async fn add_brand_milestone(
    State(state): State<AppState>,
    Path((facility, brand)): Path<(i64, i64)>,
    CsrfForm { session, form }: CsrfForm<MilestoneInput>,
) -> Result<Response, PageError> {
    match facility::add_brand_milestone(&state.app, &session.actor, facility, brand, &form).await {
        Ok(_) => Ok(Redirect::to(&format!("/facilities/{facility}?ok=milestone")).into_response()),
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}

/// A brand project's yearly score from the centre page.
pub(crate) async fn score_brand_project(
    State(state): State<AppState>,
    Path((facility, brand)): Path<(i64, i64)>,
    CsrfForm { session, form }: CsrfForm<BrandScoreInput>,
) -> Result<Response, PageError> {
    match facility::score_brand_project(&state.app, &session.actor, facility, brand, &form).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/facilities/{facility}?ok=brand_score")).into_response())
        }
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}

/// The enrolment form: a person by ID number, from a day.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct EnrolForm {
    id_number: String,
    start_date: String,
}

pub(crate) async fn enrol(
    State(state): State<AppState>,
    Path(facility): Path<i64>,
    CsrfForm { session, form }: CsrfForm<EnrolForm>,
) -> Result<Response, PageError> {
    let req = EnrolRequest {
        person_id: None,
        id_number: Some(form.id_number),
        start_date: Some(form.start_date),
    };
    match kangyuan::enrol(&state.app, &session.actor, facility, &req).await {
        Ok(_) => Ok(Redirect::to(&format!("/facilities/{facility}?ok=enrolled")).into_response()),
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}

/// A trainee leaving: who, from when, why.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct LeaveForm {
    person_id: String,
    end_date: String,
    reason: String,
}

pub(crate) async fn leave(
    State(state): State<AppState>,
    Path(facility): Path<i64>,
    CsrfForm { session, form }: CsrfForm<LeaveForm>,
) -> Result<Response, PageError> {
    match kangyuan::leave(
        &state.app,
        &session.actor,
        facility,
        id_field(&form.person_id),
        &form.end_date,
        &form.reason,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/facilities/{facility}")).into_response()),
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}

/// A service or activity; its participants are ticked boxes, one
/// `participant` each, hence the list.
pub(crate) async fn add_service(
    State(state): State<AppState>,
    Path(facility): Path<i64>,
    CsrfForm { session, form }: CsrfForm<FormList>,
) -> Result<Response, PageError> {
    let field = |k: &str| form.get(k);
    let input = ServiceInput {
        kind: field("kind"),
        day: field("day"),
        title: field("title"),
        group_activity: field("group_activity") == "1",
        participants: form
            .all("participant")
            .iter()
            .map(|v| id_field(v))
            .collect(),
        notes: field("notes"),
    };
    match kangyuan::add_service(&state.app, &session.actor, facility, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/facilities/{facility}?ok=service")).into_response()),
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}

/// A day's piecework output as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct OutputForm {
    order_id: String,
    person_id: String,
    day: String,
    quantity: String,
}

/// A day's piecework output from the centre page.
pub(crate) async fn record_output(
    State(state): State<AppState>,
    Path(facility): Path<i64>,
    CsrfForm { session, form }: CsrfForm<OutputForm>,
) -> Result<Response, PageError> {
    let quantity = form.quantity.trim().parse::<i64>().unwrap_or(-1);
    match kangyuan::record_output(
        &state.app,
        &session.actor,
        facility,
        id_field(&form.order_id),
        id_field(&form.person_id),
        &form.day,
        quantity,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/facilities/{facility}?ok=output")).into_response()),
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}

// ---- the sign-in sheet ----

#[derive(Template)]
#[template(path = "kangyuan/attendance.html")]
struct AttendancePage {
    nav: Nav,
    sheet: AttendanceDay,
    is_today: bool,
    month: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct DayParam {
    day: Option<String>,
}

pub(crate) async fn attendance(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Query(p): Query<DayParam>,
) -> Result<Response, PageError> {
    let (sheet, error) = match kangyuan::attendance_day(
        &state.app,
        &session.actor,
        facility,
        p.day.as_deref(),
    )
    .await
    {
        Ok(sheet) => (sheet, None),
        Err(e @ AppError::Invalid { .. }) => (
            kangyuan::attendance_day(&state.app, &session.actor, facility, None).await?,
            Some(e.to_string()),
        ),
        Err(e) => return Err(e.into()),
    };
    let today = state.app.today();
    html(AttendancePage {
        nav: Nav::of(&session.actor),
        is_today: sheet.day == today.to_string(),
        month: sheet.day.get(..7).unwrap_or("").to_owned(),
        sheet,
        error,
    })
}

/// One tap on the sign-in sheet.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct MarkForm {
    person_id: String,
    day: String,
    /// present (also when left out), absent or clear.
    mark: String,
}

/// One tap: saved at once, then back to the same line of the sheet.
pub(crate) async fn mark(
    State(state): State<AppState>,
    Path(facility): Path<i64>,
    CsrfForm { session, form }: CsrfForm<MarkForm>,
) -> Result<Response, PageError> {
    let mark = match form.mark.as_str() {
        "absent" => Mark::Absent,
        "clear" => Mark::Clear,
        _ => Mark::Present,
    };
    let person = id_field(&form.person_id);
    let day = form.day;
    kangyuan::mark(&state.app, &session.actor, facility, person, &day, mark).await?;
    Ok(Redirect::to(&format!(
        "/facilities/{facility}/attendance?day={}#p{person}",
        crate::pages::percent_encode(&day)
    ))
    .into_response())
}

/// A whole missed day at once: ticked trainees present, the rest absent.
/// The ticked boxes repeat `present`, hence the list.
pub(crate) async fn mark_day(
    State(state): State<AppState>,
    Path(facility): Path<i64>,
    CsrfForm { session, form }: CsrfForm<FormList>,
) -> Result<Response, PageError> {
    let present: Vec<i64> = form.all("present").iter().map(|v| id_field(v)).collect();
    let day = form.get("day");
    kangyuan::mark_day(&state.app, &session.actor, facility, &day, &present).await?;
    Ok(Redirect::to(&format!(
        "/facilities/{facility}/attendance?day={}",
        crate::pages::percent_encode(&day)
    ))
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct MonthParam {
    month: String,
}

/// The monthly attendance sheet (xlsx).
pub(crate) async fn attendance_xlsx(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Query(p): Query<MonthParam>,
) -> Result<Response, PageError> {
    let month = month_or_this(&state, &p.month);
    let bytes =
        kangyuan::attendance_month_xlsx(&state.app, &session.actor, facility, &month).await?;
    Ok(xlsx(
        &format!("attendance-{facility}-{}.xlsx", month.trim()),
        bytes,
    ))
}

/// The monthly piecework payout sheet (xlsx).
pub(crate) async fn payout_xlsx(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Query(p): Query<MonthParam>,
) -> Result<Response, PageError> {
    let month = month_or_this(&state, &p.month);
    let bytes = kangyuan::payout_xlsx(&state.app, &session.actor, facility, &month).await?;
    Ok(xlsx(
        &format!("payout-{facility}-{}.xlsx", month.trim()),
        bytes,
    ))
}

// ---- the overview ----

#[derive(Template)]
#[template(path = "kangyuan/overview.html")]
struct OverviewPage {
    nav: Nav,
    o: KangyuanOverview,
}

pub(crate) async fn overview(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let region = region_param(&code)?;
    let o = facility::kangyuan_overview(&state.app, &session.actor, &region).await?;
    html(OverviewPage {
        nav: Nav::of(&session.actor),
        o,
    })
}
