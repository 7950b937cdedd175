//! Importing the register from a sheet in the browser: the template, the
//! upload, the job's progress and its error workbook (the exports are
//! `pages/export.rs`).

use crate::error::PageError;
use crate::pages::export::{attachment, XLSX};
use crate::pages::{html, Nav};
use crate::routes::{Access, Routes};
use crate::session::{check_form_csrf, PageSession, Session};
use crate::AppState;
use askama::Template;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use kangyang_app::import::{self, ImportOptions, JobState};
use kangyang_app::sheet::{self, SheetFormat};
use kangyang_app::AppError;
use std::io::Write;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get("/imports/template.xlsx", SignedIn, template)
        .get("/imports/new", SignedIn, new_form)
        // Sheets of a whole county run to tens of megabytes.
        .page(
            "POST",
            "/imports",
            SignedIn,
            post(upload).layer(DefaultBodyLimit::max(512 * 1024 * 1024)),
        )
        .get("/imports/{job}", SignedIn, job)
        .get("/imports/{job}/errors.xlsx", SignedIn, job_errors)
}

/// The import template (xlsx, Chinese headers, drop-down lists).
pub(crate) async fn template(PageSession(_session): PageSession) -> Result<Response, PageError> {
    let bytes = sheet::person_template().map_err(|e| AppError::internal(e.to_string()))?;
    Ok(attachment(
        "kangyang-persons-template.xlsx",
        XLSX,
        Body::from(bytes),
    ))
}

#[derive(Template)]
#[template(path = "import/new.html")]
struct ImportNewPage {
    nav: Nav,
    error: Option<String>,
}

pub(crate) async fn new_form(PageSession(session): PageSession) -> Result<Response, PageError> {
    // Only those who may add people get the upload form (administrators do not).
    if !session.actor.can(kangyang_domain::Action::PersonWrite) {
        return Err(PageError::new(AppError::Forbidden));
    }
    html(ImportNewPage {
        nav: Nav::of(&session.actor),
        error: None,
    })
}

/// What an upload form sends: its CSRF token, the "take the valid rows"
/// box, and the file, streamed into a private temporary file with its name.
pub(crate) struct Upload {
    pub(crate) csrf: String,
    pub(crate) accept_valid: bool,
    pub(crate) file: Option<(tempfile::TempPath, String)>,
}

pub(crate) async fn receive_upload(mut multipart: Multipart) -> Result<Upload, PageError> {
    let mut csrf = String::new();
    let mut accept_valid = false;
    let mut file: Option<(tempfile::TempPath, String)> = None;
    let bad = |m: &str| PageError::from(AppError::invalid_field("file", "文件", m));
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|_| bad("上传中断，请重试"))?
    {
        match field.name().unwrap_or("") {
            "csrf_token" => csrf = field.text().await.unwrap_or_default(),
            "accept_valid" => {
                accept_valid = field.text().await.is_ok_and(|v| v == "on" || v == "1")
            }
            "file" => {
                let name = field.file_name().unwrap_or("").to_owned();
                let mut temp = tempfile::NamedTempFile::new().map_err(AppError::internal)?;
                while let Some(chunk) = field.chunk().await.map_err(|_| bad("上传中断，请重试"))?
                {
                    temp.write_all(&chunk).map_err(AppError::internal)?;
                }
                temp.flush().map_err(AppError::internal)?;
                file = Some((temp.into_temp_path(), name));
            }
            _ => {}
        }
    }
    Ok(Upload {
        csrf,
        accept_valid,
        file,
    })
}

/// Receives the upload into a private temporary file and starts the import.
pub(crate) async fn upload(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let Upload {
        csrf,
        accept_valid,
        file,
    } = receive_upload(multipart).await?;
    // A multipart body, which `CsrfForm` (url-encoded forms) cannot read:
    // the token is one of its parts, checked here.
    check_form_csrf(&session, &csrf)?;
    let Some((path, name)) = file.filter(|(_, n)| !n.is_empty()) else {
        return again(&session, "请选择要导入的 .xlsx 或 .csv 文件");
    };
    let Some(format) = SheetFormat::from_file_name(&name) else {
        return again(&session, "只能导入 .xlsx、.xls 或 .csv 文件");
    };
    // The name is shown back to its owner only; keep it short.
    let shown: String = name.chars().take(80).collect();
    let id = import::start_job(
        &state.app,
        &session.actor,
        path,
        format,
        shown,
        ImportOptions { accept_valid },
    )
    .await?;
    Ok(Redirect::to(&format!("/imports/{id}")).into_response())
}

fn again(session: &Session, message: &str) -> Result<Response, PageError> {
    let page = ImportNewPage {
        nav: Nav::of(&session.actor),
        error: Some(message.to_owned()),
    };
    Ok((
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        axum::response::Html(page.render()?),
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "import/job.html")]
struct ImportJobPage {
    nav: Nav,
    id: u64,
    file_name: String,
    running: bool,
    phase: String,
    percent: u64,
    done: u64,
    total: Option<u64>,
    failed: Option<String>,
    summary: Option<String>,
    committed: bool,
    rejected: u64,
    errors: Vec<(u64, String)>,
    warnings: Vec<String>,
}

pub(crate) async fn job(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<u64>,
) -> Result<Response, PageError> {
    let job = import::job(&state.app, &session.actor, id).await?;
    let mut page = ImportJobPage {
        nav: Nav::of(&session.actor),
        id,
        file_name: job.file_name,
        running: false,
        phase: String::new(),
        percent: 0,
        done: 0,
        total: None,
        failed: None,
        summary: None,
        committed: false,
        rejected: 0,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    match job.state {
        JobState::Running { phase, done, total } => {
            page.running = true;
            page.phase = phase;
            page.done = done;
            page.total = total;
            page.percent = total
                .filter(|t| *t > 0)
                .map(|t| done * 100 / t)
                .unwrap_or(0);
        }
        JobState::Failed(message) => page.failed = Some(message),
        JobState::Finished(report) => {
            page.summary = Some(report.summary());
            page.committed = report.committed;
            page.rejected = report.rejected;
            page.errors = report
                .errors
                .iter()
                .take(200)
                .map(|e| (e.row, e.message.clone()))
                .collect();
            page.warnings = report.warnings.iter().take(200).cloned().collect();
        }
    }
    html(page)
}

/// The rejected rows of a finished import, with what is wrong.
pub(crate) async fn job_errors(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<u64>,
) -> Result<Response, PageError> {
    let job = import::job(&state.app, &session.actor, id).await?;
    let JobState::Finished(report) = job.state else {
        return Err(AppError::NotFound.into());
    };
    let bytes = report.error_workbook()?;
    Ok(attachment(
        "kangyang-import-errors.xlsx",
        XLSX,
        Body::from(bytes),
    ))
}
