//! Server-rendered pages in Chinese. askama escapes every value it prints;
//! no page renders user-supplied HTML.
//!
//! The pages of a concept live in `pages/<concept>.rs`; what is here is what
//! they share: the header, rendering, the error page.

pub(crate) mod audit;
pub(crate) mod auth;
pub(crate) mod canteen;
pub(crate) mod capability;
pub(crate) mod children;
pub(crate) mod construction;
pub(crate) mod dashboards;
pub(crate) mod export;
pub(crate) mod facility;
pub(crate) mod funds;
pub(crate) mod holidays;
pub(crate) mod home_care;
pub(crate) mod home_modification;
pub(crate) mod import;
pub(crate) mod kangyuan;
pub(crate) mod kangyuan_forms;
pub(crate) mod life;
pub(crate) mod medical_care;
pub(crate) mod pairing;
pub(crate) mod planning;
pub(crate) mod portal;
pub(crate) mod regions;
pub(crate) mod register;
pub(crate) mod station;
pub(crate) mod transfers;
pub(crate) mod users;
pub(crate) mod visits;
pub(crate) mod workbench;

use crate::error::PageError;
use crate::AppState;
use askama::Template;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use kangyang_app::{Actor, AppError};
use kangyang_domain::{Action, Role};

/// What the page header shows of the signed-in user.
pub(crate) struct Nav {
    pub(crate) display_name: String,
    pub(crate) role_label: &'static str,
    pub(crate) home_region: String,
    pub(crate) csrf_token: String,
    pub(crate) can_see_permissions: bool,
    pub(crate) can_audit: bool,
    pub(crate) can_manage_users: bool,
    pub(crate) can_read_persons: bool,
    pub(crate) can_read_facilities: bool,
    /// Social workers (and officials) see the visit list.
    pub(crate) can_visit: bool,
    /// Officials see the Kangyuan overview of their region.
    pub(crate) can_see_overview: bool,
    /// Region-scoped readers of people follow the home-modification target.
    pub(crate) can_see_modifications: bool,
    /// Home-care orders: the hotline, providers and their caregivers.
    pub(crate) can_home_care: bool,
    /// Counsellors record counselling sessions on the centre page.
    pub(crate) can_counsel: bool,
}

impl Nav {
    pub(crate) fn of(actor: &Actor) -> Nav {
        Nav {
            display_name: actor.display_name.clone(),
            role_label: actor.role.label(),
            home_region: actor.scope.region().to_string(),
            csrf_token: actor.csrf_token.clone(),
            can_see_permissions: actor.can(Action::PermissionRead),
            can_audit: actor.can(Action::AuditRead),
            can_manage_users: actor.can(Action::UserManage) || actor.can(Action::RoleGrant),
            can_read_persons: actor.can(Action::PersonRead),
            can_read_facilities: actor.can(Action::FacilityRead),
            can_visit: actor.can(Action::PersonWrite)
                && matches!(actor.role, Role::SocialWorker | Role::Official),
            can_see_overview: actor.can(Action::FacilityRead)
                && actor.scope.facility_id().is_none(),
            can_see_modifications: actor.can(Action::PersonRead)
                && actor.scope.facility_id().is_none(),
            can_home_care: actor.can(Action::PersonRead) && actor.role != Role::Counsellor,
            can_counsel: actor.can(Action::CounsellingNotes),
        }
    }
}

pub(crate) fn html(t: impl Template) -> Result<Response, PageError> {
    Ok(Html(t.render()?).into_response())
}

/// Percent-encodes a query value (everything but unreserved characters).
pub(crate) fn percent_encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The month asked for ("YYYY-MM"), or this month when none was.
pub(crate) fn month_or_this(state: &AppState, month: &str) -> String {
    if month.trim().is_empty() {
        let t = state.app.today();
        format!("{}-{:02}", t.year(), t.month())
    } else {
        month.trim().to_owned()
    }
}

/// The content type of the spreadsheets the pages hand out.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A spreadsheet download named `name`.
pub(crate) fn xlsx(name: &str, bytes: Vec<u8>) -> Response {
    // File names are ours (ASCII), never user input.
    (
        [
            (header::CONTENT_TYPE, XLSX.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        axum::body::Body::from(bytes),
    )
        .into_response()
}

/// The region of a `{code}` path parameter.
pub(crate) fn region_param(code: &str) -> kangyang_app::Result<kangyang_domain::RegionCode> {
    // An unparseable code names nothing: not found, like an unknown one.
    kangyang_domain::RegionCode::parse(code).map_err(|_| AppError::NotFound)
}

#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage {
    pub status: u16,
    pub message: String,
}

pub(crate) async fn not_found() -> Response {
    PageError::new(AppError::NotFound).into_response()
}
