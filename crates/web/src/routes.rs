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
        .merge(pages::kangyuan_forms::routes())
        .merge(pages::funds::routes())
        .merge(pages::pairing::routes())
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

/// What a state-changing API route has for people: the page route (POST)
/// whose form does the same, or why it has none.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) enum Pairing {
    /// The page form's POST route.
    Page(&'static str),
    /// No page: the reason (a machine-only route, or a TODO naming what is
    /// missing).
    MachineOnly(&'static str),
}

/// Every POST/PUT/DELETE API route with its page form: a test walks the
/// route table against this one (issue #14: a page for every action).
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) const API_PAGES: &[(&str, &str, Pairing)] = {
    use Pairing::*;
    &[
        ("POST", "/api/v1/login", MachineOnly("the API's own sign-in for scripts; people sign in at /login")),
        ("POST", "/api/v1/logout", MachineOnly("the API's own sign-out for scripts; people sign out at /logout")),
        ("POST", "/api/v1/audit/break-glass/{grant}/review", Page("/audit/break-glass/{grant}/review")),
        ("POST", "/api/v1/care-agreements", Page("/facilities/{facility}/care-agreements")),
        ("POST", "/api/v1/care-agreements/{agreement}/end", Page("/care-agreements/{agreement}/end")),
        ("POST", "/api/v1/children/{id}", Page("/children/{id}")),
        ("POST", "/api/v1/children/{id}/activities", Page("/children/{id}/activities")),
        ("POST", "/api/v1/children/{id}/break-glass", Page("/children/{id}/break-glass")),
        ("POST", "/api/v1/children/{id}/carers", Page("/children/{id}/carers")),
        ("POST", "/api/v1/construction", Page("/regions/{code}/construction")),
        ("POST", "/api/v1/construction/{build}/milestones", Page("/construction/{build}/milestones")),
        ("POST", "/api/v1/construction/{build}/payments", Page("/construction/{build}/payments")),
        ("POST", "/api/v1/construction/{build}/progress", Page("/construction/{build}/progress")),
        ("POST", "/api/v1/construction/{build}/stage", Page("/construction/{build}/stage")),
        ("POST", "/api/v1/facilities", Page("/facilities")),
        ("PUT", "/api/v1/facilities/{facility}", MachineOnly("TODO(#14): page not built yet: the whole record; only the villages served have a form (/facilities/{facility}/villages)")),
        ("POST", "/api/v1/facilities/{facility}/activities", Page("/facilities/{facility}/activities")),
        ("POST", "/api/v1/facilities/{facility}/attendance", Page("/facilities/{facility}/attendance")),
        ("POST", "/api/v1/facilities/{facility}/brand-projects", Page("/facilities/{facility}/brand-projects")),
        ("POST", "/api/v1/facilities/{facility}/brand-projects/{brand}/milestones", Page("/facilities/{facility}/brand-projects/{brand}/milestones")),
        ("POST", "/api/v1/facilities/{facility}/brand-projects/{brand}/score", Page("/facilities/{facility}/brand-projects/{brand}/score")),
        ("PUT", "/api/v1/facilities/{facility}/canteen-mode", Page("/facilities/{facility}/canteen-mode")),
        ("POST", "/api/v1/facilities/{facility}/counselling", Page("/facilities/{facility}/counselling")),
        ("PUT", "/api/v1/facilities/{facility}/eligibility", MachineOnly("TODO(#14): page not built yet: the eligibility rule (ages, disabilities)")),
        ("POST", "/api/v1/facilities/{facility}/enrolments", Page("/facilities/{facility}/enrolments")),
        ("PUT", "/api/v1/facilities/{facility}/head", Page("/facilities/{facility}/head")),
        ("POST", "/api/v1/facilities/{facility}/meals", Page("/facilities/{facility}/meals")),
        // The counter's 撤销 button (service=clear) calls the same cancel.
        ("POST", "/api/v1/facilities/{facility}/meals/cancel", Page("/facilities/{facility}/meals")),
        ("POST", "/api/v1/facilities/{facility}/menus", Page("/facilities/{facility}/menus")),
        ("POST", "/api/v1/facilities/{facility}/orders", Page("/facilities/{facility}/orders")),
        ("POST", "/api/v1/facilities/{facility}/orders/{order}/output", Page("/facilities/{facility}/output")),
        ("POST", "/api/v1/facilities/{facility}/ratings", Page("/facilities/{facility}/ratings")),
        ("POST", "/api/v1/facilities/{facility}/relocations", Page("/facilities/{facility}/relocations")),
        ("POST", "/api/v1/facilities/{facility}/rooms", Page("/facilities/{facility}/rooms")),
        ("POST", "/api/v1/facilities/{facility}/trainings", Page("/facilities/{facility}/trainings")),
        ("POST", "/api/v1/funds/projects", Page("/regions/{code}/funds/projects")),
        ("POST", "/api/v1/funds/projects/{project}/allocations", Page("/regions/{code}/funds/projects/{project}/allocations")),
        ("POST", "/api/v1/funds/projects/{project}/expenditures", Page("/regions/{code}/funds/projects/{project}/expenditures")),
        ("POST", "/api/v1/funds/sources", Page("/regions/{code}/funds/sources")),
        ("POST", "/api/v1/holidays", Page("/holidays")),
        ("POST", "/api/v1/holidays/remove", Page("/holidays/remove")),
        ("POST", "/api/v1/home-care/callbacks", MachineOnly("TODO(#14): page not built yet: drawing the month's callback sample")),
        ("POST", "/api/v1/home-care/complaints/{complaint}/close", MachineOnly("TODO(#14): page not built yet: closing a complaint")),
        ("POST", "/api/v1/home-care/orders", Page("/home-care/orders")),
        ("POST", "/api/v1/home-care/orders/{care_order}/accept", Page("/home-care/orders/{care_order}")),
        ("POST", "/api/v1/home-care/orders/{care_order}/callback", Page("/home-care/orders/{care_order}")),
        ("POST", "/api/v1/home-care/orders/{care_order}/cancel", Page("/home-care/orders/{care_order}")),
        ("POST", "/api/v1/home-care/orders/{care_order}/check-in", Page("/home-care/orders/{care_order}/visit")),
        ("POST", "/api/v1/home-care/orders/{care_order}/check-out", Page("/home-care/orders/{care_order}/visit")),
        ("POST", "/api/v1/home-care/orders/{care_order}/complaints", Page("/home-care/orders/{care_order}")),
        ("POST", "/api/v1/home-care/orders/{care_order}/dispatch", Page("/home-care/orders/{care_order}")),
        ("POST", "/api/v1/home-care/orders/{care_order}/rating", Page("/home-care/orders/{care_order}")),
        ("POST", "/api/v1/home-care/orders/{care_order}/review", Page("/home-care/orders/{care_order}")),
        ("POST", "/api/v1/home-care/plan-orders", MachineOnly("TODO(#14): page not built yet: raising a month's orders from the care plans")),
        ("POST", "/api/v1/home-care/providers/{provider}/caregivers", Page("/home-care/providers/{provider}")),
        ("POST", "/api/v1/home-care/providers/{provider}/score", Page("/home-care/providers/{provider}")),
        ("POST", "/api/v1/modification-targets", Page("/regions/{code}/modifications")),
        ("POST", "/api/v1/modifications", Page("/modifications")),
        ("POST", "/api/v1/modifications/{case}/items", Page("/modifications/{case}/items")),
        ("POST", "/api/v1/modifications/{case}/photos", Page("/modifications/{case}/photos")),
        ("POST", "/api/v1/modifications/{case}/state", Page("/modifications/{case}/state")),
        ("POST", "/api/v1/pairings", Page("/regions/{code}/pairings")),
        ("POST", "/api/v1/pairings/{pairing}/help", Page("/regions/{code}/pairings/{pairing}/help")),
        ("POST", "/api/v1/partner-orgs", Page("/regions/{code}/partner-orgs")),
        ("POST", "/api/v1/persons", Page("/persons")),
        ("POST", "/api/v1/persons/find", Page("/persons/find")),
        ("PUT", "/api/v1/persons/{id}", Page("/persons/{id}")),
        ("POST", "/api/v1/persons/{id}/capability", Page("/persons/{id}/capability")),
        ("PUT", "/api/v1/persons/{id}/home-care", MachineOnly("TODO(#14): page not built yet: a person's home-care client record")),
        ("POST", "/api/v1/persons/{id}/reveal", Page("/persons/{id}/reveal")),
        ("POST", "/api/v1/persons/{id}/visits", Page("/visits/{id}")),
        ("POST", "/api/v1/rating-rounds", Page("/regions/{code}/rating-rounds")),
        ("POST", "/api/v1/regions/{code}/plan", MachineOnly("computes a layout plan and stores nothing; the page /regions/{code}/planner shows it by GET")),
        ("POST", "/api/v1/transfers", Page("/transfers")),
        ("POST", "/api/v1/transfers/{transfer}/accept", Page("/transfers/{transfer}/accept")),
        ("POST", "/api/v1/transfers/{transfer}/refuse", Page("/transfers/{transfer}/refuse")),
        ("POST", "/api/v1/users", Page("/admin/users")),
        ("POST", "/api/v1/users/{user}/disable", Page("/admin/users/{user}/disable")),
        ("POST", "/api/v1/users/{user}/enable", Page("/admin/users/{user}/enable")),
        ("POST", "/api/v1/users/{user}/grant", Page("/admin/users/{user}/grant")),
        ("POST", "/api/v1/visits/raised/acknowledgements", Page("/visits/raised")),
    ]
};

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

    #[test]
    fn every_state_changing_api_route_has_a_page_or_a_reason() {
        let table = route_table();
        let routed: BTreeSet<(&str, &str)> =
            table.iter().map(|r| (r.method, r.path.as_str())).collect();
        let paired: BTreeSet<(&str, &str)> = API_PAGES.iter().map(|(m, p, _)| (*m, *p)).collect();
        assert_eq!(
            paired.len(),
            API_PAGES.len(),
            "an API route is listed twice"
        );
        let mut missing = Vec::new();
        for r in &table {
            let changes = matches!(r.method, "POST" | "PUT" | "DELETE" | "PATCH");
            if changes && r.path.starts_with("/api/") && !paired.contains(&(r.method, &*r.path)) {
                missing.push(format!("{} {}", r.method, r.path));
            }
        }
        assert!(
            missing.is_empty(),
            "API routes without a page or a reason in API_PAGES: {missing:?}"
        );
        for (method, path, pairing) in API_PAGES {
            assert!(
                routed.contains(&(*method, *path)),
                "API_PAGES names {method} {path}, which is not routed"
            );
            match pairing {
                Pairing::Page(page) => assert!(
                    routed.contains(&("POST", *page)),
                    "{method} {path}: its page POST {page} is not routed"
                ),
                Pairing::MachineOnly(reason) => assert!(
                    !reason.trim().is_empty(),
                    "{method} {path}: a reason is needed"
                ),
            }
        }
    }
}
