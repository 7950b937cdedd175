//! Orders: taking a request, lists and the order page, and each step of an
//! order's life (dispatch, accept, check in and out, rate, cancel).

use super::{
    callback_view, caregiver_view, catalogue, complaint_view, desk, elder_of, entitlement_rules,
    month_of, operator_only, parse_point, person_scope, provider_scope, scoped_order, CallbackView,
    CaregiverView, ComplaintView, Desk,
};
use crate::actor::Who;
use crate::audit::Event;
use crate::kangyuan::parse_month;
use crate::{civil, Actor, App, AppError, Result};
use kangyang_domain::home_care::{
    self as rules, entitlement_for, is_late, next_state, price_of, split_order, visit_anomalies,
    Anomaly, Channel, GeoPoint, OrderState, Span, Step, Visit, DEFAULT_ANOMALY_RULES,
    DEFAULT_TIME_LIMITS,
};
use kangyang_domain::money::Fen;
use kangyang_domain::register::ELDERLY_AGE;
use kangyang_domain::{Action, CivilDate, IdNumber};
use kangyang_store::home_care::{self as store, OrderFilter, OrderRow, OrderScope, StepColumns};
use kangyang_store::register;
use kangyang_store::Conn;
use serde::{Deserialize, Serialize};

/// A request for service, as the operator types it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct OrderInput {
    /// The person, by register id (officials) …
    pub person_id: Option<i64>,
    /// … or by ID number, as the caller gives it.
    pub id_number: String,
    /// An item code of the catalogue, e.g. bathing.
    pub item: String,
    /// Units: hours or visits; 1 when left out.
    pub quantity: String,
    /// When the visit is booked for: "YYYY-MM-DD HH:MM" (or with a T).
    pub scheduled_at: String,
    /// hotline, social_worker, family or care_plan; hotline when left out.
    pub channel: String,
    pub notes: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderCreated {
    pub id: i64,
    pub entitlement: Option<String>,
    pub government_fen: i64,
    pub personal_fen: i64,
    pub government: String,
    pub personal: String,
}

/// "YYYY-MM-DD HH:MM" (or "YYYY-MM-DDTHH:MM", as a datetime-local input
/// sends it) in Shanghai time, as Unix seconds and its civil date.
fn parse_time(key: &str, label: &str, s: &str) -> Result<(i64, CivilDate)> {
    let bad =
        || AppError::invalid_field(key, label, "时间应为 YYYY-MM-DD HH:MM，如 2026-03-05 09:30");
    let s = s.trim();
    let (date, time) = s
        .split_once(['T', ' '])
        .ok_or_else(bad)
        .map(|(d, t)| (d.trim(), t.trim()))?;
    let day = CivilDate::parse(date).map_err(|_| bad())?;
    let mut hm = time.split(':');
    let h: i64 = hm.next().and_then(|h| h.parse().ok()).ok_or_else(bad)?;
    let m: i64 = hm.next().and_then(|m| m.parse().ok()).ok_or_else(bad)?;
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return Err(bad());
    }
    let start = civil::day_start(&day.to_string()).ok_or_else(bad)?;
    Ok((start + h * 3600 + m * 60, day))
}

/// Takes a request for service: the person, an item, when; the price is
/// split by the person's entitlement for that month at once.
pub async fn create_order(app: &App, actor: &Actor, input: &OrderInput) -> Result<OrderCreated> {
    app.require(actor, Action::PersonWrite).await?;
    let desk = desk(app, actor).await?;
    if let Desk::Provider(_) = desk {
        app.audit_denied(actor, "home_care.order.create", "home_care_order", "")
            .await?;
        return Err(AppError::Forbidden);
    }
    let scope = person_scope(actor, desk);
    let mut conn = app.store().read().await?;
    let person_id = match (input.person_id, input.id_number.trim()) {
        (Some(id), _) => Some(id),
        (None, "") => {
            return Err(AppError::invalid_field(
                "person_id",
                "老人",
                "请给出老人或其身份证号",
            ))
        }
        (None, number) => {
            let number = IdNumber::parse(number)
                .map_err(|e| AppError::invalid_field("id_number", "身份证号", e.to_string()))?;
            let index = app
                .keys()
                .blind_index(crate::register::ID_KIND, number.as_str());
            register::find_by_id_index(&mut conn, &index)
                .await?
                .map(|(id, _, _)| id)
        }
    };
    let person = match person_id {
        Some(id) => register::get(&mut conn, &scope, id).await?,
        None => None,
    };
    let Some(person) = person else {
        drop(conn);
        let object = person_id.map(|id| id.to_string()).unwrap_or_default();
        app.audit_denied(actor, "home_care.order.create", "person", &object)
            .await?;
        return Err(match input.person_id {
            Some(_) => AppError::NotFound,
            None => AppError::invalid_field(
                "id_number",
                "老人",
                "在您管辖范围的人员名册中找不到此人：请核对身份证号，或先登记",
            ),
        });
    };
    let items = catalogue(&mut conn).await?;
    let item = items
        .iter()
        .find(|i| i.code == input.item.trim() || i.name == input.item.trim())
        .ok_or_else(|| {
            AppError::invalid_field(
                "item",
                "服务项目",
                format!(
                    "应为以下之一：{}",
                    items
                        .iter()
                        .map(|i| i.name.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            )
        })?;
    let quantity = match input.quantity.trim() {
        "" => 1,
        q => q
            .parse::<u32>()
            .ok()
            .filter(|q| (1..=8).contains(q))
            .ok_or_else(|| {
                AppError::invalid_field("quantity", "数量", "应为 1 到 8 的整数（小时或次）")
            })?,
    };
    let (scheduled_at, day) = parse_time("scheduled_at", "预约时间", &input.scheduled_at)?;
    let now = app.now();
    if scheduled_at < now - 86_400 || scheduled_at > now + 62 * 86_400 {
        return Err(AppError::invalid_field(
            "scheduled_at",
            "预约时间",
            "应在昨天到两个月之内",
        ));
    }
    let channel = match input.channel.trim() {
        "" => Channel::Hotline,
        c => Channel::parse(c).ok_or_else(|| {
            AppError::invalid_field(
                "channel",
                "来源",
                "应为养老服务热线、社工转介、家属申请或照护计划",
            )
        })?,
    };
    let notes = input.notes.trim();
    if notes.chars().count() > 500 {
        return Err(AppError::invalid_field("notes", "备注", "不超过 500 字"));
    }
    let elder = elder_of(&person, day)?;
    if elder.age < ELDERLY_AGE {
        return Err(AppError::invalid_field(
            "person_id",
            "老人",
            "居家养老上门服务面向 60 岁及以上的老年人",
        ));
    }
    kangyang_domain::life::service_allowed_stored(
        &person.status,
        person.status_date.as_deref(),
        day,
        kangyang_domain::life::Service::HomeCare,
    )
    .map_err(|refused| AppError::invalid_field("scheduled_at", "预约时间", refused.to_string()))?;
    let rules = entitlement_rules(&mut conn).await?;
    drop(conn);
    let price = price_of(item, quantity)
        .ok_or_else(|| AppError::invalid_field("quantity", "数量", "金额过大"))?;
    let rule = entitlement_for(&rules, &elder).cloned();
    let month = month_of(day);
    let (mut tx, _guard) = app.store().begin_audited().await?;
    // Read what was used inside the transaction that adds the order, so two
    // operators booking at once cannot both spend the same remainder.
    let used = store::used_in_month(&mut tx, person.id, &month).await?;
    let split = match &rule {
        Some(r) => split_order(
            price,
            Fen(r.monthly.0.saturating_sub(used)),
            r.personal_share_per_mille,
        ),
        None => split_order(price, Fen(0), 0),
    };
    let id = store::insert_order(
        &mut tx,
        &store::NewOrder {
            person_id: person.id,
            village_code: &person.village_code,
            item_code: &item.code,
            item_name: &item.name,
            quantity: i64::from(quantity),
            standard_minutes: i64::from(item.standard_minutes) * i64::from(quantity),
            unit_price_fen: item.price.0,
            government_fen: split.government.0,
            personal_fen: split.personal.0,
            entitlement_code: rule.as_ref().map(|r| r.code.as_str()).unwrap_or(""),
            month: &month,
            channel: channel.as_str(),
            notes,
            scheduled_at,
            state: OrderState::Requested.as_str(),
            created_by: Some(actor.user_id),
        },
        now,
    )
    .await?;
    store::add_event(
        &mut tx,
        id,
        "request",
        OrderState::Requested.as_str(),
        Some(actor.user_id),
        channel.label(),
        now,
    )
    .await?;
    let mut event = Event::ok("home_care.order.create", "person", person.id.to_string());
    event.detail = serde_json::json!({ "order": id, "item": item.code, "channel": channel.as_str(),
        "government_fen": split.government.0, "personal_fen": split.personal.0 });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(OrderCreated {
        id,
        entitlement: rule.map(|r| r.name),
        government_fen: split.government.0,
        personal_fen: split.personal.0,
        government: split.government.yuan_string(),
        personal: split.personal.yuan_string(),
    })
}

/// An order as lists and its page show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderView {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub address: String,
    pub village: String,
    pub item: String,
    pub item_name: String,
    pub quantity: i64,
    pub standard_minutes: i64,
    pub scheduled_at: String,
    pub channel: String,
    pub state: String,
    pub state_label: &'static str,
    /// Past its current state's time limit now.
    pub late: bool,
    /// When the current state must end, if it has a limit.
    pub due_at: Option<String>,
    /// Late in some state at some point.
    pub was_late: bool,
    pub provider_id: Option<i64>,
    pub provider: Option<String>,
    pub caregiver_id: Option<i64>,
    pub caregiver: Option<String>,
    pub check_in_at: Option<String>,
    pub check_out_at: Option<String>,
    /// Whether the phone gave a position at check-in.
    pub check_in_located: bool,
    pub minutes_on_site: Option<i64>,
    pub government_fen: i64,
    pub personal_fen: i64,
    pub government: String,
    pub personal: String,
    pub anomalies: Vec<String>,
    /// "" (not reviewed or nothing to review), confirmed or rejected.
    pub review: String,
    pub review_note: String,
    pub rating: Option<i64>,
    pub rating_by: String,
    pub rating_comment: String,
    pub cancel_reason: String,
    pub notes: String,
    pub created_at: String,
}

impl OrderView {
    /// Flagged and waiting for a reviewer.
    pub fn held(&self) -> bool {
        !self.anomalies.is_empty() && self.review.is_empty()
    }
}

pub(super) fn anomalies_of(json: &str) -> Vec<Anomaly> {
    serde_json::from_str(json).unwrap_or_default()
}

pub(super) fn order_view(o: OrderRow, now: i64) -> OrderView {
    let state = OrderState::parse(&o.state);
    let standard = u32::try_from(o.standard_minutes).unwrap_or(0);
    let due = state.and_then(|s| {
        rules::deadline(
            s,
            o.state_since,
            o.scheduled_at,
            standard,
            &DEFAULT_TIME_LIMITS,
        )
    });
    OrderView {
        id: o.id,
        person_id: o.person_id,
        person_name: o.person_name,
        address: o.address,
        village: o.village_name,
        item: o.item_code,
        item_name: o.item_name,
        quantity: o.quantity,
        standard_minutes: o.standard_minutes,
        scheduled_at: short_time(o.scheduled_at),
        channel: Channel::parse(&o.channel)
            .map(Channel::label)
            .unwrap_or("")
            .to_owned(),
        state_label: state.map(OrderState::label).unwrap_or(""),
        state: o.state,
        late: due.is_some_and(|d| now > d),
        due_at: due.map(short_time),
        was_late: o.was_late != 0,
        provider_id: o.provider_id,
        provider: o.provider_name,
        caregiver_id: o.caregiver_id,
        caregiver: o.caregiver_name,
        check_in_at: o.check_in_at.map(short_time),
        check_out_at: o.check_out_at.map(short_time),
        check_in_located: o.check_in_lon_e6.is_some(),
        minutes_on_site: o.check_in_at.zip(o.check_out_at).map(|(a, b)| (b - a) / 60),
        government_fen: o.government_fen,
        personal_fen: o.personal_fen,
        government: Fen(o.government_fen).yuan_string(),
        personal: Fen(o.personal_fen).yuan_string(),
        anomalies: anomalies_of(&o.anomalies)
            .iter()
            .map(Anomaly::describe)
            .collect(),
        review: o.review,
        review_note: o.review_note,
        rating: o.rating,
        rating_by: o.rating_by,
        rating_comment: o.rating_comment,
        cancel_reason: o.cancel_reason,
        notes: o.notes,
        created_at: short_time(o.created_at),
    }
}

/// "2026-03-05 09:30".
pub(super) fn short_time(unix: i64) -> String {
    let mut s = civil::datetime(unix);
    s.truncate(16);
    s
}

/// What an order list asks for.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// A state code, e.g. requested.
    pub state: String,
    /// YYYY-MM.
    pub month: String,
    pub provider: Option<i64>,
    pub person: Option<i64>,
    /// "1": only the signed-in caregiver's orders.
    pub mine: String,
    /// "1": only flagged orders not yet reviewed.
    pub unreviewed: String,
    /// "1": only orders not finished or cancelled.
    pub open: String,
    /// "1": only orders past their current state's time limit now.
    pub late: String,
}

/// Orders in the actor's scope: a provider's staff see their provider's.
pub async fn orders(app: &App, actor: &Actor, q: &OrderQuery) -> Result<Vec<OrderView>> {
    app.require(actor, Action::PersonRead).await?;
    let state = match q.state.trim() {
        "" => None,
        s => Some(
            OrderState::parse(s)
                .ok_or_else(|| AppError::invalid_field("state", "工单状态", "工单状态不存在"))?
                .as_str()
                .to_owned(),
        ),
    };
    let month = match q.month.trim() {
        "" => None,
        m => {
            let (y, m) = parse_month(m)?;
            Some(format!("{y}-{m:02}"))
        }
    };
    let mut conn = app.store().read().await?;
    let caregiver_id = if q.mine == "1" {
        match store::caregiver_of_user(&mut conn, actor.user_id).await? {
            Some(c) => Some(c.id),
            None => return Ok(Vec::new()),
        }
    } else {
        None
    };
    let rows = store::orders(
        &mut conn,
        &OrderScope::from(&actor.scope),
        &OrderFilter {
            state,
            provider_id: q.provider,
            person_id: q.person,
            month,
            caregiver_id,
            unreviewed: q.unreviewed == "1",
            open: q.open == "1",
            limit: 500,
        },
    )
    .await?;
    let now = app.now();
    Ok(rows
        .into_iter()
        .map(|o| order_view(o, now))
        .filter(|o| q.late != "1" || o.late)
        .collect())
}

/// A provider that could take an order, best first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderChoice {
    pub id: i64,
    pub name: String,
    /// Serves the person's village.
    pub serves_village: bool,
    /// Orders booked on the order's day, and the provider's daily capacity.
    pub booked: i64,
    pub capacity: Option<i64>,
    pub has_room: bool,
    /// The automatic suggestion.
    pub suggested: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub at: String,
    pub step: String,
    pub state_label: &'static str,
    pub by: String,
    pub note: String,
}

/// An order with its history, complaints, call-back and (for the operator
/// of an order not yet accepted) the providers it could go to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderDetail {
    pub order: OrderView,
    pub events: Vec<EventView>,
    pub complaints: Vec<ComplaintView>,
    pub callback: Option<CallbackView>,
    pub providers: Vec<ProviderChoice>,
    /// The provider's active caregivers (for assigning one).
    pub caregivers: Vec<CaregiverView>,
}

pub async fn order(app: &App, actor: &Actor, id: i64) -> Result<OrderDetail> {
    app.require(actor, Action::PersonRead).await?;
    let row = scoped_order(app, actor, id, "home_care.order.read").await?;
    let desk = desk(app, actor).await?;
    let now = app.now();
    let mut conn = app.store().read().await?;
    let events = store::events(&mut conn, id)
        .await?
        .into_iter()
        .map(|e| EventView {
            at: short_time(e.at),
            step: Step::parse(&e.step)
                .map(Step::label)
                .unwrap_or("受理")
                .to_owned(),
            state_label: OrderState::parse(&e.state)
                .map(OrderState::label)
                .unwrap_or(""),
            by: e.by_name.unwrap_or_default(),
            note: e.note,
        })
        .collect();
    let scope = OrderScope::from(&actor.scope);
    let complaints = store::complaints(&mut conn, &scope, Some(id))
        .await?
        .into_iter()
        .map(complaint_view)
        .collect();
    let callback = store::callbacks(&mut conn, &scope, None, Some(id))
        .await?
        .into_iter()
        .next()
        .map(callback_view);
    let providers = if matches!(row.state.as_str(), "requested" | "dispatched")
        && !matches!(desk, Desk::Provider(_))
    {
        choices(&mut conn, actor, desk, &row).await?
    } else {
        Vec::new()
    };
    let caregivers = match row.provider_id {
        Some(p) if matches!(row.state.as_str(), "dispatched" | "accepted") => {
            store::caregivers(&mut conn, p)
                .await?
                .into_iter()
                .filter(|c| c.active == 1)
                .map(caregiver_view)
                .collect()
        }
        _ => Vec::new(),
    };
    Ok(OrderDetail {
        order: order_view(row, now),
        events,
        complaints,
        callback,
        providers,
        caregivers,
    })
}

async fn choices(
    conn: &mut Conn,
    actor: &Actor,
    desk: Desk,
    order: &OrderRow,
) -> Result<Vec<ProviderChoice>> {
    let day = civil::date_of(order.scheduled_at).to_string();
    let start = civil::day_start(&day).unwrap_or(order.scheduled_at);
    let rows = store::providers(
        conn,
        &provider_scope(actor, desk),
        &order.village_code,
        start,
        start + 86_400,
    )
    .await?;
    let mut choices: Vec<ProviderChoice> = rows
        .into_iter()
        .map(|p| ProviderChoice {
            has_room: p.capacity.is_none_or(|c| p.booked < c),
            serves_village: p.serves > 0,
            id: p.id,
            name: p.name,
            booked: p.booked,
            capacity: p.capacity,
            suggested: false,
        })
        .collect();
    // Those serving the village with room first, least loaded (by share of
    // capacity) first; then the rest, for a manual override.
    let load = |c: &ProviderChoice| match c.capacity {
        Some(cap) if cap > 0 => c.booked * 1000 / cap,
        _ => c.booked,
    };
    choices.sort_by_key(|c| {
        (
            !(c.serves_village && c.has_room),
            !c.serves_village,
            load(c),
            c.id,
        )
    });
    if let Some(first) = choices.first_mut() {
        first.suggested = first.serves_village && first.has_room;
    }
    Ok(choices)
}

/// Whether an order is past its current state's limit now.
fn late_now(o: &OrderRow, now: i64) -> bool {
    OrderState::parse(&o.state).is_some_and(|s| {
        is_late(
            s,
            o.state_since,
            o.scheduled_at,
            u32::try_from(o.standard_minutes).unwrap_or(0),
            &DEFAULT_TIME_LIMITS,
            now,
        )
    })
}

/// Moves an order one step in one transaction with its event and audit row.
async fn move_order(
    app: &App,
    actor: &Actor,
    o: &OrderRow,
    step: Step,
    set: StepColumns<'_>,
    note: &str,
    detail: serde_json::Value,
) -> Result<OrderState> {
    let from = OrderState::parse(&o.state).ok_or_else(|| AppError::internal("order state"))?;
    let to = next_state(from, step).map_err(AppError::Conflict)?;
    let now = app.now();
    let set = StepColumns {
        late: late_now(o, now),
        ..set
    };
    let (mut tx, _guard) = app.store().begin_audited().await?;
    if !store::step(&mut tx, o.id, from.as_str(), to.as_str(), now, &set).await? {
        return Err(AppError::Conflict("工单刚被他人处理，请刷新后再试".into()));
    }
    store::add_event(
        &mut tx,
        o.id,
        step.as_str(),
        to.as_str(),
        Some(actor.user_id),
        note,
        now,
    )
    .await?;
    let action = format!("home_care.order.{}", step.as_str());
    let mut event = Event::ok(&action, "home_care_order", o.id.to_string());
    event.detail = detail;
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(to)
}

/// Dispatches an order to a provider: the one given (a manual override), or
/// the suggestion (a provider serving the village with room that day).
pub async fn dispatch(app: &App, actor: &Actor, id: i64, provider_id: Option<i64>) -> Result<i64> {
    app.require(actor, Action::ServiceRecord).await?;
    let o = scoped_order(app, actor, id, "home_care.order.dispatch").await?;
    let desk = desk(app, actor).await?;
    operator_only(desk, "派单")?;
    if !matches!(o.state.as_str(), "requested" | "dispatched") {
        return Err(AppError::Conflict(
            next_state(
                OrderState::parse(&o.state).unwrap_or(OrderState::Cancelled),
                Step::Dispatch,
            )
            .err()
            .unwrap_or_default(),
        ));
    }
    let mut conn = app.store().read().await?;
    let options = choices(&mut conn, actor, desk, &o).await?;
    drop(conn);
    let chosen = match provider_id {
        Some(p) => options.iter().find(|c| c.id == p).ok_or_else(|| {
            AppError::invalid_field(
                "provider_id",
                "服务机构",
                "在您管辖范围内找不到此居家养老服务中心",
            )
        })?,
        None => options.iter().find(|c| c.suggested).ok_or_else(|| {
            AppError::invalid_field(
                "provider_id",
                "服务机构",
                "没有服务该村（社区）且当天仍有余量的服务机构，请手动指定",
            )
        })?,
    };
    let manual = !chosen.suggested;
    move_order(
        app,
        actor,
        &o,
        Step::Dispatch,
        StepColumns {
            provider_id: Some(chosen.id),
            ..StepColumns::default()
        },
        &if manual {
            format!("人工指派：{}", chosen.name)
        } else {
            chosen.name.clone()
        },
        serde_json::json!({ "provider": chosen.id, "manual": manual }),
    )
    .await?;
    Ok(chosen.id)
}

/// The provider accepts a dispatched order and assigns one of its
/// caregivers (or gives it to another).
pub async fn accept(app: &App, actor: &Actor, id: i64, caregiver_id: Option<i64>) -> Result<()> {
    app.require(actor, Action::ServiceRecord).await?;
    let o = scoped_order(app, actor, id, "home_care.order.accept").await?;
    let desk = desk(app, actor).await?;
    if matches!(desk, Desk::Quality | Desk::Other) {
        return Err(AppError::Conflict(
            "接单和指派护理员由承接的服务机构办理".into(),
        ));
    }
    let from = OrderState::parse(&o.state).unwrap_or(OrderState::Cancelled);
    next_state(from, Step::Accept).map_err(AppError::Conflict)?;
    let caregiver_id = caregiver_id
        .ok_or_else(|| AppError::invalid_field("caregiver_id", "护理员", "请选择护理员"))?;
    let mut conn = app.store().read().await?;
    let caregiver = store::caregiver(&mut conn, caregiver_id).await?;
    drop(conn);
    let caregiver = caregiver
        .filter(|c| Some(c.provider_id) == o.provider_id && c.active == 1)
        .ok_or_else(|| {
            AppError::invalid_field("caregiver_id", "护理员", "此护理员不属于承接的服务机构")
        })?;
    move_order(
        app,
        actor,
        &o,
        Step::Accept,
        StepColumns {
            caregiver_id: Some(caregiver.id),
            ..StepColumns::default()
        },
        &caregiver.name,
        serde_json::json!({ "caregiver": caregiver.id }),
    )
    .await?;
    Ok(())
}

/// Where the phone was, in degrees as text (both empty: no position).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Position {
    pub longitude: String,
    pub latitude: String,
}

/// Only the caregiver's provider checks in and out, and a caregiver with
/// an account only on the orders assigned to them.
async fn caregiver_may(app: &App, actor: &Actor, o: &OrderRow) -> Result<()> {
    let desk = desk(app, actor).await?;
    if desk != Desk::Provider(o.provider_id.unwrap_or(-1)) {
        return Err(AppError::Conflict(
            "签到、签退须由承接机构的护理员在服务现场进行".into(),
        ));
    }
    let mut conn = app.store().read().await?;
    if let Some(me) = store::caregiver_of_user(&mut conn, actor.user_id).await? {
        if o.caregiver_id != Some(me.id) {
            return Err(AppError::Conflict("此工单没有指派给你".into()));
        }
    }
    Ok(())
}

/// The caregiver arrives: the time, and the position when the phone gives it.
pub async fn check_in(app: &App, actor: &Actor, id: i64, at: &Position) -> Result<()> {
    app.require(actor, Action::ServiceRecord).await?;
    let o = scoped_order(app, actor, id, "home_care.order.check_in").await?;
    caregiver_may(app, actor, &o).await?;
    let from = OrderState::parse(&o.state).unwrap_or(OrderState::Cancelled);
    next_state(from, Step::CheckIn).map_err(AppError::Conflict)?;
    let point = parse_point(&at.longitude, &at.latitude)?;
    move_order(
        app,
        actor,
        &o,
        Step::CheckIn,
        StepColumns {
            check_in: Some((point.map(|p| p.longitude_e6), point.map(|p| p.latitude_e6))),
            ..StepColumns::default()
        },
        if point.is_some() {
            "已定位"
        } else {
            "未定位"
        },
        serde_json::json!({ "located": point.is_some() }),
    )
    .await?;
    Ok(())
}

/// The caregiver leaves: the visit is checked against the anomaly rules
/// and, if any applies, held for review.
pub async fn check_out(app: &App, actor: &Actor, id: i64, at: &Position) -> Result<Vec<String>> {
    app.require(actor, Action::ServiceRecord).await?;
    let o = scoped_order(app, actor, id, "home_care.order.check_out").await?;
    caregiver_may(app, actor, &o).await?;
    let from = OrderState::parse(&o.state).unwrap_or(OrderState::Cancelled);
    next_state(from, Step::CheckOut).map_err(AppError::Conflict)?;
    let point = parse_point(&at.longitude, &at.latitude)?;
    let now = app.now();
    let standard = u32::try_from(o.standard_minutes).unwrap_or(0);
    let mut conn = app.store().read().await?;
    let home = store::client(&mut conn, o.person_id)
        .await?
        .and_then(|c| c.longitude_e6.zip(c.latitude_e6))
        .map(|(longitude_e6, latitude_e6)| GeoPoint {
            longitude_e6,
            latitude_e6,
        });
    let start = o.check_in_at.unwrap_or(now - i64::from(standard) * 60);
    let others: Vec<Span> = store::spans_of_person(&mut conn, o.person_id, o.id, start, now)
        .await?
        .into_iter()
        .map(|(order, start, end)| Span { order, start, end })
        .collect();
    drop(conn);
    let found = visit_anomalies(
        &Visit {
            order: o.id,
            home,
            check_in: o.check_in_at,
            check_in_at: o.check_in_lon_e6.zip(o.check_in_lat_e6).map(
                |(longitude_e6, latitude_e6)| GeoPoint {
                    longitude_e6,
                    latitude_e6,
                },
            ),
            check_out: now,
            standard_minutes: standard,
        },
        &others,
        &DEFAULT_ANOMALY_RULES,
    );
    let json = serde_json::to_string(&found).map_err(AppError::internal)?;
    let codes: Vec<&str> = found.iter().map(Anomaly::code).collect();
    move_order(
        app,
        actor,
        &o,
        Step::CheckOut,
        StepColumns {
            check_out: Some((point.map(|p| p.longitude_e6), point.map(|p| p.latitude_e6))),
            anomalies: Some(&json),
            ..StepColumns::default()
        },
        &codes.join(","),
        serde_json::json!({ "located": point.is_some(), "anomalies": codes }),
    )
    .await?;
    Ok(found.iter().map(Anomaly::describe).collect())
}

/// The person's or family's rating, taken by the hotline or a call-back.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RatingInput {
    /// 1 to 5 stars.
    pub stars: String,
    /// person or family.
    pub by: String,
    pub comment: String,
}

pub async fn rate(app: &App, actor: &Actor, id: i64, input: &RatingInput) -> Result<()> {
    app.require(actor, Action::PersonWrite).await?;
    let o = scoped_order(app, actor, id, "home_care.order.rate").await?;
    let desk = desk(app, actor).await?;
    operator_only(desk, "服务评价（由老人或家属作出）")?;
    let from = OrderState::parse(&o.state).unwrap_or(OrderState::Cancelled);
    next_state(from, Step::Rate).map_err(AppError::Conflict)?;
    let stars = input
        .stars
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|s| (1..=5).contains(s))
        .ok_or_else(|| AppError::invalid_field("stars", "评价", "应为 1 到 5 星"))?;
    let by = match input.by.trim() {
        "" | "person" | "本人" => "person",
        "family" | "家属" => "family",
        _ => return Err(AppError::invalid_field("by", "评价人", "应为本人或家属")),
    };
    let comment = input.comment.trim();
    if comment.chars().count() > 300 {
        return Err(AppError::invalid_field(
            "comment",
            "评价内容",
            "不超过 300 字",
        ));
    }
    move_order(
        app,
        actor,
        &o,
        Step::Rate,
        StepColumns {
            rating: Some((stars, by, comment)),
            ..StepColumns::default()
        },
        &format!("{stars} 星"),
        serde_json::json!({ "stars": stars, "by": by }),
    )
    .await?;
    Ok(())
}

pub async fn cancel(app: &App, actor: &Actor, id: i64, reason: &str) -> Result<()> {
    app.require(actor, Action::PersonWrite).await?;
    let o = scoped_order(app, actor, id, "home_care.order.cancel").await?;
    let desk = desk(app, actor).await?;
    operator_only(desk, "取消工单")?;
    let from = OrderState::parse(&o.state).unwrap_or(OrderState::Cancelled);
    next_state(from, Step::Cancel).map_err(AppError::Conflict)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(AppError::invalid_field(
            "reason",
            "取消原因",
            "请填写取消原因（200 字以内）",
        ));
    }
    move_order(
        app,
        actor,
        &o,
        Step::Cancel,
        StepColumns {
            cancel_reason: Some(reason),
            ..StepColumns::default()
        },
        reason,
        serde_json::Value::Null,
    )
    .await?;
    Ok(())
}
