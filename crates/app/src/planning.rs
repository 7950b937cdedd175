//! The facility-location planner for a region: where K new facilities of a
//! kind would serve most of the people in need (see
//! `kangyang_domain::planning` for the method and its quality guarantee).
//!
//! Demand is the register's living people in need of the kind, counted per
//! village in SQL (no person-level row is read). Existing facilities of the
//! kind in the region are held open where they have coordinates.
//!
//! **Village positions are approximate.** The region table (NBS codes) has no
//! coordinates. Until village coordinates are loaded, a village is placed
//! deterministically within 4 km of its town's anchor, the mean position of
//! the town's facilities (any kind) that have coordinates; a town without
//! one is placed within 12 km of its county's anchor, a county within 30 km
//! of its city's, a city within 120 km of the province's (the mean of all its
//! facilities, or 113.0° E 23.0° N, central Guangdong, when there is none).
//! The angle and distance come from a hash of the code, so the placement is
//! the same on every run. Pages and API answers say so.

use crate::audit::Event;
use crate::{Actor, App, AppError, Result};
use kangyang_domain::facility::FacilityKind;
use kangyang_domain::planning::{
    self as plan, Demand, Instance, Objective, PlanError, Point, Projection, Site,
};
use kangyang_domain::{Action, CivilDate, RegionCode};
use kangyang_store::planning::{self as store, FacilityPoint, Need};
use kangyang_store::regions;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The note shown with every plan.
pub const PLACEMENT_NOTE: &str =
    "区划数据没有村（社区）坐标：各村位置按所在镇街已登记坐标的服务机构平均位置为中心、\
    以区划代码的确定性散列在 4 公里内估算（镇街无坐标时逐级按县、市估算），仅供测算演示；\
    录入村（社区）坐标后结果将更准确。现有机构按其登记坐标计入，无坐标的机构未计入。";

/// Most new sites one plan may choose.
pub const MAX_K: i64 = 500;
/// Most candidate points a request may give.
pub const MAX_GIVEN: usize = 20_000;

/// Most villages drawn on the map.
pub const MAP_VILLAGES: usize = 4_000;

/// Central Guangdong, used when a province has no facility with coordinates.
const DEFAULT_CENTRE: (f64, f64) = (113.0, 23.0);

/// Who counts as in need of a kind of facility.
pub fn need_of(kind: FacilityKind) -> (Need, &'static str) {
    match kind {
        FacilityKind::KangyuanCentre => (Need::Disabled, "持证残疾人"),
        FacilityKind::WelfareHome => (Need::Children, "困境儿童"),
        FacilityKind::SocialWorkStation => (Need::AloneOrChildren, "独居老人和困境儿童"),
        FacilityKind::NursingHome
        | FacilityKind::HomeCareCentre
        | FacilityKind::ElderCanteen
        | FacilityKind::SocialWelfareCentre
        | FacilityKind::CareQualityCentre
        | FacilityKind::Clinic => (Need::Elderly, "60 岁及以上老年人"),
    }
}

/// A candidate point given in a request (instead of the village centres).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CandidateInput {
    pub name: String,
    /// Degrees east (WGS-84).
    pub longitude: Option<f64>,
    /// Degrees north.
    pub latitude: Option<f64>,
    /// People it could serve; only used with `use_capacity`.
    pub capacity: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PlanInput {
    /// Facility kind code, e.g. kangyuan_centre, elder_canteen.
    pub kind: String,
    /// coverage (maximal covering, the default) or median (p-median).
    pub objective: String,
    /// New sites to choose (0 to 500; default 3).
    pub k: Option<i64>,
    /// Service radius in km (default 3).
    pub radius_km: Option<f64>,
    /// p-median: distances count at most this far (default the larger of
    /// 10 km and three radii).
    pub cutoff_km: Option<f64>,
    /// Respect capacities: existing facilities' recorded capacity and each
    /// candidate's `capacity` (or `candidate_capacity`).
    pub use_capacity: bool,
    /// Capacity of every candidate without its own, with `use_capacity`.
    pub candidate_capacity: Option<i64>,
    /// Candidate points; empty = the region's village centres.
    pub candidates: Vec<CandidateInput>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OutcomeView {
    pub people: u64,
    pub covered: u64,
    /// Covered share, per mille.
    pub covered_permille: u64,
    /// p-median: mean km to the nearest facility (each at most the cutoff).
    pub mean_km: Option<f64>,
}

impl From<plan::Outcome> for OutcomeView {
    fn from(o: plan::Outcome) -> OutcomeView {
        OutcomeView {
            people: o.total_weight,
            covered: o.covered_weight,
            covered_permille: o.covered_permille(),
            mean_km: o
                .person_km
                .map(|v| v / (o.total_weight.max(1) as f64))
                .map(|v| (v * 100.0).round() / 100.0),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SiteView {
    pub name: String,
    /// The village, for a village-centre candidate.
    pub village_code: Option<String>,
    pub longitude: f64,
    pub latitude: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChoiceView {
    pub rank: usize,
    pub site: SiteView,
    /// People newly covered (coverage) or person-km saved (median) when added
    /// after the earlier ranks.
    pub gain: f64,
    /// What leaving it out of the final plan would lose, same unit.
    pub unique: f64,
    /// The villages that gain most from it.
    pub villages: Vec<String>,
    pub why: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VillageLine {
    pub code: String,
    pub name: String,
    pub people: u64,
}

/// A point of the map, in SVG units (0..width, 0..height).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MapPoint {
    pub x: f64,
    pub y: f64,
    /// Circle radius (villages: by people in need).
    pub r: f64,
    pub covered_before: bool,
    pub covered_after: bool,
    pub label: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MapView {
    pub width: f64,
    pub height: f64,
    /// The service radius in SVG units.
    pub radius: f64,
    /// At most [`MAP_VILLAGES`], those with most people in need.
    pub villages: Vec<MapPoint>,
    pub existing: Vec<MapPoint>,
    pub chosen: Vec<MapPoint>,
    /// Kilometres per 100 SVG units, for the scale bar.
    pub km_per_100: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanView {
    pub region_code: String,
    pub region_name: String,
    pub kind: String,
    pub kind_label: String,
    pub need_label: String,
    pub objective: String,
    pub k: usize,
    pub radius_km: f64,
    pub cutoff_km: Option<f64>,
    pub villages: usize,
    pub villages_with_need: usize,
    pub existing: Vec<SiteView>,
    pub existing_without_coordinates: usize,
    pub candidates: usize,
    pub candidates_given: bool,
    pub before: OutcomeView,
    pub after: OutcomeView,
    pub chosen: Vec<ChoiceView>,
    /// The objective: people covered, or person-km.
    pub value: f64,
    /// No plan with K sites does better than this.
    pub bound: f64,
    /// (bound - value) / bound for coverage, (value - bound) / bound for
    /// the p-median, in per cent, two decimals.
    pub gap_percent: f64,
    pub proven_optimal: bool,
    pub stopped_early: bool,
    pub capacitated: bool,
    pub capacity_ignored: bool,
    pub swaps: usize,
    /// Villages with people in need still not covered, most people first
    /// (at most 20).
    pub uncovered_after: Vec<VillageLine>,
    pub placement_note: String,
    pub map: MapView,
}

/// A region-level reader's region, or NotFound (audited).
pub async fn check_region(app: &App, actor: &Actor, region: &RegionCode) -> Result<String> {
    app.require(actor, Action::FacilityRead).await?;
    let row = if actor.scope.covers(region) && actor.scope.facility_id().is_none() {
        let mut conn = app.store().read().await?;
        regions::get(&mut conn, region.as_str()).await?
    } else {
        None
    };
    match row {
        Some(r) => Ok(r.name),
        None => {
            app.audit_denied(actor, "planning.plan", "region", region.as_str())
                .await?;
            Err(AppError::NotFound)
        }
    }
}

/// Positions for places without coordinates (see the module documentation).
struct Placement {
    projection: Projection,
    anchors: HashMap<String, Point>,
    province: Point,
}

impl Placement {
    fn new(facilities: &[FacilityPoint]) -> Placement {
        let located: Vec<(&str, f64, f64)> = facilities
            .iter()
            .filter_map(|f| {
                Some((
                    f.region_code.as_str(),
                    f.longitude_e6? as f64 / 1e6,
                    f.latitude_e6? as f64 / 1e6,
                ))
            })
            .collect();
        let lat0 = if located.is_empty() {
            DEFAULT_CENTRE.1
        } else {
            located.iter().map(|l| l.2).sum::<f64>() / located.len() as f64
        };
        let projection = Projection::new(lat0);
        let mut sums: HashMap<String, (f64, f64, f64)> = HashMap::new();
        for &(code, lon, lat) in &located {
            let p = projection.to_km(lon, lat);
            for len in [4, 6, 9] {
                if code.len() >= len {
                    let e = sums.entry(code[..len].to_owned()).or_default();
                    e.0 += p.x;
                    e.1 += p.y;
                    e.2 += 1.0;
                }
            }
        }
        let anchors = sums
            .into_iter()
            .map(|(k, (x, y, n))| (k, Point { x: x / n, y: y / n }))
            .collect();
        let province = if located.is_empty() {
            projection.to_km(DEFAULT_CENTRE.0, DEFAULT_CENTRE.1)
        } else {
            let n = located.len() as f64;
            let (x, y) = located.iter().fold((0.0, 0.0), |acc, l| {
                let p = projection.to_km(l.1, l.2);
                (acc.0 + p.x, acc.1 + p.y)
            });
            Point { x: x / n, y: y / n }
        };
        Placement {
            projection,
            anchors,
            province,
        }
    }

    /// The position of a region (a village: near its town's anchor, and so on up).
    fn of(&self, code: &str) -> Point {
        const SPREAD: [(usize, usize, f64); 4] =
            [(12, 9, 4.0), (9, 6, 12.0), (6, 4, 30.0), (4, 2, 120.0)];
        if let Some(p) = self.anchors.get(code) {
            if code.len() < 12 {
                return *p;
            }
        }
        for (len, parent, spread) in SPREAD {
            if code.len() == len {
                let base = match self.anchors.get(&code[..parent]) {
                    Some(p) => *p,
                    None if parent == 2 => self.province,
                    None => self.of(&code[..parent]),
                };
                return plan::placed_near(base, code, spread);
            }
        }
        self.province
    }
}

fn invalid(key: &str, label: &str, message: &str) -> AppError {
    AppError::invalid_field(key, label, message)
}

/// Plans K new facilities of a kind in a region.
/// How many plans may be computed at once, whoever asks. A plan at
/// province scale is seconds of one core's arithmetic; two at a time leave
/// the server's other cores to everyone else.
pub const PLANNER_RUNS: usize = 2;

/// The plans being computed: at most one per user (a second click while
/// the first is working gets "busy", not a queue) and [`PLANNER_RUNS`] in all.
#[derive(Debug, Default)]
pub struct PlannerGate {
    users: std::sync::Mutex<std::collections::HashSet<i64>>,
    /// Held for reading by each computation; a test holds it for writing to
    /// keep a run in progress while it tries another, without timing.
    brake: tokio::sync::RwLock<()>,
}

/// A run's place at the gate, given back when the run ends (dropped).
struct PlannerSlot {
    gate: std::sync::Arc<PlannerGate>,
    user: i64,
}

impl Drop for PlannerSlot {
    fn drop(&mut self) {
        if let Ok(mut users) = self.gate.users.lock() {
            users.remove(&self.user);
        }
    }
}

impl PlannerGate {
    fn enter(gate: &std::sync::Arc<PlannerGate>, user: i64) -> Result<PlannerSlot> {
        let mut users = gate
            .users
            .lock()
            .map_err(|_| AppError::internal("the planner gate's lock was poisoned"))?;
        if users.contains(&user) || users.len() >= PLANNER_RUNS {
            return Err(AppError::RateLimited);
        }
        users.insert(user);
        Ok(PlannerSlot {
            gate: gate.clone(),
            user,
        })
    }

    /// Plans being computed now.
    pub fn running(&self) -> usize {
        self.users.lock().map_or(0, |u| u.len())
    }

    /// For tests: while the guard lives, runs that have entered wait before
    /// their arithmetic (holding their places).
    #[doc(hidden)]
    pub async fn hold(&self) -> tokio::sync::RwLockWriteGuard<'_, ()> {
        self.brake.write().await
    }
}

/// Plans K new facilities. Busy (429) while the same user's previous plan
/// is still being computed or [`PLANNER_RUNS`] plans are.
pub async fn plan(
    app: &App,
    actor: &Actor,
    region: &RegionCode,
    input: &PlanInput,
) -> Result<PlanView> {
    let region_name = check_region(app, actor, region).await?;
    // Inputs are checked after the scope, so out of scope is always 404.
    let kind = FacilityKind::parse(&input.kind).ok_or_else(|| {
        invalid(
            "kind",
            "设施类别",
            "请选择设施类别（如 kangyuan_centre、elder_canteen）",
        )
    })?;
    let radius_km = input.radius_km.unwrap_or(3.0);
    // 50 km serves a whole county from one site: past that the question is
    // no longer where to build, and the candidate grid grows with the square.
    if !(radius_km.is_finite() && (0.1..=50.0).contains(&radius_km)) {
        return Err(invalid(
            "radius_km",
            "服务半径",
            "服务半径应在 0.1 到 50 公里之间",
        ));
    }
    let objective = match input.objective.trim() {
        "" | "coverage" => Objective::Coverage { radius_km },
        "median" => {
            let cutoff_km = input.cutoff_km.unwrap_or((3.0 * radius_km).max(10.0));
            if !(cutoff_km.is_finite() && cutoff_km >= radius_km && cutoff_km <= 200.0) {
                return Err(invalid(
                    "cutoff_km",
                    "距离上限",
                    "距离上限应不小于服务半径、不超过 200 公里",
                ));
            }
            Objective::Median {
                radius_km,
                cutoff_km,
            }
        }
        _ => {
            return Err(invalid(
                "objective",
                "目标",
                "目标应为 coverage（最大覆盖）或 median（总距离最小）",
            ))
        }
    };
    let k = input.k.unwrap_or(3);
    if !(0..=MAX_K).contains(&k) {
        return Err(invalid("k", "新增数量", "新增数量应在 0 到 500 之间"));
    }
    let k = k as usize;
    if input.candidates.len() > MAX_GIVEN {
        return Err(invalid("candidates", "候选点", "候选点最多 20000 个"));
    }
    let capacity_of = |c: Option<i64>, key: &str, label: &str| -> Result<Option<u64>> {
        match c {
            None => Ok(None),
            Some(n) if (1..=1_000_000).contains(&n) => Ok(Some(n as u64)),
            Some(_) => Err(invalid(key, label, "容量应为 1 到 1000000 之间的整数")),
        }
    };
    let default_capacity = capacity_of(input.candidate_capacity, "candidate_capacity", "新址容量")?;
    // Past the checks, the expensive part: reading the region and computing.
    let slot = PlannerGate::enter(&app.planner, actor.user_id)?;

    let (lo, hi) = region.subtree_range();
    let province = RegionCode::parse(&region.as_str()[..2])
        .map_err(|_| AppError::internal("a region code without a province"))?;
    let (plo, phi) = province.subtree_range();
    let today = app.today();
    let born_by = CivilDate::new(today.year().saturating_sub(60), today.month(), today.day())
        .or_else(|_| CivilDate::new(today.year().saturating_sub(60), today.month(), 28))
        .map_err(AppError::internal)?;
    let (need, need_label) = need_of(kind);
    let mut conn = app.store().read().await?;
    let villages = regions::villages_under(&mut conn, region).await?;
    let counts = store::need_by_village(&mut conn, &lo, &hi, need, &born_by.to_string()).await?;
    let facilities = store::facility_points(&mut conn, &plo, &phi).await?;
    drop(conn);

    let placement = Placement::new(&facilities);
    let proj = placement.projection;
    let counts: HashMap<String, i64> = counts.into_iter().collect();
    // Demand: villages with people in need (a region that is itself a village
    // plans for that village alone).
    let mut demand_villages: Vec<(String, String, u64)> = villages
        .iter()
        .filter_map(|v| {
            let n = *counts.get(&v.code)?;
            (n > 0).then(|| (v.code.clone(), v.name.clone(), n as u64))
        })
        .collect();
    if villages.is_empty() {
        if let Some(&n) = counts.get(region.as_str()) {
            demand_villages.push((region.as_str().to_owned(), region_name.clone(), n as u64));
        }
    }
    let use_capacity = input.use_capacity;
    let mut existing_sites = Vec::new();
    let mut existing_view = Vec::new();
    let mut without = 0;
    for f in facilities.iter().filter(|f| {
        f.kind == kind.as_str()
            && f.region_code.as_str() >= lo.as_str()
            && f.region_code.as_str() < hi.as_str()
    }) {
        let (Some(lon), Some(lat)) = (f.longitude_e6, f.latitude_e6) else {
            without += 1;
            continue;
        };
        let (lon, lat) = (lon as f64 / 1e6, lat as f64 / 1e6);
        existing_sites.push(Site {
            at: proj.to_km(lon, lat),
            capacity: if use_capacity {
                f.capacity.filter(|c| *c > 0).map(|c| c as u64)
            } else {
                None
            },
        });
        existing_view.push(SiteView {
            name: f.name.clone(),
            village_code: None,
            longitude: lon,
            latitude: lat,
        });
    }
    let given = !input.candidates.is_empty();
    let mut candidate_views = Vec::new();
    let mut candidates = Vec::new();
    if given {
        for (n, c) in input.candidates.iter().enumerate() {
            let (Some(lon), Some(lat)) = (c.longitude, c.latitude) else {
                return Err(invalid(
                    "candidates",
                    "候选点",
                    &format!("第 {} 个候选点缺少经度或纬度", n + 1),
                ));
            };
            if !(lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0) {
                return Err(invalid(
                    "candidates",
                    "候选点",
                    &format!("第 {} 个候选点的经纬度不在有效范围内", n + 1),
                ));
            }
            let capacity = capacity_of(c.capacity, "candidates", "候选点")?.or(default_capacity);
            candidates.push(Site {
                at: proj.to_km(lon, lat),
                capacity: capacity.filter(|_| use_capacity),
            });
            let name = c.name.trim();
            candidate_views.push(SiteView {
                name: if name.is_empty() {
                    format!("候选点 {}", n + 1)
                } else {
                    name.chars().take(60).collect()
                },
                village_code: None,
                longitude: lon,
                latitude: lat,
            });
        }
    } else {
        for v in &villages {
            let at = placement.of(&v.code);
            let (lon, lat) = proj.to_degrees(at);
            candidates.push(Site {
                at,
                capacity: default_capacity.filter(|_| use_capacity),
            });
            candidate_views.push(SiteView {
                name: v.name.clone(),
                village_code: Some(v.code.clone()),
                longitude: lon,
                latitude: lat,
            });
        }
    }
    if k > candidates.len() {
        return Err(invalid(
            "k",
            "新增数量",
            &format!("新增数量不能超过候选点数（{} 个）", candidates.len()),
        ));
    }
    let instance = Instance {
        demand: demand_villages
            .iter()
            .map(|(code, _, n)| Demand {
                at: placement.of(code),
                weight: *n,
            })
            .collect(),
        candidates,
        existing: existing_sites,
    };
    // Seconds of arithmetic at province scale: off the async workers.
    let inst = std::sync::Arc::new(instance);
    let worker = inst.clone();
    let result = tokio::task::spawn_blocking(move || {
        // The place is kept until the arithmetic ends, even if the asker
        // has gone away meanwhile.
        let slot = slot;
        let _running = slot.gate.brake.blocking_read();
        plan::plan(&worker, objective, k)
    })
    .await
    .map_err(AppError::internal)?
    .map_err(|e| {
        let label = match e {
            PlanError::Radius => "服务半径",
            PlanError::Cutoff => "距离上限",
            PlanError::TooMany => "新增数量",
            PlanError::Coordinates => "候选点",
        };
        invalid(e.field(), label, &e.to_string())
    })?;

    let mut event = Event::ok("planning.plan", "region", region.as_str().to_owned());
    event.detail = serde_json::json!({
        "kind": kind.as_str(), "objective": objective.code(), "k": k, "radius_km": radius_km,
    });
    app.audit(&crate::actor::Who::from(actor), event).await?;

    let chosen: Vec<ChoiceView> = result
        .chosen
        .iter()
        .map(|c| {
            let names: Vec<String> = c
                .top_demand
                .iter()
                .map(|(i, _)| demand_villages[*i].1.clone())
                .collect();
            let mut why = c.why.clone();
            if !names.is_empty() {
                why.push_str("；受益最多：");
                why.push_str(&names.join("、"));
            }
            ChoiceView {
                rank: c.rank,
                site: candidate_views[c.candidate].clone(),
                gain: (c.gain * 10.0).round() / 10.0,
                unique: (c.unique * 10.0).round() / 10.0,
                villages: names,
                why,
            }
        })
        .collect();
    let open_after: Vec<Point> = inst
        .existing
        .iter()
        .map(|s| s.at)
        .chain(
            result
                .chosen
                .iter()
                .map(|c| inst.candidates[c.candidate].at),
        )
        .collect();
    let covered = |open: &[Point]| -> Vec<bool> {
        let grid = plan::Grid::new(open.to_vec(), radius_km);
        inst.demand
            .iter()
            .map(|d| grid.nearest_within(d.at, radius_km).is_some())
            .collect()
    };
    let before_cov = covered(&open_after[..inst.existing.len()]);
    let after_cov = covered(&open_after);
    let mut uncovered: Vec<VillageLine> = demand_villages
        .iter()
        .zip(&after_cov)
        .filter(|(_, c)| !**c)
        .map(|((code, name, n), _)| VillageLine {
            code: code.clone(),
            name: name.clone(),
            people: *n,
        })
        .collect();
    uncovered.sort_by(|a, b| b.people.cmp(&a.people).then(a.code.cmp(&b.code)));
    uncovered.truncate(20);
    let map = map_view(
        &inst,
        &demand_villages,
        &before_cov,
        &after_cov,
        &result,
        &existing_view,
        &candidate_views,
        radius_km,
    );
    Ok(PlanView {
        region_code: region.as_str().to_owned(),
        region_name,
        kind: kind.as_str().to_owned(),
        kind_label: kind.label().to_owned(),
        need_label: need_label.to_owned(),
        objective: objective.code().to_owned(),
        k,
        radius_km,
        cutoff_km: match objective {
            Objective::Median { cutoff_km, .. } => Some(cutoff_km),
            Objective::Coverage { .. } => None,
        },
        villages: villages.len(),
        villages_with_need: demand_villages.len(),
        existing: existing_view,
        existing_without_coordinates: without,
        candidates: inst.candidates.len(),
        candidates_given: given,
        before: result.before.into(),
        after: result.after.into(),
        chosen,
        value: (result.value * 10.0).round() / 10.0,
        bound: (result.bound * 10.0).round() / 10.0,
        gap_percent: (result.gap * 10_000.0).round() / 100.0,
        proven_optimal: result.gap < 1e-9,
        stopped_early: result.stopped_early,
        capacitated: result.capacitated,
        capacity_ignored: result.capacity_ignored,
        swaps: result.swaps,
        uncovered_after: uncovered,
        placement_note: PLACEMENT_NOTE.to_owned(),
        map,
    })
}

/// The map: every village (sized by people in need, coloured by cover),
/// existing facilities and chosen sites, fitted into 640 × 420.
#[allow(clippy::too_many_arguments)]
fn map_view(
    inst: &Instance,
    villages: &[(String, String, u64)],
    before: &[bool],
    after: &[bool],
    result: &plan::Plan,
    existing: &[SiteView],
    candidates: &[SiteView],
    radius_km: f64,
) -> MapView {
    let (width, height, pad) = (640.0, 420.0, 20.0);
    let chosen_at: Vec<Point> = result
        .chosen
        .iter()
        .map(|c| inst.candidates[c.candidate].at)
        .collect();
    let all: Vec<Point> = inst
        .demand
        .iter()
        .map(|d| d.at)
        .chain(inst.existing.iter().map(|s| s.at))
        .chain(chosen_at.iter().copied())
        .collect();
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in &all {
        x0 = x0.min(p.x);
        x1 = x1.max(p.x);
        y0 = y0.min(p.y);
        y1 = y1.max(p.y);
    }
    if all.is_empty() {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    let span = ((x1 - x0) / (width - 2.0 * pad))
        .max((y1 - y0) / (height - 2.0 * pad))
        .max(1e-3);
    let to = |p: Point| -> (f64, f64) {
        let x = pad + (p.x - x0) / span;
        // North up: SVG y grows downwards.
        let y = height - pad - (p.y - y0) / span;
        ((x * 10.0).round() / 10.0, (y * 10.0).round() / 10.0)
    };
    let max_w = inst
        .demand
        .iter()
        .map(|d| d.weight)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    // A province has tens of thousands of villages: the map draws the
    // MAP_VILLAGES with most people in need, so the page stays light.
    let mut shown: Vec<usize> = (0..inst.demand.len()).collect();
    if shown.len() > MAP_VILLAGES {
        shown.sort_by(|&a, &b| {
            inst.demand[b]
                .weight
                .cmp(&inst.demand[a].weight)
                .then(a.cmp(&b))
        });
        shown.truncate(MAP_VILLAGES);
        shown.sort_unstable();
    }
    let villages = shown
        .into_iter()
        .map(|i| {
            let d = &inst.demand[i];
            let (x, y) = to(d.at);
            MapPoint {
                x,
                y,
                r: ((2.0 + 6.0 * (d.weight as f64 / max_w).sqrt()) * 10.0).round() / 10.0,
                covered_before: before[i],
                covered_after: after[i],
                label: format!("{}：{} 人", villages[i].1, d.weight),
            }
        })
        .collect();
    let site = |p: Point, label: String| {
        let (x, y) = to(p);
        MapPoint {
            x,
            y,
            r: 5.0,
            covered_before: true,
            covered_after: true,
            label,
        }
    };
    MapView {
        width,
        height,
        radius: ((radius_km / span) * 10.0).round() / 10.0,
        existing: inst
            .existing
            .iter()
            .zip(existing)
            .map(|(s, v)| site(s.at, v.name.clone()))
            .collect(),
        chosen: result
            .chosen
            .iter()
            .map(|c| {
                site(
                    inst.candidates[c.candidate].at,
                    format!("{}. {}", c.rank, candidates[c.candidate].name),
                )
            })
            .collect(),
        villages,
        km_per_100: (span * 100.0 * 10.0).round() / 10.0,
    }
}

/// What the planner page offers before a plan is run.
#[derive(Debug, Clone, Serialize)]
pub struct PlannerContext {
    pub region_code: String,
    pub region_name: String,
    pub villages: usize,
    pub kinds: Vec<(String, String)>,
}

pub async fn context(app: &App, actor: &Actor, region: &RegionCode) -> Result<PlannerContext> {
    let region_name = check_region(app, actor, region).await?;
    let mut conn = app.store().read().await?;
    let villages = regions::villages_under(&mut conn, region).await?.len();
    Ok(PlannerContext {
        region_code: region.as_str().to_owned(),
        region_name,
        villages,
        kinds: FacilityKind::ALL
            .iter()
            .filter(|k| **k != FacilityKind::Clinic && **k != FacilityKind::CareQualityCentre)
            .map(|k| (k.as_str().to_owned(), k.label().to_owned()))
            .collect(),
    })
}
