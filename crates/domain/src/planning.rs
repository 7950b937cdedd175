//! Facility-location planning (设施布局规划): where to put K new service points.
//!
//! Two classical models, both with the existing facilities held open:
//!
//! - **Maximal covering location** (MCLP; Church & ReVelle 1974, "The maximal
//!   covering location problem", Papers of the Regional Science Association
//!   32): choose K candidate sites to maximise the demand (people in need)
//!   within radius R of an open site.
//! - **p-median** (Hakimi 1964; ReVelle & Swain 1970): choose K sites to
//!   minimise the total weighted distance from each person to the nearest open
//!   site. Distances are *truncated* at a cutoff: someone farther than the
//!   cutoff from every site counts as the cutoff. For a network of service
//!   points this is the useful question (80 km and 50 km both mean "not
//!   served"), and it keeps the model sparse enough for a province.
//!
//! Both are solved by the same engine. Each demand point i has a baseline cost
//! b_i (what it pays with the existing facilities only) and each candidate j a
//! list of the demand points it would serve more cheaply, with cost c_ij < b_i;
//! MCLP is the special case c_ij = 0 within R, b_i = weight if uncovered.
//! The engine:
//!
//! 1. indexes points in a uniform grid ([`Grid`]) and builds each candidate's
//!    list with radius queries, so the work is proportional to the pairs that
//!    matter, not to demand × candidates;
//! 2. adds sites greedily with lazy evaluation (Minoux 1978, "Accelerated
//!    greedy algorithms"; the saving is submodular, so a stale gain is an
//!    upper bound of the fresh one). For a monotone submodular objective this
//!    is within 1 - 1/e of the optimum (Nemhauser, Wolsey & Fisher 1978);
//! 3. improves the set by 1-opt interchange (Teitz & Bart 1968): swap one
//!    chosen site for one not chosen while the objective improves, evaluated
//!    with each demand point's nearest and second-nearest open site
//!    (Whitaker 1983's fast interchange);
//! 4. bounds the optimum from the other side by Lagrangian relaxation of the
//!    assignment constraints, improved by subgradient steps (Held, Wolfe &
//!    Crowder 1974; Galvão 1980 for p-median, Galvão & ReVelle 1996 for
//!    MCLP). Its starting multipliers give exactly the simple bound "current
//!    value + the K largest single-site gains"; the steps can only tighten it.
//!    Also used: value(S) + the K largest marginal gains at the final set S,
//!    valid by submodularity.
//!
//! The answer states its quality as the gap between its value and the bound,
//! (bound - value) / bound for coverage and (value - bound) / bound for
//! distance: the true optimum lies between the two, so the answer is within
//! the gap of the optimum. [`exact`] enumerates all K-subsets for small
//! instances and the tests compare.
//!
//! **Capacities.** When any site has a capacity (people it can serve) and the
//! objective is coverage, a site covers at most its capacity. Heuristic:
//! existing facilities serve first (those without a limit, then the others,
//! in the order given), each the nearest uncovered demand within R first, up
//! to its capacity; the greedy then adds the candidate whose
//! min(capacity, uncovered demand within R) is largest and lets it serve its
//! nearest uncovered demand. The existing facilities' share is held fixed.
//! The bound is the smaller of the uncapacitated Lagrangian bound (dropping
//! capacities can only raise the optimum) and the sum of the K largest
//! single-site gains (a set serves at most what its sites serve alone). No
//! interchange is run with capacities. The p-median ignores capacities (a
//! capacitated p-median needs a transportation problem per evaluation); the
//! result says so.
//!
//! Coordinates are planar kilometres. [`Projection`] maps longitude/latitude
//! with an equirectangular projection about a reference latitude: east-west
//! distances are off by cos(lat)/cos(lat0) - 1, under 1 % within 1.3° of
//! latitude of the reference at 23° N (a city; across all of Guangdong, 20°-
//! 25.5° N, up to about 4 %).

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::fmt::Write as _;

/// A point in planar kilometres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

impl Point {
    pub fn distance(self, other: Point) -> f64 {
        (self.x - other.x).hypot(self.y - other.y)
    }
}

/// Longitude/latitude (degrees) to planar km, equirectangular about `lat0`.
#[derive(Debug, Clone, Copy)]
pub struct Projection {
    kx: f64,
    ky: f64,
}

impl Projection {
    /// Mean earth radius 6371.0088 km (IUGG).
    const EARTH_KM: f64 = 6371.0088;

    pub fn new(lat0_deg: f64) -> Projection {
        let ky = Self::EARTH_KM * std::f64::consts::PI / 180.0;
        Projection {
            kx: ky * lat0_deg.to_radians().cos(),
            ky,
        }
    }

    pub fn to_km(self, lon_deg: f64, lat_deg: f64) -> Point {
        Point {
            x: lon_deg * self.kx,
            y: lat_deg * self.ky,
        }
    }

    pub fn to_degrees(self, p: Point) -> (f64, f64) {
        (p.x / self.kx, p.y / self.ky)
    }
}

/// A deterministic stand-in position for a place without coordinates (the
/// region table has none for villages): within `spread_km` of `anchor`, at
/// an angle and a distance drawn from a hash of its code (FNV-1a 64, then
/// the splitmix64 finaliser: FNV alone barely moves when only the last digit
/// differs), spread uniformly over the disc. The same code always lands on
/// the same spot.
pub fn placed_near(anchor: Point, code: &str, spread_km: f64) -> Point {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in code.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^= h >> 31;
    // Two independent-looking halves: angle and squared radius.
    let a = (h >> 32) as f64 / f64::from(u32::MAX) * std::f64::consts::TAU;
    let r = spread_km * ((h & 0xffff_ffff) as f64 / f64::from(u32::MAX)).sqrt();
    Point {
        x: anchor.x + r * a.cos(),
        y: anchor.y + r * a.sin(),
    }
}

/// A place with people in need: a village, or a grid cell.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Demand {
    pub at: Point,
    /// People in need there.
    pub weight: u64,
}

/// A candidate site or an existing facility.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Site {
    pub at: Point,
    /// People it can serve; `None` is no limit.
    pub capacity: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Objective {
    /// Maximise the people within `radius_km` of an open site.
    Coverage { radius_km: f64 },
    /// Minimise people × km to the nearest open site, each distance counted
    /// at most `cutoff_km`; coverage within `radius_km` is reported too.
    Median { radius_km: f64, cutoff_km: f64 },
}

impl Objective {
    pub fn radius_km(self) -> f64 {
        match self {
            Objective::Coverage { radius_km } | Objective::Median { radius_km, .. } => radius_km,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Objective::Coverage { .. } => "coverage",
            Objective::Median { .. } => "median",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    pub demand: Vec<Demand>,
    pub candidates: Vec<Site>,
    pub existing: Vec<Site>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("radius must be a positive number of km (at most 500)")]
    Radius,
    #[error("cutoff must be at least the radius (at most 2000 km)")]
    Cutoff,
    #[error("K must not exceed the number of candidates")]
    TooMany,
    #[error("coordinates must be finite numbers")]
    Coordinates,
}

impl PlanError {
    /// The input field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            PlanError::Radius => "radius_km",
            PlanError::Cutoff => "cutoff_km",
            PlanError::TooMany => "k",
            PlanError::Coordinates => "candidates",
        }
    }
}

/// Demand and its cover, before or after.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub total_weight: u64,
    /// People within the radius of an open site (with capacities: served by one).
    pub covered_weight: u64,
    /// People × km to the nearest open site, each distance at most the
    /// cutoff; only for the p-median.
    pub person_km: Option<f64>,
}

impl Outcome {
    /// Covered share in per mille.
    pub fn covered_permille(&self) -> u64 {
        if self.total_weight == 0 {
            return 0;
        }
        (self.covered_weight * 1000 + self.total_weight / 2) / self.total_weight
    }
}

/// One chosen site and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// Index into the instance's candidates.
    pub candidate: usize,
    /// 1 = the site that added most; each later one given the earlier ones.
    pub rank: usize,
    /// What adding it (after the earlier ranks) gained: people newly covered
    /// (coverage) or people × km saved (p-median).
    pub gain: f64,
    /// What removing it from the final plan would lose, same unit.
    pub unique: f64,
    /// The demand points it gained most from, with their gain, largest first
    /// (at most five).
    pub top_demand: Vec<(usize, f64)>,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub objective: Objective,
    pub k: usize,
    pub chosen: Vec<Choice>,
    pub before: Outcome,
    pub after: Outcome,
    /// The objective's value: people covered, or person-km (truncated).
    pub value: f64,
    /// No plan with K sites can do better than this.
    pub bound: f64,
    /// Relative distance from the bound, 0 = proven optimal.
    pub gap: f64,
    pub capacitated: bool,
    /// Capacities were given but the p-median does not use them.
    pub capacity_ignored: bool,
    /// Fewer than K sites chosen: no further candidate improves anything.
    pub stopped_early: bool,
    /// Interchanges made by the local search.
    pub swaps: usize,
}

/// Checks the input; the web layer names the field.
pub fn validate(inst: &Instance, objective: Objective, k: usize) -> Result<(), PlanError> {
    let r = objective.radius_km();
    if !(r.is_finite() && r > 0.0 && r <= 500.0) {
        return Err(PlanError::Radius);
    }
    if let Objective::Median { cutoff_km, .. } = objective {
        if !(cutoff_km.is_finite() && cutoff_km >= r && cutoff_km <= 2000.0) {
            return Err(PlanError::Cutoff);
        }
    }
    if k > inst.candidates.len() {
        return Err(PlanError::TooMany);
    }
    let finite = |p: Point| p.x.is_finite() && p.y.is_finite();
    if !inst.demand.iter().all(|d| finite(d.at))
        || !inst
            .candidates
            .iter()
            .chain(&inst.existing)
            .all(|s| finite(s.at))
    {
        return Err(PlanError::Coordinates);
    }
    Ok(())
}

/// Plans K new sites. See the module documentation for the method.
pub fn plan(inst: &Instance, objective: Objective, k: usize) -> Result<Plan, PlanError> {
    validate(inst, objective, k)?;
    let capacitated = inst
        .candidates
        .iter()
        .chain(&inst.existing)
        .any(|s| s.capacity.is_some());
    if capacitated && matches!(objective, Objective::Coverage { .. }) {
        return Ok(plan_capacitated(inst, objective.radius_km(), k));
    }
    let engine = Engine::new(inst, objective);
    let mut state = engine.greedy(k);
    let swaps = engine.interchange(&mut state, 20);
    let bound = engine.bound(&state, k, LAGRANGIAN_STEPS);
    let mut plan = engine.report(inst, &state, bound, k);
    plan.swaps = swaps;
    plan.capacity_ignored = capacitated;
    Ok(plan)
}

// ---------------------------------------------------------------------------
// Spatial index

/// A uniform grid: points bucketed by cell, cells found through a hash map.
/// For radius queries with r close to the cell size a query reads 3×3 cells.
pub struct Grid {
    cell: f64,
    cells: HashMap<(i64, i64), (u32, u32)>,
    order: Vec<u32>,
    points: Vec<Point>,
}

impl Grid {
    pub fn new(points: Vec<Point>, cell: f64) -> Grid {
        let cell = if cell > 0.0 && cell.is_finite() {
            cell
        } else {
            1.0
        };
        let key = |p: Point| ((p.x / cell).floor() as i64, (p.y / cell).floor() as i64);
        let mut order: Vec<u32> = (0..points.len() as u32).collect();
        order.sort_by_key(|&i| key(points[i as usize]));
        let mut cells = HashMap::new();
        let mut start = 0;
        while start < order.len() {
            let k = key(points[order[start] as usize]);
            let mut end = start + 1;
            while end < order.len() && key(points[order[end] as usize]) == k {
                end += 1;
            }
            cells.insert(k, (start as u32, end as u32));
            start = end;
        }
        Grid {
            cell,
            cells,
            order,
            points,
        }
    }

    /// Calls `f(index, distance)` for every point within `r` of `p`.
    pub fn within(&self, p: Point, r: f64, mut f: impl FnMut(usize, f64)) {
        let reach = (r / self.cell).ceil() as i64;
        let (cx, cy) = (
            (p.x / self.cell).floor() as i64,
            (p.y / self.cell).floor() as i64,
        );
        for gx in cx - reach..=cx + reach {
            for gy in cy - reach..=cy + reach {
                if let Some(&(s, e)) = self.cells.get(&(gx, gy)) {
                    for &i in &self.order[s as usize..e as usize] {
                        let d = p.distance(self.points[i as usize]);
                        if d <= r + 1e-9 {
                            f(i as usize, d);
                        }
                    }
                }
            }
        }
    }

    /// The nearest point within `r`, if any.
    pub fn nearest_within(&self, p: Point, r: f64) -> Option<(usize, f64)> {
        let mut best: Option<(usize, f64)> = None;
        self.within(p, r, |i, d| {
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some((i, d));
            }
        });
        best
    }
}

// ---------------------------------------------------------------------------
// The uncapacitated engine

const NONE: u32 = u32::MAX;

/// Subgradient steps for the bound; it usually stalls (and stops) far sooner.
pub const LAGRANGIAN_STEPS: usize = 300;

/// Sparse "who would each candidate serve, at what cost" lists.
pub struct Engine {
    objective: Objective,
    /// Baseline cost per demand point (existing facilities only).
    base: Vec<f64>,
    /// Candidate j's entries: `offs[j]..offs[j+1]` into `dem`/`cost`.
    offs: Vec<usize>,
    dem: Vec<u32>,
    cost: Vec<f64>,
    /// Demand i's candidates: `roffs[i]..roffs[i+1]` into `rcand`/`rcost`.
    roffs: Vec<usize>,
    rcand: Vec<u32>,
    rcost: Vec<f64>,
    weights: Vec<u64>,
}

/// A set of open candidates with each demand point's best and second-best cost.
pub struct State {
    open: Vec<bool>,
    /// Chosen candidates in order of addition.
    order: Vec<usize>,
    cur: Vec<f64>,
    site1: Vec<u32>,
    second: Vec<f64>,
    stopped_early: bool,
}

impl State {
    pub fn chosen(&self) -> &[usize] {
        &self.order
    }
}

#[derive(PartialEq)]
struct Entry(f64, u32, usize);
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        // Larger gain first; ties to the lower candidate index (deterministic).
        self.0
            .total_cmp(&other.0)
            .then_with(|| other.1.cmp(&self.1))
    }
}

impl Engine {
    /// Builds the lists with the grid: phase 1 of a plan.
    pub fn new(inst: &Instance, objective: Objective) -> Engine {
        let radius = objective.radius_km();
        let reach = match objective {
            Objective::Coverage { radius_km } => radius_km,
            Objective::Median { cutoff_km, .. } => cutoff_km,
        };
        let n = inst.demand.len();
        let weights: Vec<u64> = inst.demand.iter().map(|d| d.weight).collect();
        let unit = |i: usize, d: f64| -> f64 {
            let w = weights[i] as f64;
            match objective {
                Objective::Coverage { .. } => {
                    if d <= radius + 1e-9 {
                        0.0
                    } else {
                        w
                    }
                }
                Objective::Median { cutoff_km, .. } => w * d.min(cutoff_km),
            }
        };
        let existing = Grid::new(inst.existing.iter().map(|s| s.at).collect(), reach);
        let base: Vec<f64> = (0..n)
            .map(
                |i| match existing.nearest_within(inst.demand[i].at, reach) {
                    Some((_, d)) => unit(i, d),
                    None => unit(i, f64::INFINITY),
                },
            )
            .collect();
        let grid = Grid::new(inst.demand.iter().map(|d| d.at).collect(), reach);
        let m = inst.candidates.len();
        let mut offs = Vec::with_capacity(m + 1);
        let mut dem = Vec::new();
        let mut cost = Vec::new();
        let mut rcount = vec![0usize; n + 1];
        offs.push(0);
        for c in &inst.candidates {
            let start = dem.len();
            grid.within(c.at, reach, |i, d| {
                let v = unit(i, d);
                if v < base[i] {
                    dem.push(i as u32);
                    cost.push(v);
                }
            });
            // Grid order is by cell; sort by demand index for cache locality.
            let mut pairs: Vec<(u32, f64)> = dem[start..]
                .iter()
                .copied()
                .zip(cost[start..].iter().copied())
                .collect();
            pairs.sort_by_key(|p| p.0);
            for (k, (i, v)) in pairs.into_iter().enumerate() {
                dem[start + k] = i;
                cost[start + k] = v;
                rcount[i as usize + 1] += 1;
            }
            offs.push(dem.len());
        }
        for i in 0..n {
            rcount[i + 1] += rcount[i];
        }
        let roffs = rcount;
        let mut fill = roffs.clone();
        let mut rcand = vec![0u32; dem.len()];
        let mut rcost = vec![0f64; dem.len()];
        for j in 0..m {
            for e in offs[j]..offs[j + 1] {
                let i = dem[e] as usize;
                rcand[fill[i]] = j as u32;
                rcost[fill[i]] = cost[e];
                fill[i] += 1;
            }
        }
        Engine {
            objective,
            base,
            offs,
            dem,
            cost,
            roffs,
            rcand,
            rcost,
            weights,
        }
    }

    /// How many (candidate, demand) pairs the lists hold.
    pub fn pairs(&self) -> usize {
        self.dem.len()
    }

    fn base_total(&self) -> f64 {
        self.base.iter().sum()
    }

    fn empty_state(&self) -> State {
        State {
            open: vec![false; self.offs.len() - 1],
            order: Vec::new(),
            cur: self.base.clone(),
            site1: vec![NONE; self.base.len()],
            second: self.base.clone(),
            stopped_early: false,
        }
    }

    fn gain(&self, s: &State, j: usize) -> f64 {
        let mut g = 0.0;
        for e in self.offs[j]..self.offs[j + 1] {
            let i = self.dem[e] as usize;
            let d = s.cur[i] - self.cost[e];
            if d > 0.0 {
                g += d;
            }
        }
        g
    }

    /// Best and second-best cost of demand i among the open sites and its baseline.
    fn refresh(&self, s: &mut State, i: usize) {
        let (mut c1, mut s1, mut c2) = (self.base[i], NONE, self.base[i]);
        for e in self.roffs[i]..self.roffs[i + 1] {
            let j = self.rcand[e];
            if !s.open[j as usize] {
                continue;
            }
            let c = self.rcost[e];
            if c < c1 || (c == c1 && s1 != NONE && j < s1) {
                c2 = c1;
                c1 = c;
                s1 = j;
            } else if c < c2 {
                c2 = c;
            }
        }
        s.cur[i] = c1;
        s.site1[i] = s1;
        s.second[i] = c2;
    }

    fn open(&self, s: &mut State, j: usize) {
        s.open[j] = true;
        for e in self.offs[j]..self.offs[j + 1] {
            let i = self.dem[e] as usize;
            self.refresh(s, i);
        }
    }

    fn close(&self, s: &mut State, j: usize) {
        s.open[j] = false;
        for e in self.offs[j]..self.offs[j + 1] {
            let i = self.dem[e] as usize;
            self.refresh(s, i);
        }
    }

    /// Phase 2: lazy greedy.
    pub fn greedy(&self, k: usize) -> State {
        let mut s = self.empty_state();
        let m = self.offs.len() - 1;
        let mut heap: BinaryHeap<Entry> = (0..m)
            .map(|j| Entry(self.gain(&s, j), j as u32, 0))
            .collect();
        let mut round = 0;
        while s.order.len() < k {
            let Some(Entry(g, j, stamp)) = heap.pop() else {
                break;
            };
            if stamp == round {
                if g <= 0.0 {
                    s.stopped_early = true;
                    break;
                }
                self.open(&mut s, j as usize);
                s.order.push(j as usize);
                round += 1;
            } else {
                heap.push(Entry(self.gain(&s, j as usize), j, round));
            }
        }
        if s.order.len() < k && heap.is_empty() {
            s.stopped_early = true;
        }
        s
    }

    /// Phase 3: 1-opt interchange, at most `passes` passes over the chosen
    /// sites. Returns the number of swaps made.
    pub fn interchange(&self, s: &mut State, passes: usize) -> usize {
        let m = self.offs.len() - 1;
        let n = self.base.len();
        let eps = 1e-9 * self.base_total().max(1.0);
        let mut gains: Vec<f64> = (0..m)
            .map(|j| if s.open[j] { 0.0 } else { self.gain(s, j) })
            .collect();
        let mut mine = vec![false; n];
        let mut near_seen = vec![false; m];
        let mut swaps = 0;
        for _ in 0..passes {
            let mut improved = false;
            for slot in 0..s.order.len() {
                let r = s.order[slot];
                // The demand r serves best, and what losing r would cost.
                let mut assigned = Vec::new();
                let mut loss = 0.0;
                for e in self.offs[r]..self.offs[r + 1] {
                    let i = self.dem[e] as usize;
                    if s.site1[i] == r as u32 {
                        assigned.push(i);
                        mine[i] = true;
                        loss += s.second[i] - s.cur[i];
                    }
                }
                let mut near = Vec::new();
                for &i in &assigned {
                    for e in self.roffs[i]..self.roffs[i + 1] {
                        let a = self.rcand[e] as usize;
                        if !s.open[a] && !near_seen[a] {
                            near_seen[a] = true;
                            near.push(a);
                        }
                    }
                }
                // Best swap partner: exact change for candidates sharing r's
                // demand; loss - gain for the others.
                let mut best: Option<(f64, usize)> = None;
                for &a in &near {
                    let mut corr = 0.0;
                    for e in self.offs[a]..self.offs[a + 1] {
                        let i = self.dem[e] as usize;
                        if mine[i] {
                            let c = self.cost[e];
                            let actual = s.second[i].min(c) - s.cur[i];
                            let counted = (s.second[i] - s.cur[i]) - (s.cur[i] - c).max(0.0);
                            corr += actual - counted;
                        }
                    }
                    let delta = loss - gains[a] + corr;
                    if best.is_none_or(|(b, _)| delta < b) {
                        best = Some((delta, a));
                    }
                }
                let far = (0..m)
                    .filter(|&a| !s.open[a] && !near_seen[a])
                    .max_by(|&a, &b| gains[a].total_cmp(&gains[b]).then(b.cmp(&a)));
                if let Some(a) = far {
                    let delta = loss - gains[a];
                    if best.is_none_or(|(b, _)| delta < b) {
                        best = Some((delta, a));
                    }
                }
                for &i in &assigned {
                    mine[i] = false;
                }
                for &a in &near {
                    near_seen[a] = false;
                }
                let Some((delta, a)) = best else { continue };
                if delta >= -eps {
                    continue;
                }
                self.close(s, r);
                self.open(s, a);
                s.order[slot] = a;
                swaps += 1;
                improved = true;
                // Gains change for every candidate sharing demand with r or a.
                let mut touched = Vec::new();
                for j in [r, a] {
                    for e in self.offs[j]..self.offs[j + 1] {
                        let i = self.dem[e] as usize;
                        for f in self.roffs[i]..self.roffs[i + 1] {
                            let c = self.rcand[f] as usize;
                            if !near_seen[c] {
                                near_seen[c] = true;
                                touched.push(c);
                            }
                        }
                    }
                }
                for &c in &touched {
                    near_seen[c] = false;
                    gains[c] = if s.open[c] { 0.0 } else { self.gain(s, c) };
                }
                gains[r] = self.gain(s, r);
            }
            if !improved {
                break;
            }
        }
        swaps
    }

    /// Phase 4: a lower bound on the cost of any K-site plan (Lagrangian
    /// relaxation with `iterations` subgradient steps), also checked against
    /// the submodular bound at the final set.
    pub fn bound(&self, s: &State, k: usize, iterations: usize) -> f64 {
        let total: f64 = s.cur.iter().sum();
        let m = self.offs.len() - 1;
        let top_k_sum = |v: &mut Vec<f64>| -> f64 {
            // Sum of the k largest values (all ≥ 0).
            if k == 0 || v.is_empty() {
                return 0.0;
            }
            let k = k.min(v.len());
            v.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
            v[..k].iter().sum()
        };
        // Submodular bound at the final set: OPT ≥ cost(S) - Σ top-K gains.
        let mut g: Vec<f64> = (0..m)
            .map(|j| if s.open[j] { 0.0 } else { self.gain(s, j) })
            .collect();
        let mut best = total - top_k_sum(&mut g);
        if k == 0 {
            return self.base_total();
        }
        // Lagrangian: relax "each demand point is served exactly once".
        // L(λ) = Σλ_i + Σ min(0, b_i - λ_i) + Σ_{K most negative} ρ_j,
        // ρ_j = Σ_{i∈N_j} min(0, c_ij - λ_i). λ = b gives the simple bound.
        let n = self.base.len();
        let active: Vec<bool> = (0..n).map(|i| self.roffs[i + 1] > self.roffs[i]).collect();
        let fixed: f64 = (0..n).filter(|&i| !active[i]).map(|i| self.base[i]).sum();
        let mut lambda = self.base.clone();
        let mut theta = 2.0;
        let mut stall = 0;
        let mut rho = vec![0f64; m];
        let mut sub = vec![0f64; n];
        for _ in 0..iterations {
            let mut value = fixed;
            for i in 0..n {
                if active[i] {
                    value += lambda[i] + (self.base[i] - lambda[i]).min(0.0);
                }
            }
            for (j, r) in rho.iter_mut().enumerate() {
                let mut v = 0.0;
                for e in self.offs[j]..self.offs[j + 1] {
                    v += (self.cost[e] - lambda[self.dem[e] as usize]).min(0.0);
                }
                *r = v;
            }
            let mut idx: Vec<u32> = (0..m as u32).collect();
            let kk = k.min(m);
            idx.select_nth_unstable_by(kk - 1, |&a, &b| {
                rho[a as usize].total_cmp(&rho[b as usize])
            });
            let picked = &idx[..kk];
            value += picked
                .iter()
                .map(|&j| rho[j as usize].min(0.0))
                .sum::<f64>();
            if value > best + 1e-12 * best.abs().max(1.0) {
                best = value;
                stall = 0;
            } else {
                stall += 1;
                if stall >= 15 {
                    theta /= 2.0;
                    stall = 0;
                }
            }
            if total - best <= 1e-9 * total.max(1.0) || theta < 1e-4 {
                break;
            }
            // Subgradient: 1 - (times demand i is served in the relaxed answer).
            for i in 0..n {
                sub[i] = if active[i] && self.base[i] < lambda[i] {
                    -1.0
                } else {
                    0.0
                };
            }
            for &j in picked {
                let j = j as usize;
                if rho[j] >= 0.0 {
                    continue;
                }
                for e in self.offs[j]..self.offs[j + 1] {
                    let i = self.dem[e] as usize;
                    if self.cost[e] < lambda[i] {
                        sub[i] -= 1.0;
                    }
                }
            }
            let mut norm = 0.0;
            for i in 0..n {
                if active[i] {
                    sub[i] += 1.0;
                    norm += sub[i] * sub[i];
                }
            }
            if norm == 0.0 {
                break; // the relaxed answer is feasible: optimal
            }
            let step = theta * (total - value).max(1e-9 * total.max(1.0)) / norm;
            for i in 0..n {
                if active[i] {
                    lambda[i] = (lambda[i] + step * sub[i]).max(0.0);
                }
            }
        }
        best.min(total)
    }

    /// Phase 5: explanations and before/after figures, given the bound
    /// from [`Engine::bound`].
    pub fn report(&self, inst: &Instance, s: &State, cost_bound: f64, k: usize) -> Plan {
        let total_weight: u64 = self.weights.iter().sum();
        let radius = self.objective.radius_km();
        let chosen_sites: Vec<usize> = s.order.clone();
        let before = outcome(inst, &[], self.objective);
        let after = outcome(inst, &chosen_sites, self.objective);
        // Rank the final set greedily: each next the one adding most given the
        // earlier ones, so the gains add up to the whole improvement.
        let mut e = self.empty_state();
        let mut rest = chosen_sites.clone();
        let mut choices = Vec::new();
        while !rest.is_empty() {
            let (pos, g) = rest
                .iter()
                .enumerate()
                .map(|(p, &j)| (p, self.gain(&e, j)))
                .fold(
                    (0, f64::NEG_INFINITY),
                    |acc, x| {
                        if x.1 > acc.1 {
                            x
                        } else {
                            acc
                        }
                    },
                );
            let j = rest.remove(pos);
            let mut top: Vec<(usize, f64)> = (self.offs[j]..self.offs[j + 1])
                .map(|x| {
                    (
                        self.dem[x] as usize,
                        (e.cur[self.dem[x] as usize] - self.cost[x]),
                    )
                })
                .filter(|p| p.1 > 0.0)
                .collect();
            top.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            top.truncate(5);
            self.open(&mut e, j);
            choices.push(Choice {
                candidate: j,
                rank: choices.len() + 1,
                gain: g,
                unique: 0.0,
                top_demand: top,
                why: String::new(),
            });
        }
        for c in &mut choices {
            let j = c.candidate;
            c.unique = (self.offs[j]..self.offs[j + 1])
                .map(|x| self.dem[x] as usize)
                .filter(|&i| s.site1[i] == j as u32)
                .map(|i| s.second[i] - s.cur[i])
                .sum();
            c.why = why(self.objective, c, radius);
        }
        let cost: f64 = s.cur.iter().sum();
        let (value, bound, gap) = match self.objective {
            Objective::Coverage { .. } => {
                let tw = total_weight as f64;
                let value = tw - cost;
                let bound = (tw - cost_bound).max(value);
                let gap = if bound > 0.0 {
                    (bound - value) / bound
                } else {
                    0.0
                };
                (value, bound, gap)
            }
            Objective::Median { .. } => {
                let bound = cost_bound.min(cost);
                let gap = if bound > 0.0 {
                    (cost - bound) / bound
                } else {
                    0.0
                };
                (cost, bound, gap)
            }
        };
        Plan {
            objective: self.objective,
            k,
            chosen: choices,
            before,
            after,
            value,
            bound,
            gap: gap.max(0.0),
            capacitated: false,
            capacity_ignored: false,
            stopped_early: s.stopped_early,
            swaps: 0,
        }
    }
}

fn why(objective: Objective, c: &Choice, radius: f64) -> String {
    let mut s = String::new();
    match objective {
        Objective::Coverage { .. } => {
            let _ = write!(s, "第{}个选址：", c.rank);
            if c.rank > 1 {
                let _ = write!(s, "在前{}个之外", c.rank - 1);
            }
            let _ = write!(
                s,
                "新增覆盖 {} 人（{} 公里内）；若不建此点，将有 {} 人失去覆盖",
                c.gain.round() as u64,
                radius,
                c.unique.round() as u64
            );
        }
        Objective::Median { .. } => {
            let _ = write!(s, "第{}个选址：", c.rank);
            if c.rank > 1 {
                let _ = write!(s, "在前{}个之外", c.rank - 1);
            }
            let _ = write!(
                s,
                "使服务对象到最近服务点的总距离减少 {:.1} 人·公里；若不建此点，总距离将增加 {:.1} 人·公里",
                c.gain, c.unique
            );
        }
    }
    s
}

/// Coverage (and, for the p-median, truncated person-km) with the existing
/// facilities and the given candidates open, computed directly.
pub fn outcome(inst: &Instance, chosen: &[usize], objective: Objective) -> Outcome {
    let radius = objective.radius_km();
    let reach = match objective {
        Objective::Coverage { radius_km } => radius_km,
        Objective::Median { cutoff_km, .. } => cutoff_km,
    };
    let open: Vec<Point> = inst
        .existing
        .iter()
        .map(|s| s.at)
        .chain(chosen.iter().map(|&j| inst.candidates[j].at))
        .collect();
    let grid = Grid::new(open, reach);
    let mut covered = 0;
    let mut person_km = 0.0;
    for d in &inst.demand {
        let near = grid.nearest_within(d.at, reach).map(|x| x.1);
        if near.is_some_and(|x| x <= radius + 1e-9) {
            covered += d.weight;
        }
        person_km += d.weight as f64 * near.unwrap_or(reach).min(reach);
    }
    Outcome {
        total_weight: inst.demand.iter().map(|d| d.weight).sum(),
        covered_weight: covered,
        person_km: matches!(objective, Objective::Median { .. }).then_some(person_km),
    }
}

// ---------------------------------------------------------------------------
// Coverage with capacities

/// Serves the nearest uncovered demand within `radius` of `at`, up to `cap`.
fn serve(
    grid: &Grid,
    at: Point,
    radius: f64,
    cap: Option<u64>,
    residual: &mut [u64],
) -> Vec<(usize, u64)> {
    let mut near = Vec::new();
    grid.within(at, radius, |i, d| near.push((d, i)));
    near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut left = cap.unwrap_or(u64::MAX);
    let mut served = Vec::new();
    for (_, i) in near {
        if left == 0 {
            break;
        }
        let take = residual[i].min(left);
        if take > 0 {
            residual[i] -= take;
            left -= take;
            served.push((i, take));
        }
    }
    served
}

fn capacitated_gain(grid: &Grid, site: &Site, radius: f64, residual: &[u64]) -> u64 {
    let mut sum = 0u64;
    grid.within(site.at, radius, |i, _| sum += residual[i]);
    sum.min(site.capacity.unwrap_or(u64::MAX))
}

/// The existing facilities' share, served first; returns the residual demand.
fn baseline_residual(inst: &Instance, grid: &Grid, radius: f64) -> Vec<u64> {
    let mut residual: Vec<u64> = inst.demand.iter().map(|d| d.weight).collect();
    let unlimited = inst.existing.iter().filter(|s| s.capacity.is_none());
    let limited = inst.existing.iter().filter(|s| s.capacity.is_some());
    for s in unlimited.chain(limited) {
        serve(grid, s.at, radius, s.capacity, &mut residual);
    }
    residual
}

fn plan_capacitated(inst: &Instance, radius: f64, k: usize) -> Plan {
    let objective = Objective::Coverage { radius_km: radius };
    let grid = Grid::new(inst.demand.iter().map(|d| d.at).collect(), radius);
    let mut residual = baseline_residual(inst, &grid, radius);
    let total: u64 = inst.demand.iter().map(|d| d.weight).sum();
    let left_before: u64 = residual.iter().sum();
    let covered_before = total - left_before;
    let singles: Vec<u64> = inst
        .candidates
        .iter()
        .map(|c| capacitated_gain(&grid, c, radius, &residual))
        .collect();
    // Bounds on what K new sites can add: the K largest single-site gains,
    // and the uncapacitated Lagrangian bound on the residual demand.
    let mut sorted = singles.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let single_bound: u64 = sorted.iter().take(k).sum();
    let residual_inst = Instance {
        demand: inst
            .demand
            .iter()
            .zip(&residual)
            .map(|(d, &w)| Demand {
                at: d.at,
                weight: w,
            })
            .collect(),
        candidates: inst.candidates.clone(),
        existing: Vec::new(),
    };
    let engine = Engine::new(&residual_inst, objective);
    let st = engine.greedy(k);
    let lagr = left_before as f64 - engine.bound(&st, k, LAGRANGIAN_STEPS);
    let add_bound = (single_bound as f64).min(lagr);

    // Lazy greedy: gains only fall as residual demand falls.
    let mut heap: BinaryHeap<Entry> = singles
        .iter()
        .enumerate()
        .map(|(j, &g)| Entry(g as f64, j as u32, 0))
        .collect();
    let mut chosen: Vec<Choice> = Vec::new();
    let mut order = Vec::new();
    let mut round = 0;
    let mut stopped_early = false;
    while order.len() < k {
        let Some(Entry(g, j, stamp)) = heap.pop() else {
            stopped_early = true;
            break;
        };
        let j = j as usize;
        if stamp != round {
            let fresh = capacitated_gain(&grid, &inst.candidates[j], radius, &residual);
            heap.push(Entry(fresh as f64, j as u32, round));
            continue;
        }
        if g <= 0.0 {
            stopped_early = true;
            break;
        }
        let site = inst.candidates[j];
        let mut served = serve(&grid, site.at, radius, site.capacity, &mut residual);
        let gained: u64 = served.iter().map(|s| s.1).sum();
        served.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        served.truncate(5);
        order.push(j);
        round += 1;
        let mut c = Choice {
            candidate: j,
            rank: order.len(),
            gain: gained as f64,
            unique: gained as f64,
            top_demand: served.into_iter().map(|(i, w)| (i, w as f64)).collect(),
            why: String::new(),
        };
        c.why = why(objective, &c, radius);
        if let Some(cap) = site.capacity {
            let _ = write!(c.why, "（容量 {cap} 人）");
        }
        chosen.push(c);
    }
    let covered_after = total - residual.iter().sum::<u64>();
    let value = covered_after as f64;
    let bound = (covered_before as f64 + add_bound).max(value);
    let gap = if bound > 0.0 {
        (bound - value) / bound
    } else {
        0.0
    };
    Plan {
        objective,
        k,
        chosen,
        before: Outcome {
            total_weight: total,
            covered_weight: covered_before,
            person_km: None,
        },
        after: Outcome {
            total_weight: total,
            covered_weight: covered_after,
            person_km: None,
        },
        value,
        bound,
        gap,
        capacitated: true,
        capacity_ignored: false,
        stopped_early,
        swaps: 0,
    }
}

/// Where each new site's served people are, for a capacitated plan: the load
/// of every open site (existing first, then the chosen in order), to check
/// that no capacity is exceeded.
pub fn capacitated_loads(inst: &Instance, radius: f64, chosen: &[usize]) -> Vec<u64> {
    let grid = Grid::new(inst.demand.iter().map(|d| d.at).collect(), radius);
    let mut residual: Vec<u64> = inst.demand.iter().map(|d| d.weight).collect();
    let unlimited = inst.existing.iter().filter(|s| s.capacity.is_none());
    let limited = inst.existing.iter().filter(|s| s.capacity.is_some());
    let mut loads = Vec::new();
    for s in unlimited
        .chain(limited)
        .chain(chosen.iter().map(|&j| &inst.candidates[j]))
    {
        let served = serve(&grid, s.at, radius, s.capacity, &mut residual);
        loads.push(served.iter().map(|x| x.1).sum());
    }
    loads
}

// ---------------------------------------------------------------------------
// Exact answers for small instances

/// The optimum over all K-subsets of candidates (at most K for coverage with
/// capacities, where the existing facilities' share is fixed as in [`plan`]
/// and the new sites' share is a maximum flow). Exponential: for tests and
/// small benchmarks only; `None` if there are more than 5 million subsets.
pub fn exact(inst: &Instance, objective: Objective, k: usize) -> Option<f64> {
    let m = inst.candidates.len();
    if k > m || binomial(m, k) > 5_000_000 {
        return None;
    }
    let capacitated = inst
        .candidates
        .iter()
        .chain(&inst.existing)
        .any(|s| s.capacity.is_some());
    let radius = objective.radius_km();
    let mut subset: Vec<usize> = (0..k).collect();
    let mut best: Option<f64> = None;
    let residual = if capacitated && matches!(objective, Objective::Coverage { .. }) {
        let grid = Grid::new(inst.demand.iter().map(|d| d.at).collect(), radius);
        Some(baseline_residual(inst, &grid, radius))
    } else {
        None
    };
    loop {
        let value = match (&residual, objective) {
            (Some(res), _) => {
                let fixed: u64 =
                    inst.demand.iter().map(|d| d.weight).sum::<u64>() - res.iter().sum::<u64>();
                (fixed + max_flow_cover(inst, res, &subset, radius)) as f64
            }
            (None, Objective::Coverage { .. }) => inst
                .demand
                .iter()
                .filter(|d| {
                    inst.existing
                        .iter()
                        .map(|s| s.at)
                        .chain(subset.iter().map(|&j| inst.candidates[j].at))
                        .any(|p| p.distance(d.at) <= radius + 1e-9)
                })
                .map(|d| d.weight as f64)
                .sum(),
            (None, Objective::Median { cutoff_km, .. }) => inst
                .demand
                .iter()
                .map(|d| {
                    let near = inst
                        .existing
                        .iter()
                        .map(|s| s.at)
                        .chain(subset.iter().map(|&j| inst.candidates[j].at))
                        .map(|p| p.distance(d.at))
                        .fold(cutoff_km, f64::min);
                    d.weight as f64 * near
                })
                .sum(),
        };
        let better = match objective {
            Objective::Coverage { .. } => best.is_none_or(|b| value > b),
            Objective::Median { .. } => best.is_none_or(|b| value < b),
        };
        if better {
            best = Some(value);
        }
        // Next K-subset in lexicographic order.
        let mut i = k;
        loop {
            if i == 0 {
                return best;
            }
            i -= 1;
            if subset[i] < m - k + i {
                subset[i] += 1;
                for t in i + 1..k {
                    subset[t] = subset[t - 1] + 1;
                }
                break;
            }
        }
    }
}

fn binomial(n: usize, k: usize) -> u128 {
    let k = k.min(n - k);
    let mut r: u128 = 1;
    for i in 0..k {
        r = r * (n - i) as u128 / (i + 1) as u128;
        if r > u64::MAX as u128 {
            return r;
        }
    }
    r
}

/// Maximum people the chosen sites can serve within the radius, with their
/// capacities: a bipartite maximum flow (Edmonds-Karp on a dense matrix).
fn max_flow_cover(inst: &Instance, residual: &[u64], chosen: &[usize], radius: f64) -> u64 {
    let (n, k) = (inst.demand.len(), chosen.len());
    let size = 2 + k + n;
    let (src, sink) = (0, 1);
    let mut cap = vec![vec![0u64; size]; size];
    for (a, &j) in chosen.iter().enumerate() {
        let site = inst.candidates[j];
        cap[src][2 + a] = site.capacity.unwrap_or(u64::MAX / 4);
        for (i, d) in inst.demand.iter().enumerate() {
            if site.at.distance(d.at) <= radius + 1e-9 {
                cap[2 + a][2 + k + i] = u64::MAX / 4;
            }
        }
    }
    for i in 0..n {
        cap[2 + k + i][sink] = residual[i];
    }
    let mut flow = 0u64;
    loop {
        let mut prev = vec![usize::MAX; size];
        prev[src] = src;
        let mut queue = std::collections::VecDeque::from([src]);
        while let Some(u) = queue.pop_front() {
            for v in 0..size {
                if prev[v] == usize::MAX && cap[u][v] > 0 {
                    prev[v] = u;
                    queue.push_back(v);
                }
            }
        }
        if prev[sink] == usize::MAX {
            return flow;
        }
        let mut push = u64::MAX;
        let mut v = sink;
        while v != src {
            push = push.min(cap[prev[v]][v]);
            v = prev[v];
        }
        let mut v = sink;
        while v != src {
            cap[prev[v]][v] -= push;
            cap[v][prev[v]] += push;
            v = prev[v];
        }
        flow += push;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// splitmix64: a tiny deterministic generator for test instances.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn random_instance(rng: &mut Rng, capacities: bool) -> Instance {
        let side = 10.0;
        let pt = |rng: &mut Rng| Point {
            x: rng.unit() * side,
            y: rng.unit() * side,
        };
        let n = 10 + rng.below(16) as usize;
        let m = 6 + rng.below(9) as usize;
        let e = rng.below(3) as usize;
        let cap = |rng: &mut Rng| (capacities && rng.below(3) > 0).then(|| 10 + rng.below(60));
        Instance {
            demand: (0..n)
                .map(|_| Demand {
                    at: pt(rng),
                    weight: 1 + rng.below(40),
                })
                .collect(),
            candidates: (0..m)
                .map(|_| Site {
                    at: pt(rng),
                    capacity: cap(rng),
                })
                .collect(),
            existing: (0..e)
                .map(|_| Site {
                    at: pt(rng),
                    capacity: cap(rng),
                })
                .collect(),
        }
    }

    const TOL: f64 = 1e-6;

    #[test]
    fn coverage_is_within_its_gap_of_the_exact_optimum() {
        let mut rng = Rng(7);
        let mut proven = 0;
        for _ in 0..300 {
            let inst = random_instance(&mut rng, false);
            let k = 1 + rng.below(5) as usize;
            let obj = Objective::Coverage {
                radius_km: 1.5 + rng.unit() * 2.5,
            };
            let p = plan(&inst, obj, k).unwrap();
            let opt = exact(&inst, obj, k).unwrap();
            assert!(p.value <= opt + TOL, "heuristic above the optimum");
            assert!(
                opt <= p.bound + TOL,
                "bound {} below optimum {opt}",
                p.bound
            );
            assert!((opt - p.value) / opt.max(1.0) <= p.gap + TOL);
            // Greedy's guarantee on what the new sites add.
            let base = p.before.covered_weight as f64;
            assert!(p.value - base >= (1.0 - 1.0 / std::f64::consts::E) * (opt - base) - TOL);
            assert_eq!(p.after.covered_weight as f64, p.value);
            if p.gap < 1e-9 {
                proven += 1;
            }
        }
        // The bound is not vacuous: most small instances are proven optimal.
        assert!(proven > 150, "only {proven} of 300 proven optimal");
    }

    #[test]
    fn median_is_within_its_gap_of_the_exact_optimum() {
        let mut rng = Rng(11);
        let mut worst: f64 = 0.0;
        for _ in 0..300 {
            let inst = random_instance(&mut rng, false);
            let k = 1 + rng.below(5) as usize;
            let obj = Objective::Median {
                radius_km: 2.0,
                cutoff_km: 3.0 + rng.unit() * 8.0,
            };
            let p = plan(&inst, obj, k).unwrap();
            let opt = exact(&inst, obj, k).unwrap();
            assert!(p.value >= opt - TOL, "heuristic below the optimum");
            assert!(
                p.bound <= opt + TOL,
                "bound {} above optimum {opt}",
                p.bound
            );
            assert!((p.value - opt) / opt.max(TOL) <= p.gap + TOL);
            assert!((p.after.person_km.unwrap() - p.value).abs() < 1e-6 * p.value.max(1.0));
            worst = worst.max(p.gap);
        }
        assert!(worst < 0.5, "the bound is too weak: worst gap {worst}");
    }

    #[test]
    fn capacities_are_respected_and_within_the_gap() {
        let mut rng = Rng(23);
        for _ in 0..200 {
            let inst = random_instance(&mut rng, true);
            let k = 1 + rng.below(3) as usize;
            let obj = Objective::Coverage { radius_km: 3.0 };
            let p = plan(&inst, obj, k).unwrap();
            let chosen: Vec<usize> = p.chosen.iter().map(|c| c.candidate).collect();
            let opt = exact(&inst, obj, k).unwrap();
            if !p.capacitated {
                continue;
            }
            let loads = capacitated_loads(&inst, 3.0, &chosen);
            let sites = inst
                .existing
                .iter()
                .filter(|s| s.capacity.is_none())
                .chain(inst.existing.iter().filter(|s| s.capacity.is_some()))
                .chain(chosen.iter().map(|&j| &inst.candidates[j]));
            for (load, site) in loads.iter().zip(sites) {
                assert!(*load <= site.capacity.unwrap_or(u64::MAX));
            }
            let served: u64 = loads.iter().sum();
            assert_eq!(served, p.after.covered_weight);
            assert!(p.value <= opt + TOL);
            assert!(
                opt <= p.bound + TOL,
                "bound {} below optimum {opt}",
                p.bound
            );
            assert!((opt - p.value) / opt.max(1.0) <= p.gap + TOL);
        }
    }

    #[test]
    fn a_capacity_limits_what_one_site_covers() {
        let at = Point { x: 0.0, y: 0.0 };
        let inst = Instance {
            demand: vec![Demand { at, weight: 100 }],
            candidates: vec![Site {
                at,
                capacity: Some(30),
            }],
            existing: vec![],
        };
        let p = plan(&inst, Objective::Coverage { radius_km: 1.0 }, 1).unwrap();
        assert_eq!(p.after.covered_weight, 30);
        assert!(p.capacitated);
    }

    #[test]
    fn each_choice_says_why() {
        // Two clusters; one existing facility covers the first.
        let pt = |x, y| Point { x, y };
        let inst = Instance {
            demand: vec![
                Demand {
                    at: pt(0.0, 0.0),
                    weight: 50,
                },
                Demand {
                    at: pt(0.5, 0.0),
                    weight: 30,
                },
                Demand {
                    at: pt(10.0, 0.0),
                    weight: 40,
                },
                Demand {
                    at: pt(10.5, 0.5),
                    weight: 20,
                },
                Demand {
                    at: pt(20.0, 0.0),
                    weight: 5,
                },
            ],
            candidates: vec![
                Site {
                    at: pt(0.2, 0.0),
                    capacity: None,
                },
                Site {
                    at: pt(10.2, 0.2),
                    capacity: None,
                },
                Site {
                    at: pt(20.0, 0.1),
                    capacity: None,
                },
            ],
            existing: vec![Site {
                at: pt(0.0, 0.1),
                capacity: None,
            }],
        };
        let p = plan(&inst, Objective::Coverage { radius_km: 1.0 }, 2).unwrap();
        assert_eq!(p.before.covered_weight, 80);
        assert_eq!(p.after.covered_weight, 145);
        let first = &p.chosen[0];
        assert_eq!(first.candidate, 1);
        assert_eq!(first.gain, 60.0);
        assert_eq!(first.top_demand[0], (2, 40.0));
        assert!(first.why.contains("新增覆盖 60 人"), "{}", first.why);
        assert!(first.why.contains("失去覆盖"), "{}", first.why);
        assert_eq!(p.chosen[1].candidate, 2);
        assert!(p.gap.abs() < 1e-12);
        // The site next to the existing facility adds nothing and is not chosen.
        let p = plan(&inst, Objective::Coverage { radius_km: 1.0 }, 3).unwrap();
        assert_eq!(p.chosen.len(), 2);
        assert!(p.stopped_early);
    }

    #[test]
    fn k_zero_changes_nothing() {
        let mut rng = Rng(3);
        let inst = random_instance(&mut rng, false);
        for obj in [
            Objective::Coverage { radius_km: 2.0 },
            Objective::Median {
                radius_km: 2.0,
                cutoff_km: 6.0,
            },
        ] {
            let p = plan(&inst, obj, 0).unwrap();
            assert!(p.chosen.is_empty());
            assert_eq!(p.before, p.after);
            assert!(p.gap.abs() < 1e-12);
        }
    }

    #[test]
    fn bad_input_names_the_field() {
        let inst = Instance::default();
        let e = plan(&inst, Objective::Coverage { radius_km: 0.0 }, 0).unwrap_err();
        assert_eq!(e.field(), "radius_km");
        let e = plan(
            &inst,
            Objective::Median {
                radius_km: 3.0,
                cutoff_km: 1.0,
            },
            0,
        )
        .unwrap_err();
        assert_eq!(e.field(), "cutoff_km");
        let e = plan(&inst, Objective::Coverage { radius_km: 1.0 }, 1).unwrap_err();
        assert_eq!(e.field(), "k");
    }

    #[test]
    fn interchange_repairs_a_greedy_mistake() {
        // The classic trap: greedy takes the middle site, which covers a bit
        // of both clusters, then cannot cover both fully with two sites.
        let pt = |x, y| Point { x, y };
        let d = |x, w| Demand {
            at: pt(x, 0.0),
            weight: w,
        };
        let s = |x| Site {
            at: pt(x, 0.0),
            capacity: None,
        };
        let inst = Instance {
            demand: vec![d(0.0, 10), d(1.0, 10), d(2.0, 10), d(3.0, 10)],
            candidates: vec![s(0.5), s(1.5), s(2.5)],
            existing: vec![],
        };
        let obj = Objective::Median {
            radius_km: 0.6,
            cutoff_km: 5.0,
        };
        let p = plan(&inst, obj, 2).unwrap();
        assert!((p.value - exact(&inst, obj, 2).unwrap()).abs() < 1e-9);
        assert_eq!(p.swaps, 1);
    }

    #[test]
    fn the_grid_finds_exactly_the_points_within_the_radius() {
        let mut rng = Rng(99);
        let points: Vec<Point> = (0..500)
            .map(|_| Point {
                x: rng.unit() * 50.0 - 25.0,
                y: rng.unit() * 50.0 - 25.0,
            })
            .collect();
        let grid = Grid::new(points.clone(), 3.0);
        for _ in 0..50 {
            let q = Point {
                x: rng.unit() * 50.0 - 25.0,
                y: rng.unit() * 50.0 - 25.0,
            };
            let r = rng.unit() * 8.0;
            let mut found = Vec::new();
            grid.within(q, r, |i, _| found.push(i));
            found.sort();
            let want: Vec<usize> = (0..points.len())
                .filter(|&i| points[i].distance(q) <= r)
                .collect();
            assert_eq!(found, want);
        }
    }

    #[test]
    fn stand_in_positions_are_stable_and_within_the_spread() {
        let anchor = Point { x: 10.0, y: -4.0 };
        let a = placed_near(anchor, "440784103201", 4.0);
        assert_eq!(a, placed_near(anchor, "440784103201", 4.0));
        let b = placed_near(anchor, "440784103202", 4.0);
        assert!(a.distance(b) > 0.1, "neighbours land apart");
        let mut mean = 0.0;
        for n in 0..100 {
            let p = placed_near(anchor, &format!("4407841032{n:02}"), 4.0);
            assert!(p.distance(anchor) <= 4.0 + 1e-9);
            mean += p.distance(anchor) / 100.0;
        }
        // Uniform over the disc: the mean distance is 2/3 of the spread.
        assert!((mean - 8.0 / 3.0).abs() < 0.4, "mean distance {mean}");
    }

    #[test]
    fn the_projection_gives_kilometres() {
        // One degree of latitude is about 111.2 km; at 23° N a degree of
        // longitude about 102.4 km.
        let p = Projection::new(23.0);
        let a = p.to_km(112.0, 23.0);
        assert!((a.distance(p.to_km(112.0, 24.0)) - 111.19).abs() < 0.05);
        assert!((a.distance(p.to_km(113.0, 23.0)) - 102.35).abs() < 0.05);
        let (lon, lat) = p.to_degrees(a);
        assert!((lon - 112.0).abs() < 1e-9 && (lat - 23.0).abs() < 1e-9);
    }
}
