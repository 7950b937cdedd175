//! The auditor's view of the audit trail: search, filter, export (the API
//! is `api/audit.rs`).

use crate::api::audit::{AuditEntry, AuditQuery, PAGE_SIZE};
use crate::error::PageError;
use crate::pages::{html, Nav};
use crate::routes::{Access, Routes};
use crate::session::PageSession;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use kangyang_app::{audit, sheet};

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get("/audit", SignedIn, page)
        .get("/audit/export.csv", SignedIn, export_csv)
}

#[derive(Template)]
#[template(path = "audit/search.html")]
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
        .map(|(k, v)| format!("{k}={}", crate::pages::percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
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
