//! The workbench (工作台) on `/`, each role's landing page, above what `/`
//! showed before (the user's home region); the plain lists its counts link
//! to where no list page existed.

use crate::error::PageError;
use crate::pages::{html, Nav};
use crate::routes::{Access, Routes};
use crate::session::PageSession;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use kangyang_app::canteen::{self, CanteenToReview};
use kangyang_app::capability::{self, ReassessmentDue};
use kangyang_app::regions::{self, ChildView, RegionDetail};
use kangyang_app::workbench::{self, CentreWithoutAttendance, StatusStillOpen, WorkItem};

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get("/", SignedIn, home)
        .get("/workbench/attendance", SignedIn, attendance)
        .get("/workbench/status-open", SignedIn, status_open)
        .get("/workbench/canteens", SignedIn, canteens)
        .get("/workbench/reassessments", SignedIn, reassessments)
}

#[derive(Template)]
#[template(path = "workbench/home.html")]
struct HomePage {
    nav: Nav,
    items: Vec<WorkItem>,
    detail: RegionDetail,
    children: Vec<ChildView>,
}

/// `/`: the workbench, then the home region as before.
pub(crate) async fn home(
    State(state): State<AppState>,
    PageSession(session): PageSession,
) -> Result<Response, PageError> {
    let actor = &session.actor;
    if actor.must_change_password {
        return Ok(Redirect::to("/password").into_response());
    }
    if actor.must_enroll_totp {
        return Ok(Redirect::to("/account/totp").into_response());
    }
    let items = workbench::items(&state.app, actor).await?;
    let code = actor.scope.region().to_string();
    let detail = regions::get(&state.app, actor, &code).await?;
    let children = regions::children(&state.app, actor, &code).await?;
    html(HomePage {
        nav: Nav::of(actor),
        items,
        detail,
        children,
    })
}

#[derive(Template)]
#[template(path = "workbench/attendance.html")]
struct AttendancePage {
    nav: Nav,
    centres: Vec<CentreWithoutAttendance>,
}

/// The Kangyuan centres with no attendance taken today on a working day.
pub(crate) async fn attendance(
    State(state): State<AppState>,
    PageSession(session): PageSession,
) -> Result<Response, PageError> {
    let centres = workbench::centres_without_attendance(&state.app, &session.actor).await?;
    html(AttendancePage {
        nav: Nav::of(&session.actor),
        centres,
    })
}

#[derive(Template)]
#[template(path = "workbench/status_open.html")]
struct StatusOpenPage {
    nav: Nav,
    people: Vec<StatusStillOpen>,
}

/// People whose status changed while a service is still open.
pub(crate) async fn status_open(
    State(state): State<AppState>,
    PageSession(session): PageSession,
) -> Result<Response, PageError> {
    let people = workbench::status_still_open(&state.app, &session.actor).await?;
    html(StatusOpenPage {
        nav: Nav::of(&session.actor),
        people,
    })
}

#[derive(Template)]
#[template(path = "workbench/canteens.html")]
struct CanteensPage {
    nav: Nav,
    canteens: Vec<CanteenToReview>,
}

/// The canteens with meals of this month held for review.
pub(crate) async fn canteens(
    State(state): State<AppState>,
    PageSession(session): PageSession,
) -> Result<Response, PageError> {
    let canteens = canteen::to_review(&state.app, &session.actor).await?;
    html(CanteensPage {
        nav: Nav::of(&session.actor),
        canteens,
    })
}

#[derive(Template)]
#[template(path = "workbench/reassessments.html")]
struct ReassessmentsPage {
    nav: Nav,
    people: Vec<ReassessmentDue>,
}

/// The people whose capability assessment is more than a year old.
pub(crate) async fn reassessments(
    State(state): State<AppState>,
    PageSession(session): PageSession,
) -> Result<Response, PageError> {
    let people = capability::reassessments_due(&state.app, &session.actor).await?;
    html(ReassessmentsPage {
        nav: Nav::of(&session.actor),
        people,
    })
}
