//! The auditor's view of the audit trail: search, filter, export.

use crate::error::{ApiError, PageError};
use crate::pages::{html, Nav};
use crate::session::{ApiSession, PageSession};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kangyang_app::{audit, civil, sheet, AppError};
use kangyang_store::audit::{AuditFilter, AuditRow};
use serde::{Deserialize, Serialize};

const PAGE_SIZE: i64 = 50;

/// The filters as the form and the API take them: dates are civil dates.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub(crate) struct AuditQuery {
    /// Exact username.
    #[serde(default)]
    username: String,
    /// Exact action, e.g. login, region.read, user.create.
    #[serde(default)]
    action: String,
    /// First day (YYYY-MM-DD, Asia/Shanghai).
    #[serde(default)]
    from: String,
    /// Last day, inclusive.
    #[serde(default)]
    to: String,
    /// Page number from 1.
    #[serde(default)]
    page: Option<i64>,
}

impl AuditQuery {
    fn filter(&self) -> Result<AuditFilter, AppError> {
        let day = |field: &str, value: &str| -> Result<Option<i64>, AppError> {
            if value.trim().is_empty() {
                return Ok(None);
            }
            civil::day_start(value)
                .map(Some)
                .ok_or_else(|| AppError::invalid(field, "日期格式应为 YYYY-MM-DD"))
        };
        let non_empty = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(AuditFilter {
            username: non_empty(&self.username),
            action: non_empty(&self.action),
            from: day("from", &self.from)?,
            // Inclusive of the last day: up to the start of the next.
            to: day("to", &self.to)?.map(|t| t + 86_400),
            // The use case narrows to the auditor's region.
            ..AuditFilter::default()
        })
    }

    fn page(&self) -> i64 {
        self.page.unwrap_or(1)
    }
}

/// One row as shown and exported.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct AuditEntry {
    id: i64,
    /// Asia/Shanghai time.
    time: String,
    username: String,
    ip: String,
    action: String,
    object_type: String,
    object_id: String,
    result: String,
    detail: String,
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
#[utoipa::path(get, path = "/api/v1/audit", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 401, body = crate::api::ErrorBody), (status = 403, body = crate::api::ErrorBody)))]
pub(crate) async fn api_search(
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

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditView {
    nav: Nav,
    username: String,
    action: String,
    from: String,
    to: String,
    total: i64,
    page: i64,
    pages: i64,
    entries: Vec<AuditEntry>,
    export_query: String,
    prev_query: Option<String>,
    next_query: Option<String>,
}

fn query_string(q: &AuditQuery, page: Option<i64>) -> String {
    let mut pairs: Vec<(&str, String)> = [
        ("username", q.username.clone()),
        ("action", q.action.clone()),
        ("from", q.from.clone()),
        ("to", q.to.clone()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .collect();
    if let Some(p) = page {
        pairs.push(("page", p.to_string()));
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
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

pub(crate) async fn page(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(query): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let filter = query.filter()?;
    let page = query.page();
    let (rows, total) =
        audit::search_page(&state.app, &session.actor, &filter, PAGE_SIZE, page).await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    html(AuditView {
        nav: Nav::of(&session.actor),
        export_query: query_string(&query, None),
        prev_query: (page > 1).then(|| query_string(&query, Some(page - 1))),
        next_query: (page < pages).then(|| query_string(&query, Some(page + 1))),
        username: query.username,
        action: query.action,
        from: query.from,
        to: query.to,
        total,
        page,
        pages,
        entries: rows.into_iter().map(Into::into).collect(),
    })
}

/// The matching rows as CSV (UTF-8 with a BOM, so Excel shows the Chinese).
pub(crate) async fn export_csv(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(query): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let filter = query.filter()?;
    let rows = audit::export(&state.app, &session.actor, &filter).await?;
    let mut out = format!(
        "{}{}",
        sheet::CSV_BOM,
        sheet::csv_record(&[
            "序号",
            "时间",
            "用户",
            "来源地址",
            "操作",
            "对象类型",
            "对象",
            "结果",
            "详情"
        ])
    );
    for r in rows {
        let e = AuditEntry::from(r);
        out.push_str(&sheet::csv_record(&[
            e.id.to_string(),
            e.time,
            e.username,
            e.ip,
            e.action,
            e.object_type,
            e.object_id,
            e.result,
            e.detail,
        ]));
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}
