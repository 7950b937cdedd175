//! Yunfu's home-care service orders in the demo: the city's home-care quality
//! guidance centre (the hotline and call-backs), two providers in Yuncheng
//! district with their caregivers, and three months of orders in every
//! state, some late, some flagged (no check-in, too short, far from home),
//! some reviewed, with ratings, complaints and call-backs. All invented.

use kangyang_app::home_care::{elder_on, provider_metrics};
use kangyang_app::kangyuan::month_bounds;
use kangyang_app::{audit, civil, App, AppError, Result};
use kangyang_domain::facility::{EligibilityRule, FacilityKind};
use kangyang_domain::home_care::{
    callback_sample, default_catalogue, default_entitlements, entitlement_for, price_of,
    provider_scores, provider_template, split_order, visit_anomalies, Channel, OrderState, Span,
    Visit, DEFAULT_ANOMALY_RULES, PROVIDER_TEMPLATE,
};
use kangyang_domain::money::Fen;
use kangyang_domain::register::ELDERLY_AGE;
use kangyang_domain::{CivilDate, RegionCode, Scope};
use kangyang_store::facility::{self as facility, FacilityValues};
use kangyang_store::home_care::{self as store, HistoricOrder, NewCaregiver};
use kangyang_store::register::PersonScope;
use kangyang_store::{regions, Conn};
use std::collections::HashMap;

pub const QUALITY_CENTRE: &str = "云浮市居家养老服务质量指导中心";
pub const ANTANG_PROVIDER: &str = "云城区安塘居家养老服务中心";
pub const HEKOU_PROVIDER: &str = "云城区河口居家养老服务中心";
const YUNFU: &str = "4453";

struct ProviderSeed {
    name: &'static str,
    town: &'static str,
    address: &'static str,
    longitude_e6: i64,
    latitude_e6: i64,
    capacity: i64,
    caregivers: &'static [(&'static str, &'static str)],
}

const PROVIDERS: [ProviderSeed; 2] = [
    ProviderSeed {
        name: ANTANG_PROVIDER,
        town: "445302004",
        address: "云浮市云城区安塘街道安塘社区",
        longitude_e6: 112_080_000,
        latitude_e6: 22_940_000,
        capacity: 30,
        caregivers: &[
            ("陈秀兰", "养老护理员（四级/中级工）"),
            ("黄美玲", "养老护理员（五级/初级工）"),
            ("梁志强", "养老护理员（四级/中级工）、康复辅助"),
            ("李桂芬", "家政服务员"),
        ],
    },
    ProviderSeed {
        name: HEKOU_PROVIDER,
        town: "445302003",
        address: "云浮市云城区河口街道",
        longitude_e6: 112_020_000,
        latitude_e6: 22_980_000,
        capacity: 20,
        caregivers: &[
            ("何丽华", "养老护理员（三级/高级工）"),
            ("苏玉梅", "养老护理员（五级/初级工）"),
            ("冯国明", "医疗护理员"),
        ],
    },
];

/// A deterministic number in 0..100 for (a, b).
fn roll(a: i64, b: i64) -> i64 {
    let x = (a.wrapping_mul(2_654_435_761) ^ b.wrapping_mul(40_503)).wrapping_mul(2_246_822_519);
    (x >> 9).rem_euclid(100)
}

/// The ids of the quality centre and the two providers, creating them, their
/// caregivers and the order history on first use.
pub async fn seed(app: &App) -> Result<(i64, i64, i64)> {
    if let (Some(q), Some(a), Some(h)) = (
        find(app, QUALITY_CENTRE, FacilityKind::CareQualityCentre).await?,
        find(app, ANTANG_PROVIDER, FacilityKind::HomeCareCentre).await?,
        find(app, HEKOU_PROVIDER, FacilityKind::HomeCareCentre).await?,
    ) {
        return Ok((q, a, h));
    }
    let now = app.now();
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let facility = |name: &str, kind: FacilityKind, region: &str, address: &str, lon, lat, cap| {
        Ok::<_, AppError>(FacilityValues {
            name: name.to_owned(),
            kind: kind.as_str().to_owned(),
            region_code: region.to_owned(),
            address: address.to_owned(),
            longitude_e6: Some(lon),
            latitude_e6: Some(lat),
            floor_area_m2: None,
            capacity: cap,
            opening_hours: "周一至周日 8:00-18:00，热线 24 小时".to_owned(),
            operator: if kind == FacilityKind::CareQualityCentre {
                "云浮市民政局".to_owned()
            } else {
                "社会组织（政府购买服务）".to_owned()
            },
            contact_name: "值班".to_owned(),
            contact_phone: "0766-12349".to_owned(),
            eligibility: serde_json::to_string(&EligibilityRule::default())
                .map_err(AppError::internal)?,
            opening_days: kangyang_domain::holidays::OpeningDays::MONDAY_TO_FRIDAY.code(),
        })
    };
    let quality = facility::insert(
        &mut tx,
        &facility(
            QUALITY_CENTRE,
            FacilityKind::CareQualityCentre,
            YUNFU,
            "云浮市云城区民政局大院",
            112_044_000,
            22_915_000,
            None,
        )?,
        now,
    )
    .await?;
    let items = default_catalogue();
    let rules = default_entitlements();
    let today = app.today();
    let mut provider_ids = Vec::new();
    let mut orders_made = 0usize;
    for (pi, p) in PROVIDERS.iter().enumerate() {
        let id = facility::insert(
            &mut tx,
            &facility(
                p.name,
                FacilityKind::HomeCareCentre,
                p.town,
                p.address,
                p.longitude_e6,
                p.latitude_e6,
                Some(p.capacity),
            )?,
            now,
        )
        .await?;
        let town = RegionCode::parse(p.town).map_err(AppError::internal)?;
        let villages: Vec<String> = regions::villages_under(&mut tx, &town)
            .await?
            .into_iter()
            .map(|r| r.code)
            .collect();
        facility::set_villages(&mut tx, id, &villages).await?;
        let mut caregivers = Vec::new();
        for (n, (name, qualification)) in p.caregivers.iter().enumerate() {
            let phone = format!("1390766{:04}", pi * 100 + n + 1);
            let masked = kangyang_domain::mask::mask_phone(&phone);
            caregivers.push(
                store::add_caregiver(
                    &mut tx,
                    &NewCaregiver {
                        provider_id: id,
                        name,
                        qualification,
                        phone_cipher: Some(app.keys().encrypt(&phone)?),
                        phone_masked: &masked,
                        user_id: None,
                    },
                    now,
                )
                .await?,
            );
        }
        orders_made += history(
            app,
            &mut tx,
            id,
            p,
            &town,
            &caregivers,
            &items,
            &rules,
            today,
        )
        .await?;
        provider_ids.push(id);
    }
    score_last_month(app, &mut tx, &provider_ids).await?;
    audit::record_cli_in(
        app,
        &mut tx,
        "demo.home_care",
        "facility",
        quality.to_string(),
        serde_json::json!({ "providers": provider_ids, "orders": orders_made }),
    )
    .await?;
    tx.commit().await?;
    Ok((quality, provider_ids[0], provider_ids[1]))
}

/// Three months of orders of a provider's town's entitled elderly.
#[allow(clippy::too_many_arguments)]
async fn history(
    app: &App,
    conn: &mut Conn,
    provider: i64,
    p: &ProviderSeed,
    town: &RegionCode,
    caregivers: &[i64],
    items: &[kangyang_domain::home_care::ServiceItem],
    rules: &[kangyang_domain::home_care::EntitlementRule],
    today: CivilDate,
) -> Result<usize> {
    let now = app.now();
    let born_by = civil::years_before(today, ELDERLY_AGE as u16).to_string();
    let month_now = format!("{}-{:02}", today.year(), today.month());
    let elders = store::elders(
        conn,
        &PersonScope::from(&Scope::Region {
            region: town.clone(),
        }),
        &born_by,
        &month_now,
    )
    .await?;
    let mut chosen = Vec::new();
    for e in elders {
        // The entitlement facts as an order booked today would read them.
        let elder = elder_on(
            &e.birth_date,
            e.economic_status.as_deref(),
            e.capability_level.as_deref(),
            e.living_situation.as_deref(),
            today,
        )?;
        // Most of the entitled are served; a few are left for the dashboard's
        // "entitled but received nothing" list.
        if let Some(rule) = entitlement_for(rules, &elder) {
            if roll(e.id, 7) < 85 {
                chosen.push((e, rule.clone()));
            }
        }
        if chosen.len() >= 40 {
            break;
        }
    }
    let mut made = 0;
    let mut month_used: HashMap<(i64, String), i64> = HashMap::new();
    let mut homes = Vec::new();
    for (e, _) in &chosen {
        // The home, within a few hundred metres of the provider's street.
        let home = (
            p.longitude_e6 + (roll(e.id, 11) - 50) * 150,
            p.latitude_e6 + (roll(e.id, 13) - 50) * 150,
        );
        store::save_client(
            conn,
            &store::ClientRow {
                person_id: e.id,
                longitude_e6: Some(home.0),
                latitude_e6: Some(home.1),
                plan: serde_json::json!([
                    { "item": "cleaning", "times_per_month": 2, "quantity": 1 },
                    { "item": "meal_delivery", "times_per_month": 4, "quantity": 1 },
                ])
                .to_string(),
            },
            None,
            now,
        )
        .await?;
        homes.push(home);
    }
    // (person, months back, order number, the open state of today's work).
    let mut slots: Vec<(usize, i64, i64, Option<OrderState>)> = Vec::new();
    for (i, (e, _)) in chosen.iter().enumerate() {
        for back in (0..3).rev() {
            for n in 0..(1 + roll(e.id, 100 + back) % 3) {
                slots.push((i, back, n, None));
            }
        }
    }
    // Today's work in every open state, whatever the demo's scale.
    if !chosen.is_empty() {
        use OrderState::{Accepted, Dispatched, OnSite, Requested};
        for (k, state) in [Requested, OnSite, Dispatched, Accepted, Accepted, Requested]
            .into_iter()
            .enumerate()
        {
            slots.push((k % chosen.len(), 0, 10 + k as i64, Some(state)));
        }
    }
    // Each person's finished visits so far, for the overlap rule.
    let mut person_spans: HashMap<i64, Vec<Span>> = HashMap::new();
    for (i, back, n, forced) in slots {
        let mut finished: Option<Span> = None;
        let (e, rule) = &chosen[i];
        let home = homes[i];
        let (y, m) = months_back(today, back);
        let (first, last) = month_bounds(y, m)?;
        let month = format!("{y}-{m:02}");
        {
            let r = roll(e.id * 10 + n, back);
            let item = &items[(roll(e.id, n + 20) as usize) % items.len()];
            let span = last.day() as i64;
            let mut day = 1 + roll(e.id, n * 7 + back) % span;
            let open_now = forced.is_some();
            if back == 0 && !open_now && today.day() == 1 {
                // On the 1st no day of this month has passed: nothing finished yet.
                continue;
            }
            if back == 0 {
                // This month: finished orders before today, open ones today or later.
                day = if open_now {
                    (today.day() as i64 + r % 3).min(span)
                } else {
                    // Strictly before today where the month has such days, so
                    // that a finished visit is not cut off at this moment.
                    1 + (day - 1) % (today.day() as i64 - 1).max(1)
                };
            }
            let date = CivilDate::new(y, m, day as u8).unwrap_or(first);
            let scheduled = civil::day_start(&date.to_string()).unwrap_or(now)
                + (8 + r % 9) * 3600
                + (r % 4) * 900;
            let quantity = if item.unit == kangyang_domain::home_care::ServiceUnit::Hour {
                1 + r % 2
            } else {
                1
            };
            // Priced and split as `home_care::create_order` does.
            let price = u32::try_from(quantity)
                .ok()
                .and_then(|q| price_of(item, q))
                .ok_or_else(|| AppError::internal("demo order price"))?;
            let used = month_used.entry((e.id, month.clone())).or_insert(0);
            let split = split_order(
                price,
                Fen(rule.monthly.0.saturating_sub(*used)),
                rule.personal_share_per_mille,
            );
            let standard = i64::from(item.standard_minutes) * quantity;
            let created = (scheduled - (3 + r % 40) * 3600).min(now - 600);
            let channel = match r % 10 {
                0..=4 => Channel::Hotline,
                5 | 6 => Channel::Family,
                7 => Channel::SocialWorker,
                _ => Channel::CarePlan,
            };
            let caregiver = caregivers[(roll(e.id, n) as usize) % caregivers.len()];
            let mut o = HistoricOrder {
                person_id: e.id,
                village_code: e.village_code.clone(),
                item_code: item.code.clone(),
                item_name: item.name.clone(),
                quantity,
                standard_minutes: standard,
                unit_price_fen: item.price.0,
                government_fen: split.government.0,
                personal_fen: split.personal.0,
                entitlement_code: rule.code.clone(),
                month: month.clone(),
                channel: channel.as_str().to_owned(),
                scheduled_at: scheduled,
                created_at: created,
                anomalies: "[]".to_owned(),
                ..HistoricOrder::default()
            };
            let state = if open_now {
                // Today's and tomorrow's work in every open state; a few
                // requests left undispatched for hours are late.
                forced.unwrap_or(OrderState::Accepted)
            } else if r < 6 {
                OrderState::Cancelled
            } else if r < 35 {
                OrderState::Done
            } else {
                OrderState::Rated
            };
            // A visit under way began half an hour ago; every fifth
            // request has waited five hours for dispatch (late).
            let (scheduled, created) = match state {
                OrderState::OnSite => (now - 1800, now - 86_400),
                OrderState::Requested if n == 15 => (scheduled, now - 5 * 3600),
                _ => (scheduled, created),
            };
            o.scheduled_at = scheduled;
            o.created_at = created;
            let dispatched = created + (15 + r % 150) * 60;
            let accepted = dispatched + (10 + (r * 7) % 280) * 60;
            o.state = state.as_str().to_owned();
            o.state_since = created;
            if state == OrderState::Cancelled {
                o.cancel_reason =
                    ["老人住院", "家属已自行安排", "老人外出探亲"][(r % 3) as usize].to_owned();
                o.state_since = created + 3600;
            } else {
                *used += split.government.0;
            }
            if state != OrderState::Requested && state != OrderState::Cancelled {
                o.provider_id = Some(provider);
                o.dispatched_at = Some(dispatched.min(now));
                o.state_since = dispatched.min(now);
                o.was_late = dispatched - created > 120 * 60;
            }
            if matches!(
                state,
                OrderState::Accepted | OrderState::OnSite | OrderState::Done | OrderState::Rated
            ) {
                o.caregiver_id = Some(caregiver);
                o.accepted_at = Some(accepted.min(now));
                o.state_since = accepted.min(now);
                o.was_late |= accepted - dispatched > 240 * 60;
            }
            let check_in = scheduled + (roll(e.id, n + 40) % 60 - 10) * 60;
            if matches!(
                state,
                OrderState::OnSite | OrderState::Done | OrderState::Rated
            ) {
                o.check_in_at = Some(check_in.min(now));
                o.check_in_at_e6 = Some(home);
                o.state_since = check_in.min(now);
            }
            if matches!(state, OrderState::Done | OrderState::Rated) {
                let mut out = check_in + standard * 60 * (90 + r % 40) / 100;
                // One in eight visits goes wrong, one way or another.
                match roll(e.id, n + back * 5 + 60) {
                    0..=4 => {
                        o.check_in_at = None;
                        o.check_in_at_e6 = None;
                    }
                    5..=8 => out = check_in + standard * 60 / 5,
                    9..=11 => o.check_in_at_e6 = Some((home.0 + 18_000, home.1 + 9_000)),
                    _ => {}
                }
                o.was_late |= check_in > scheduled + 3600;
                let out = out.min(now);
                o.check_out_at = Some(out);
                o.state_since = out;
                // The flags come from the same rules as a real check-out
                // (`home_care::check_out`), never set by hand: whatever the
                // demo's times turn out to be, a visit that breaks a rule is
                // flagged, and one that breaks none is not.
                let spans = person_spans.get(&e.id).map_or(&[][..], Vec::as_slice);
                let visit = Visit {
                    order: 0,
                    home: Some(geo(home)),
                    check_in: o.check_in_at,
                    check_in_at: o.check_in_at_e6.map(geo),
                    check_out: out,
                    standard_minutes: u32::try_from(standard).unwrap_or(0),
                };
                let anomalies = visit_anomalies(&visit, spans, &DEFAULT_ANOMALY_RULES);
                finished = Some(Span {
                    order: 0,
                    start: o.check_in_at.unwrap_or(out - standard * 60),
                    end: out,
                });
                o.anomalies = serde_json::to_string(&anomalies).map_err(AppError::internal)?;
                // Earlier months' flags have been reviewed; this month's wait.
                if !anomalies.is_empty() && back > 0 {
                    o.review = Some(if r % 4 == 0 {
                        (
                            "rejected".to_owned(),
                            "电话回访老人，当日未见护理员上门".to_owned(),
                            out + 5 * 86_400,
                        )
                    } else {
                        (
                            "confirmed".to_owned(),
                            "电话回访老人，确认已上门服务".to_owned(),
                            out + 5 * 86_400,
                        )
                    });
                }
                if state == OrderState::Rated {
                    let stars = match r % 20 {
                        0 => 2,
                        1..=4 => 4,
                        _ => 5,
                    };
                    let rated = (out + 86_400).min(now);
                    o.rating = Some((
                        stars,
                        if r % 2 == 0 { "family" } else { "person" }.to_owned(),
                        if stars <= 2 {
                            "护理员来去匆匆".to_owned()
                        } else {
                            "服务周到".to_owned()
                        },
                        rated,
                    ));
                    o.state_since = rated;
                }
            }
            let id = store::insert_historic(conn, &o).await?;
            if let Some(span) = finished.take() {
                person_spans
                    .entry(e.id)
                    .or_default()
                    .push(Span { order: id, ..span });
            }
            store::add_event(
                conn,
                id,
                "request",
                "requested",
                None,
                channel.label(),
                created,
            )
            .await?;
            if let Some(t) = o.dispatched_at {
                store::add_event(conn, id, "dispatch", "dispatched", None, p.name, t).await?;
            }
            if let Some(t) = o.accepted_at {
                store::add_event(conn, id, "accept", "accepted", None, "", t).await?;
            }
            if let Some(t) = o.check_in_at {
                store::add_event(conn, id, "check_in", "on_site", None, "已定位", t).await?;
            }
            if let Some(t) = o.check_out_at {
                store::add_event(conn, id, "check_out", "done", None, "", t).await?;
            }
            if let Some((stars, _, _, t)) = &o.rating {
                store::add_event(conn, id, "rate", "rated", None, &format!("{stars} 星"), *t)
                    .await?;
            }
            if state == OrderState::Cancelled {
                store::add_event(
                    conn,
                    id,
                    "cancel",
                    "cancelled",
                    None,
                    &o.cancel_reason,
                    o.state_since,
                )
                .await?;
            }
            if o.rating.as_ref().is_some_and(|r| r.0 <= 2) || (r == 50 && o.check_out_at.is_some())
            {
                let complaint = store::add_complaint(
                    conn,
                    id,
                    "家属反映护理员服务时间不足、态度敷衍",
                    None,
                    o.state_since.min(now),
                )
                .await?;
                if back > 0 {
                    store::close_complaint(
                        conn,
                        complaint,
                        "已约谈服务机构负责人，护理员重新培训",
                        None,
                        now,
                    )
                    .await?;
                }
            }
            made += 1;
        }
    }
    // Last month's call-backs: every flagged or poorly rated order and a
    // tenth of the rest, nearly all called.
    let (y, m) = months_back(today, 1);
    let month = format!("{y}-{m:02}");
    let scope = store::OrderScope::from(&Scope::Region {
        region: town.clone(),
    });
    let candidates = store::callback_candidates(conn, &scope, &month).await?;
    let flagged: Vec<(i64, bool)> = candidates.iter().map(|&(id, f)| (id, f != 0)).collect();
    for id in callback_sample(&flagged, 100, u64::from(y) * 100 + u64::from(m)) {
        let r = roll(id, 77);
        if r < 90 {
            store::record_callback(conn, id, r < 85, r < 75, r < 70, "电话回访", None, now).await?;
        } else {
            store::add_callback_sample(conn, id, None, now).await?;
        }
    }
    Ok(made)
}

fn geo((longitude_e6, latitude_e6): (i64, i64)) -> kangyang_domain::home_care::GeoPoint {
    kangyang_domain::home_care::GeoPoint {
        longitude_e6,
        latitude_e6,
    }
}

/// (year, month) `back` months before `day`'s.
fn months_back(day: CivilDate, back: i64) -> (u16, u8) {
    let index = i64::from(day.year()) * 12 + i64::from(day.month()) - 1 - back;
    ((index / 12) as u16, (index % 12 + 1) as u8)
}

/// Scores each provider's last month through the assessment engine.
async fn score_last_month(app: &App, tx: &mut Conn, providers: &[i64]) -> Result<()> {
    let (y, m) = months_back(app.today(), 1);
    let (_, last) = month_bounds(y, m)?;
    let month = format!("{y}-{m:02}");
    let template = provider_template();
    for &p in providers {
        let metrics = provider_metrics(&store::provider_figures(tx, p, &month).await?);
        let scores = provider_scores(&metrics);
        let scored = template
            .score(&scores)
            .map_err(|_| AppError::internal("provider template"))?;
        let region = facility::region_of(tx, p).await?.unwrap_or_default();
        kangyang_store::assessment::add_assessment(
            tx,
            &kangyang_store::assessment::NewAssessment {
                template_code: PROVIDER_TEMPLATE,
                round_id: None,
                subject_type: "facility",
                subject_id: p,
                region_code: &region,
                scores: &serde_json::to_string(&scores).map_err(AppError::internal)?,
                total: i64::from(scored.total),
                result: scored.result.as_ref().map(|r| r.result.as_str()),
                evidence: &serde_json::to_string(&metrics).map_err(AppError::internal)?,
                assessed_on: &last.to_string(),
                assessor: "云浮市居家养老服务质量指导中心（演示）",
                by: None,
            },
            app.now(),
        )
        .await?;
    }
    Ok(())
}

/// Links the provider's first caregiver to a staff account (once), and
/// gives that caregiver today's accepted orders, so the phone page has work.
pub async fn link_caregiver(app: &App, provider: i64, username: &str) -> Result<()> {
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let Some(user) = kangyang_store::users::find_by_username(&mut tx, username).await? else {
        return Ok(());
    };
    let caregivers = store::caregivers(&mut tx, provider).await?;
    if caregivers.iter().any(|c| c.user_id == Some(user.id)) {
        return Ok(());
    }
    let Some(first) = caregivers.first() else {
        return Ok(());
    };
    store::link_user(&mut tx, first.id, user.id).await?;
    store::assign_open_orders(&mut tx, provider, first.id).await?;
    tx.commit().await?;
    Ok(())
}

async fn find(app: &App, name: &str, kind: FacilityKind) -> Result<Option<i64>> {
    let mut conn = app.store().read().await?;
    crate::facility_named(&mut conn, YUNFU, kind, name).await
}
