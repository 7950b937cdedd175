//! Region dashboards, demand mining and coverage: pages, workbook and API.

use crate::charts::BarChart;
use crate::error::{ApiError, PageError};
use crate::facility_pages::{region_param, xlsx};
use crate::pages::{html, Nav};
use crate::session::{ApiSession, PageSession};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use kangyang_app::dashboards::{self, Dashboard, Section};

#[derive(Template)]
#[template(path = "dashboard.html")]
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

/// A region's dashboard: people by category, urban/rural, age band,
/// capability, disability and child category; services this month; the
/// home-modification target; funds. Each figure by child region, with links
/// to the register search behind people counts.
#[utoipa::path(get, path = "/api/v1/regions/{code}/dashboard", params(("code" = String, Path)),
    responses((status = 200, body = Dashboard), (status = 401, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_dashboard(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(code): Path<String>,
) -> Result<Json<Dashboard>, ApiError> {
    let region = region_param(&code)?;
    Ok(Json(
        dashboards::dashboard(&state.app, &session.actor, &region).await?,
    ))
}
