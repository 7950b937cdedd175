//! A region's dashboard: the people in the register, the services they
//! received, the home-modification target and the funds, each figure split
//! by the region's next level, every one counted from the records when asked.
//!
//! For region-scoped users (officials, viewers…): a facility's staff see no
//! region figures. The figures are counts; the links to the people behind a
//! number go to the register's search, which checks and audits on its own.

use crate::actor::Who;
use crate::audit::Event;
use crate::home_modification::check_region;
use crate::{civil, Actor, App, AppError, Result};
use kangyang_domain::capability::CapabilityLevel;
use kangyang_domain::home_modification::CaseState;
use kangyang_domain::money::Fen;
use kangyang_domain::register::ChildCategory;
use kangyang_domain::stats::AgeBand;
use kangyang_domain::{Action, CivilDate, DisabilityCategory, RegionCode};
use kangyang_store::regions::{self, RegionRow};
use kangyang_store::stats::{self, Breakdown, PersonDim, ServiceCount};
use kangyang_store::{funds, home_modification, Conn};
use serde::Serialize;
use std::collections::HashMap;

/// A region named in a header or a line.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionLink {
    pub code: String,
    pub name: String,
}

/// The region a page is about, with the path to it and its children.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionHeader {
    pub code: String,
    pub name: String,
    pub level_label: &'static str,
    /// From the province down to the region itself.
    pub path: Vec<RegionLink>,
    /// The next level down (none for a village), retired ones left out.
    pub children: Vec<RegionLink>,
}

impl RegionHeader {
    /// How many digits of a village code name a child of this region (the
    /// region's own length for a village).
    pub fn child_len(&self) -> usize {
        self.children
            .first()
            .map_or(self.code.len(), |c| c.code.len())
    }

    pub(crate) fn breakdown(&self, region: &RegionCode) -> Breakdown {
        let (lo, hi) = region.subtree_range();
        Breakdown {
            lo,
            hi,
            prefix_len: self.child_len(),
        }
    }
}

pub(crate) async fn header(conn: &mut Conn, region: &RegionCode) -> Result<RegionHeader> {
    let ancestry: Vec<String> = region.ancestry().into_iter().map(String::from).collect();
    let path: Vec<RegionLink> = regions::get_many(conn, &ancestry)
        .await?
        .into_iter()
        .map(|r| RegionLink {
            code: r.code,
            name: r.name,
        })
        .collect();
    let name = path
        .last()
        .filter(|r| r.code == region.as_str())
        .map(|r| r.name.clone())
        .ok_or(AppError::NotFound)?;
    let children = regions::children(conn, Some(region.as_str()))
        .await?
        .into_iter()
        .filter(|r: &RegionRow| r.retired_on.is_none())
        .map(|r| RegionLink {
            code: r.code,
            name: r.name,
        })
        .collect();
    Ok(RegionHeader {
        code: region.to_string(),
        name,
        level_label: region.level().label(),
        path,
        children,
    })
}

/// One number of a section.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Cell {
    /// The count, or the amount in fen for money.
    pub value: i64,
    /// As shown: the count, or yuan for money.
    pub text: String,
    /// The register search listing the people counted, for users who may
    /// read people; none for figures that are not people.
    pub people_href: Option<String>,
}

/// A row of a section: a child region, the region itself ("本级"), records
/// in regions no longer current ("其他"), or the total.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Line {
    /// The child region's code (its dashboard is the drill-down); none for
    /// "其他".
    pub code: Option<String>,
    pub name: String,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Column {
    pub key: String,
    pub label: String,
}

/// A figure of the dashboard, by column, for each child region and in total.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Section {
    pub key: &'static str,
    pub title: &'static str,
    /// 人, 人次, 户, 元…
    pub unit: &'static str,
    /// What exactly is counted.
    pub note: String,
    pub columns: Vec<Column>,
    pub lines: Vec<Line>,
    pub total: Line,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub region: RegionHeader,
    /// The day the figures were counted on.
    pub as_of: String,
    /// When the people figures come from the tallies counted in advance
    /// (a region too large to count on every view): when they were counted,
    /// "2026-11-26 03:00:12". None when everything was counted now.
    pub people_counted_at: Option<String>,
    /// The month the service figures cover, "2026-11".
    pub month: String,
    /// The year of the home-modification target.
    pub year: i64,
    /// Whether the figures link to the people behind them.
    pub can_list_people: bool,
    pub sections: Vec<Section>,
}

impl Dashboard {
    pub fn section(&self, key: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.key == key)
    }
}

/// Counts keyed by (child region, column key).
type Counts = HashMap<(String, String), i64>;

/// How a section's numbers are shown and linked.
struct Spec {
    key: &'static str,
    title: &'static str,
    unit: &'static str,
    note: String,
    /// (column key, label, the register filter listing its people).
    columns: Vec<(String, String, Option<String>)>,
    money: bool,
}

fn build(spec: Spec, header: &RegionHeader, counts: &Counts, people_links: bool) -> Section {
    let text = |v: i64| {
        if spec.money {
            Fen(v).yuan_string()
        } else {
            v.to_string()
        }
    };
    let href = |region: &str, filter: &Option<String>| {
        filter
            .as_ref()
            .filter(|_| people_links)
            .map(|f| format!("/persons?region={region}&status=alive{f}"))
    };
    let line = |code: Option<&str>, name: &str, key_of: &dyn Fn(&str) -> i64| Line {
        code: code.map(str::to_owned),
        name: name.to_owned(),
        cells: spec
            .columns
            .iter()
            .map(|(key, _, filter)| {
                let value = key_of(key);
                Cell {
                    value,
                    text: text(value),
                    people_href: code.and_then(|c| href(c, filter)),
                }
            })
            .collect(),
    };
    let mut lines = Vec::new();
    let known: std::collections::HashSet<&str> =
        header.children.iter().map(|c| c.code.as_str()).collect();
    // Records of the region itself (a project of the county, not of one
    // of its towns) are "本级"; records keyed by a code that is not a current
    // child (a retired village) are "其他". Both keep the total whole.
    let own = |key: &str| counts.get(&(header.code.clone(), key.to_owned())).copied();
    if !header.children.is_empty() {
        if spec
            .columns
            .iter()
            .any(|(k, _, _)| own(k).unwrap_or(0) != 0)
        {
            let mut l = line(None, "本级", &|k| own(k).unwrap_or(0));
            l.cells.iter_mut().for_each(|c| c.people_href = None);
            lines.push(l);
        }
        for c in &header.children {
            lines.push(line(Some(&c.code), &c.name, &|k| {
                counts
                    .get(&(c.code.clone(), k.to_owned()))
                    .copied()
                    .unwrap_or(0)
            }));
        }
        let other = |key: &str| -> i64 {
            counts
                .iter()
                .filter(|((child, k), _)| {
                    k == key && child != &header.code && !known.contains(child.as_str())
                })
                .map(|(_, n)| *n)
                .sum()
        };
        if spec.columns.iter().any(|(k, _, _)| other(k) != 0) {
            lines.push(line(None, "其他（已撤销区划）", &other));
        }
    }
    let total = line(Some(&header.code), "合计", &|k| {
        counts
            .iter()
            .filter(|((_, key), _)| key == k)
            .map(|(_, n)| *n)
            .sum()
    });
    Section {
        key: spec.key,
        title: spec.title,
        unit: spec.unit,
        note: spec.note,
        columns: spec
            .columns
            .iter()
            .map(|(key, label, _)| Column {
                key: key.clone(),
                label: label.clone(),
            })
            .collect(),
        lines,
        total,
    }
}

fn counts_from(rows: Vec<(String, Option<String>, i64)>) -> Counts {
    let mut c = Counts::new();
    for (child, key, n) in rows {
        *c.entry((child, key.unwrap_or_default())).or_default() += n;
    }
    c
}

/// The latest birth date of a person `years` old on `today`, as stored text.
fn born_by(today: CivilDate, years: u16) -> String {
    civil::years_before(today, years).to_string()
}

/// A people figure of the dashboards: what the tallies call `dim`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeopleDim {
    /// total, elderly, disabled, child_in_need (overlapping).
    Category,
    UrbanRural,
    AgeBand,
    Capability,
    DisabilityCategory,
    DisabilityGrade,
    ChildCategory,
}

impl PeopleDim {
    pub const ALL: [PeopleDim; 7] = [
        PeopleDim::Category,
        PeopleDim::UrbanRural,
        PeopleDim::AgeBand,
        PeopleDim::Capability,
        PeopleDim::DisabilityCategory,
        PeopleDim::DisabilityGrade,
        PeopleDim::ChildCategory,
    ];

    /// The name the tallies are stored under.
    pub fn key(self) -> &'static str {
        match self {
            PeopleDim::Category => "category",
            PeopleDim::UrbanRural => "urban_rural",
            PeopleDim::AgeBand => "age_band",
            PeopleDim::Capability => "capability",
            PeopleDim::DisabilityCategory => "disability_category",
            PeopleDim::DisabilityGrade => "disability_grade",
            PeopleDim::ChildCategory => "child_category",
        }
    }
}

/// Where a dashboard's people figures come from.
enum PeopleSource {
    /// Counted now over the region's records.
    Live(Breakdown),
    /// Read from the tallies counted in advance (today, or an earlier day
    /// until they are counted again). `categories` are the region's
    /// category tallies, already read to decide the source.
    Tallies {
        parent: String,
        counted_at: i64,
        categories: Vec<(String, Option<String>, i64)>,
    },
}

/// Regions whose code is at most this long (province, city, county) have
/// tallies; towns and villages are always counted live, being small.
const TALLIED_CODE_LEN: usize = 6;

/// Tallies when the region is tallied and holds at least
/// `Config::dashboard_live_limit` people; otherwise a live count. Tallies of
/// an earlier day are still used (the page says when they were counted):
/// the server counts them again each day, and meanwhile a live count of a
/// province, minutes of work, would hold connections every other user needs.
async fn people_source(
    app: &App,
    conn: &mut Conn,
    region: &RegionCode,
    b: &Breakdown,
) -> Result<PeopleSource> {
    let live = Ok(PeopleSource::Live(b.clone()));
    if region.as_str().len() > TALLIED_CODE_LEN {
        return live;
    }
    let Some((_, counted_at)) = stats::tallies_counted(conn).await? else {
        return live;
    };
    let categories = stats::tallies(conn, region.as_str(), PeopleDim::Category.key()).await?;
    let people: i64 = categories
        .iter()
        .filter(|(_, value, _)| value.as_deref() == Some("total"))
        .map(|(_, _, n)| n)
        .sum();
    if people < app.config().dashboard_live_limit {
        return live;
    }
    Ok(PeopleSource::Tallies {
        parent: region.to_string(),
        counted_at,
        categories,
    })
}

async fn people_figures(
    conn: &mut Conn,
    source: &PeopleSource,
    dim: PeopleDim,
    today: CivilDate,
) -> Result<Vec<(String, Option<String>, i64)>> {
    match source {
        PeopleSource::Live(b) => count_people(conn, b, dim, today).await,
        PeopleSource::Tallies { categories, .. } if dim == PeopleDim::Category => {
            Ok(categories.clone())
        }
        PeopleSource::Tallies { parent, .. } => Ok(stats::tallies(conn, parent, dim.key()).await?),
    }
}

/// Living people per child region of `b` and value of `dim`, counted now.
async fn count_people(
    conn: &mut Conn,
    b: &Breakdown,
    dim: PeopleDim,
    today: CivilDate,
) -> Result<Vec<(String, Option<String>, i64)>> {
    let person_dim = match dim {
        PeopleDim::Category => {
            let mut rows = Vec::new();
            for row in stats::categories(conn, b, &born_by(today, 60)).await? {
                for (key, n) in [
                    ("total", row.total),
                    ("elderly", row.elderly),
                    ("disabled", row.disabled),
                    ("child_in_need", row.children),
                ] {
                    rows.push((row.child.clone(), Some(key.to_owned()), n));
                }
            }
            return Ok(rows);
        }
        PeopleDim::UrbanRural => PersonDim::UrbanRural,
        PeopleDim::AgeBand => PersonDim::AgeBand([18, 60, 70, 80].map(|y| born_by(today, y))),
        PeopleDim::Capability => PersonDim::Capability,
        PeopleDim::DisabilityCategory => PersonDim::DisabilityCategory,
        PeopleDim::DisabilityGrade => PersonDim::DisabilityGrade,
        PeopleDim::ChildCategory => PersonDim::ChildCategory,
    };
    Ok(stats::counts_by(conn, b, &person_dim).await?)
}

/// What a refresh of the tallies counted.
#[derive(Debug, Clone)]
pub struct TallyReport {
    pub tallies: usize,
    /// Living people in the register.
    pub people: i64,
    pub as_of: String,
}

/// Counts the people of every province, city and county in advance, by
/// child region and each dashboard dimension, and replaces the stored
/// tallies: one live count per dimension over the whole register, by
/// village, rolled up here into every tallied region's children (the same
/// child regions the dashboard's header lists).
pub async fn refresh_tallies(app: &App) -> Result<TallyReport> {
    let today = app.today();
    let mut conn = app.store().read().await?;
    // Every village code lies in this range; by village (12 digits).
    let everything = Breakdown {
        lo: "0".to_owned(),
        hi: "a".to_owned(),
        prefix_len: 12,
    };
    let child_len = regions::child_code_lengths(&mut conn).await?;
    let mut sums: HashMap<(String, String, &'static str, String), i64> = HashMap::new();
    let mut people = 0;
    for dim in PeopleDim::ALL {
        for (village, value, n) in count_people(&mut conn, &everything, dim, today).await? {
            if dim == PeopleDim::Category && value.as_deref() == Some("total") {
                people += n;
            }
            // Each tallied ancestor of the village, and its child the
            // village lies in.
            for parent in (1..=TALLIED_CODE_LEN).filter_map(|len| village.get(..len)) {
                let Some(child) = child_len.get(parent).and_then(|&len| village.get(..len)) else {
                    continue;
                };
                let key = (
                    parent.to_owned(),
                    child.to_owned(),
                    dim.key(),
                    value.clone().unwrap_or_default(),
                );
                *sums.entry(key).or_default() += n;
            }
        }
    }
    let mut tallies: Vec<stats::Tally> = sums
        .into_iter()
        .map(|((parent_code, child_code, dim, value), n)| stats::Tally {
            parent_code,
            child_code,
            dim: dim.to_owned(),
            value,
            n,
        })
        .collect();
    tallies.sort_by(|a, b| {
        (&a.parent_code, &a.dim, &a.child_code, &a.value).cmp(&(
            &b.parent_code,
            &b.dim,
            &b.child_code,
            &b.value,
        ))
    });
    let as_of = today.to_string();
    stats::replace_tallies(&mut conn, &tallies, &as_of, app.now()).await?;
    Ok(TallyReport {
        tallies: tallies.len(),
        people,
        as_of,
    })
}

/// Keeps the tallies of today: counts them when the server starts on a day
/// they were not counted, and again after each midnight. Runs until the
/// server stops; a failed count is logged and tried again later.
pub async fn keep_tallies_fresh(app: App) {
    loop {
        let counted = match app.store().read().await {
            Ok(mut conn) => stats::tallies_counted(&mut conn).await.ok().flatten(),
            Err(_) => None,
        };
        let today = app.today().to_string();
        if counted.map(|(day, _)| day) != Some(today) {
            match refresh_tallies(&app).await {
                Ok(r) => {
                    tracing::info!(tallies = r.tallies, as_of = %r.as_of, "people tallies counted")
                }
                Err(e) => tracing::warn!(error = %e, "people tallies not counted"),
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(600)).await;
    }
}

/// The dashboard of `region`, counted now.
pub async fn dashboard(app: &App, actor: &Actor, region: &RegionCode) -> Result<Dashboard> {
    app.require(actor, Action::FacilityRead).await?;
    check_region(app, actor, region, "dashboard.read").await?;
    let today = app.today();
    let month_start = CivilDate::new(today.year(), today.month(), 1).map_err(AppError::internal)?;
    let (from, to) = (month_start.to_string(), today.to_string());
    let year = i64::from(today.year());
    let people_links = actor.can(Action::PersonRead);
    let mut conn = app.store().read().await?;
    let header = header(&mut conn, region).await?;
    let b = header.breakdown(region);
    let source = people_source(app, &mut conn, region, &b).await?;
    let mut sections = Vec::new();

    // People, by category.
    let counts = counts_from(people_figures(&mut conn, &source, PeopleDim::Category, today).await?);
    let col = |key: &str, label: &str, filter: &str| {
        (key.to_owned(), label.to_owned(), Some(filter.to_owned()))
    };
    sections.push(build(
        Spec {
            key: "category",
            title: "登记人员（按类别）",
            unit: "人",
            note: "在世且未迁出的登记人员；老年人为 60 岁及以上，残疾人为登记了残疾类别者，困境儿童为登记了困境儿童类别者，一人可属多类。".into(),
            columns: vec![
                col("total", "登记总数", ""),
                col("elderly", "老年人", "&category=elderly"),
                col("disabled", "残疾人", "&category=disabled"),
                col("child_in_need", "困境儿童", "&category=child_in_need"),
            ],
            money: false,
        },
        &header,
        &counts,
        people_links,
    ));

    // Urban and rural.
    let counts =
        counts_from(people_figures(&mut conn, &source, PeopleDim::UrbanRural, today).await?);
    sections.push(build(
        Spec {
            key: "urban_rural",
            title: "城乡分布",
            unit: "人",
            note: "按居住村（社区）的城乡属性：居委会为城镇，村委会为农村（统计用区划代码）。"
                .into(),
            columns: vec![
                col("urban", "城镇", "&urban_rural=urban"),
                col("rural", "农村", "&urban_rural=rural"),
                (String::new(), "未分城乡".into(), None),
            ],
            money: false,
        },
        &header,
        &counts,
        people_links,
    ));

    // Age bands.
    let counts = counts_from(people_figures(&mut conn, &source, PeopleDim::AgeBand, today).await?);
    sections.push(build(
        Spec {
            key: "age_band",
            title: "年龄段",
            unit: "人",
            note: format!("按 {today} 的周岁年龄。"),
            columns: AgeBand::ALL
                .iter()
                .map(|a| col(a.as_str(), a.label(), &format!("&age_band={}", a.as_str())))
                .collect(),
            money: false,
        },
        &header,
        &counts,
        people_links,
    ));

    // Capability.
    let counts =
        counts_from(people_figures(&mut conn, &source, PeopleDim::Capability, today).await?);
    sections.push(build(
        Spec {
            key: "capability",
            title: "老年人能力等级（GB/T 42195-2022）",
            unit: "人",
            note: "已评估者最近一次评估的能力等级；未评估者不计入。".into(),
            columns: CapabilityLevel::ALL
                .iter()
                .map(|c| {
                    col(
                        c.as_str(),
                        c.label(),
                        &format!("&capability_level={}", c.as_str()),
                    )
                })
                .collect(),
            money: false,
        },
        &header,
        &counts,
        people_links,
    ));

    // Disability category and grade.
    let counts = counts_from(
        people_figures(&mut conn, &source, PeopleDim::DisabilityCategory, today).await?,
    );
    sections.push(build(
        Spec {
            key: "disability_category",
            title: "残疾类别（GB/T 26341-2010）",
            unit: "人",
            note: "登记了残疾类别的人员。".into(),
            columns: DisabilityCategory::ALL
                .iter()
                .map(|c| {
                    col(
                        c.as_str(),
                        c.label(),
                        &format!("&disability_category={}", c.as_str()),
                    )
                })
                .collect(),
            money: false,
        },
        &header,
        &counts,
        people_links,
    ));
    let counts =
        counts_from(people_figures(&mut conn, &source, PeopleDim::DisabilityGrade, today).await?);
    sections.push(build(
        Spec {
            key: "disability_grade",
            title: "残疾等级",
            unit: "人",
            note: "一级最重，四级最轻。".into(),
            columns: ["一级", "二级", "三级", "四级"]
                .iter()
                .enumerate()
                .map(|(i, label)| {
                    let g = i + 1;
                    col(&g.to_string(), label, &format!("&disability_grade={g}"))
                })
                .collect(),
            money: false,
        },
        &header,
        &counts,
        people_links,
    ));
    let counts =
        counts_from(people_figures(&mut conn, &source, PeopleDim::ChildCategory, today).await?);
    sections.push(build(
        Spec {
            key: "child_category",
            title: "困境儿童类别",
            unit: "人",
            note: "登记了困境儿童类别的人员。".into(),
            columns: ChildCategory::ALL
                .iter()
                .map(|c| {
                    col(
                        c.as_str(),
                        c.label(),
                        &format!("&child_category={}", c.as_str()),
                    )
                })
                .collect(),
            money: false,
        },
        &header,
        &counts,
        people_links,
    ));

    // Services delivered.
    let mut counts = Counts::new();
    for (key, what) in [
        ("enrolments", ServiceCount::CurrentEnrolments),
        ("attendance_days", ServiceCount::AttendanceDays),
        ("visits", ServiceCount::Visits),
        ("meals", ServiceCount::Meals),
    ] {
        for (child, n) in stats::services(&mut conn, &b, what, &from, &to).await? {
            counts.insert((child, key.to_owned()), n);
        }
    }
    let plain = |key: &str, label: &str| (key.to_owned(), label.to_owned(), None);
    sections.push(build(
        Spec {
            key: "services",
            title: "服务提供",
            unit: "人次",
            note: format!(
                "在册为当前在各机构入托（入住）的人次；签到、探访、助餐为 {from} 至 {to} 的记录数。按服务对象的居住地统计。"
            ),
            columns: vec![
                plain("enrolments", "在册人次"),
                plain("attendance_days", "本月签到天次"),
                plain("visits", "本月探访次数"),
                plain("meals", "本月助餐份数"),
            ],
            money: false,
        },
        &header,
        &counts,
        people_links,
    ));

    // The home-modification target.
    let mut counts = Counts::new();
    for (code, n) in home_modification::targets(&mut conn, year, &b.lo, &b.hi).await? {
        // A target set for the region or for one of its children; targets
        // further down are their children's business.
        if code == header.code || header.children.iter().any(|c| c.code == code) {
            counts.insert((code, "target".to_owned()), n);
        }
    }
    let own_target = counts.remove(&(header.code.clone(), "target".to_owned()));
    for (child, state, n) in
        home_modification::counts(&mut conn, year, &b.lo, &b.hi, b.prefix_len).await?
    {
        let state = CaseState::parse(&state)
            .ok_or_else(|| AppError::internal("unknown case state in store"))?;
        let key = if state.is_done() {
            "done"
        } else if state.is_closed() {
            continue;
        } else {
            "in_progress"
        };
        *counts.entry((child, key.to_owned())).or_default() += n;
    }
    let mut section = build(
        Spec {
            key: "home_modification",
            title: "居家适老化改造目标与进度",
            unit: "户",
            note: format!("{year} 年度；已完成为已验收或已拨付，办理中为未办结且未撤回的案件。"),
            columns: vec![
                plain("target", "年度目标"),
                plain("done", "已完成"),
                plain("in_progress", "办理中"),
            ],
            money: false,
        },
        &header,
        &counts,
        people_links,
    );
    if let Some(own) = own_target {
        // The region's own target stands for the region, whatever its
        // children's add up to (as the progress page counts it).
        section.total.cells[0].value = own;
        section.total.cells[0].text = own.to_string();
    }
    sections.push(section);

    // Funds.
    let mut counts = Counts::new();
    for p in funds::projects(&mut conn, &b.lo, &b.hi, None).await? {
        let child = if p.region_code.len() >= b.prefix_len {
            p.region_code[..b.prefix_len].to_owned()
        } else {
            p.region_code.clone()
        };
        for (key, fen) in [
            ("budget", p.budget_fen),
            ("allocated", p.allocated_fen),
            ("spent", p.spent_fen),
        ] {
            *counts.entry((child.clone(), key.to_owned())).or_default() += fen;
        }
    }
    sections.push(build(
        Spec {
            key: "funds",
            title: "资金",
            unit: "元",
            note:
                "本区划内各项目的预算、已下达和已支出金额（全部年度）；县、镇本级项目列为“本级”。"
                    .into(),
            columns: vec![
                plain("budget", "预算"),
                plain("allocated", "已下达"),
                plain("spent", "已支出"),
            ],
            money: true,
        },
        &header,
        &counts,
        people_links,
    ));
    drop(conn);

    let mut event = Event::ok("dashboard.read", "region", region.to_string());
    event.detail = serde_json::json!({ "as_of": to });
    app.audit(&Who::from(actor), event).await?;
    Ok(Dashboard {
        region: header,
        as_of: to,
        month: format!("{:04}-{:02}", today.year(), today.month()),
        year,
        can_list_people: people_links,
        people_counted_at: match source {
            PeopleSource::Tallies { counted_at, .. } => Some(civil::datetime(counted_at)),
            PeopleSource::Live(_) => None,
        },
        sections,
    })
}

/// The dashboard as a workbook: one sheet, each section a table.
pub async fn dashboard_xlsx(app: &App, actor: &Actor, region: &RegionCode) -> Result<Vec<u8>> {
    let d = dashboard(app, actor, region).await?;
    let bytes = workbook(&d).map_err(AppError::internal)?;
    let event = Event::ok("dashboard.export", "region", region.to_string());
    app.audit(&Who::from(actor), event).await?;
    Ok(bytes)
}

fn workbook(d: &Dashboard) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut sheet = crate::report_sheet::ReportSheet::new("概览")?;
    let level_name = d
        .region
        .path
        .iter()
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>()
        .join(" / ");
    sheet.title(&format!("{level_name} 数据概览"), 1)?;
    let how = match &d.people_counted_at {
        Some(at) => format!("人员数字为 {at} 预先汇总，其余实时按记录计算"),
        None => "实时按记录计算".to_owned(),
    };
    sheet.note(1, 0, &format!("统计日期 {}（{how}）", d.as_of))?;
    sheet.widths(&[(0, 24.0)])?;
    let mut row: u32 = 3;
    for s in &d.sections {
        sheet.label(row, 0, &format!("{}（{}）", s.title, s.unit))?;
        row += 1;
        let mut headers = vec!["区划"];
        headers.extend(s.columns.iter().map(|c| c.label.as_str()));
        sheet.headers(row, &headers)?;
        for i in 0..s.columns.len() {
            sheet.widths(&[(u16::try_from(i + 1).unwrap_or(u16::MAX), 14.0)])?;
        }
        row += 1;
        for l in s.lines.iter().chain(std::iter::once(&s.total)) {
            sheet.text(row, 0, &l.name)?;
            for (i, c) in l.cells.iter().enumerate() {
                let col = u16::try_from(i + 1).unwrap_or(u16::MAX);
                if s.unit == "元" {
                    sheet.yuan(row, col, c.value)?;
                } else {
                    sheet.number(row, col, c.value as f64)?;
                }
            }
            row += 1;
        }
        sheet.note(row, 0, &s.note)?;
        row += 2;
    }
    sheet.finish()
}
