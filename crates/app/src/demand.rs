//! Demand mining (需求挖掘): people whose need the register shows and no
//! record shows being met, counted per village and town, urban and rural
//! apart, ranked, with the trend over the last six months.
//!
//! The trend is reconstructed from dated records: enrolments (start and
//! leave dates), visits and meals (their days), ages (birth dates) and
//! deaths or moves (status dates). What has no dated history in the register
//! — a person's disability, living situation, capability level and child
//! category, and which villages a station serves — is taken as it is today
//! for every month; the audit trail has the changes but is not replayed.

use crate::actor::Who;
use crate::audit::Event;
use crate::dashboards::{header, RegionHeader};
use crate::home_modification::check_region;
use crate::{civil, Actor, App, AppError, Result};
use kangyang_domain::stats::{UnmetNeed, UNVISITED_DAYS};
use kangyang_domain::{Action, CivilDate, RegionCode, UrbanRural};
use kangyang_store::regions;
use kangyang_store::register::PersonScope;
use kangyang_store::stats::{self, NeedDay};
use serde::Serialize;
use std::collections::HashMap;

/// The most villages a ranking lists; the totals count them all.
const VILLAGES_SHOWN: usize = 200;
/// The most people a list names per need.
const PEOPLE_SHOWN: i64 = 200;

/// What the reconstruction of past months can and cannot see.
pub const TREND_NOTE: &str = "趋势按各月末（本月按今天）重算：入托的开始与离开日期、探访和助餐日期、年龄（出生日期）、\
    去世或迁出日期均按当时计算；残疾、居住状况、能力等级、困境儿童类别以及社工站服务哪些村，没有带日期的历史，\
    按现在的登记计算（变更记录在审计日志中，未回放）。";

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrendPoint {
    /// "2026-06"
    pub month: String,
    /// The day counted on: the month's last day, or today for this month.
    pub day: String,
    pub total: i64,
    pub urban: i64,
    pub rural: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NeedSummary {
    #[schema(value_type = String)]
    pub need: UnmetNeed,
    pub label: &'static str,
    pub short_label: &'static str,
    pub total: i64,
    pub urban: i64,
    pub rural: i64,
    /// Villages neither urban nor rural by their code (special units).
    pub other: i64,
    /// Oldest month first, this month last.
    pub trend: Vec<TrendPoint>,
}

/// A place's unmet needs, in the order of `Demand::needs`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlaceDemand {
    pub code: String,
    pub name: String,
    /// The town, for a village.
    pub town: Option<String>,
    /// urban, rural, or none (for a town, see the counts).
    pub urban_rural: Option<String>,
    pub counts: Vec<i64>,
    pub total: i64,
    /// For a town: how many of its total live in urban and rural villages.
    pub urban: i64,
    pub rural: i64,
}

/// A person with an unmet need, for users who may read people.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NeedPerson {
    pub id: i64,
    pub name: String,
    pub age: u32,
    pub village: String,
    #[schema(value_type = String)]
    pub need: UnmetNeed,
    pub need_label: &'static str,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Demand {
    pub region: RegionHeader,
    pub as_of: String,
    pub needs: Vec<NeedSummary>,
    /// Towns with any unmet need, most first.
    pub towns: Vec<PlaceDemand>,
    /// Villages with any unmet need, most first (at most 200).
    pub villages: Vec<PlaceDemand>,
    /// How many villages have an unmet need in all.
    pub villages_total: usize,
    /// The people, for users who may read people; none otherwise.
    pub people: Option<Vec<NeedPerson>>,
    /// Whether a need had more people than the list names.
    pub people_truncated: bool,
    pub trend_note: &'static str,
}

fn need_day(day: CivilDate) -> Result<NeedDay> {
    Ok(NeedDay {
        day: day.to_string(),
        born_by_18: civil::years_before(day, 18).to_string(),
        born_by_60: civil::years_before(day, 60).to_string(),
        month_start: CivilDate::new(day.year(), day.month(), 1)
            .map_err(AppError::internal)?
            .to_string(),
        visits_after: day
            .add_days(-UNVISITED_DAYS)
            .ok_or_else(|| AppError::internal("date out of range"))?
            .to_string(),
    })
}

/// The ends of the last six months, oldest first; this month ends today.
fn month_ends(today: CivilDate) -> Vec<CivilDate> {
    let mut out = Vec::with_capacity(6);
    let (mut year, mut month) = (today.year(), today.month());
    for i in 0..6 {
        let day = if i == 0 {
            Some(today)
        } else {
            kangyang_domain::date::days_in_month(year, month)
                .and_then(|d| CivilDate::new(year, month, d).ok())
        };
        if let Some(day) = day {
            out.push(day);
        }
        if month == 1 {
            year = year.saturating_sub(1);
            month = 12;
        } else {
            month -= 1;
        }
    }
    out.reverse();
    out
}

fn split(rows: &[(Option<String>, i64)]) -> (i64, i64, i64) {
    let mut urban_rural = (0, 0, 0);
    for (ur, n) in rows {
        match ur.as_deref().and_then(UrbanRural::parse) {
            Some(UrbanRural::Urban) => urban_rural.0 += n,
            Some(UrbanRural::Rural) => urban_rural.1 += n,
            None => urban_rural.2 += n,
        }
    }
    urban_rural
}

/// A region's unmet needs, now and over the last six months.
pub async fn demand(app: &App, actor: &Actor, region: &RegionCode) -> Result<Demand> {
    app.require(actor, Action::FacilityRead).await?;
    check_region(app, actor, region, "demand.read").await?;
    let today = app.today();
    let scope = PersonScope::from(&actor.scope);
    let (lo, hi) = region.subtree_range();
    let now = need_day(today)?;
    let mut conn = app.store().read().await?;
    let head = header(&mut conn, region).await?;

    let mut needs = Vec::new();
    let mut villages: HashMap<String, (Option<String>, Vec<i64>)> = HashMap::new();
    for (i, need) in UnmetNeed::ALL.into_iter().enumerate() {
        for (village, ur, n) in
            stats::unmet_by_village(&mut conn, &scope, &lo, &hi, need, &now).await?
        {
            let entry = villages
                .entry(village)
                .or_insert_with(|| (ur, vec![0; UnmetNeed::ALL.len()]));
            entry.1[i] += n;
        }
        let mut trend = Vec::new();
        for day in month_ends(today) {
            let at = need_day(day)?;
            let rows = stats::unmet_totals(&mut conn, &scope, &lo, &hi, need, &at).await?;
            let (urban, rural, other) = split(&rows);
            trend.push(TrendPoint {
                month: format!("{:04}-{:02}", day.year(), day.month()),
                day: day.to_string(),
                total: urban + rural + other,
                urban,
                rural,
            });
        }
        let (total, urban, rural) = trend
            .last()
            .map_or((0, 0, 0), |p| (p.total, p.urban, p.rural));
        needs.push(NeedSummary {
            need,
            label: need.label(),
            short_label: need.short_label(),
            total,
            urban,
            rural,
            other: total - urban - rural,
            trend,
        });
    }

    // Names of the villages and towns concerned.
    let mut names: HashMap<String, String> = HashMap::new();
    let mut codes: Vec<String> = villages.keys().cloned().collect();
    codes.extend(
        villages
            .keys()
            .filter(|v| v.len() >= 9)
            .map(|v| v[..9].to_owned()),
    );
    codes.sort();
    codes.dedup();
    for r in regions::get_many(&mut conn, &codes).await? {
        names.insert(r.code, r.name);
    }
    let mut towns: HashMap<String, PlaceDemand> = HashMap::new();
    let mut village_lines: Vec<PlaceDemand> = Vec::with_capacity(villages.len());
    for (code, (ur, counts)) in villages {
        let town = code.get(..9).unwrap_or(&code).to_owned();
        let total: i64 = counts.iter().sum();
        let t = towns.entry(town.clone()).or_insert_with(|| PlaceDemand {
            name: names.get(&town).cloned().unwrap_or_else(|| town.clone()),
            code: town.clone(),
            town: None,
            urban_rural: None,
            counts: vec![0; counts.len()],
            total: 0,
            urban: 0,
            rural: 0,
        });
        for (a, b) in t.counts.iter_mut().zip(&counts) {
            *a += b;
        }
        t.total += total;
        match ur.as_deref().and_then(UrbanRural::parse) {
            Some(UrbanRural::Urban) => t.urban += total,
            Some(UrbanRural::Rural) => t.rural += total,
            None => {}
        }
        village_lines.push(PlaceDemand {
            name: names.get(&code).cloned().unwrap_or_else(|| code.clone()),
            town: names.get(&town).cloned(),
            code,
            urban_rural: ur,
            counts,
            total,
            urban: 0,
            rural: 0,
        });
    }
    let rank = |a: &PlaceDemand, b: &PlaceDemand| b.total.cmp(&a.total).then(a.code.cmp(&b.code));
    village_lines.sort_by(rank);
    let villages_total = village_lines.len();
    village_lines.truncate(VILLAGES_SHOWN);
    let mut towns: Vec<PlaceDemand> = towns.into_values().collect();
    towns.sort_by(rank);

    let mut people = None;
    let mut truncated = false;
    if actor.can(Action::PersonRead) {
        let mut list = Vec::new();
        for need in UnmetNeed::ALL {
            let rows =
                stats::unmet_people(&mut conn, &scope, &lo, &hi, need, &now, PEOPLE_SHOWN + 1)
                    .await?;
            truncated |= rows.len() as i64 > PEOPLE_SHOWN;
            for r in rows.into_iter().take(PEOPLE_SHOWN as usize) {
                let village = match names.get(&r.village_code) {
                    Some(n) => n.clone(),
                    None => r.village_code.clone(),
                };
                let age = CivilDate::parse(&r.birth_date)
                    .map(|b| b.full_years_until(today))
                    .map_err(AppError::internal)?;
                list.push(NeedPerson {
                    id: r.id,
                    name: r.name,
                    age,
                    village,
                    need,
                    need_label: need.short_label(),
                });
            }
        }
        people = Some(list);
    }
    drop(conn);
    let mut event = Event::ok("demand.read", "region", region.to_string());
    // The people named are a list of persons read: how many, not who.
    event.detail = serde_json::json!({
        "people_listed": people.as_ref().map_or(0, Vec::len),
        "totals": needs.iter().map(|n| n.total).collect::<Vec<_>>(),
    });
    app.audit(&Who::from(actor), event).await?;
    Ok(Demand {
        region: head,
        as_of: today.to_string(),
        needs,
        towns,
        villages: village_lines,
        villages_total,
        people,
        people_truncated: truncated,
        trend_note: TREND_NOTE,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn six_month_ends_oldest_first_ending_today() {
        let today = CivilDate::parse("2026-03-15").unwrap();
        let ends: Vec<String> = month_ends(today).iter().map(|d| d.to_string()).collect();
        assert_eq!(
            ends,
            [
                "2025-10-31",
                "2025-11-30",
                "2025-12-31",
                "2026-01-31",
                "2026-02-28",
                "2026-03-15"
            ]
        );
    }
}
