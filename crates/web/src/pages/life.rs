//! Status lists of other departments (公安、卫健、殡葬) uploaded in the
//! browser: deaths and moves applied to the register and everything they
//! reach (`kangyang_app::life`). A list is short next to a register, so the
//! import runs while the page waits and the report is the answer.

use crate::error::PageError;
use crate::pages::import::{receive_upload, Upload};
use crate::pages::{html, Nav};
use crate::routes::{Access, Routes};
use crate::session::{check_form_csrf, PageSession, Session};
use crate::AppState;
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use kangyang_app::import::{ImportOptions, Importer};
use kangyang_app::life::StatusReport;
use kangyang_app::sheet::SheetFormat;
use kangyang_app::AppError;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new().get("/imports/status", SignedIn, form).page(
        "POST",
        "/imports/status",
        SignedIn,
        post(upload).layer(DefaultBodyLimit::max(64 * 1024 * 1024)),
    )
}

/// Rows of the report listed on the page.
const ROWS_SHOWN: usize = 200;

#[derive(Template)]
#[template(path = "life/status_import.html")]
struct StatusImportPage {
    nav: Nav,
    error: Option<String>,
    report: Option<StatusReport>,
    rows: Vec<(u64, String)>,
}

fn page(
    session: &Session,
    error: Option<String>,
    report: Option<StatusReport>,
) -> StatusImportPage {
    let rows = report
        .as_ref()
        .map(|r| {
            r.errors
                .iter()
                .take(ROWS_SHOWN)
                .map(|e| (e.row, e.message.clone()))
                .collect()
        })
        .unwrap_or_default();
    StatusImportPage {
        nav: Nav::of(&session.actor),
        error,
        report,
        rows,
    }
}

pub(crate) async fn form(PageSession(session): PageSession) -> Result<Response, PageError> {
    if !session.actor.can(kangyang_domain::Action::PersonWrite) {
        return Err(PageError::new(AppError::Forbidden));
    }
    html(page(&session, None, None))
}

pub(crate) async fn upload(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    // Who may import is decided before the body is read.
    if !session.actor.can(kangyang_domain::Action::PersonWrite) {
        return Err(PageError::new(AppError::Forbidden));
    }
    let multipart = multipart
        .map_err(|_| PageError::from(AppError::invalid_field("file", "文件", "请上传文件")))?;
    let Upload {
        csrf,
        accept_valid,
        file,
    } = receive_upload(multipart).await?;
    // Multipart, which `CsrfForm` cannot read: the token is a part of it.
    check_form_csrf(&session, &csrf)?;
    let again = |message: String| -> Result<Response, PageError> {
        let p = page(&session, Some(message), None);
        Ok((
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            axum::response::Html(p.render()?),
        )
            .into_response())
    };
    let Some((path, name)) = file.filter(|(_, n)| !n.is_empty()) else {
        return again("请选择要导入的 .xlsx 或 .csv 文件".to_owned());
    };
    let Some(format) = SheetFormat::from_file_name(&name) else {
        return again("只能导入 .xlsx、.xls 或 .csv 文件".to_owned());
    };
    let result = kangyang_app::life::import_status_file(
        &state.app,
        &Importer::User(&session.actor),
        &path,
        format,
        ImportOptions { accept_valid },
    )
    .await;
    drop(path);
    match result {
        Ok(report) => html(page(&session, None, Some(report))),
        Err(AppError::Invalid {
            field,
            message,
            label,
        }) => again(format!("{}：{message}", label.unwrap_or(field))),
        Err(e) => Err(e.into()),
    }
}
