//! Station work in the browser: a station's activities, training and head
//! (forms on the facility page, whose panel is `pages/medical_care.rs`),
//! and the head's acknowledgement of raised visits on the visit list (the
//! API is `api/station.rs`).

use crate::error::PageError;
use crate::pages::facility::page_with_error;
use crate::pages::medical_care::id_of;
use crate::routes::{Access, Routes};
use crate::session::CsrfForm;
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use kangyang_app::station::{self, ActivityInput, HeadInput, TrainingInput};
use kangyang_app::visits::{self, AcknowledgeInput};
use kangyang_app::AppError;
use serde::Deserialize;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .post("/facilities/{facility}/activities", SignedIn, add_activity)
        .post("/facilities/{facility}/trainings", SignedIn, add_training)
        .post("/facilities/{facility}/head", SignedIn, set_head)
        .post("/visits/raised", SignedIn, acknowledge)
}

/// A whole number from a form: missing or malformed reads as 0, which the
/// use case refuses with a field error.
fn number(s: &str) -> u32 {
    s.trim().parse().unwrap_or(0)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ActivityForm {
    day: String,
    kind: String,
    title: String,
    participants: String,
    notes: String,
}

pub(crate) async fn add_activity(
    State(state): State<AppState>,
    Path(facility): Path<i64>,
    CsrfForm { session, form }: CsrfForm<ActivityForm>,
) -> Result<Response, PageError> {
    let input = ActivityInput {
        day: form.day,
        kind: form.kind,
        title: form.title,
        participants: number(&form.participants),
        notes: form.notes,
    };
    match station::add_activity(&state.app, &session.actor, facility, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/facilities/{facility}?ok=activity")).into_response()),
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct TrainingForm {
    worker_id: String,
    course: String,
    day: String,
    hours: String,
    organiser: String,
}

pub(crate) async fn add_training(
    State(state): State<AppState>,
    Path(facility): Path<i64>,
    CsrfForm { session, form }: CsrfForm<TrainingForm>,
) -> Result<Response, PageError> {
    let worker = form.worker_id;
    let input = TrainingInput {
        worker_id: (!worker.trim().is_empty()).then(|| id_of(&worker)),
        course: form.course,
        day: form.day,
        hours: form.hours,
        organiser: form.organiser,
    };
    match station::add_training(&state.app, &session.actor, facility, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/facilities/{facility}?ok=training")).into_response()),
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct HeadForm {
    user_id: String,
}

pub(crate) async fn set_head(
    State(state): State<AppState>,
    Path(facility): Path<i64>,
    CsrfForm { session, form }: CsrfForm<HeadForm>,
) -> Result<Response, PageError> {
    let input = HeadInput {
        user_id: id_of(&form.user_id),
    };
    match station::set_head(&state.app, &session.actor, facility, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/facilities/{facility}?ok=head")).into_response()),
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AcknowledgeForm {
    person_id: String,
    due_on: String,
    note: String,
}

/// The head acknowledges a raised visit from the visit list.
pub(crate) async fn acknowledge(
    State(state): State<AppState>,
    CsrfForm { session, form }: CsrfForm<AcknowledgeForm>,
) -> Result<Response, PageError> {
    let input = AcknowledgeInput {
        person_id: id_of(&form.person_id),
        due_on: form.due_on,
        note: form.note,
    };
    match visits::acknowledge(&state.app, &session.actor, &input).await {
        Ok(()) => Ok(Redirect::to("/visits?ok=acknowledged").into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            crate::pages::visits::due_page_with_error(&state, &session, e.to_string()).await
        }
        Err(e) => Err(e.into()),
    }
}
