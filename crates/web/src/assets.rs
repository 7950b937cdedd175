//! Static assets, embedded in the binary: no CDN, no external font.

use axum::http::header;
use axum::response::IntoResponse;

const APP_CSS: &str = include_str!("../assets/app.css");

pub(crate) async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        APP_CSS,
    )
}

const HOME_CARE_VISIT_JS: &str = include_str!("../assets/home-care-visit.js");

/// The check-in page's script (the CSP allows scripts from this origin only).
pub(crate) async fn home_care_visit_js() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/javascript; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        HOME_CARE_VISIT_JS,
    )
}
