//! The route table: every route is declared once, with its access class, and
//! the router, the OpenAPI document and the scope walks of the tests all read
//! that one declaration.
//!
//! # Declaring a route
//!
//! Each concept declares its own routes in its modules, `api/<concept>.rs`
//! and `pages/<concept>.rs`, in a `pub(crate) fn routes() -> Routes` at the
//! top of the file, which [`all`] merges:
//!
//! ```ignore
//! pub(crate) fn routes() -> Routes {
//!     use Access::*;
//!     Routes::new()
//!         // API: path and methods come from each handler's #[utoipa::path],
//!         // which also puts it in the OpenAPI document. Handlers of one path
//!         // (GET and POST, GET and PUT) go in one `routes!`.
//!         .api(SignedIn, routes!(api_list, api_create))
//!         .api(SignedIn, routes!(api_accept))
//!         // Pages: no OpenAPI entry, path written here.
//!         .get("/transfers", SignedIn, list)
//!         .post("/transfers", SignedIn, request)
//! }
//! ```
//!
//! - `Access::Public` is for what anyone may reach (login, health, assets,
//!   the public portal); everything else is `SignedIn`, and what a signed-in
//!   user reaches is then the scope's business in the app crate. The tests
//!   walk every `SignedIn` route anonymously, in scope and out of scope.
//! - A second method on a path is one more line: axum merges the method
//!   routers of one path (the same method twice on one path panics when the
//!   router is built, which every test run does).
//! - A route that needs a layer (a body limit for uploads) is declared with
//!   [`Routes::page`] and the method router; an API one with
//!   `routes!(handler).layer(…)` (`utoipa_axum::router::UtoipaMethodRouterExt`).
//! - Every route under `/api/` but the document itself goes through
//!   [`Routes::api`]; a test checks that the table and the document agree.
//! - Page forms take `CsrfForm<T>` (crate::session), which checks the token.
//! - The order of the table is the order of the walks: a route that ends what
//!   it touches (cancelling an order) comes after the others on it.

use crate::{api, assets, pages, security_headers, session, AppState};
use axum::handler::Handler;
use axum::routing::{get, post, MethodRouter};
use axum::{middleware, Extension, Router};
use std::sync::Arc;
use utoipa::openapi::path::PathItem;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: login, health, assets, the API description.
    Public,
    /// A signed-in user; what they reach is limited by their scope.
    SignedIn,
}

/// One registered route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    /// `GET`, `POST`, `PUT`, …
    pub method: &'static str,
    /// The axum path pattern, e.g. `/api/v1/persons/{id}`.
    pub path: String,
    pub access: Access,
}

/// Routes being declared: the router (with the OpenAPI operations of the API
/// routes) and the table of every route's method, path and access.
pub(crate) struct Routes {
    router: OpenApiRouter<AppState>,
    table: Vec<RouteInfo>,
}

impl Routes {
    pub(crate) fn new() -> Routes {
        Routes {
            // Empty: the description comes from `api::document`.
            router: OpenApiRouter::default(),
            table: Vec::new(),
        }
    }

    /// API routes: `route` is `routes!(handler, …)`, the handlers' path and
    /// methods read from their `#[utoipa::path]`, their operations added to
    /// the OpenAPI document.
    pub(crate) fn api(mut self, access: Access, route: UtoipaMethodRouter<AppState>) -> Routes {
        let (_, paths, _) = &route;
        // The router puts every handler of one `routes!` on every path in it,
        // so the table lists each path with all the methods: a `routes!` of
        // two paths shows up as routes the document lacks, which a test catches.
        let methods: Vec<&'static str> = METHODS
            .into_iter()
            .filter(|(_, has)| paths.paths.values().any(has))
            .map(|(method, _)| method)
            .collect();
        for path in paths.paths.keys() {
            for method in &methods {
                self.table.push(RouteInfo {
                    method,
                    path: path.clone(),
                    access,
                });
            }
        }
        self.router = self.router.routes(route);
        self
    }

    /// A page route answering GET.
    pub(crate) fn get<H, T>(self, path: &'static str, access: Access, handler: H) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.page("GET", path, access, get(handler))
    }

    /// A page route answering POST.
    pub(crate) fn post<H, T>(self, path: &'static str, access: Access, handler: H) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.page("POST", path, access, post(handler))
    }

    /// A route outside the OpenAPI document whose method router is given
    /// whole, for one that needs a layer: `route` answers `method` alone.
    pub(crate) fn page(
        mut self,
        method: &'static str,
        path: &'static str,
        access: Access,
        route: MethodRouter<AppState>,
    ) -> Routes {
        self.table.push(RouteInfo {
            method,
            path: path.to_owned(),
            access,
        });
        self.router = self.router.route(path, route);
        self
    }

    /// Adds another module's routes after these.
    pub(crate) fn merge(mut self, other: Routes) -> Routes {
        self.table.extend(other.table);
        self.router = self.router.merge(other.router);
        self
    }
}

/// The methods an OpenAPI path item can carry, in the order the table lists them.
type HasMethod = fn(&PathItem) -> bool;
const METHODS: [(&str, HasMethod); 8] = [
    ("GET", |p| p.get.is_some()),
    ("PUT", |p| p.put.is_some()),
    ("POST", |p| p.post.is_some()),
    ("DELETE", |p| p.delete.is_some()),
    ("PATCH", |p| p.patch.is_some()),
    ("HEAD", |p| p.head.is_some()),
    ("OPTIONS", |p| p.options.is_some()),
    ("TRACE", |p| p.trace.is_some()),
];

/// Every route of the router: method, path pattern and who may call it.
pub fn route_table() -> Vec<RouteInfo> {
    all().table
}

/// The OpenAPI document the router serves.
#[cfg(test)]
fn openapi_document() -> utoipa::openapi::OpenApi {
    api::document(all().router.into_openapi())
}

pub(crate) fn build(state: AppState) -> Router {
    let (router, collected) = all().router.split_for_parts();
    let document = api::ServedDocument(Arc::new(api::document(collected)));
    router
        .fallback(pages::not_found)
        .layer(Extension(document))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            session::resolve_actor,
        ))
        .layer(middleware::from_fn(security_headers::add))
        .with_state(state)
}

/// Every route of the router, in the order the scope walks take them. The
/// concepts already in `api/` and `pages/` declare their own; the rest are
/// declared here until they move to theirs.
fn all() -> Routes {
    use Access::*;
    Routes::new()
        .merge(api::routes())
        .get("/assets/app.css", Public, assets::css)
        .get("/assets/region-picker.js", Public, assets::region_picker_js)
        .get(
            "/assets/home-care-visit.js",
            Public,
            assets::home_care_visit_js,
        )
        .merge(pages::auth::routes())
        .merge(pages::workbench::routes())
        .merge(api::workbench::routes())
        .merge(pages::holidays::routes())
        .merge(api::holidays::routes())
        .merge(pages::regions::routes())
        .merge(pages::users::routes())
        .merge(api::users::routes())
        .merge(pages::audit::routes())
        .merge(api::audit::routes())
        .merge(api::register::routes())
        .merge(pages::export::routes())
        .merge(api::export::routes())
        .merge(pages::import::routes())
        .merge(pages::life::routes())
        .merge(api::transfers::routes())
        .merge(pages::transfers::routes())
        .merge(pages::register::routes())
        .merge(pages::capability::routes())
        .merge(api::capability::routes())
        .merge(api::facility::routes())
        .merge(pages::facility::routes())
        .merge(api::kangyuan::routes())
        .merge(pages::kangyuan::routes())
        .merge(api::canteen::routes())
        .merge(pages::canteen::routes())
        .merge(api::funds::routes())
        .merge(api::pairing::routes())
        .merge(api::visits::routes())
        .merge(pages::visits::routes())
        .merge(api::children::routes())
        .merge(pages::children::routes())
        .merge(api::home_care::routes())
        .merge(pages::home_care::routes())
        .merge(api::home_modification::routes())
        .merge(pages::home_modification::routes())
        .merge(api::medical_care::routes())
        .merge(api::station::routes())
        .merge(pages::medical_care::routes())
        .merge(pages::station::routes())
        .merge(api::planning::routes())
        .merge(pages::planning::routes())
        .merge(api::construction::routes())
        .merge(pages::construction::routes())
        .merge(pages::dashboards::routes())
        .merge(api::dashboards::routes())
        .merge(pages::portal::routes())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// (method, path) of every operation in the document.
    fn documented() -> BTreeSet<(String, String)> {
        let doc = serde_json::to_value(openapi_document()).unwrap();
        let mut ops = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
        ops
    }

    #[test]
    fn the_table_and_the_openapi_document_list_the_same_api_routes() {
        let table: BTreeSet<(String, String)> = route_table()
            .into_iter()
            .map(|r| (r.method.to_owned(), r.path))
            .collect();
        let documented = documented();
        for op in &documented {
            assert!(table.contains(op), "{op:?} is documented but not routed");
        }
        for route in &table {
            let api = route.1.starts_with("/api/") && route.1 != "/api/v1/openapi.json";
            assert!(
                !api || documented.contains(route),
                "{route:?} is routed but not documented (declare it with Routes::api)"
            );
        }
    }

    #[test]
    fn every_schema_the_document_names_is_in_it() {
        let doc = serde_json::to_string(&openapi_document()).unwrap();
        let value: serde_json::Value = serde_json::from_str(&doc).unwrap();
        let schemas = value["components"]["schemas"].as_object().unwrap();
        let prefix = "\"#/components/schemas/";
        for reference in doc.split(prefix).skip(1) {
            let name = reference.split('"').next().unwrap();
            assert!(schemas.contains_key(name), "{name} is named but missing");
        }
        assert!(schemas.contains_key("ErrorBody"));
    }

    #[test]
    fn no_route_is_declared_twice() {
        let table = route_table();
        let distinct: BTreeSet<_> = table.iter().map(|r| (r.method, &r.path)).collect();
        assert_eq!(distinct.len(), table.len());
    }

    #[test]
    fn a_second_method_on_a_path_joins_the_first() {
        // axum merges the method routers of one path; the router builds.
        let routes = Routes::new().get("/x", Access::SignedIn, || async {}).post(
            "/x",
            Access::SignedIn,
            || async {},
        );
        assert_eq!(routes.table.len(), 2);
        let _: Router<AppState> = routes.router.split_for_parts().0;
    }
}
