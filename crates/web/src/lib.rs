//! The HTTP face of kangyang: JSON API under `/api/v1`, its OpenAPI document,
//! server-rendered pages in Chinese, and embedded assets.
//!
//! Handlers are thin: they read the request, call one use case of the app
//! crate with the acting user, and render the result. Scope, permission and
//! audit are the app crate's business, applied there once for every caller.

mod api;
mod assets;
mod charts;
mod error;
mod pages;
mod routes;
mod security_headers;
mod session;

pub use routes::{route_table, Access, RouteInfo};

use axum::Router;
use kangyang_app::App;
use std::net::SocketAddr;

/// Settings of the HTTP layer.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure`. Set when kangyang is reached over TLS (a reverse
    /// proxy in front); also applied per request when the proxy says
    /// `X-Forwarded-Proto: https` and `trust_proxy` is on.
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy
    /// you run: otherwise clients could choose the address that is audited).
    pub trust_proxy: bool,
}

#[derive(Clone)]
pub(crate) struct AppState {
    pub app: App,
    pub config: WebConfig,
}

/// The whole application as an axum router.
pub fn router(app: App, config: WebConfig) -> Router {
    routes::build(AppState { app, config })
}

/// Serves until the process is stopped.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    config: WebConfig,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(app, config).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
