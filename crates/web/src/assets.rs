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

const REGION_PICKER_JS: &str = include_str!("../assets/region-picker.js");

/// The region picker's script: names offered as one types in a region field.
pub(crate) async fn region_picker_js() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/javascript; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        REGION_PICKER_JS,
    )
}
