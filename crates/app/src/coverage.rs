//! Coverage (设施覆盖): for one kind of facility, how far the people it is
//! for live from the nearest one, and what share live within a radius.
//! People are counted per village; the distance is the village's.
//!
//! Villages have no coordinates in the statistical division codes, and the
//! register keeps none for them. [`village_points`] therefore places each
//! village at a stand-in point, and everything shown says so: a village
//! where a facility is registered takes that facility's coordinates; any
//! other is scattered, deterministically by its code, within 3 km of its
//! town's anchor (the mean of the coordinates of the facilities registered
//! in the town), or, for a town without any, around its county's, city's or
//! (last) the province's anchor. Distances are therefore approximate; load
//! village coordinates to make them exact.

use crate::actor::Who;
use crate::audit::Event;
use crate::dashboards::{header, RegionHeader};
use crate::home_modification::check_region;
use crate::{civil, Actor, App, AppError, Result};
use kangyang_domain::facility::FacilityKind;
use kangyang_domain::geo::{scatter, GridIndex, Point};
use kangyang_domain::money::{per_mille, percent_string};
use kangyang_domain::stats::NeedGroup;
use kangyang_domain::{Action, RegionCode};
use kangyang_store::stats::{self, FacilityPoint};
use kangyang_store::{regions, Conn};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Where Guangdong's government sits: the anchor of last resort.
const PROVINCE_ANCHOR: Point = Point {
    lon: 113.2644,
    lat: 23.1291,
};

/// How far a stand-in point may lie from its anchor, by the level it
/// stands in for (village, town, county, city), in kilometres.
const SCATTER_KM: [f64; 4] = [3.0, 10.0, 25.0, 120.0];

pub const PLACEMENT_NOTE: &str =
    "村（社区）没有坐标数据。登记有机构的村取该机构的坐标；其余各村按区划代码确定性地\
    示意放置在所在镇已登记机构坐标平均位置的 3 公里内（镇内没有机构的，依次以县、市、省为中心）。\
    因此距离和覆盖是近似值，录入村坐标后即为实测。";

/// How a village's point was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// The coordinates of a facility registered in the village.
    Facility,
    /// A deterministic stand-in around its town's (or a larger area's) anchor.
    Synthetic,
}

/// Stand-in points for villages, from the facilities that have coordinates.
pub(crate) fn village_points(
    villages: &[String],
    facilities: &[FacilityPoint],
) -> HashMap<String, (Point, Placement)> {
    let mut at: HashMap<&str, Vec<Point>> = HashMap::new();
    let mut within: HashMap<&str, Vec<Point>> = HashMap::new();
    for f in facilities {
        let p = Point::from_e6(f.longitude_e6, f.latitude_e6);
        at.entry(f.region_code.as_str()).or_default().push(p);
        for len in [2, 4, 6, 9] {
            if let Some(prefix) = f.region_code.get(..len) {
                within.entry(prefix).or_default().push(p);
            }
        }
    }
    let anchor = |code: &str| within.get(code).and_then(|ps| Point::centroid(ps));
    let mut out = HashMap::with_capacity(villages.len());
    for v in villages {
        if let Some(p) = at.get(v.as_str()).and_then(|ps| Point::centroid(ps)) {
            out.insert(v.clone(), (p, Placement::Facility));
            continue;
        }
        // The nearest level with an anchor, then down level by level.
        let levels: Vec<&str> = [9, 6, 4, 2].iter().filter_map(|&l| v.get(..l)).collect();
        let (found, mut point) = levels
            .iter()
            .enumerate()
            .find_map(|(i, code)| anchor(code).map(|p| (i, p)))
            .unwrap_or((levels.len(), PROVINCE_ANCHOR));
        // Scatter each level below the anchor's within its parent: the
        // county within its city, the town within its county, the village
        // within its town. `found` 0 is the town's anchor (only the village
        // to place), 3 and beyond the province's (every level to place).
        let below = [v.get(..4), v.get(..6), v.get(..9), Some(v.as_str())];
        let radii = [SCATTER_KM[3], SCATTER_KM[2], SCATTER_KM[1], SCATTER_KM[0]];
        let skip = 3 - found.min(3);
        for (code, km) in below.iter().zip(radii).skip(skip) {
            if let Some(code) = code {
                point = scatter(code, point, km);
            }
        }
        out.insert(v.clone(), (point, Placement::Synthetic));
    }
    out
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct CoverageQuery {
    /// A facility kind code; elder_canteen when left out.
    pub kind: String,
    /// The radius in kilometres (0.1 to 100); 3 when left out.
    pub radius_km: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VillageCoverage {
    pub code: String,
    pub name: String,
    pub town: String,
    pub urban_rural: Option<String>,
    /// People of the need group living here.
    pub people: i64,
    pub longitude: f64,
    pub latitude: f64,
    pub placement: Placement,
    /// To the nearest facility of the kind; none when there is none anywhere.
    pub distance_km: Option<f64>,
    pub nearest: Option<String>,
    pub covered: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FacilityPlace {
    pub id: i64,
    pub name: String,
    pub longitude: f64,
    pub latitude: f64,
    /// Whether it lies in the region (others may still be the nearest).
    pub in_region: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Coverage {
    pub region: RegionHeader,
    pub as_of: String,
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub need_group: &'static str,
    pub radius_km: f64,
    /// People of the need group in the region, and those within the radius.
    pub people: i64,
    pub covered: i64,
    pub share_per_mille: Option<i64>,
    pub share: Option<String>,
    /// Villages with people of the need group, by code.
    pub villages: Vec<VillageCoverage>,
    /// Those beyond the radius, most people first.
    pub uncovered: Vec<VillageCoverage>,
    /// Facilities of the kind (with coordinates) in the region or the
    /// nearest to one of its villages.
    pub facilities: Vec<FacilityPlace>,
    /// Facilities of the kind in the region without coordinates (not used).
    pub unplaced_facilities: i64,
    pub synthetic_villages: usize,
    pub placement_note: &'static str,
}

fn radius_of(q: &CoverageQuery) -> Result<f64> {
    let text = q.radius_km.trim();
    if text.is_empty() {
        return Ok(3.0);
    }
    text.parse::<f64>()
        .ok()
        .filter(|r| (0.1..=100.0).contains(r))
        .ok_or_else(|| {
            AppError::invalid_field("radius_km", "半径", "半径应为 0.1 到 100 之间的公里数")
        })
}

fn kind_of(q: &CoverageQuery) -> Result<FacilityKind> {
    match q.kind.trim() {
        "" => Ok(FacilityKind::ElderCanteen),
        k => FacilityKind::parse(k)
            .ok_or_else(|| AppError::invalid_field("kind", "机构类型", "不是可选的机构类型")),
    }
}

async fn town_names(conn: &mut Conn, villages: &[String]) -> Result<HashMap<String, String>> {
    let mut codes: Vec<String> = villages.to_vec();
    codes.extend(
        villages
            .iter()
            .filter_map(|v| v.get(..9))
            .map(str::to_owned),
    );
    codes.sort();
    codes.dedup();
    Ok(regions::get_many(conn, &codes)
        .await?
        .into_iter()
        .map(|r| (r.code, r.name))
        .collect())
}

/// The coverage of `region` by facilities of a kind, within a radius.
pub async fn coverage(
    app: &App,
    actor: &Actor,
    region: &RegionCode,
    q: &CoverageQuery,
) -> Result<Coverage> {
    app.require(actor, Action::FacilityRead).await?;
    check_region(app, actor, region, "coverage.read").await?;
    let kind = kind_of(q)?;
    let radius = radius_of(q)?;
    let group = NeedGroup::of(kind);
    let today = app.today();
    let (lo, hi) = region.subtree_range();
    let mut conn = app.store().read().await?;
    let head = header(&mut conn, region).await?;
    let demand = stats::need_by_village(
        &mut conn,
        &lo,
        &hi,
        group,
        &civil::years_before(today, 18).to_string(),
        &civil::years_before(today, 60).to_string(),
    )
    .await?;
    let all = stats::facility_points(&mut conn, None).await?;
    let of_kind: Vec<&FacilityPoint> = all.iter().filter(|f| f.kind == kind.as_str()).collect();
    let codes: Vec<String> = demand.iter().map(|(v, _)| v.clone()).collect();
    let names = town_names(&mut conn, &codes).await?;
    let region_rows: HashMap<String, Option<String>> = regions::get_many(&mut conn, &codes)
        .await?
        .into_iter()
        .map(|r| (r.code, r.urban_rural))
        .collect();
    let unplaced =
        stats::facilities_without_coordinates(&mut conn, kind.as_str(), &lo, &hi).await?;
    drop(conn);

    let points = village_points(&codes, &all);
    let index = GridIndex::new(
        of_kind
            .iter()
            .map(|f| Point::from_e6(f.longitude_e6, f.latitude_e6))
            .collect(),
        radius,
    );
    let mut villages = Vec::with_capacity(demand.len());
    let mut nearest_ids = std::collections::HashSet::new();
    for (code, people) in demand {
        let Some(&(p, placement)) = points.get(&code) else {
            continue;
        };
        let nearest = index.nearest(p);
        if let Some((i, _)) = nearest {
            nearest_ids.insert(of_kind[i].id);
        }
        let distance = nearest.map(|(_, d)| (d * 100.0).round() / 100.0);
        villages.push(VillageCoverage {
            name: names.get(&code).cloned().unwrap_or_else(|| code.clone()),
            town: code
                .get(..9)
                .and_then(|t| names.get(t))
                .cloned()
                .unwrap_or_default(),
            urban_rural: region_rows.get(&code).cloned().flatten(),
            people,
            longitude: p.lon,
            latitude: p.lat,
            placement,
            distance_km: distance,
            nearest: nearest.map(|(i, _)| of_kind[i].name.clone()),
            covered: nearest.is_some_and(|(_, d)| d <= radius),
            code,
        });
    }
    villages.sort_by(|a, b| a.code.cmp(&b.code));
    let people: i64 = villages.iter().map(|v| v.people).sum();
    let covered: i64 = villages
        .iter()
        .filter(|v| v.covered)
        .map(|v| v.people)
        .sum();
    let share_per_mille = per_mille(covered, people);
    let mut uncovered: Vec<VillageCoverage> =
        villages.iter().filter(|v| !v.covered).cloned().collect();
    uncovered.sort_by(|a, b| b.people.cmp(&a.people).then(a.code.cmp(&b.code)));
    let facilities = of_kind
        .iter()
        .filter(|f| f.region_code.starts_with(region.as_str()) || nearest_ids.contains(&f.id))
        .map(|f| FacilityPlace {
            id: f.id,
            name: f.name.clone(),
            longitude: f.longitude_e6 as f64 / 1e6,
            latitude: f.latitude_e6 as f64 / 1e6,
            in_region: f.region_code.starts_with(region.as_str()),
        })
        .collect();
    let synthetic_villages = villages
        .iter()
        .filter(|v| v.placement == Placement::Synthetic)
        .count();
    let mut event = Event::ok("coverage.read", "region", region.to_string());
    event.detail = serde_json::json!({ "kind": kind.as_str(), "radius_km": radius });
    app.audit(&Who::from(actor), event).await?;
    Ok(Coverage {
        region: head,
        as_of: today.to_string(),
        kind: kind.as_str(),
        kind_label: kind.label(),
        need_group: group.label(),
        radius_km: radius,
        people,
        covered,
        share_per_mille,
        share: share_per_mille.map(percent_string),
        villages,
        uncovered,
        facilities,
        unplaced_facilities: unplaced,
        synthetic_villages,
        placement_note: PLACEMENT_NOTE,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use kangyang_domain::geo::haversine_km;

    fn facility(region: &str, lon: f64, lat: f64) -> FacilityPoint {
        FacilityPoint {
            id: 1,
            name: String::new(),
            kind: "elder_canteen".into(),
            region_code: region.into(),
            longitude_e6: (lon * 1e6) as i64,
            latitude_e6: (lat * 1e6) as i64,
        }
    }

    #[test]
    fn villages_take_a_facilitys_point_or_a_stand_in_near_their_town() {
        let fs = [
            facility("440784103202", 112.90, 22.70),
            facility("440784103", 112.96, 22.74),
        ];
        let villages: Vec<String> = [
            "440784103202",
            "440784103203",
            "440784101001",
            "445302004001",
        ]
        .map(String::from)
        .to_vec();
        let p = village_points(&villages, &fs);
        assert_eq!(
            p["440784103202"],
            (Point::new(112.90, 22.70), Placement::Facility)
        );
        // In the town: within 3 km of the town's two facilities' mean.
        let town = Point::new(112.93, 22.72);
        let (v, how) = p["440784103203"];
        assert_eq!(how, Placement::Synthetic);
        assert!(haversine_km(town, v) <= 3.01);
        // Another town of the county: around the county's anchor.
        assert!(haversine_km(town, p["440784101001"].0) <= 13.1);
        // Nothing in its county or city: around the province's facilities,
        // every level scattered (120 + 25 + 10 + 3 km at most).
        assert!(haversine_km(town, p["445302004001"].0) <= 158.1);
        // Nothing anywhere: around the seat of the province.
        let alone = village_points(&villages[3..], &[]);
        assert!(haversine_km(PROVINCE_ANCHOR, alone["445302004001"].0) <= 158.1);
        // The same every time.
        assert_eq!(p, village_points(&villages, &fs));
    }
}
