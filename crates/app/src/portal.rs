//! The public portal: anyone, without signing in, finds a canteen or a
//! centre near them (where it is, its star rating, opening hours, this
//! week's menu) and sees the figures of a region as aggregates.
//!
//! Built from structured fields only. No person is named or described; no
//! count of people under [`PUBLIC_MIN_COUNT`] is shown (it reads "<5"), and
//! how each count is published is decided once for the whole province (see
//! [`public_tree`]), so that a count reads the same on every page and no
//! small count follows from the others. Facilities' contact persons and
//! eligibility rules stay inside.

use crate::dashboards::{header, RegionHeader};
use crate::{civil, App, AppError, Result};
use kangyang_domain::assessment::KANGYUAN_STAR;
use kangyang_domain::canteen::Meal;
use kangyang_domain::facility::FacilityKind;
use kangyang_domain::stats::{public_tree, PublicCount, TreeCount, PUBLIC_MIN_COUNT};
use kangyang_domain::{RegionCode, RegionLevel};
use kangyang_store::portal::{self, PublicFacilityRow};
use kangyang_store::stats::{self, Breakdown};
use kangyang_store::{canteen, regions, Conn};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// A facility as the public sees it.
#[derive(Debug, Clone, Serialize)]
pub struct PublicFacility {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub kind_label: &'static str,
    /// "鹤山市 / 古劳镇"
    pub place: String,
    pub address: String,
    pub opening_hours: String,
    pub phone: String,
    pub capacity: Option<i64>,
    /// 1-3 for a rated Kangyuan centre.
    pub stars: Option<u8>,
    pub star_label: Option<String>,
    pub longitude: Option<f64>,
    pub latitude: Option<f64>,
}

/// The county, town and village names of a code, as one line.
async fn place(conn: &mut Conn, code: &str, names: &mut HashMap<String, String>) -> Result<String> {
    if let Some(n) = names.get(code) {
        return Ok(n.clone());
    }
    let Ok(c) = RegionCode::parse(code) else {
        return Ok(String::new());
    };
    let path: Vec<String> = c
        .ancestry()
        .into_iter()
        // A city's own facility (the city welfare home) is named by its city.
        .filter(|a| a.level() >= RegionLevel::County || *a == c)
        .map(String::from)
        .collect();
    let text = regions::get_many(conn, &path)
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect::<Vec<_>>()
        .join(" / ");
    names.insert(code.to_owned(), text.clone());
    Ok(text)
}

fn stars_of(result: Option<&str>) -> (Option<u8>, Option<String>) {
    let template = kangyang_domain::assessment::kangyuan_star_template();
    match result {
        Some(r) => (
            r.split('_').next().and_then(|n| n.parse().ok()),
            template.result_label(r).map(str::to_owned),
        ),
        None => (None, None),
    }
}

async fn view(
    conn: &mut Conn,
    row: PublicFacilityRow,
    names: &mut HashMap<String, String>,
) -> Result<PublicFacility> {
    let (stars, star_label) = stars_of(row.star_result.as_deref());
    Ok(PublicFacility {
        place: place(conn, &row.region_code, names).await?,
        kind_label: FacilityKind::parse(&row.kind).map_or("服务机构", FacilityKind::label),
        stars,
        star_label,
        longitude: row.longitude_e6.map(|v| v as f64 / 1e6),
        latitude: row.latitude_e6.map(|v| v as f64 / 1e6),
        id: row.id,
        name: row.name,
        kind: row.kind,
        address: row.address,
        opening_hours: row.opening_hours,
        phone: row.contact_phone,
        capacity: row.capacity,
    })
}

/// The directory's filters: a kind and a region, both optional.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct DirectoryQuery {
    pub kind: String,
    pub region: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Directory {
    pub kind: Option<&'static str>,
    pub kind_label: Option<&'static str>,
    pub region: Option<RegionHeader>,
    pub facilities: Vec<PublicFacility>,
    /// Every kind, for the filter: (code, label).
    pub kinds: Vec<(&'static str, &'static str)>,
}

/// Facilities, of a kind and in a region when asked. An unknown kind or
/// region is "not found", like an unknown page.
pub async fn directory(app: &App, q: &DirectoryQuery) -> Result<Directory> {
    let kind = match q.kind.trim() {
        "" => None,
        k => Some(FacilityKind::parse(k).ok_or(AppError::NotFound)?),
    };
    let mut conn = app.store().read().await?;
    let (region, (lo, hi)) = match q.region.trim() {
        "" => (None, ("0".to_owned(), ":".to_owned())),
        r => {
            let code = public_region(&mut conn, r).await?;
            (Some(header(&mut conn, &code).await?), code.subtree_range())
        }
    };
    let rows = portal::facilities(
        &mut conn,
        KANGYUAN_STAR,
        &lo,
        &hi,
        kind.map(FacilityKind::as_str),
    )
    .await?;
    let mut names = HashMap::new();
    let mut facilities = Vec::with_capacity(rows.len());
    for row in rows {
        facilities.push(view(&mut conn, row, &mut names).await?);
    }
    Ok(Directory {
        kind: kind.map(FacilityKind::as_str),
        kind_label: kind.map(FacilityKind::label),
        region,
        facilities,
        kinds: FacilityKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
    })
}

/// One day of a canteen's menu.
#[derive(Debug, Clone, Serialize)]
pub struct MenuDay {
    pub day: String,
    pub weekday: &'static str,
    /// (meal, dishes)
    pub meals: Vec<(&'static str, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FacilityPage {
    pub facility: PublicFacility,
    /// Monday to Sunday of this week.
    pub week: (String, String),
    /// Days of this week with a menu (canteens only).
    pub menu: Vec<MenuDay>,
}

const WEEKDAYS: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

pub async fn facility(app: &App, id: i64) -> Result<FacilityPage> {
    let mut conn = app.store().read().await?;
    let row = portal::facility(&mut conn, KANGYUAN_STAR, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let is_canteen = row.kind == FacilityKind::ElderCanteen.as_str();
    let facility = view(&mut conn, row, &mut HashMap::new()).await?;
    let today = app.today();
    let monday = today
        .add_days(-i64::from(today.iso_weekday() - 1))
        .unwrap_or(today);
    let sunday = monday.add_days(6).unwrap_or(monday);
    let mut menu: Vec<MenuDay> = Vec::new();
    if is_canteen {
        for (day, meal, dishes) in
            canteen::menus(&mut conn, id, &monday.to_string(), &sunday.to_string()).await?
        {
            let meal = Meal::parse(&meal).map_or("", Meal::label);
            match menu.last_mut() {
                Some(d) if d.day == day => d.meals.push((meal, dishes)),
                _ => {
                    let weekday = kangyang_domain::CivilDate::parse(&day)
                        .map(|d| WEEKDAYS[usize::from(d.iso_weekday().clamp(1, 7) - 1)])
                        .unwrap_or("");
                    menu.push(MenuDay {
                        day,
                        weekday,
                        meals: vec![(meal, dishes)],
                    });
                }
            }
        }
    }
    Ok(FacilityPage {
        facility,
        week: (monday.to_string(), sunday.to_string()),
        menu,
    })
}

/// A region the public may open: a province, city, county or town that
/// exists and is current. Villages are too small to publish on their own.
async fn public_region(conn: &mut Conn, code: &str) -> Result<RegionCode> {
    let code = RegionCode::parse(code.trim()).map_err(|_| AppError::NotFound)?;
    if code.level() > RegionLevel::Town {
        return Err(AppError::NotFound);
    }
    match regions::get(conn, code.as_str()).await? {
        Some(r) if r.retired_on.is_none() => Ok(code),
        _ => Err(AppError::NotFound),
    }
}

/// A line of the public statistics: people counts as published, facilities
/// as they are (a facility is no person).
#[derive(Debug, Clone, Serialize)]
pub struct PublicLine {
    pub code: String,
    pub name: String,
    /// Whether the region has a statistics page of its own (not a village).
    pub linked: bool,
    /// Registered, elderly, disabled, children in need.
    pub people: Vec<PublicCount>,
    pub facilities: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicStats {
    pub region: RegionHeader,
    pub as_of: String,
    pub columns: [&'static str; 4],
    pub lines: Vec<PublicLine>,
    pub total: PublicLine,
    /// Children with no one registered and no facility, not listed.
    pub quiet_children: usize,
    /// Facilities of the region by kind: (label, count), kinds with none left out.
    pub by_kind: Vec<(&'static str, i64)>,
    pub min_count: i64,
}

/// The people counts of a province's region tree as published: for each
/// current region, its four counts' marks.
struct PublishedTree {
    marks: HashMap<String, [PublicCount; 4]>,
}

/// How long a province's published counts are reused. Deciding them reads
/// the whole province's register by village; an anonymous page must not
/// cost that each time, and a public figure a minute old is no loss.
const PUBLISHED_FOR_SECONDS: i64 = 60;

/// The published counts of each province, decided at most once a minute
/// (one request decides while the others wait for its answer).
#[derive(Default)]
pub struct PublishedCounts {
    provinces: tokio::sync::Mutex<HashMap<String, (i64, Arc<PublishedTree>)>>,
}

impl PublishedCounts {
    async fn get(
        &self,
        app: &App,
        conn: &mut Conn,
        province: &RegionCode,
    ) -> Result<Arc<PublishedTree>> {
        let mut provinces = self.provinces.lock().await;
        let now = app.now();
        if let Some((at, tree)) = provinces.get(province.as_str()) {
            if (0..PUBLISHED_FOR_SECONDS).contains(&(now - at)) {
                return Ok(tree.clone());
            }
        }
        let born_by_60 = civil::years_before(app.today(), 60).to_string();
        let tree = Arc::new(published_tree(conn, province, &born_by_60).await?);
        provinces.insert(province.to_string(), (now, tree.clone()));
        Ok(tree)
    }
}

/// Reads the province's registered people by village and decides how every
/// count of its tree is published (the same decision for every page, so a
/// county's count on the city's page is its count on its own page).
async fn published_tree(
    conn: &mut Conn,
    province: &RegionCode,
    born_by_60: &str,
) -> Result<PublishedTree> {
    let regions = regions::current_subtree(conn, province).await?;
    let mut index: HashMap<String, usize> = HashMap::with_capacity(regions.len());
    let mut parents: Vec<Option<usize>> = Vec::with_capacity(regions.len());
    let mut codes: Vec<String> = Vec::with_capacity(regions.len());
    for r in regions {
        let parent = match r.parent_code.as_deref().map(|p| index.get(p)) {
            _ if r.code == province.as_str() => None,
            Some(Some(p)) => Some(*p),
            // Under a region no longer current: its people fall to the
            // nearest current region above, as counts no line shows.
            _ => continue,
        };
        index.insert(r.code.clone(), codes.len());
        parents.push(parent);
        codes.push(r.code);
    }
    let has_parts: Vec<bool> = {
        let mut v = vec![false; codes.len()];
        for p in parents.iter().flatten() {
            v[*p] = true;
        }
        v
    };
    // People at a region that has parts of its own, or at a region no
    // longer current, are in their region's total but on no line.
    let mut own = vec![[0i64; 4]; codes.len()];
    let mut unprinted: HashMap<usize, [i64; 4]> = HashMap::new();
    let (lo, hi) = province.subtree_range();
    let by_village = Breakdown {
        lo,
        hi,
        prefix_len: RegionLevel::Village.code_len(),
    };
    for r in stats::categories(conn, &by_village, born_by_60).await? {
        let counts = [r.total, r.elderly, r.disabled, r.children];
        let mut code = RegionCode::parse(&r.child).ok();
        let mut exact = true;
        while let Some(c) = code {
            if let Some(&i) = index.get(c.as_str()) {
                let cell = if exact && !has_parts[i] {
                    &mut own[i]
                } else {
                    unprinted.entry(i).or_default()
                };
                for (a, b) in cell.iter_mut().zip(counts) {
                    *a += b;
                }
                break;
            }
            exact = false;
            code = c.parent();
        }
    }
    // Only regions with someone above them matter: a region under an empty
    // one is 0 and printed nowhere but as a "0" line or not at all. (The
    // parts of a non-empty region stay, zeros included: under a "<5" total
    // they read "<5" as well.)
    let mut totals: Vec<i64> = own.iter().map(|c| c[0]).collect();
    for (i, c) in &unprinted {
        totals[*i] += c[0];
    }
    for i in (0..totals.len()).rev() {
        if let Some(p) = parents[i] {
            totals[p] += totals[i];
        }
    }
    let mut kept: Vec<Option<usize>> = vec![None; codes.len()];
    let mut next = 0;
    for i in 0..codes.len() {
        let keep = match parents[i] {
            None => true,
            Some(p) => kept[p].is_some() && totals[p] > 0,
        };
        if keep {
            kept[i] = Some(next);
            next += 1;
        }
    }
    let parents: Vec<Option<usize>> = (0..codes.len())
        .filter(|&i| kept[i].is_some())
        .map(|i| parents[i].and_then(|p| kept[p]))
        .collect();
    let own: Vec<[i64; 4]> = (0..codes.len())
        .filter(|&i| kept[i].is_some())
        .map(|i| own[i])
        .collect();
    let codes: Vec<String> = codes
        .into_iter()
        .enumerate()
        .filter(|(i, _)| kept[*i].is_some())
        .map(|(_, c)| c)
        .collect();
    let mut extra: Vec<(usize, [i64; 4])> = unprinted
        .into_iter()
        .filter_map(|(i, c)| Some((kept[i]?, c)))
        .collect();
    extra.sort_unstable_by_key(|(i, _)| *i);
    let mut marks: HashMap<String, [PublicCount; 4]> = HashMap::with_capacity(codes.len());
    let mut columns: Vec<Vec<PublicCount>> = Vec::with_capacity(4);
    for col in 0..4 {
        let mut nodes: Vec<TreeCount> = parents
            .iter()
            .zip(&own)
            .map(|(parent, own)| TreeCount {
                parent: *parent,
                value: own[col],
                printed: true,
            })
            .collect();
        for (i, counts) in &extra {
            nodes.push(TreeCount {
                parent: Some(*i),
                value: counts[col],
                printed: false,
            });
        }
        // Totals from the villages up; parents come first.
        for i in (1..nodes.len()).rev() {
            if let Some(p) = nodes[i].parent {
                nodes[p].value += nodes[i].value;
            }
        }
        columns.push(public_tree(&nodes));
    }
    for (i, code) in codes.into_iter().enumerate() {
        let mut four = [PublicCount::Shown(0); 4];
        for (col, m) in four.iter_mut().enumerate() {
            *m = columns[col][i];
        }
        marks.insert(code, four);
    }
    Ok(PublishedTree { marks })
}

/// A region's published figures: registered people by category for the
/// region and each of its children, small counts suppressed.
pub async fn region_stats(app: &App, code: &str) -> Result<PublicStats> {
    let mut conn = app.store().read().await?;
    let region = public_region(&mut conn, code).await?;
    let head = header(&mut conn, &region).await?;
    let b: Breakdown = head.breakdown(&region);
    let today = app.today();
    let province = region
        .ancestry()
        .into_iter()
        .next()
        .unwrap_or(region.clone());
    let tree = app.published.get(app, &mut conn, &province).await?;
    let mut facilities: HashMap<String, i64> = HashMap::new();
    let mut kinds: HashMap<String, i64> = HashMap::new();
    for (child, kind, n) in stats::facilities_by_kind(&mut conn, &b).await? {
        *facilities.entry(child).or_default() += n;
        *kinds.entry(kind).or_default() += n;
    }
    drop(conn);
    let nobody = [PublicCount::Shown(0); 4];
    let people = |code: &str| tree.marks.get(code).copied().unwrap_or(nobody);
    let shown: Vec<&crate::dashboards::RegionLink> = head
        .children
        .iter()
        .filter(|c| {
            people(&c.code)[0] != PublicCount::Shown(0)
                || facilities.get(&c.code).is_some_and(|n| *n > 0)
        })
        .collect();
    // A child has a page of its own down to the towns.
    let child_linked = region.level() <= RegionLevel::County;
    let lines = shown
        .iter()
        .map(|c| PublicLine {
            code: c.code.clone(),
            name: c.name.clone(),
            linked: child_linked,
            people: people(&c.code).to_vec(),
            facilities: facilities.get(&c.code).copied().unwrap_or(0),
        })
        .collect();
    let total = PublicLine {
        code: head.code.clone(),
        name: "合计".to_owned(),
        linked: false,
        people: people(&head.code).to_vec(),
        facilities: facilities.values().sum(),
    };
    let mut by_kind: Vec<(&'static str, i64)> = FacilityKind::ALL
        .iter()
        .filter_map(|k| kinds.get(k.as_str()).map(|n| (k.label(), *n)))
        .collect();
    by_kind.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    Ok(PublicStats {
        quiet_children: head.children.len() - shown.len(),
        region: head,
        as_of: today.to_string(),
        columns: ["登记人员", "老年人", "残疾人", "困境儿童"],
        lines,
        total,
        by_kind,
        min_count: PUBLIC_MIN_COUNT,
    })
}
