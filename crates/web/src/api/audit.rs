//! The audit trail through the API, for the auditor (the page and its CSV
//! are `pages/audit.rs`).

use crate::error::ApiError;
use crate::routes::{Access, Routes};
use crate::session::ApiSession;
use crate::AppState;
use axum::extract::{Query, State};
use axum::Json;
use kangyang_app::{audit, civil, AppError};
use kangyang_store::audit::{AuditFilter, AuditRow};
use serde::{Deserialize, Serialize};
use utoipa_axum::routes;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new().api(SignedIn, routes!(search))
}

pub(crate) const PAGE_SIZE: i64 = 50;

/// The filters as the form and the API take them: dates are civil dates.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub(crate) struct AuditQuery {
    /// Exact username.
    #[serde(default)]
    pub(crate) username: String,
    /// Exact action, e.g. login, region.read, user.create.
    #[serde(default)]
    pub(crate) action: String,
    /// First day (YYYY-MM-DD, Asia/Shanghai).
    #[serde(default)]
    pub(crate) from: String,
    /// Last day, inclusive.
    #[serde(default)]
    pub(crate) to: String,
    /// Page number from 1.
    #[serde(default)]
    page: Option<i64>,
}

impl AuditQuery {
    pub(crate) fn filter(&self) -> Result<AuditFilter, AppError> {
        let day = |key: &str, label: &str, value: &str| -> Result<Option<i64>, AppError> {
            if value.trim().is_empty() {
                return Ok(None);
            }
            civil::day_start(value)
                .map(Some)
                .ok_or_else(|| AppError::invalid_field(key, label, "日期格式应为 YYYY-MM-DD"))
        };
        let non_empty = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(AuditFilter {
            username: non_empty(&self.username),
            action: non_empty(&self.action),
            from: day("from", "起始日期", &self.from)?,
            // Inclusive of the last day: up to the start of the next.
            to: day("to", "截止日期", &self.to)?.map(|t| t + 86_400),
            // The use case narrows to the auditor's region.
            ..AuditFilter::default()
        })
    }

    pub(crate) fn page(&self) -> i64 {
        self.page.unwrap_or(1)
    }
}

/// One row as shown and exported.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct AuditEntry {
    pub(crate) id: i64,
    /// Asia/Shanghai time.
    pub(crate) time: String,
    pub(crate) username: String,
    pub(crate) ip: String,
    pub(crate) action: String,
    pub(crate) object_type: String,
    pub(crate) object_id: String,
    pub(crate) result: String,
    pub(crate) detail: String,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> AuditEntry {
        AuditEntry {
            id: r.id,
            time: civil::datetime(r.at),
            username: r.username,
            ip: r.ip,
            action: r.action,
            object_type: r.object_type,
            object_id: r.object_id,
            result: r.result,
            detail: r.detail,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct AuditPage {
    total: i64,
    entries: Vec<AuditEntry>,
}

/// Search the audit trail (auditor only), newest first, 50 a page.
#[utoipa::path(get, operation_id = "api_search", path = "/api/v1/audit", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 401, body = crate::api::ErrorBody), (status = 403, body = crate::api::ErrorBody)))]
pub(crate) async fn search(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Query(query): Query<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let filter = query.filter()?;
    let (rows, total) =
        audit::search_page(&state.app, &session.actor, &filter, PAGE_SIZE, query.page()).await?;
    Ok(Json(AuditPage {
        total,
        entries: rows.into_iter().map(Into::into).collect(),
    }))
}
