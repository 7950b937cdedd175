//! Medical-care integration in the browser: clinic agreements on a
//! facility's page and the region's report of care institutions without a
//! partner clinic (the API is `api/medical_care.rs`). The facility page's
//! panel, which also shows the station work of `pages/station.rs`, is here.

use crate::error::PageError;
use crate::pages::facility::page_with_error;
use crate::pages::region_param;
use crate::pages::{html, Nav};
use crate::routes::{Access, Routes};
use crate::session::{CsrfForm, FormList, PageSession, Session};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use kangyang_app::facility::{self, FacilityDetail, FacilityQuery, FacilityView};
use kangyang_app::medical_care::{
    self, AgreementInput, AgreementView, EndInput, MedicalCareReport,
};
use kangyang_app::station::{self, StationWork};
use kangyang_app::AppError;
use kangyang_domain::facility::FacilityKind;
use kangyang_domain::medical_care::CARE_SERVICES;
use kangyang_domain::station::ACTIVITY_KINDS;
use kangyang_domain::Action;
use serde::Deserialize;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get("/regions/{code}/medical-care", SignedIn, report)
        .post("/facilities/{facility}/care-agreements", SignedIn, create)
        .post("/care-agreements/{agreement}/end", SignedIn, end)
}

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

pub(crate) fn id_of(s: &str) -> i64 {
    s.trim().parse().unwrap_or(0)
}

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

/// Signs an agreement from the institution's page. The ticked services
/// repeat their key.
pub(crate) async fn create(
    State(state): State<AppState>,
    Path(facility): Path<i64>,
    CsrfForm { session, form }: CsrfForm<FormList>,
) -> Result<Response, PageError> {
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
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct EndForm {
    from: String,
    end_date: String,
    reason: String,
}

pub(crate) async fn end(
    State(state): State<AppState>,
    Path(agreement): Path<i64>,
    CsrfForm { session, form }: CsrfForm<EndForm>,
) -> Result<Response, PageError> {
    let a = medical_care::agreement(&state.app, &session.actor, agreement).await?;
    let back = if id_of(&form.from) == a.clinic_id {
        a.clinic_id
    } else {
        a.institution_id
    };
    let input = EndInput {
        end_date: form.end_date,
        reason: form.reason,
    };
    match medical_care::end_agreement(&state.app, &session.actor, agreement, &input).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/facilities/{back}?ok=agreement_ended")).into_response())
        }
        Err(e) => page_with_error(&state, &session, back, e).await,
    }
}

#[derive(Template)]
#[template(path = "medical_care/report.html")]
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
