//! Medical-care integration and station work in the browser and the API:
//! clinic agreements (on a facility's page and through the API), the
//! region's report of care institutions without a partner clinic, a
//! station's activities, training and head, and the visits raised to the
//! station head.

use crate::error::{ApiError, PageError};
use crate::pages::{facility::page_with_error, region_param};
use crate::pages::{html, Nav};
use crate::session::{check_form_csrf, ApiSession, FormList, PageSession, Session};
use crate::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use kangyang_app::facility::{self, FacilityDetail, FacilityQuery, FacilityView};
use kangyang_app::medical_care::{
    self, AgreementInput, AgreementView, EndInput, MedicalCareReport,
};
use kangyang_app::station::{
    self, ActivityInput, ActivityView, HeadInput, StationWork, TrainingInput, TrainingView,
};
use kangyang_app::visits::{self, AcknowledgeInput, RaisedList};
use kangyang_app::AppError;
use kangyang_domain::facility::FacilityKind;
use kangyang_domain::medical_care::CARE_SERVICES;
use kangyang_domain::station::ACTIVITY_KINDS;
use kangyang_domain::Action;
use serde::Deserialize;

/// The message shown after a form of this module succeeded (`?ok=…`).
pub(crate) fn flash(ok: &str) -> Option<&'static str> {
    match ok {
        "agreement" => Some("医养结合协议已保存"),
        "agreement_ended" => Some("协议已终止"),
        "activity" => Some("活动已登记"),
        "training" => Some("培训记录已保存"),
        "head" => Some("站长已设定"),
        _ => None,
    }
}

/// A whole number from a form: missing or malformed reads as 0, which the
/// use case refuses with a field error.
fn number(s: &str) -> u32 {
    s.trim().parse().unwrap_or(0)
}

fn id_of(s: &str) -> i64 {
    s.trim().parse().unwrap_or(0)
}

// ---- JSON API: agreements and the report ----

/// Sign a medical-care agreement between a care institution and a clinic.
#[utoipa::path(post, path = "/api/v1/care-agreements", request_body = AgreementInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody),
        (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_create(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(input): Json<AgreementInput>,
) -> Result<impl IntoResponse, ApiError> {
    let id = medical_care::create_agreement(&state.app, &session.actor, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// End an agreement: the given day becomes its last day in force.
#[utoipa::path(post, path = "/api/v1/care-agreements/{agreement}/end", params(("agreement" = i64, Path)),
    request_body = EndInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody),
        (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_end(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(agreement): Path<i64>,
    Json(input): Json<EndInput>,
) -> Result<StatusCode, ApiError> {
    medical_care::end_agreement(&state.app, &session.actor, agreement, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The medical-care agreements a facility is party to (as institution or clinic).
#[utoipa::path(get, path = "/api/v1/facilities/{facility}/care-agreements", params(("facility" = i64, Path)),
    responses((status = 200, body = [AgreementView]), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_of_facility(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
) -> Result<Json<Vec<AgreementView>>, ApiError> {
    Ok(Json(
        medical_care::agreements_of(&state.app, &session.actor, facility).await?,
    ))
}

/// A region's care institutions without a partner clinic in force, per
/// county, and the agreements in force.
#[utoipa::path(get, path = "/api/v1/regions/{code}/medical-care", params(("code" = String, Path)),
    responses((status = 200, body = MedicalCareReport), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_report(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(code): Path<String>,
) -> Result<Json<MedicalCareReport>, ApiError> {
    let region = region_param(&code)?;
    Ok(Json(
        medical_care::report(&state.app, &session.actor, &region).await?,
    ))
}

// ---- JSON API: station work ----

/// A station's activities, newest first.
#[utoipa::path(get, path = "/api/v1/facilities/{facility}/activities", params(("facility" = i64, Path)),
    responses((status = 200, body = [ActivityView]), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_activities(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
) -> Result<Json<Vec<ActivityView>>, ApiError> {
    Ok(Json(
        station::activities(&state.app, &session.actor, facility).await?,
    ))
}

/// Record a station activity (group work, community event, training for
/// residents, policy publicity).
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/activities", params(("facility" = i64, Path)),
    request_body = ActivityInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_add_activity(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(input): Json<ActivityInput>,
) -> Result<impl IntoResponse, ApiError> {
    let id = station::add_activity(&state.app, &session.actor, facility, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// The training records of a station's social workers, newest first.
#[utoipa::path(get, path = "/api/v1/facilities/{facility}/trainings", params(("facility" = i64, Path)),
    responses((status = 200, body = [TrainingView]), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_trainings(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
) -> Result<Json<Vec<TrainingView>>, ApiError> {
    Ok(Json(
        station::trainings(&state.app, &session.actor, facility).await?,
    ))
}

/// Record a social worker's training.
#[utoipa::path(post, path = "/api/v1/facilities/{facility}/trainings", params(("facility" = i64, Path)),
    request_body = TrainingInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_add_training(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(input): Json<TrainingInput>,
) -> Result<impl IntoResponse, ApiError> {
    let id = station::add_training(&state.app, &session.actor, facility, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// Designate the station head (站长), one of the station's own accounts.
#[utoipa::path(put, path = "/api/v1/facilities/{facility}/head", params(("facility" = i64, Path)),
    request_body = HeadInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_set_head(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(facility): Path<i64>,
    Json(input): Json<HeadInput>,
) -> Result<StatusCode, ApiError> {
    station::set_head(&state.app, &session.actor, facility, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub(crate) struct StationParam {
    /// The station (officials); the head's own station otherwise.
    station: Option<i64>,
}

/// The visits raised to the station head: people overdue by more than the
/// grace period, with acknowledgements. For the head and officials.
#[utoipa::path(get, path = "/api/v1/visits/raised", params(StationParam),
    responses((status = 200, body = RaisedList), (status = 403, body = crate::api::ErrorBody),
        (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_raised(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Query(p): Query<StationParam>,
) -> Result<Json<RaisedList>, ApiError> {
    Ok(Json(
        visits::raised(&state.app, &session.actor, p.station).await?,
    ))
}

/// The station head acknowledges a raised visit (recorded and audited).
#[utoipa::path(post, path = "/api/v1/visits/raised/acknowledgements", request_body = AcknowledgeInput,
    responses((status = 204), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody),
        (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_acknowledge(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(input): Json<AcknowledgeInput>,
) -> Result<StatusCode, ApiError> {
    visits::acknowledge(&state.app, &session.actor, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- the facility page's panel ----

/// What the facility page shows of medical-care agreements and station work.
pub(crate) struct CarePanel {
    /// A care institution: its clinic agreements, and a form to sign one.
    pub(crate) institution: bool,
    /// A clinic: the institutions it serves.
    pub(crate) clinic: bool,
    pub(crate) agreements: Vec<AgreementView>,
    /// Clinics of the official's scope, for the agreement form.
    pub(crate) clinics: Vec<FacilityView>,
    pub(crate) services: &'static [(&'static str, &'static str)],
    pub(crate) station: Option<StationWork>,
    pub(crate) activity_kinds: &'static [(&'static str, &'static str)],
    /// May record activities and training (the station's workers, officials).
    pub(crate) can_write_station: bool,
    pub(crate) can_manage: bool,
    pub(crate) today: String,
}

pub(crate) async fn panel(
    state: &AppState,
    session: &Session,
    id: i64,
    d: &FacilityDetail,
) -> Result<CarePanel, AppError> {
    let app = &state.app;
    let actor = &session.actor;
    let kind = FacilityKind::parse(&d.facility.kind);
    let institution = kind.is_some_and(FacilityKind::needs_partner_clinic);
    let clinic = kind == Some(FacilityKind::Clinic);
    let can_manage = actor.can(Action::FacilityManage);
    let agreements = if institution || clinic {
        medical_care::agreements_of(app, actor, id).await?
    } else {
        Vec::new()
    };
    let clinics = if institution && can_manage {
        facility::list(
            app,
            actor,
            &FacilityQuery {
                kind: Some(FacilityKind::Clinic.as_str().to_owned()),
                region: None,
            },
        )
        .await?
    } else {
        Vec::new()
    };
    Ok(CarePanel {
        institution,
        clinic,
        agreements,
        clinics,
        services: &CARE_SERVICES,
        station: station::work(app, actor, id).await?,
        activity_kinds: &ACTIVITY_KINDS,
        can_write_station: actor.can(Action::PersonWrite),
        can_manage,
        today: app.today().to_string(),
    })
}

// ---- forms on the facility page ----

/// Signs an agreement from the institution's page.
pub(crate) async fn create(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormList(form);
    check_form_csrf(&session, &form.get("csrf_token"))?;
    // Blank is none; anything unreadable is out of range, which the use case
    // refuses naming the field.
    let visits = form.get("visits_per_month");
    let visits = match visits.trim() {
        "" => 0,
        v => v.parse().unwrap_or(u32::MAX),
    };
    let input = AgreementInput {
        institution_id: facility,
        clinic_id: id_of(&form.get("clinic_id")),
        services: form.all("service"),
        visits_per_month: visits,
        start_date: form.get("start_date"),
        end_date: form.get("end_date"),
        notes: form.get("notes"),
    };
    match medical_care::create_agreement(&state.app, &session.actor, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/facilities/{facility}?ok=agreement")).into_response()),
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}

/// Ends an agreement from either party's page (`from` names it, to return there).
pub(crate) async fn end(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(agreement): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormList(form);
    check_form_csrf(&session, &form.get("csrf_token"))?;
    let a = medical_care::agreement(&state.app, &session.actor, agreement).await?;
    let back = if id_of(&form.get("from")) == a.clinic_id {
        a.clinic_id
    } else {
        a.institution_id
    };
    let input = EndInput {
        end_date: form.get("end_date"),
        reason: form.get("reason"),
    };
    match medical_care::end_agreement(&state.app, &session.actor, agreement, &input).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/facilities/{back}?ok=agreement_ended")).into_response())
        }
        Err(e) => page_with_error(&state, &session, back, e).await,
    }
}

pub(crate) async fn add_activity(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormList(form);
    check_form_csrf(&session, &form.get("csrf_token"))?;
    let input = ActivityInput {
        day: form.get("day"),
        kind: form.get("kind"),
        title: form.get("title"),
        participants: number(&form.get("participants")),
        notes: form.get("notes"),
    };
    match station::add_activity(&state.app, &session.actor, facility, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/facilities/{facility}?ok=activity")).into_response()),
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}

pub(crate) async fn add_training(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormList(form);
    check_form_csrf(&session, &form.get("csrf_token"))?;
    let worker = form.get("worker_id");
    let input = TrainingInput {
        worker_id: (!worker.trim().is_empty()).then(|| id_of(&worker)),
        course: form.get("course"),
        day: form.get("day"),
        hours: form.get("hours"),
        organiser: form.get("organiser"),
    };
    match station::add_training(&state.app, &session.actor, facility, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/facilities/{facility}?ok=training")).into_response()),
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}

pub(crate) async fn set_head(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormList(form);
    check_form_csrf(&session, &form.get("csrf_token"))?;
    let input = HeadInput {
        user_id: id_of(&form.get("user_id")),
    };
    match station::set_head(&state.app, &session.actor, facility, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/facilities/{facility}?ok=head")).into_response()),
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}

/// The head acknowledges a raised visit from the visit list.
pub(crate) async fn acknowledge(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormList(form);
    check_form_csrf(&session, &form.get("csrf_token"))?;
    let input = AcknowledgeInput {
        person_id: id_of(&form.get("person_id")),
        due_on: form.get("due_on"),
        note: form.get("note"),
    };
    match visits::acknowledge(&state.app, &session.actor, &input).await {
        Ok(()) => Ok(Redirect::to("/visits?ok=acknowledged").into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            crate::visit_pages::due_page_with_error(&state, &session, e.to_string()).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- the region's report ----

#[derive(Template)]
#[template(path = "medical_care.html")]
struct ReportPage {
    nav: Nav,
    r: MedicalCareReport,
}

pub(crate) async fn report(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let region = region_param(&code)?;
    let r = medical_care::report(&state.app, &session.actor, &region).await?;
    html(ReportPage {
        nav: Nav::of(&session.actor),
        r,
    })
}
