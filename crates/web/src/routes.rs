//! The route table. Routes are registered through [`Routes`], which records
//! each one's method, path and access, so tests can walk every route the
//! router really has (a new route cannot be forgotten by the scope tests).

use crate::{
    api, assets, audit_pages, canteen_api, canteen_pages, capability_pages, care_pages,
    children_pages, construction_pages, dashboard_pages, facility_pages, funds_api, holiday_pages,
    home_care_pages, import_pages, life_pages, modification_pages, pages, person_pages,
    planning_pages, public_pages, security_headers, session, transfer_pages, user_pages,
    visit_pages, workbench_pages, AppState,
};
use axum::handler::Handler;
use axum::routing::{get, post, MethodRouter};
use axum::{middleware, Router};

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
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

struct Routes {
    router: Router<AppState>,
    table: Vec<RouteInfo>,
}

impl Routes {
    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        access: Access,
        route: MethodRouter<AppState>,
    ) -> Self {
        self.table.push(RouteInfo {
            method,
            path,
            access,
        });
        self.router = self.router.route(path, route);
        self
    }

    fn get<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("GET", path, access, get(handler))
    }

    fn post<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("POST", path, access, post(handler))
    }
}

fn routes() -> Routes {
    use Access::*;
    let r = Routes {
        router: Router::new(),
        table: Vec::new(),
    };
    // Registering the same path twice would make axum panic at start-up; these
    // paths are distinct, and each path gets its methods in one `route` call.
    r.get("/healthz", Public, api::healthz)
        .get("/assets/app.css", Public, assets::css)
        .get(
            "/assets/home-care-visit.js",
            Public,
            assets::home_care_visit_js,
        )
        .get("/api/v1/openapi.json", Public, api::openapi)
        .post("/api/v1/login", Public, api::login)
        .post("/api/v1/logout", SignedIn, api::logout)
        .get("/api/v1/me", SignedIn, api::me)
        .get("/api/v1/regions", SignedIn, api::regions_search)
        .get("/api/v1/regions/{code}", SignedIn, api::region)
        .get(
            "/api/v1/regions/{code}/children",
            SignedIn,
            api::region_children,
        )
        .add(
            "GET",
            "/login",
            Public,
            get(pages::login_form).post(pages::login_submit),
        )
        .table_only("POST", "/login", Public)
        .post("/logout", SignedIn, pages::logout)
        .add(
            "GET",
            "/password",
            SignedIn,
            get(pages::password_form).post(pages::password_submit),
        )
        .table_only("POST", "/password", SignedIn)
        .add(
            "GET",
            "/account/totp",
            SignedIn,
            get(pages::totp_form).post(pages::totp_submit),
        )
        .table_only("POST", "/account/totp", SignedIn)
        .get("/", SignedIn, workbench_pages::home)
        .get(
            "/workbench/attendance",
            SignedIn,
            workbench_pages::attendance,
        )
        .get(
            "/workbench/status-open",
            SignedIn,
            workbench_pages::status_open,
        )
        .get("/api/v1/workbench", SignedIn, workbench_pages::api_items)
        .add(
            "GET",
            "/holidays",
            SignedIn,
            get(holiday_pages::show).post(holiday_pages::add),
        )
        .table_only("POST", "/holidays", SignedIn)
        .post("/holidays/remove", SignedIn, holiday_pages::remove)
        .add(
            "GET",
            "/api/v1/holidays",
            SignedIn,
            get(holiday_pages::api_list).post(holiday_pages::api_set),
        )
        .table_only("POST", "/api/v1/holidays", SignedIn)
        .post(
            "/api/v1/holidays/remove",
            SignedIn,
            holiday_pages::api_remove,
        )
        .get("/regions", SignedIn, pages::regions_search)
        .get("/regions/{code}", SignedIn, pages::region)
        .get("/admin/permissions", SignedIn, pages::permissions)
        .add(
            "GET",
            "/admin/users",
            SignedIn,
            get(user_pages::list).post(user_pages::create),
        )
        .table_only("POST", "/admin/users", SignedIn)
        .get("/admin/users/{user}", SignedIn, user_pages::show)
        .post("/admin/users/{user}/grant", SignedIn, user_pages::grant)
        .post("/admin/users/{user}/disable", SignedIn, user_pages::disable)
        .post("/admin/users/{user}/enable", SignedIn, user_pages::enable)
        .add(
            "GET",
            "/api/v1/users",
            SignedIn,
            get(user_pages::api_list).post(user_pages::api_create),
        )
        .table_only("POST", "/api/v1/users", SignedIn)
        .post(
            "/api/v1/users/{user}/grant",
            SignedIn,
            user_pages::api_grant,
        )
        .post(
            "/api/v1/users/{user}/disable",
            SignedIn,
            user_pages::api_disable,
        )
        .post(
            "/api/v1/users/{user}/enable",
            SignedIn,
            user_pages::api_enable,
        )
        .get("/audit", SignedIn, audit_pages::page)
        .get("/audit/export.csv", SignedIn, audit_pages::export_csv)
        .get("/api/v1/audit", SignedIn, audit_pages::api_search)
        .add(
            "GET",
            "/api/v1/persons",
            SignedIn,
            get(person_pages::api_search).post(person_pages::api_create),
        )
        .table_only("POST", "/api/v1/persons", SignedIn)
        .post("/api/v1/persons/find", SignedIn, person_pages::api_find)
        .add(
            "GET",
            "/api/v1/persons/{id}",
            SignedIn,
            get(person_pages::api_get).put(person_pages::api_update),
        )
        .table_only("PUT", "/api/v1/persons/{id}", SignedIn)
        .post(
            "/api/v1/persons/{id}/reveal",
            SignedIn,
            person_pages::api_reveal,
        )
        .get(
            "/api/v1/persons/{id}/history",
            SignedIn,
            person_pages::api_history,
        )
        .add(
            "GET",
            "/persons",
            SignedIn,
            get(person_pages::list).post(person_pages::create),
        )
        .table_only("POST", "/persons", SignedIn)
        .get("/persons/new", SignedIn, person_pages::new_form)
        .post("/persons/find", SignedIn, person_pages::find)
        .get("/persons/export.csv", SignedIn, import_pages::export_csv)
        .get("/persons/export.xlsx", SignedIn, import_pages::export_xlsx)
        .get("/api/v1/persons/export", SignedIn, import_pages::api_export)
        .get("/imports/template.xlsx", SignedIn, import_pages::template)
        .get("/imports/new", SignedIn, import_pages::new_form)
        .add(
            "POST",
            "/imports",
            SignedIn,
            // Sheets of a whole county run to tens of megabytes.
            post(import_pages::upload)
                .layer(axum::extract::DefaultBodyLimit::max(512 * 1024 * 1024)),
        )
        .add(
            "GET",
            "/imports/status",
            SignedIn,
            get(life_pages::form)
                .post(life_pages::upload)
                .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024)),
        )
        .table_only("POST", "/imports/status", SignedIn)
        .get("/imports/{job}", SignedIn, import_pages::job)
        .add(
            "GET",
            "/api/v1/transfers",
            SignedIn,
            get(transfer_pages::api_list).post(transfer_pages::api_request),
        )
        .table_only("POST", "/api/v1/transfers", SignedIn)
        .get(
            "/api/v1/transfers/{transfer}",
            SignedIn,
            transfer_pages::api_get,
        )
        .post(
            "/api/v1/transfers/{transfer}/accept",
            SignedIn,
            transfer_pages::api_accept,
        )
        .post(
            "/api/v1/transfers/{transfer}/refuse",
            SignedIn,
            transfer_pages::api_refuse,
        )
        .add(
            "GET",
            "/transfers",
            SignedIn,
            get(transfer_pages::list).post(transfer_pages::request),
        )
        .table_only("POST", "/transfers", SignedIn)
        .post(
            "/transfers/{transfer}/accept",
            SignedIn,
            transfer_pages::accept,
        )
        .post(
            "/transfers/{transfer}/refuse",
            SignedIn,
            transfer_pages::refuse,
        )
        .get(
            "/imports/{job}/errors.xlsx",
            SignedIn,
            import_pages::job_errors,
        )
        .add(
            "GET",
            "/persons/{id}",
            SignedIn,
            get(person_pages::show).post(person_pages::update),
        )
        .table_only("POST", "/persons/{id}", SignedIn)
        .get("/persons/{id}/edit", SignedIn, person_pages::edit_form)
        .post("/persons/{id}/reveal", SignedIn, person_pages::reveal)
        .post("/persons/{id}/status", SignedIn, person_pages::life_event)
        .add(
            "GET",
            "/persons/{id}/capability",
            SignedIn,
            get(capability_pages::form).post(capability_pages::submit),
        )
        .table_only("POST", "/persons/{id}/capability", SignedIn)
        .add(
            "GET",
            "/api/v1/persons/{id}/capability",
            SignedIn,
            get(capability_pages::api_history).post(capability_pages::api_assess),
        )
        .table_only("POST", "/api/v1/persons/{id}/capability", SignedIn)
        .add(
            "GET",
            "/api/v1/facilities",
            SignedIn,
            get(facility_pages::api_list).post(facility_pages::api_create),
        )
        .table_only("POST", "/api/v1/facilities", SignedIn)
        .add(
            "GET",
            "/api/v1/facilities/{facility}",
            SignedIn,
            get(facility_pages::api_get).put(facility_pages::api_update),
        )
        .table_only("PUT", "/api/v1/facilities/{facility}", SignedIn)
        .post(
            "/api/v1/facilities/{facility}/relocations",
            SignedIn,
            facility_pages::api_relocate,
        )
        .post(
            "/api/v1/facilities/{facility}/rooms",
            SignedIn,
            facility_pages::api_add_room,
        )
        .add(
            "GET",
            "/api/v1/facilities/{facility}/brand-projects",
            SignedIn,
            get(facility_pages::api_brand_projects).post(facility_pages::api_add_brand_project),
        )
        .table_only(
            "POST",
            "/api/v1/facilities/{facility}/brand-projects",
            SignedIn,
        )
        .post(
            "/api/v1/facilities/{facility}/brand-projects/{brand}/milestones",
            SignedIn,
            facility_pages::api_add_brand_milestone,
        )
        .post(
            "/api/v1/facilities/{facility}/brand-projects/{brand}/score",
            SignedIn,
            facility_pages::api_score_brand_project,
        )
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
        .add(
            "PUT",
            "/api/v1/facilities/{facility}/canteen-mode",
            SignedIn,
            axum::routing::put(canteen_api::set_mode),
        )
        .add(
            "GET",
            "/api/v1/facilities/{facility}/menus",
            SignedIn,
            get(canteen_api::week_menu).post(canteen_api::set_menu),
        )
        .table_only("POST", "/api/v1/facilities/{facility}/menus", SignedIn)
        .add(
            "GET",
            "/api/v1/facilities/{facility}/meals",
            SignedIn,
            get(canteen_api::counter).post(canteen_api::record_meal),
        )
        .table_only("POST", "/api/v1/facilities/{facility}/meals", SignedIn)
        .post(
            "/api/v1/facilities/{facility}/meals/cancel",
            SignedIn,
            canteen_api::cancel_meal,
        )
        .get(
            "/api/v1/facilities/{facility}/settlement",
            SignedIn,
            canteen_api::settlement,
        )
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
        .add(
            "GET",
            "/facilities/{facility}/meals",
            SignedIn,
            get(canteen_pages::counter).post(canteen_pages::tap),
        )
        .table_only("POST", "/facilities/{facility}/meals", SignedIn)
        .add(
            "GET",
            "/facilities/{facility}/menus",
            SignedIn,
            get(canteen_pages::menus).post(canteen_pages::set_menu),
        )
        .table_only("POST", "/facilities/{facility}/menus", SignedIn)
        .post(
            "/facilities/{facility}/canteen-mode",
            SignedIn,
            canteen_pages::set_mode,
        )
        .add(
            "GET",
            "/api/v1/facilities/{facility}/enrolments",
            SignedIn,
            get(facility_pages::api_trainees).post(facility_pages::api_enrol),
        )
        .table_only("POST", "/api/v1/facilities/{facility}/enrolments", SignedIn)
        .post(
            "/api/v1/facilities/{facility}/attendance",
            SignedIn,
            facility_pages::api_mark,
        )
        .add(
            "PUT",
            "/api/v1/facilities/{facility}/eligibility",
            SignedIn,
            axum::routing::put(facility_pages::api_set_eligibility),
        )
        .add(
            "GET",
            "/api/v1/facilities/{facility}/orders",
            SignedIn,
            get(facility_pages::api_orders).post(facility_pages::api_add_order),
        )
        .table_only("POST", "/api/v1/facilities/{facility}/orders", SignedIn)
        .post(
            "/api/v1/facilities/{facility}/orders/{order}/output",
            SignedIn,
            facility_pages::api_record_output,
        )
        .add(
            "GET",
            "/api/v1/facilities/{facility}/counselling",
            SignedIn,
            get(facility_pages::api_counselling).post(facility_pages::api_add_counselling),
        )
        .table_only(
            "POST",
            "/api/v1/facilities/{facility}/counselling",
            SignedIn,
        )
        .post(
            "/api/v1/facilities/{facility}/ratings",
            SignedIn,
            facility_pages::api_rate,
        )
        .get(
            "/api/v1/regions/{code}/kangyuan",
            SignedIn,
            facility_pages::api_overview,
        )
        .post("/api/v1/funds/sources", SignedIn, funds_api::add_source)
        .post("/api/v1/funds/projects", SignedIn, funds_api::add_project)
        .post(
            "/api/v1/funds/projects/{project}/allocations",
            SignedIn,
            funds_api::allocate,
        )
        .post(
            "/api/v1/funds/projects/{project}/expenditures",
            SignedIn,
            funds_api::spend,
        )
        .get(
            "/api/v1/regions/{code}/funds",
            SignedIn,
            funds_api::projects,
        )
        .post("/api/v1/partner-orgs", SignedIn, funds_api::add_org)
        .post("/api/v1/pairings", SignedIn, funds_api::pair)
        .post(
            "/api/v1/pairings/{pairing}/help",
            SignedIn,
            funds_api::add_help,
        )
        .post(
            "/api/v1/rating-rounds",
            SignedIn,
            facility_pages::api_open_round,
        )
        .add(
            "GET",
            "/facilities",
            SignedIn,
            get(facility_pages::list).post(facility_pages::create),
        )
        .table_only("POST", "/facilities", SignedIn)
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
        .add(
            "GET",
            "/facilities/{facility}/attendance",
            SignedIn,
            get(facility_pages::attendance).post(facility_pages::mark),
        )
        .table_only("POST", "/facilities/{facility}/attendance", SignedIn)
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
        .get("/api/v1/visits/due", SignedIn, visit_pages::api_due)
        .add(
            "GET",
            "/api/v1/persons/{id}/visits",
            SignedIn,
            get(visit_pages::api_of_person).post(visit_pages::api_record),
        )
        .table_only("POST", "/api/v1/persons/{id}/visits", SignedIn)
        .get("/visits", SignedIn, visit_pages::due)
        .add(
            "GET",
            "/visits/{id}",
            SignedIn,
            get(visit_pages::form).post(visit_pages::submit),
        )
        .table_only("POST", "/visits/{id}", SignedIn)
        .add(
            "GET",
            "/api/v1/children/{id}",
            SignedIn,
            get(children_pages::api_file).post(children_pages::api_save),
        )
        .table_only("POST", "/api/v1/children/{id}", SignedIn)
        .post(
            "/api/v1/children/{id}/break-glass",
            SignedIn,
            children_pages::api_break_glass,
        )
        .post(
            "/api/v1/children/{id}/activities",
            SignedIn,
            children_pages::api_add_activity,
        )
        .post(
            "/api/v1/children/{id}/carers",
            SignedIn,
            children_pages::api_carers,
        )
        .get(
            "/api/v1/facilities/{facility}/children",
            SignedIn,
            children_pages::api_children,
        )
        .get(
            "/api/v1/audit/break-glass",
            SignedIn,
            children_pages::api_break_glass_report,
        )
        .post(
            "/api/v1/audit/break-glass/{grant}/review",
            SignedIn,
            children_pages::api_review,
        )
        .get(
            "/facilities/{facility}/children",
            SignedIn,
            children_pages::list,
        )
        .add(
            "GET",
            "/children/{id}",
            SignedIn,
            get(children_pages::show).post(children_pages::save),
        )
        .table_only("POST", "/children/{id}", SignedIn)
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
        .get(
            "/api/v1/home-care/catalogue",
            SignedIn,
            home_care_pages::api_catalogue,
        )
        .add(
            "GET",
            "/api/v1/home-care/orders",
            SignedIn,
            get(home_care_pages::api_orders).post(home_care_pages::api_create),
        )
        .table_only("POST", "/api/v1/home-care/orders", SignedIn)
        .get(
            "/api/v1/home-care/orders/{care_order}",
            SignedIn,
            home_care_pages::api_order,
        )
        .post(
            "/api/v1/home-care/orders/{care_order}/dispatch",
            SignedIn,
            home_care_pages::api_dispatch,
        )
        .post(
            "/api/v1/home-care/orders/{care_order}/accept",
            SignedIn,
            home_care_pages::api_accept,
        )
        .post(
            "/api/v1/home-care/orders/{care_order}/check-in",
            SignedIn,
            home_care_pages::api_check_in,
        )
        .post(
            "/api/v1/home-care/orders/{care_order}/check-out",
            SignedIn,
            home_care_pages::api_check_out,
        )
        .post(
            "/api/v1/home-care/orders/{care_order}/rating",
            SignedIn,
            home_care_pages::api_rate,
        )
        .post(
            "/api/v1/home-care/orders/{care_order}/review",
            SignedIn,
            home_care_pages::api_review,
        )
        .post(
            "/api/v1/home-care/orders/{care_order}/complaints",
            SignedIn,
            home_care_pages::api_complain,
        )
        .post(
            "/api/v1/home-care/orders/{care_order}/callback",
            SignedIn,
            home_care_pages::api_callback,
        )
        // Last of the order's steps in the walk: it ends the order.
        .post(
            "/api/v1/home-care/orders/{care_order}/cancel",
            SignedIn,
            home_care_pages::api_cancel,
        )
        .get(
            "/api/v1/home-care/complaints",
            SignedIn,
            home_care_pages::api_complaints,
        )
        .post(
            "/api/v1/home-care/complaints/{complaint}/close",
            SignedIn,
            home_care_pages::api_close_complaint,
        )
        .add(
            "GET",
            "/api/v1/home-care/callbacks",
            SignedIn,
            get(home_care_pages::api_callbacks).post(home_care_pages::api_sample),
        )
        .table_only("POST", "/api/v1/home-care/callbacks", SignedIn)
        .get(
            "/api/v1/home-care/providers",
            SignedIn,
            home_care_pages::api_providers,
        )
        .add(
            "GET",
            "/api/v1/home-care/providers/{provider}/caregivers",
            SignedIn,
            get(home_care_pages::api_caregivers).post(home_care_pages::api_add_caregiver),
        )
        .table_only(
            "POST",
            "/api/v1/home-care/providers/{provider}/caregivers",
            SignedIn,
        )
        .get(
            "/api/v1/home-care/providers/{provider}/settlement",
            SignedIn,
            home_care_pages::api_settlement,
        )
        .post(
            "/api/v1/home-care/providers/{provider}/score",
            SignedIn,
            home_care_pages::api_score,
        )
        .post(
            "/api/v1/home-care/plan-orders",
            SignedIn,
            home_care_pages::api_plan_orders,
        )
        .get(
            "/api/v1/home-care/dashboard",
            SignedIn,
            home_care_pages::api_dashboard,
        )
        .add(
            "GET",
            "/api/v1/persons/{id}/home-care",
            SignedIn,
            get(home_care_pages::api_client).put(home_care_pages::api_save_client),
        )
        .table_only("PUT", "/api/v1/persons/{id}/home-care", SignedIn)
        .get("/home-care", SignedIn, home_care_pages::dashboard)
        .get("/home-care/visits", SignedIn, home_care_pages::visits)
        .add(
            "GET",
            "/home-care/orders",
            SignedIn,
            get(home_care_pages::list).post(home_care_pages::create),
        )
        .table_only("POST", "/home-care/orders", SignedIn)
        .get("/home-care/orders/new", SignedIn, home_care_pages::new_form)
        .add(
            "GET",
            "/home-care/orders/{care_order}",
            SignedIn,
            get(home_care_pages::show).post(home_care_pages::act),
        )
        .table_only("POST", "/home-care/orders/{care_order}", SignedIn)
        .add(
            "GET",
            "/home-care/orders/{care_order}/visit",
            SignedIn,
            get(home_care_pages::visit).post(home_care_pages::visit_submit),
        )
        .table_only("POST", "/home-care/orders/{care_order}/visit", SignedIn)
        .add(
            "GET",
            "/home-care/providers/{provider}",
            SignedIn,
            get(home_care_pages::provider).post(home_care_pages::provider_act),
        )
        .table_only("POST", "/home-care/providers/{provider}", SignedIn)
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
        .get(
            "/api/v1/modification-items",
            SignedIn,
            modification_pages::api_items,
        )
        .post(
            "/api/v1/modifications",
            SignedIn,
            modification_pages::api_open,
        )
        .get(
            "/api/v1/modifications/{case}",
            SignedIn,
            modification_pages::api_case,
        )
        .post(
            "/api/v1/modifications/{case}/state",
            SignedIn,
            modification_pages::api_move,
        )
        .post(
            "/api/v1/modifications/{case}/items",
            SignedIn,
            modification_pages::api_set_item,
        )
        .add(
            "POST",
            "/api/v1/modifications/{case}/photos",
            SignedIn,
            post(modification_pages::api_add_photo).layer(axum::extract::DefaultBodyLimit::max(
                modification_pages::PHOTO_BODY_LIMIT,
            )),
        )
        .get(
            "/api/v1/persons/{id}/modifications",
            SignedIn,
            modification_pages::api_person_cases,
        )
        .get(
            "/api/v1/regions/{code}/modifications",
            SignedIn,
            modification_pages::api_progress,
        )
        .post(
            "/api/v1/modification-targets",
            SignedIn,
            modification_pages::api_set_target,
        )
        .add(
            "GET",
            "/regions/{code}/modifications",
            SignedIn,
            get(modification_pages::progress).post(modification_pages::target_submit),
        )
        .table_only("POST", "/regions/{code}/modifications", SignedIn)
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
        .add(
            "POST",
            "/modifications/{case}/photos",
            SignedIn,
            post(modification_pages::photo_submit).layer(axum::extract::DefaultBodyLimit::max(
                modification_pages::PHOTO_BODY_LIMIT,
            )),
        )
        .get(
            "/modifications/{case}/photos/{photo}",
            SignedIn,
            modification_pages::photo,
        )
        .care()
        .planning()
        .construction()
        .dashboards()
        .public()
}

impl Routes {
    /// Region dashboards, demand mining and coverage.
    fn dashboards(self) -> Self {
        use Access::*;
        self.get(
            "/regions/{code}/dashboard",
            SignedIn,
            dashboard_pages::dashboard,
        )
        .get(
            "/regions/{code}/dashboard.xlsx",
            SignedIn,
            dashboard_pages::dashboard_xlsx,
        )
        .get(
            "/api/v1/regions/{code}/dashboard",
            SignedIn,
            dashboard_pages::api_dashboard,
        )
        .get("/regions/{code}/demand", SignedIn, dashboard_pages::demand)
        .get(
            "/api/v1/regions/{code}/demand",
            SignedIn,
            dashboard_pages::api_demand,
        )
        .get(
            "/regions/{code}/coverage",
            SignedIn,
            dashboard_pages::coverage,
        )
        .get(
            "/api/v1/regions/{code}/coverage",
            SignedIn,
            dashboard_pages::api_coverage,
        )
    }

    /// The public portal: no sign-in, aggregates and facilities only.
    fn public(self) -> Self {
        use Access::*;
        self.get("/public", Public, public_pages::index)
            .get("/public/facilities", Public, public_pages::directory)
            .get(
                "/public/facilities/{facility}",
                Public,
                public_pages::facility,
            )
            .get("/public/regions/{code}", Public, public_pages::region)
    }
}

impl Routes {
    /// Medical-care agreements, the region's report, station work and the
    /// visits raised to the station head.
    fn care(self) -> Self {
        use Access::*;
        self.post("/api/v1/care-agreements", SignedIn, care_pages::api_create)
            .post(
                "/api/v1/care-agreements/{agreement}/end",
                SignedIn,
                care_pages::api_end,
            )
            .get(
                "/api/v1/facilities/{facility}/care-agreements",
                SignedIn,
                care_pages::api_of_facility,
            )
            .get(
                "/api/v1/regions/{code}/medical-care",
                SignedIn,
                care_pages::api_report,
            )
            .add(
                "GET",
                "/api/v1/facilities/{facility}/activities",
                SignedIn,
                get(care_pages::api_activities).post(care_pages::api_add_activity),
            )
            .table_only("POST", "/api/v1/facilities/{facility}/activities", SignedIn)
            .add(
                "GET",
                "/api/v1/facilities/{facility}/trainings",
                SignedIn,
                get(care_pages::api_trainings).post(care_pages::api_add_training),
            )
            .table_only("POST", "/api/v1/facilities/{facility}/trainings", SignedIn)
            .add(
                "PUT",
                "/api/v1/facilities/{facility}/head",
                SignedIn,
                axum::routing::put(care_pages::api_set_head),
            )
            .get("/api/v1/visits/raised", SignedIn, care_pages::api_raised)
            .post(
                "/api/v1/visits/raised/acknowledgements",
                SignedIn,
                care_pages::api_acknowledge,
            )
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
}

impl Routes {
    /// The facility-location planner.
    fn planning(self) -> Self {
        use Access::*;
        self.post(
            "/api/v1/regions/{code}/plan",
            SignedIn,
            planning_pages::api_plan,
        )
        .get("/regions/{code}/planner", SignedIn, planning_pages::page)
    }

    /// Construction projects. `{build}` is the construction project
    /// (`{project}` is taken by the funds project).
    fn construction(self) -> Self {
        use Access::*;
        self.post(
            "/api/v1/construction",
            SignedIn,
            construction_pages::api_create,
        )
        .get(
            "/api/v1/regions/{code}/construction",
            SignedIn,
            construction_pages::api_list,
        )
        .get(
            "/api/v1/construction/{build}",
            SignedIn,
            construction_pages::api_detail,
        )
        .post(
            "/api/v1/construction/{build}/stage",
            SignedIn,
            construction_pages::api_stage,
        )
        .post(
            "/api/v1/construction/{build}/milestones",
            SignedIn,
            construction_pages::api_milestone,
        )
        .post(
            "/api/v1/construction/{build}/progress",
            SignedIn,
            construction_pages::api_progress,
        )
        .post(
            "/api/v1/construction/{build}/payments",
            SignedIn,
            construction_pages::api_pay,
        )
        .add(
            "GET",
            "/regions/{code}/construction",
            SignedIn,
            get(construction_pages::list).post(construction_pages::create),
        )
        .table_only("POST", "/regions/{code}/construction", SignedIn)
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
}

impl Routes {
    /// Records a method already registered together with another on the same path.
    fn table_only(mut self, method: &'static str, path: &'static str, access: Access) -> Self {
        self.table.push(RouteInfo {
            method,
            path,
            access,
        });
        self
    }
}

/// Every route of the router: method, path pattern and who may call it.
pub fn route_table() -> Vec<RouteInfo> {
    routes().table
}

pub(crate) fn build(state: AppState) -> Router {
    routes()
        .router
        .fallback(pages::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            session::resolve_actor,
        ))
        .layer(middleware::from_fn(security_headers::add))
        .with_state(state)
}
