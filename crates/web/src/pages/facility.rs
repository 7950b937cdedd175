//! Facilities in the browser: what any facility has — the list, the new
//! facility form, a facility's page (a centre's page also shows what its
//! kind does: trainees and services, a canteen's mode, clinic agreements)
//! and its relocation. What a Kangyuan centre does is `pages/kangyuan.rs`;
//! the API is `api/facility.rs`.
//!
//! Form fields arrive as strings and are checked by the use cases, after the
//! facility's scope: a facility outside one's scope is "not found" whatever
//! the form says.

use crate::error::PageError;
use crate::pages::{html, Nav};
use crate::routes::{Access, Routes};
use crate::session::{CsrfForm, PageSession};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kangyang_app::assessment::{self, RatingView};
use kangyang_app::facility::{
    self, FacilityDetail, FacilityInput, FacilityQuery, FacilityView, RelocationInput,
};
use kangyang_app::kangyuan::{self, OrderView, ServiceView, TraineeView};
use kangyang_app::AppError;
use kangyang_domain::canteen::CanteenMode;
use kangyang_domain::facility::FacilityKind;
use kangyang_domain::kangyuan::ServiceKind;
use kangyang_domain::Action;
use kangyang_store::facility::STAR_TEMPLATE;
use serde::Deserialize;
use std::collections::HashMap;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .post("/facilities/{facility}/relocations", SignedIn, relocate)
        .get("/facilities", SignedIn, list)
        .post("/facilities", SignedIn, create)
        .get("/facilities/new", SignedIn, new_form)
        .get("/facilities/{facility}", SignedIn, show)
}

#[derive(Template)]
#[template(path = "facility/list.html")]
struct FacilitiesPage {
    nav: Nav,
    facilities: Vec<FacilityView>,
    kinds: Vec<(&'static str, &'static str)>,
    kind: String,
    region: String,
    can_manage: bool,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<FacilityQuery>,
) -> Result<Response, PageError> {
    let actor = &session.actor;
    // A facility user has one facility: their list is their page.
    if let Some(own) = actor.scope.facility_id() {
        return Ok(Redirect::to(&format!("/facilities/{own}")).into_response());
    }
    let facilities = facility::list(&state.app, actor, &q).await?;
    html(FacilitiesPage {
        nav: Nav::of(actor),
        facilities,
        kinds: FacilityKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        kind: q.kind.unwrap_or_default(),
        region: q.region.unwrap_or_default(),
        can_manage: actor.can(Action::FacilityManage),
    })
}

#[derive(Template)]
#[template(path = "facility/show.html")]
struct FacilityPage {
    nav: Nav,
    d: FacilityDetail,
    trainees: Vec<TraineeView>,
    ratings: Vec<RatingView>,
    services: Vec<ServiceView>,
    orders: Vec<OrderView>,
    can_manage: bool,
    service_kinds: Vec<(&'static str, &'static str)>,
    month: String,
    can_record: bool,
    message: Option<String>,
    error: Option<String>,
    /// Elder canteens: their mode and pages (counter, menus, settlement).
    is_canteen: bool,
    canteen_mode: Option<&'static str>,
    canteen_modes: Vec<(&'static str, &'static str)>,
    last_month: String,
    /// Clinic agreements and a station's work.
    care: crate::pages::medical_care::CarePanel,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct Flash {
    ok: Option<String>,
}

async fn facility_page(
    state: &AppState,
    session: &crate::session::Session,
    id: i64,
    message: Option<String>,
    error: Option<String>,
) -> Result<FacilityPage, AppError> {
    let app = &state.app;
    let actor = &session.actor;
    let d = facility::detail(app, actor, id).await?;
    let can_record = actor.can(Action::ServiceRecord);
    let trainees = if actor.can(Action::PersonRead) {
        kangyuan::trainees(app, actor, id, false).await?
    } else {
        Vec::new()
    };
    let today = app.today();
    let month = format!("{}-{:02}", today.year(), today.month());
    let is_canteen = d.facility.kind == FacilityKind::ElderCanteen.as_str();
    let canteen_mode = if is_canteen {
        kangyang_app::canteen::mode_of(app, actor, id).await?
    } else {
        None
    };
    Ok(FacilityPage {
        is_canteen,
        canteen_mode: canteen_mode.map(CanteenMode::as_str),
        canteen_modes: CanteenMode::ALL
            .iter()
            .map(|m| (m.as_str(), m.label()))
            .collect(),
        last_month: crate::pages::canteen::month_step(&month, false),
        nav: Nav::of(actor),
        trainees,
        ratings: assessment::facility_history(app, actor, id, STAR_TEMPLATE).await?,
        services: kangyuan::services(app, actor, id).await?,
        orders: kangyuan::orders(app, actor, id).await?,
        service_kinds: ServiceKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        month,
        can_record,
        can_manage: actor.can(Action::FacilityManage),
        message,
        error,
        care: crate::pages::medical_care::panel(state, session, id, &d).await?,
        d,
    })
}

pub(crate) async fn show(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Query(flash): Query<Flash>,
) -> Result<Response, PageError> {
    let message = match flash.ok.as_deref() {
        Some("enrolled") => Some("已登记入托".to_owned()),
        Some("service") => Some("服务记录已保存".to_owned()),
        Some("output") => Some("产量已登记".to_owned()),
        Some("moved") => Some("已迁入新址，旧址记入场地沿革".to_owned()),
        Some("mode") => Some("饭堂运营模式已保存".to_owned()),
        Some("brand") => Some("品牌项目已创建".to_owned()),
        Some("milestone") => Some("里程碑已保存".to_owned()),
        Some("brand_score") => Some("评比得分已保存".to_owned()),
        Some(other) => crate::pages::medical_care::flash(other)
            .or_else(|| crate::pages::kangyuan_forms::flash(other))
            .map(str::to_owned),
        None => None,
    };
    html(facility_page(&state, &session, facility, message, None).await?)
}

/// Renders the centre page again with the error of a form, keeping the status.
pub(crate) async fn page_with_error(
    state: &AppState,
    session: &crate::session::Session,
    facility: i64,
    e: AppError,
) -> Result<Response, PageError> {
    let status = match &e {
        AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        _ => return Err(e.into()),
    };
    let page = facility_page(state, session, facility, None, Some(e.to_string())).await?;
    Ok((status, axum::response::Html(page.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "facility/form.html")]
struct FacilityFormPage {
    nav: Nav,
    kinds: Vec<(&'static str, &'static str)>,
    values: HashMap<String, String>,
    error: Option<String>,
}

pub(crate) async fn new_form(PageSession(session): PageSession) -> Result<Response, PageError> {
    html(FacilityFormPage {
        nav: Nav::of(&session.actor),
        kinds: FacilityKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        values: HashMap::new(),
        error: None,
    })
}

pub(crate) async fn create(
    State(state): State<AppState>,
    CsrfForm { session, form }: CsrfForm<FacilityInput>,
) -> Result<Response, PageError> {
    match facility::create(&state.app, &session.actor, &form).await {
        Ok(id) => Ok(Redirect::to(&format!("/facilities/{id}")).into_response()),
        Err(e @ AppError::Invalid { .. }) => {
            let page = FacilityFormPage {
                nav: Nav::of(&session.actor),
                kinds: FacilityKind::ALL
                    .iter()
                    .map(|k| (k.as_str(), k.label()))
                    .collect(),
                error: Some(e.to_string()),
                values: typed_back(&form),
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::response::Html(page.render()?),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The form's values as typed, by field name, for the form shown again.
fn typed_back(i: &FacilityInput) -> HashMap<String, String> {
    [
        ("name", &i.name),
        ("kind", &i.kind),
        ("region", &i.region),
        ("address", &i.address),
        ("longitude", &i.longitude),
        ("latitude", &i.latitude),
        ("floor_area_m2", &i.floor_area_m2),
        ("capacity", &i.capacity),
        ("opening_hours", &i.opening_hours),
        ("opening_days", &i.opening_days),
        ("operator", &i.operator),
        ("contact_name", &i.contact_name),
        ("contact_phone", &i.contact_phone),
        ("villages", &i.villages),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.clone()))
    .collect()
}

/// A relocation from the centre page.
pub(crate) async fn relocate(
    State(state): State<AppState>,
    Path(facility): Path<i64>,
    CsrfForm { session, form }: CsrfForm<RelocationInput>,
) -> Result<Response, PageError> {
    match facility::relocate(&state.app, &session.actor, facility, &form).await {
        Ok(()) => Ok(Redirect::to(&format!("/facilities/{facility}?ok=moved")).into_response()),
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}
