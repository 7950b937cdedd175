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
