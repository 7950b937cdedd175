//! Regions in the browser: a region's page with its children, and the
//! search by name or code (the API is `api/regions.rs`).

use crate::error::PageError;
use crate::pages::{html, Nav};
use crate::routes::{Access, Routes};
use crate::session::PageSession;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use kangyang_app::regions::{self, ChildView, RegionDetail};
use serde::Deserialize;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get("/regions", SignedIn, regions_search)
        .get("/regions/{code}", SignedIn, region)
}

#[derive(Template)]
#[template(path = "regions/show.html")]
struct RegionPage {
    nav: Nav,
    detail: RegionDetail,
    children: Vec<ChildView>,
}

pub(crate) async fn region(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let actor = &session.actor;
    let detail = regions::get(&state.app, actor, &code).await?;
    let children = regions::children(&state.app, actor, &code).await?;
    html(RegionPage {
        nav: Nav::of(actor),
        detail,
        children,
    })
}

#[derive(Deserialize)]
pub(crate) struct SearchQuery {
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "regions/search.html")]
struct RegionSearchPage {
    nav: Nav,
    q: String,
    results: Vec<RegionDetail>,
}

pub(crate) async fn regions_search(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(query): Query<SearchQuery>,
) -> Result<Response, PageError> {
    let results = regions::search(&state.app, &session.actor, &query.q).await?;
    html(RegionSearchPage {
        nav: Nav::of(&session.actor),
        q: query.q,
        results,
    })
}
