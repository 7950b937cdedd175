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

use crate::{
    api, assets, audit_pages, canteen_api, canteen_pages, capability_pages, care_pages,
    children_pages, construction_pages, dashboard_pages, facility_pages, funds_api,
    home_care_pages, import_pages, life_pages, modification_pages, pages, person_pages,
    planning_pages, public_pages, security_headers, session, visit_pages, AppState,
};
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::routing::{get, post, MethodRouter};
use axum::{middleware, Extension, Router};
use std::sync::Arc;
use utoipa::openapi::path::PathItem;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

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
        .get(
            "/assets/home-care-visit.js",
            Public,
            assets::home_care_visit_js,
        )
        .get("/login", Public, pages::login_form)
        .post("/login", Public, pages::login_submit)
        .post("/logout", SignedIn, pages::logout)
        .get("/password", SignedIn, pages::password_form)
        .post("/password", SignedIn, pages::password_submit)
        .get("/account/totp", SignedIn, pages::totp_form)
        .post("/account/totp", SignedIn, pages::totp_submit)
        .merge(pages::workbench::routes())
        .merge(api::workbench::routes())
        .merge(pages::holidays::routes())
        .merge(api::holidays::routes())
        .get("/regions", SignedIn, pages::regions_search)
        .get("/regions/{code}", SignedIn, pages::region)
        .get("/admin/permissions", SignedIn, pages::permissions)
        .merge(pages::users::routes())
        .merge(api::users::routes())
        .get("/audit", SignedIn, audit_pages::page)
        .get("/audit/export.csv", SignedIn, audit_pages::export_csv)
        .api(SignedIn, routes!(audit_pages::api_search))
        .api(
            SignedIn,
            routes!(person_pages::api_search, person_pages::api_create),
        )
        .api(SignedIn, routes!(person_pages::api_find))
        .api(
            SignedIn,
            routes!(person_pages::api_get, person_pages::api_update),
        )
        .api(SignedIn, routes!(person_pages::api_reveal))
        .api(SignedIn, routes!(person_pages::api_history))
        .get("/persons", SignedIn, person_pages::list)
        .post("/persons", SignedIn, person_pages::create)
        .get("/persons/new", SignedIn, person_pages::new_form)
        .post("/persons/find", SignedIn, person_pages::find)
        .get("/persons/export.csv", SignedIn, import_pages::export_csv)
        .get("/persons/export.xlsx", SignedIn, import_pages::export_xlsx)
        .api(SignedIn, routes!(import_pages::api_export))
        .get("/imports/template.xlsx", SignedIn, import_pages::template)
        .get("/imports/new", SignedIn, import_pages::new_form)
        // Sheets of a whole county run to tens of megabytes.
        .page(
            "POST",
            "/imports",
            SignedIn,
            post(import_pages::upload).layer(DefaultBodyLimit::max(512 * 1024 * 1024)),
        )
        .get("/imports/status", SignedIn, life_pages::form)
        .page(
            "POST",
            "/imports/status",
            SignedIn,
            post(life_pages::upload).layer(DefaultBodyLimit::max(64 * 1024 * 1024)),
        )
        .get("/imports/{job}", SignedIn, import_pages::job)
        .merge(api::transfers::routes())
        .merge(pages::transfers::routes())
        .get(
            "/imports/{job}/errors.xlsx",
            SignedIn,
            import_pages::job_errors,
        )
        .get("/persons/{id}", SignedIn, person_pages::show)
        .post("/persons/{id}", SignedIn, person_pages::update)
        .get("/persons/{id}/edit", SignedIn, person_pages::edit_form)
        .post("/persons/{id}/reveal", SignedIn, person_pages::reveal)
        .post("/persons/{id}/status", SignedIn, person_pages::life_event)
        .get("/persons/{id}/capability", SignedIn, capability_pages::form)
        .post(
            "/persons/{id}/capability",
            SignedIn,
            capability_pages::submit,
        )
        .api(
            SignedIn,
            routes!(capability_pages::api_history, capability_pages::api_assess),
        )
        .api(
            SignedIn,
            routes!(facility_pages::api_list, facility_pages::api_create),
        )
        .api(
            SignedIn,
            routes!(facility_pages::api_get, facility_pages::api_update),
        )
        .api(SignedIn, routes!(facility_pages::api_relocate))
        .api(SignedIn, routes!(facility_pages::api_add_room))
        .api(
            SignedIn,
            routes!(
                facility_pages::api_brand_projects,
                facility_pages::api_add_brand_project
            ),
        )
        .api(SignedIn, routes!(facility_pages::api_add_brand_milestone))
        .api(SignedIn, routes!(facility_pages::api_score_brand_project))
        .post(
            "/facilities/{facility}/brand-projects",
            SignedIn,
            facility_pages::add_brand_project,
        )
        .post(
            "/facilities/{facility}/brand-projects/{brand}/milestones",
            SignedIn,
            facility_pages::add_brand_milestone,
        )
        .post(
            "/facilities/{facility}/brand-projects/{brand}/score",
            SignedIn,
            facility_pages::score_brand_project,
        )
        .post(
            "/facilities/{facility}/relocations",
            SignedIn,
            facility_pages::relocate,
        )
        .api(SignedIn, routes!(canteen_api::set_mode))
        .api(
            SignedIn,
            routes!(canteen_api::week_menu, canteen_api::set_menu),
        )
        .api(
            SignedIn,
            routes!(canteen_api::counter, canteen_api::record_meal),
        )
        .api(SignedIn, routes!(canteen_api::cancel_meal))
        .api(SignedIn, routes!(canteen_api::settlement))
        .get(
            "/facilities/{facility}/settlement.xlsx",
            SignedIn,
            canteen_api::settlement_xlsx,
        )
        .get(
            "/facilities/{facility}/settlement",
            SignedIn,
            canteen_pages::settlement,
        )
        .get(
            "/facilities/{facility}/meals",
            SignedIn,
            canteen_pages::counter,
        )
        .post("/facilities/{facility}/meals", SignedIn, canteen_pages::tap)
        .get(
            "/facilities/{facility}/menus",
            SignedIn,
            canteen_pages::menus,
        )
        .post(
            "/facilities/{facility}/menus",
            SignedIn,
            canteen_pages::set_menu,
        )
        .post(
            "/facilities/{facility}/canteen-mode",
            SignedIn,
            canteen_pages::set_mode,
        )
        .api(
            SignedIn,
            routes!(facility_pages::api_trainees, facility_pages::api_enrol),
        )
        .api(SignedIn, routes!(facility_pages::api_mark))
        .api(SignedIn, routes!(facility_pages::api_set_eligibility))
        .api(
            SignedIn,
            routes!(facility_pages::api_orders, facility_pages::api_add_order),
        )
        .api(SignedIn, routes!(facility_pages::api_record_output))
        .api(
            SignedIn,
            routes!(
                facility_pages::api_counselling,
                facility_pages::api_add_counselling
            ),
        )
        .api(SignedIn, routes!(facility_pages::api_rate))
        .api(SignedIn, routes!(facility_pages::api_overview))
        .api(SignedIn, routes!(funds_api::add_source))
        .api(SignedIn, routes!(funds_api::add_project))
        .api(SignedIn, routes!(funds_api::allocate))
        .api(SignedIn, routes!(funds_api::spend))
        .api(SignedIn, routes!(funds_api::projects))
        .api(SignedIn, routes!(funds_api::add_org))
        .api(SignedIn, routes!(funds_api::pair))
        .api(SignedIn, routes!(funds_api::add_help))
        .api(SignedIn, routes!(facility_pages::api_open_round))
        .get("/facilities", SignedIn, facility_pages::list)
        .post("/facilities", SignedIn, facility_pages::create)
        .get("/facilities/new", SignedIn, facility_pages::new_form)
        .get("/facilities/{facility}", SignedIn, facility_pages::show)
        .post(
            "/facilities/{facility}/output",
            SignedIn,
            facility_pages::record_output,
        )
        .post(
            "/facilities/{facility}/enrolments",
            SignedIn,
            facility_pages::enrol,
        )
        .post(
            "/facilities/{facility}/leave",
            SignedIn,
            facility_pages::leave,
        )
        .post(
            "/facilities/{facility}/services",
            SignedIn,
            facility_pages::add_service,
        )
        .get(
            "/facilities/{facility}/attendance",
            SignedIn,
            facility_pages::attendance,
        )
        .post(
            "/facilities/{facility}/attendance",
            SignedIn,
            facility_pages::mark,
        )
        .post(
            "/facilities/{facility}/attendance/day",
            SignedIn,
            facility_pages::mark_day,
        )
        .get(
            "/facilities/{facility}/attendance.xlsx",
            SignedIn,
            facility_pages::attendance_xlsx,
        )
        .get(
            "/facilities/{facility}/payout.xlsx",
            SignedIn,
            facility_pages::payout_xlsx,
        )
        .get(
            "/regions/{code}/kangyuan",
            SignedIn,
            facility_pages::overview,
        )
        .api(SignedIn, routes!(visit_pages::api_due))
        .api(
            SignedIn,
            routes!(visit_pages::api_of_person, visit_pages::api_record),
        )
        .get("/visits", SignedIn, visit_pages::due)
        .get("/visits/{id}", SignedIn, visit_pages::form)
        .post("/visits/{id}", SignedIn, visit_pages::submit)
        .api(
            SignedIn,
            routes!(children_pages::api_file, children_pages::api_save),
        )
        .api(SignedIn, routes!(children_pages::api_break_glass))
        .api(SignedIn, routes!(children_pages::api_add_activity))
        .api(SignedIn, routes!(children_pages::api_carers))
        .api(SignedIn, routes!(children_pages::api_children))
        .api(SignedIn, routes!(children_pages::api_break_glass_report))
        .api(SignedIn, routes!(children_pages::api_review))
        .get(
            "/facilities/{facility}/children",
            SignedIn,
            children_pages::list,
        )
        .get("/children/{id}", SignedIn, children_pages::show)
        .post("/children/{id}", SignedIn, children_pages::save)
        .post(
            "/children/{id}/break-glass",
            SignedIn,
            children_pages::break_glass,
        )
        .post(
            "/children/{id}/activities",
            SignedIn,
            children_pages::add_activity,
        )
        .post("/children/{id}/carers", SignedIn, children_pages::carers)
        .api(SignedIn, routes!(home_care_pages::api_catalogue))
        .api(
            SignedIn,
            routes!(home_care_pages::api_orders, home_care_pages::api_create),
        )
        .api(SignedIn, routes!(home_care_pages::api_order))
        .api(SignedIn, routes!(home_care_pages::api_dispatch))
        .api(SignedIn, routes!(home_care_pages::api_accept))
        .api(SignedIn, routes!(home_care_pages::api_check_in))
        .api(SignedIn, routes!(home_care_pages::api_check_out))
        .api(SignedIn, routes!(home_care_pages::api_rate))
        .api(SignedIn, routes!(home_care_pages::api_review))
        .api(SignedIn, routes!(home_care_pages::api_complain))
        .api(SignedIn, routes!(home_care_pages::api_callback))
        // Last of the order's steps in the walk: it ends the order.
        .api(SignedIn, routes!(home_care_pages::api_cancel))
        .api(SignedIn, routes!(home_care_pages::api_complaints))
        .api(SignedIn, routes!(home_care_pages::api_close_complaint))
        .api(
            SignedIn,
            routes!(home_care_pages::api_callbacks, home_care_pages::api_sample),
        )
        .api(SignedIn, routes!(home_care_pages::api_providers))
        .api(
            SignedIn,
            routes!(
                home_care_pages::api_caregivers,
                home_care_pages::api_add_caregiver
            ),
        )
        .api(SignedIn, routes!(home_care_pages::api_settlement))
        .api(SignedIn, routes!(home_care_pages::api_score))
        .api(SignedIn, routes!(home_care_pages::api_plan_orders))
        .api(SignedIn, routes!(home_care_pages::api_dashboard))
        .api(
            SignedIn,
            routes!(
                home_care_pages::api_client,
                home_care_pages::api_save_client
            ),
        )
        .get("/home-care", SignedIn, home_care_pages::dashboard)
        .get("/home-care/visits", SignedIn, home_care_pages::visits)
        .get("/home-care/orders", SignedIn, home_care_pages::list)
        .post("/home-care/orders", SignedIn, home_care_pages::create)
        .get("/home-care/orders/new", SignedIn, home_care_pages::new_form)
        .get(
            "/home-care/orders/{care_order}",
            SignedIn,
            home_care_pages::show,
        )
        .post(
            "/home-care/orders/{care_order}",
            SignedIn,
            home_care_pages::act,
        )
        .get(
            "/home-care/orders/{care_order}/visit",
            SignedIn,
            home_care_pages::visit,
        )
        .post(
            "/home-care/orders/{care_order}/visit",
            SignedIn,
            home_care_pages::visit_submit,
        )
        .get(
            "/home-care/providers/{provider}",
            SignedIn,
            home_care_pages::provider,
        )
        .post(
            "/home-care/providers/{provider}",
            SignedIn,
            home_care_pages::provider_act,
        )
        .get(
            "/home-care/providers/{provider}/settlement.xlsx",
            SignedIn,
            home_care_pages::settlement_xlsx,
        )
        .get("/audit/break-glass", SignedIn, children_pages::report)
        .post(
            "/audit/break-glass/{grant}/review",
            SignedIn,
            children_pages::review,
        )
        .api(SignedIn, routes!(modification_pages::api_items))
        .api(SignedIn, routes!(modification_pages::api_open))
        .api(SignedIn, routes!(modification_pages::api_case))
        .api(SignedIn, routes!(modification_pages::api_move))
        .api(SignedIn, routes!(modification_pages::api_set_item))
        .api(
            SignedIn,
            routes!(modification_pages::api_add_photo)
                .layer(DefaultBodyLimit::max(modification_pages::PHOTO_BODY_LIMIT)),
        )
        .api(SignedIn, routes!(modification_pages::api_person_cases))
        .api(SignedIn, routes!(modification_pages::api_progress))
        .api(SignedIn, routes!(modification_pages::api_set_target))
        .get(
            "/regions/{code}/modifications",
            SignedIn,
            modification_pages::progress,
        )
        .post(
            "/regions/{code}/modifications",
            SignedIn,
            modification_pages::target_submit,
        )
        .post("/modifications", SignedIn, modification_pages::open_submit)
        .get("/modifications/new", SignedIn, modification_pages::new_form)
        .get("/modifications/{case}", SignedIn, modification_pages::case)
        .post(
            "/modifications/{case}/state",
            SignedIn,
            modification_pages::move_submit,
        )
        .post(
            "/modifications/{case}/items",
            SignedIn,
            modification_pages::item_submit,
        )
        .page(
            "POST",
            "/modifications/{case}/photos",
            SignedIn,
            post(modification_pages::photo_submit)
                .layer(DefaultBodyLimit::max(modification_pages::PHOTO_BODY_LIMIT)),
        )
        .get(
            "/modifications/{case}/photos/{photo}",
            SignedIn,
            modification_pages::photo,
        )
        .merge(pages::kangyuan_forms::routes())
        .merge(pages::funds::routes())
        .merge(pages::pairing::routes())
        .merge(care())
        .merge(planning())
        .merge(construction())
        .merge(dashboards())
        .merge(public())
}

/// Medical-care agreements, the region's report, station work and the
/// visits raised to the station head.
fn care() -> Routes {
    use Access::*;
    Routes::new()
        .api(SignedIn, routes!(care_pages::api_create))
        .api(SignedIn, routes!(care_pages::api_end))
        .api(SignedIn, routes!(care_pages::api_of_facility))
        .api(SignedIn, routes!(care_pages::api_report))
        .api(
            SignedIn,
            routes!(care_pages::api_activities, care_pages::api_add_activity),
        )
        .api(
            SignedIn,
            routes!(care_pages::api_trainings, care_pages::api_add_training),
        )
        .api(SignedIn, routes!(care_pages::api_set_head))
        .api(SignedIn, routes!(care_pages::api_raised))
        .api(SignedIn, routes!(care_pages::api_acknowledge))
        .get("/regions/{code}/medical-care", SignedIn, care_pages::report)
        .post(
            "/facilities/{facility}/care-agreements",
            SignedIn,
            care_pages::create,
        )
        .post(
            "/care-agreements/{agreement}/end",
            SignedIn,
            care_pages::end,
        )
        .post(
            "/facilities/{facility}/activities",
            SignedIn,
            care_pages::add_activity,
        )
        .post(
            "/facilities/{facility}/trainings",
            SignedIn,
            care_pages::add_training,
        )
        .post(
            "/facilities/{facility}/head",
            SignedIn,
            care_pages::set_head,
        )
        .post("/visits/raised", SignedIn, care_pages::acknowledge)
}

/// The facility-location planner.
fn planning() -> Routes {
    use Access::*;
    Routes::new()
        .api(SignedIn, routes!(planning_pages::api_plan))
        .get("/regions/{code}/planner", SignedIn, planning_pages::page)
}

/// Construction projects. `{build}` is the construction project
/// (`{project}` is taken by the funds project).
fn construction() -> Routes {
    use Access::*;
    Routes::new()
        .api(SignedIn, routes!(construction_pages::api_create))
        .api(SignedIn, routes!(construction_pages::api_list))
        .api(SignedIn, routes!(construction_pages::api_detail))
        .api(SignedIn, routes!(construction_pages::api_stage))
        .api(SignedIn, routes!(construction_pages::api_milestone))
        .api(SignedIn, routes!(construction_pages::api_progress))
        .api(SignedIn, routes!(construction_pages::api_pay))
        .get(
            "/regions/{code}/construction",
            SignedIn,
            construction_pages::list,
        )
        .post(
            "/regions/{code}/construction",
            SignedIn,
            construction_pages::create,
        )
        .get(
            "/construction/{build}",
            SignedIn,
            construction_pages::detail,
        )
        .post(
            "/construction/{build}/stage",
            SignedIn,
            construction_pages::stage_submit,
        )
        .post(
            "/construction/{build}/milestones",
            SignedIn,
            construction_pages::milestone_submit,
        )
        .post(
            "/construction/{build}/progress",
            SignedIn,
            construction_pages::progress_submit,
        )
        .post(
            "/construction/{build}/payments",
            SignedIn,
            construction_pages::payment_submit,
        )
}

/// Region dashboards, demand mining and coverage.
fn dashboards() -> Routes {
    use Access::*;
    Routes::new()
        .get(
            "/regions/{code}/dashboard",
            SignedIn,
            dashboard_pages::dashboard,
        )
        .get(
            "/regions/{code}/dashboard.xlsx",
            SignedIn,
            dashboard_pages::dashboard_xlsx,
        )
        .api(SignedIn, routes!(dashboard_pages::api_dashboard))
        .get("/regions/{code}/demand", SignedIn, dashboard_pages::demand)
        .api(SignedIn, routes!(dashboard_pages::api_demand))
        .get(
            "/regions/{code}/coverage",
            SignedIn,
            dashboard_pages::coverage,
        )
        .api(SignedIn, routes!(dashboard_pages::api_coverage))
}

/// The public portal: no sign-in, aggregates and facilities only.
fn public() -> Routes {
    use Access::*;
    Routes::new()
        .get("/public", Public, public_pages::index)
        .get("/public/facilities", Public, public_pages::directory)
        .get(
            "/public/facilities/{facility}",
            Public,
            public_pages::facility,
        )
        .get("/public/regions/{code}", Public, public_pages::region)
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
        ("POST", "/api/v1/facilities/{facility}/meals/cancel", MachineOnly("TODO(#14): page not built yet: cancelling a meal at the counter")),
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
