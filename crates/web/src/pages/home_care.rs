//! Home-care service orders in the browser: the operator's dashboard, order
//! list and order page, the provider's page (caregivers, settlement, score)
//! and the caregiver's phone page for checking in and out (the API is
//! `api/home_care.rs`).

use crate::api::home_care::MonthParam;
use crate::error::PageError;
use crate::pages::Nav;
use crate::pages::{month_or_this, xlsx};
use crate::routes::{Access, Routes};
use crate::session::{CsrfForm, PageSession, Session};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kangyang_app::home_care::{
    self, CallbackInput, CaregiverInput, CaregiverView, CatalogueView, ComplaintView, Dashboard,
    OrderDetail, OrderInput, OrderQuery, OrderView, Position, ProviderScore, ProviderSettlement,
    ProviderView, RatingInput, ReviewInput,
};
use kangyang_app::AppError;
use kangyang_domain::home_care::{Channel, OrderState};
use kangyang_domain::money::Fen;
use serde::Deserialize;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get("/home-care", SignedIn, dashboard)
        .get("/home-care/visits", SignedIn, visits)
        .get("/home-care/orders", SignedIn, list)
        .post("/home-care/orders", SignedIn, create)
        .get("/home-care/orders/new", SignedIn, new_form)
        .get("/home-care/orders/{care_order}", SignedIn, show)
        .post("/home-care/orders/{care_order}", SignedIn, act)
        .get("/home-care/orders/{care_order}/visit", SignedIn, visit)
        .post(
            "/home-care/orders/{care_order}/visit",
            SignedIn,
            visit_submit,
        )
        .get("/home-care/providers/{provider}", SignedIn, provider)
        .post("/home-care/providers/{provider}", SignedIn, provider_act)
        .get(
            "/home-care/providers/{provider}/settlement.xlsx",
            SignedIn,
            settlement_xlsx,
        )
}

fn yuan(fen: i64) -> String {
    Fen(fen).yuan_string()
}

fn status_of(error: &Option<String>) -> StatusCode {
    if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

/// A use case's refusal that the page shows next to the form.
fn shown(e: AppError) -> Result<String, PageError> {
    match e {
        e @ (AppError::Invalid { .. } | AppError::Conflict(_)) => Ok(e.to_string()),
        e => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "home_care/dashboard.html")]
struct DashboardPage {
    nav: Nav,
    d: Dashboard,
    /// The count tables: by state, item, town and provider.
    groups: Vec<(&'static str, Vec<home_care::CountLine>)>,
    providers: Vec<ProviderView>,
    complaints: Vec<ComplaintView>,
}

impl DashboardPage {
    fn yuan(&self, fen: impl std::borrow::Borrow<i64>) -> String {
        yuan(*fen.borrow())
    }
}

pub(crate) async fn dashboard(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(p): Query<MonthParam>,
) -> Result<Response, PageError> {
    let month = month_or_this(&state, &p.month);
    let d = home_care::dashboard(&state.app, &session.actor, &month).await?;
    let providers = home_care::providers(&state.app, &session.actor).await?;
    let complaints = home_care::complaints(&state.app, &session.actor)
        .await?
        .into_iter()
        .filter(|c| c.open)
        .collect();
    let groups = vec![
        ("按状态", d.by_state.clone()),
        ("按服务项目", d.by_item.clone()),
        ("按镇（街道）", d.by_town.clone()),
        ("按服务机构", d.by_provider.clone()),
    ];
    Ok(Html(
        DashboardPage {
            nav: Nav::of(&session.actor),
            d,
            groups,
            providers,
            complaints,
        }
        .render()?,
    )
    .into_response())
}

#[derive(Template)]
#[template(path = "home_care/orders.html")]
struct OrdersPage {
    nav: Nav,
    orders: Vec<OrderView>,
    q: OrderQuery,
    states: Vec<(&'static str, &'static str)>,
    /// The caregiver's phone list rather than the office's table.
    phone: bool,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<OrderQuery>,
) -> Result<Response, PageError> {
    let orders = home_care::orders(&state.app, &session.actor, &q).await?;
    Ok(Html(
        OrdersPage {
            nav: Nav::of(&session.actor),
            orders,
            phone: false,
            q,
            states: OrderState::ALL
                .iter()
                .map(|s| (s.as_str(), s.label()))
                .collect(),
        }
        .render()?,
    )
    .into_response())
}

/// The caregiver's phone list: their open orders (their provider's, for
/// staff without a caregiver record).
pub(crate) async fn visits(
    State(state): State<AppState>,
    PageSession(session): PageSession,
) -> Result<Response, PageError> {
    let mut q = OrderQuery {
        open: "1".into(),
        mine: "1".into(),
        ..OrderQuery::default()
    };
    let mut orders = home_care::orders(&state.app, &session.actor, &q).await?;
    if orders.is_empty() {
        q.mine.clear();
        orders = home_care::orders(&state.app, &session.actor, &q).await?;
    }
    orders.retain(|o| matches!(o.state.as_str(), "accepted" | "on_site"));
    orders.reverse();
    Ok(Html(
        OrdersPage {
            nav: Nav::of(&session.actor),
            orders,
            phone: true,
            q,
            states: Vec::new(),
        }
        .render()?,
    )
    .into_response())
}

#[derive(Template)]
#[template(path = "home_care/order_form.html")]
struct OrderFormPage {
    nav: Nav,
    catalogue: CatalogueView,
    channels: Vec<(&'static str, &'static str)>,
    input: FormValues,
    error: Option<String>,
}

/// The order form's fields, as sent and as shown again with a refusal.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct FormValues {
    person_id: String,
    id_number: String,
    item: String,
    quantity: String,
    scheduled_at: String,
    channel: String,
    notes: String,
}

async fn order_form(
    state: &AppState,
    session: &Session,
    input: FormValues,
    error: Option<String>,
) -> Result<Response, PageError> {
    let catalogue = home_care::catalogue_view(&state.app, &session.actor).await?;
    let status = status_of(&error);
    let page = OrderFormPage {
        nav: Nav::of(&session.actor),
        catalogue,
        channels: Channel::ALL
            .iter()
            .map(|c| (c.as_str(), c.label()))
            .collect(),
        input,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct NewParam {
    person: String,
}

pub(crate) async fn new_form(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(p): Query<NewParam>,
) -> Result<Response, PageError> {
    let now = kangyang_app::civil::datetime(state.app.now() + 3600);
    let input = FormValues {
        person_id: p.person,
        quantity: "1".into(),
        scheduled_at: format!("{}T{}", &now[..10], &now[11..16]),
        channel: Channel::Hotline.as_str().into(),
        ..FormValues::default()
    };
    order_form(&state, &session, input, None).await
}

pub(crate) async fn create(
    State(state): State<AppState>,
    CsrfForm {
        session,
        form: values,
    }: CsrfForm<FormValues>,
) -> Result<Response, PageError> {
    let person_id = match values.person_id.trim() {
        "" => None,
        p => match p.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                return order_form(&state, &session, values, Some("老人编号应为数字".into())).await
            }
        },
    };
    let input = OrderInput {
        person_id,
        id_number: values.id_number.clone(),
        item: values.item.clone(),
        quantity: values.quantity.clone(),
        scheduled_at: values.scheduled_at.clone(),
        channel: values.channel.clone(),
        notes: values.notes.clone(),
    };
    match home_care::create_order(&state.app, &session.actor, &input).await {
        Ok(created) => {
            Ok(Redirect::to(&format!("/home-care/orders/{}", created.id)).into_response())
        }
        Err(e) => {
            let message = shown(e)?;
            order_form(&state, &session, values, Some(message)).await
        }
    }
}

#[derive(Template)]
#[template(path = "home_care/order.html")]
struct OrderPage {
    nav: Nav,
    d: OrderDetail,
    /// What the signed-in user may do here.
    may_dispatch: bool,
    may_accept: bool,
    may_visit: bool,
    may_rate: bool,
    may_review: bool,
    error: Option<String>,
}

impl OrderPage {
    fn stars(&self) -> String {
        "★".repeat(self.d.order.rating.unwrap_or(0).clamp(0, 5) as usize)
    }

    fn assigned(&self, caregiver: impl std::borrow::Borrow<i64>) -> bool {
        self.d.order.caregiver_id == Some(*caregiver.borrow())
    }
}

async fn order_page(
    state: &AppState,
    session: &Session,
    id: i64,
    error: Option<String>,
) -> Result<Response, PageError> {
    let d = home_care::order(&state.app, &session.actor, id).await?;
    let actor = &session.actor;
    use kangyang_domain::Action;
    let own_provider =
        actor.scope.facility_id().is_some() && actor.scope.facility_id() == d.order.provider_id;
    let bureau_side = !own_provider;
    let state_is = |s: &str| d.order.state == s;
    let page = OrderPage {
        may_dispatch: bureau_side
            && actor.can(Action::ServiceRecord)
            && (state_is("requested") || state_is("dispatched")),
        may_accept: actor.can(Action::ServiceRecord)
            && (own_provider || actor.scope.facility_id().is_none())
            && (state_is("dispatched") || state_is("accepted")),
        may_visit: own_provider && (state_is("accepted") || state_is("on_site")),
        may_rate: bureau_side && actor.can(Action::PersonWrite),
        may_review: actor.can(Action::FacilityManage) && d.order.held(),
        nav: Nav::of(actor),
        d,
        error,
    };
    let status = status_of(&page.error);
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn show(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    order_page(&state, &session, id, None).await
}

/// The order page's forms: `do` names the step, the other fields are those
/// of its form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ActForm {
    #[serde(rename = "do")]
    step: String,
    provider_id: String,
    caregiver_id: String,
    stars: String,
    by: String,
    comment: String,
    reason: String,
    outcome: String,
    note: String,
    text: String,
    reached: String,
    service_confirmed: String,
    satisfied: String,
    notes: String,
}

pub(crate) async fn act(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { session, form }: CsrfForm<ActForm>,
) -> Result<Response, PageError> {
    let (app, actor) = (&state.app, &session.actor);
    let number = |v: &str| v.trim().parse::<i64>().ok();
    let result = match form.step.as_str() {
        "dispatch" => home_care::dispatch(app, actor, id, number(&form.provider_id))
            .await
            .map(|_| ()),
        "accept" => home_care::accept(app, actor, id, number(&form.caregiver_id)).await,
        "rate" => {
            home_care::rate(
                app,
                actor,
                id,
                &RatingInput {
                    stars: form.stars,
                    by: form.by,
                    comment: form.comment,
                },
            )
            .await
        }
        "cancel" => home_care::cancel(app, actor, id, &form.reason).await,
        "review" => {
            home_care::review(
                app,
                actor,
                id,
                &ReviewInput {
                    outcome: form.outcome,
                    note: form.note,
                },
            )
            .await
        }
        "complain" => home_care::complain(app, actor, id, &form.text)
            .await
            .map(|_| ()),
        "callback" => {
            home_care::record_callback(
                app,
                actor,
                id,
                &CallbackInput {
                    reached: form.reached == "1",
                    service_confirmed: form.service_confirmed == "1",
                    satisfied: form.satisfied == "1",
                    notes: form.notes,
                },
            )
            .await
        }
        _ => Err(AppError::invalid_field("do", "操作", "未知的操作")),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/home-care/orders/{id}")).into_response()),
        Err(e) => {
            let message = shown(e)?;
            order_page(&state, &session, id, Some(message)).await
        }
    }
}

#[derive(Template)]
#[template(path = "home_care/visit.html")]
struct VisitPage {
    nav: Nav,
    o: OrderView,
    error: Option<String>,
}

async fn visit_page(
    state: &AppState,
    session: &Session,
    id: i64,
    error: Option<String>,
) -> Result<Response, PageError> {
    let d = home_care::order(&state.app, &session.actor, id).await?;
    let status = status_of(&error);
    let page = VisitPage {
        nav: Nav::of(&session.actor),
        o: d.order,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The caregiver's phone page for one visit: check in, then check out.
pub(crate) async fn visit(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    visit_page(&state, &session, id, None).await
}

/// The phone page's form: `do` is check_in or check_out.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct VisitForm {
    #[serde(rename = "do")]
    step: String,
    longitude: String,
    latitude: String,
}

pub(crate) async fn visit_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm { session, form }: CsrfForm<VisitForm>,
) -> Result<Response, PageError> {
    let at = Position {
        longitude: form.longitude,
        latitude: form.latitude,
    };
    let result = match form.step.as_str() {
        "check_in" => home_care::check_in(&state.app, &session.actor, id, &at).await,
        "check_out" => home_care::check_out(&state.app, &session.actor, id, &at)
            .await
            .map(|_| ()),
        _ => Err(AppError::invalid_field("do", "操作", "请选择签到或签退")),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/home-care/orders/{id}/visit")).into_response()),
        Err(e) => {
            let message = shown(e)?;
            visit_page(&state, &session, id, Some(message)).await
        }
    }
}

#[derive(Template)]
#[template(path = "home_care/provider.html")]
struct ProviderPage {
    nav: Nav,
    provider_id: i64,
    caregivers: Vec<CaregiverView>,
    s: ProviderSettlement,
    may_score: bool,
    score: Option<ProviderScore>,
    error: Option<String>,
}

impl ProviderPage {
    fn yuan(&self, fen: impl std::borrow::Borrow<i64>) -> String {
        yuan(*fen.borrow())
    }
}

async fn provider_page(
    state: &AppState,
    session: &Session,
    provider: i64,
    month: &str,
    score: Option<ProviderScore>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let caregivers = home_care::caregivers(&state.app, &session.actor, provider).await?;
    let s = home_care::settlement(&state.app, &session.actor, provider, month).await?;
    let status = status_of(&error);
    let page = ProviderPage {
        nav: Nav::of(&session.actor),
        provider_id: provider,
        caregivers,
        s,
        may_score: session.actor.can(kangyang_domain::Action::FacilityManage),
        score,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub(crate) async fn provider(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(provider): Path<i64>,
    Query(p): Query<MonthParam>,
) -> Result<Response, PageError> {
    let month = month_or_this(&state, &p.month);
    provider_page(&state, &session, provider, &month, None, None).await
}

/// The provider page's forms: `do` is caregiver (add one) or score (a month).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ProviderForm {
    #[serde(rename = "do")]
    step: String,
    month: String,
    name: String,
    qualification: String,
    phone: String,
    username: String,
}

pub(crate) async fn provider_act(
    State(state): State<AppState>,
    Path(provider): Path<i64>,
    CsrfForm { session, form }: CsrfForm<ProviderForm>,
) -> Result<Response, PageError> {
    let month = month_or_this(&state, &form.month);
    let (app, actor) = (&state.app, &session.actor);
    match form.step.as_str() {
        "caregiver" => {
            let input = CaregiverInput {
                name: form.name,
                qualification: form.qualification,
                phone: form.phone,
                username: form.username,
            };
            match home_care::add_caregiver(app, actor, provider, &input).await {
                Ok(_) => {
                    Ok(Redirect::to(&format!("/home-care/providers/{provider}")).into_response())
                }
                Err(e) => {
                    let message = shown(e)?;
                    provider_page(&state, &session, provider, &month, None, Some(message)).await
                }
            }
        }
        "score" => match home_care::score_provider(app, actor, provider, &month).await {
            Ok(score) => provider_page(&state, &session, provider, &month, Some(score), None).await,
            Err(e) => {
                let message = shown(e)?;
                provider_page(&state, &session, provider, &month, None, Some(message)).await
            }
        },
        _ => {
            provider_page(
                &state,
                &session,
                provider,
                &month,
                None,
                Some("操作: 未知的操作".into()),
            )
            .await
        }
    }
}

/// The settlement sheet (xlsx) the provider signs and the bureau pays by.
pub(crate) async fn settlement_xlsx(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(provider): Path<i64>,
    Query(p): Query<MonthParam>,
) -> Result<Response, PageError> {
    let month = month_or_this(&state, &p.month);
    let bytes = home_care::settlement_xlsx(&state.app, &session.actor, provider, &month).await?;
    Ok(xlsx(
        &format!("home-care-settlement-{provider}-{month}.xlsx"),
        bytes,
    ))
}
