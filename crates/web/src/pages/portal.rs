//! The public portal under `/public`: no sign-in, nothing about any person,
//! small counts suppressed (the rules live in `kangyang_app::portal`).

use crate::charts::MapFrame;
use crate::error::PageError;
use crate::pages::html;
use crate::routes::{Access, Routes};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use kangyang_app::portal::{self, Directory, DirectoryQuery, FacilityPage, PublicStats};
use kangyang_app::AppError;
use kangyang_domain::facility::FacilityKind;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get("/public", Public, index)
        .get("/public/facilities", Public, directory)
        .get("/public/facilities/{facility}", Public, facility)
        .get("/public/regions/{code}", Public, region)
}

#[derive(Template)]
#[template(path = "portal/index.html")]
struct IndexPage {
    kinds: Vec<(&'static str, &'static str)>,
}

pub(crate) async fn index() -> Result<Response, PageError> {
    html(IndexPage {
        kinds: FacilityKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
    })
}

/// A facility drawn on the directory's map.
pub(crate) struct Marker {
    pub id: i64,
    pub name: String,
    pub x: f64,
    pub y: f64,
}

pub(crate) struct FacilityMap {
    pub width: u32,
    pub height: u32,
    pub markers: Vec<Marker>,
}

#[derive(Template)]
#[template(path = "portal/facilities.html")]
struct DirectoryPage {
    d: Directory,
    map: Option<FacilityMap>,
    unplaced: usize,
}

pub(crate) async fn directory(
    State(state): State<AppState>,
    Query(q): Query<DirectoryQuery>,
) -> Result<Response, PageError> {
    let d = portal::directory(&state.app, &q).await?;
    let placed: Vec<(i64, &str, f64, f64)> = d
        .facilities
        .iter()
        .filter_map(|f| Some((f.id, f.name.as_str(), f.longitude?, f.latitude?)))
        .collect();
    let map = MapFrame::around(placed.iter().map(|p| (p.2, p.3))).map(|frame| FacilityMap {
        width: frame.width,
        height: frame.height,
        markers: placed
            .iter()
            .map(|(id, name, lon, lat)| {
                let (x, y) = frame.xy(*lon, *lat);
                Marker {
                    id: *id,
                    name: (*name).to_owned(),
                    x,
                    y,
                }
            })
            .collect(),
    });
    html(DirectoryPage {
        unplaced: d.facilities.len() - placed.len(),
        map,
        d,
    })
}

#[derive(Template)]
#[template(path = "portal/facility.html")]
struct FacilityDetailPage {
    p: FacilityPage,
}

pub(crate) async fn facility(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    html(FacilityDetailPage {
        p: portal::facility(&state.app, id).await?,
    })
}

#[derive(Template)]
#[template(path = "portal/region.html")]
struct RegionPage {
    s: PublicStats,
}

pub(crate) async fn region(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    html(RegionPage {
        s: portal::region_stats(&state.app, &code).await?,
    })
}
