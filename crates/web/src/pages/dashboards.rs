//! Region dashboards, demand mining and coverage: pages and workbook (the
//! API is `api/dashboards.rs`).

use crate::charts::{BarChart, MapFrame};
use crate::error::PageError;
use crate::pages::{html, region_param, xlsx, Nav};
use crate::routes::{Access, Routes};
use crate::session::PageSession;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use kangyang_app::coverage::{self, Coverage, CoverageQuery, Placement};
use kangyang_app::dashboards::{self, Dashboard, Section};
use kangyang_app::demand::{self, Demand, NeedSummary};
use kangyang_app::AppError;
use kangyang_domain::facility::FacilityKind;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get("/regions/{code}/dashboard", SignedIn, dashboard)
        .get("/regions/{code}/dashboard.xlsx", SignedIn, dashboard_xlsx)
        .get("/regions/{code}/demand", SignedIn, demand)
        .get("/regions/{code}/coverage", SignedIn, coverage)
}

#[derive(Template)]
#[template(path = "dashboards/dashboard.html")]
struct DashboardPage {
    nav: Nav,
    d: Dashboard,
    /// One chart per section, in order: its totals by column.
    section_charts: Vec<BarChart>,
    /// Registered people by child region.
    by_child: Option<BarChart>,
}

fn totals_chart(s: &Section) -> BarChart {
    BarChart::new(
        &format!("{}（{}）合计", s.title, s.unit),
        s.columns
            .iter()
            .zip(&s.total.cells)
            .map(|(c, cell)| {
                (
                    c.label.clone(),
                    cell.value,
                    cell.text.clone(),
                    cell.people_href.clone(),
                )
            })
            .collect(),
    )
}

fn by_child_chart(d: &Dashboard) -> Option<BarChart> {
    let s = d.section("category")?;
    if s.lines.is_empty() {
        return None;
    }
    Some(BarChart::new(
        "登记人员按下级区划（点击进入下级）",
        s.lines
            .iter()
            .filter_map(|l| {
                let cell = l.cells.first()?;
                Some((
                    l.name.clone(),
                    cell.value,
                    cell.text.clone(),
                    l.code.as_ref().map(|c| format!("/regions/{c}/dashboard")),
                ))
            })
            .collect(),
    ))
}

pub(crate) async fn dashboard(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let region = region_param(&code)?;
    let d = dashboards::dashboard(&state.app, &session.actor, &region).await?;
    html(DashboardPage {
        nav: Nav::of(&session.actor),
        section_charts: d.sections.iter().map(totals_chart).collect(),
        by_child: by_child_chart(&d),
        d,
    })
}

pub(crate) async fn dashboard_xlsx(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let region = region_param(&code)?;
    let bytes = dashboards::dashboard_xlsx(&state.app, &session.actor, &region).await?;
    Ok(xlsx(&format!("dashboard-{region}.xlsx"), bytes))
}

// ---- demand ----

#[derive(Template)]
#[template(path = "dashboards/demand.html")]
struct DemandPage {
    nav: Nav,
    d: Demand,
    /// One six-month chart per need, in order.
    trends: Vec<BarChart>,
}

fn trend_chart(n: &NeedSummary) -> BarChart {
    BarChart::new(
        &format!("{}：近六个月（月末人数）", n.short_label),
        n.trend
            .iter()
            .map(|p| (p.month.clone(), p.total, p.total.to_string(), None))
            .collect(),
    )
}

pub(crate) async fn demand(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let region = region_param(&code)?;
    let d = demand::demand(&state.app, &session.actor, &region).await?;
    html(DemandPage {
        nav: Nav::of(&session.actor),
        trends: d.needs.iter().map(trend_chart).collect(),
        d,
    })
}

// ---- coverage ----

pub(crate) struct VillageDot {
    pub x: f64,
    pub y: f64,
    pub r: f64,
    pub class: &'static str,
    pub title: String,
}

pub(crate) struct FacilityMark {
    pub x: f64,
    pub y: f64,
    pub reach: f64,
    pub class: &'static str,
    pub title: String,
}

pub(crate) struct CoverageMap {
    pub width: u32,
    pub height: u32,
    pub villages: Vec<VillageDot>,
    pub facilities: Vec<FacilityMark>,
    /// A scale bar: its length in pixels and what it stands for.
    pub scale_px: f64,
    pub scale_label: String,
    pub scale_y: f64,
}

fn coverage_map(c: &Coverage) -> Option<CoverageMap> {
    let frame = MapFrame::around(
        c.villages.iter().map(|v| (v.longitude, v.latitude)).chain(
            c.facilities
                .iter()
                .filter(|f| f.in_region)
                .map(|f| (f.longitude, f.latitude)),
        ),
    )?;
    let most = c
        .villages
        .iter()
        .map(|v| v.people)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let villages = c
        .villages
        .iter()
        .map(|v| {
            let (x, y) = frame.xy(v.longitude, v.latitude);
            VillageDot {
                x,
                y,
                // Area in proportion to the people: radius by the square root.
                r: ((2.5 + 11.0 * (v.people as f64 / most).sqrt()) * 10.0).round() / 10.0,
                class: if v.covered {
                    "map-village covered"
                } else {
                    "map-village uncovered"
                },
                title: format!(
                    "{} {}：{} 人，{}",
                    v.town,
                    v.name,
                    v.people,
                    match v.distance_km {
                        Some(d) => format!("距最近 {d:.2} 公里"),
                        None => "附近没有此类设施".to_owned(),
                    }
                ),
            }
        })
        .collect();
    let reach = ((c.radius_km * frame.px_per_km()) * 10.0).round() / 10.0;
    let facilities = c
        .facilities
        .iter()
        .filter_map(|f| {
            let (x, y) = frame.xy(f.longitude, f.latitude);
            frame.contains(x, y).then(|| FacilityMark {
                x,
                y,
                reach,
                class: if f.in_region {
                    "map-facility"
                } else {
                    "map-facility other"
                },
                title: f.name.clone(),
            })
        })
        .collect();
    // A bar of a round number of kilometres, about a fifth of the width.
    let target_km = f64::from(frame.width) / 5.0 / frame.px_per_km();
    let km = [0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0]
        .into_iter()
        .find(|k| *k >= target_km)
        .unwrap_or(500.0);
    Some(CoverageMap {
        width: frame.width,
        height: frame.height,
        villages,
        facilities,
        scale_px: (km * frame.px_per_km() * 10.0).round() / 10.0,
        scale_label: format!("{km} 公里"),
        scale_y: f64::from(frame.height) - 10.0,
    })
}

#[derive(Template)]
#[template(path = "dashboards/coverage.html")]
struct CoveragePage {
    nav: Nav,
    c: Coverage,
    map: Option<CoverageMap>,
    kinds: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    query: CoverageQuery,
    /// For comparing a village's placement in the template.
    coverage_facility: Placement,
}

pub(crate) async fn coverage(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(code): Path<String>,
    Query(q): Query<CoverageQuery>,
) -> Result<Response, PageError> {
    let region = region_param(&code)?;
    let kinds = FacilityKind::ALL
        .iter()
        .map(|k| (k.as_str(), k.label()))
        .collect();
    // A bad kind or radius shows the default view with the message.
    let (c, error) = match coverage::coverage(&state.app, &session.actor, &region, &q).await {
        Ok(c) => (c, None),
        Err(AppError::Invalid { message, .. }) => (
            coverage::coverage(
                &state.app,
                &session.actor,
                &region,
                &CoverageQuery::default(),
            )
            .await?,
            Some(message),
        ),
        Err(e) => return Err(e.into()),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = CoveragePage {
        nav: Nav::of(&session.actor),
        map: coverage_map(&c),
        c,
        kinds,
        error,
        query: q,
        coverage_facility: Placement::Facility,
    };
    Ok((status, Html(page.render()?)).into_response())
}
