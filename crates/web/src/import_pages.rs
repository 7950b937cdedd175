//! Importing and exporting the register in the browser.

use crate::error::{ApiError, PageError};
use crate::pages::{html, Nav};
use crate::session::{check_form_csrf, ApiSession, PageSession, Session};
use crate::AppState;
use askama::Template;
use axum::body::Body;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use futures_util::stream;
use kangyang_app::export::{self, PersonExport};
use kangyang_app::import::{self, ImportOptions, JobState};
use kangyang_app::register::PersonQuery;
use kangyang_app::sheet::{self, SheetFormat};
use kangyang_app::AppError;
use serde::Deserialize;
use std::io::Write;

fn attachment(name: &str, content_type: &'static str, body: Body) -> Response {
    // The file name is ours (ASCII), never user input.
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

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
#[template(path = "import_new.html")]
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
    let bad = |m: &str| PageError::from(AppError::invalid("文件", m));
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
#[template(path = "import_job.html")]
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

#[derive(Deserialize, Default)]
pub(crate) struct ExportParams {
    #[serde(flatten)]
    query: PersonQuery,
    /// Full values instead of masks (needs the reveal permission; audited).
    #[serde(default)]
    unmasked: Option<String>,
    /// csv or xlsx (API only; the pages use the file extension).
    #[serde(default)]
    format: Option<String>,
}

impl ExportParams {
    fn unmasked(&self) -> bool {
        matches!(self.unmasked.as_deref(), Some("1" | "true" | "on"))
    }
}

/// CSV, streamed a page at a time as the rows are read.
fn csv_body(export: PersonExport) -> Body {
    let header = format!(
        "{}{}",
        sheet::CSV_BOM,
        sheet::csv_record(&export::headers())
    );
    let first = stream::once(async move { Ok::<_, std::io::Error>(header.into_bytes()) });
    // The state is the export until it is done (or failed), then None.
    let rest = stream::unfold(Some(export), |state| async move {
        let mut export = state?;
        match export.next_page().await {
            Ok(Some(rows)) => {
                let chunk: String = rows.iter().map(|row| sheet::csv_record(row)).collect();
                Some((Ok(chunk.into_bytes()), Some(export)))
            }
            Ok(None) => None,
            Err(e) => {
                tracing::error!(cause = %e.operator_message(), "export failed part-way");
                Some((Err(std::io::Error::other("export failed")), None))
            }
        }
    });
    Body::from_stream(futures_util::StreamExt::chain(first, rest))
}

/// XLSX: rows go to a constant-memory worksheet, the finished file is
/// streamed from disk.
async fn xlsx_body(mut export: PersonExport) -> Result<Body, AppError> {
    let dir = tempfile::tempdir().map_err(AppError::internal)?;
    let mut writer = sheet::XlsxStreamWriter::new_in(dir.path(), "人员信息", &export::headers())
        .map_err(|e| AppError::internal(e.to_string()))?;
    while let Some(rows) = export.next_page().await? {
        for row in rows {
            writer
                .write_row(&row)
                .map_err(|e| AppError::invalid("导出", e.to_string()))?;
        }
    }
    let path = dir.path().join("export.xlsx");
    writer
        .finish_to_path(&path)
        .map_err(|e| AppError::internal(e.to_string()))?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(AppError::internal)?;
    // The directory goes when the stream ends; the open file stays readable.
    let chunks = stream::unfold((file, dir), |(mut file, dir)| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(buf), (file, dir)))
            }
            Err(e) => Some((Err(e), (file, dir))),
        }
    });
    Ok(Body::from_stream(chunks))
}

async fn export_response(
    state: &AppState,
    session: &Session,
    params: &ExportParams,
    xlsx: bool,
) -> Result<Response, AppError> {
    let export =
        export::start(&state.app, &session.actor, &params.query, params.unmasked()).await?;
    Ok(if xlsx {
        attachment("kangyang-persons.xlsx", XLSX, xlsx_body(export).await?)
    } else {
        attachment(
            "kangyang-persons.csv",
            "text/csv; charset=utf-8",
            csv_body(export),
        )
    })
}

pub(crate) async fn export_csv(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(params): Query<ExportParams>,
) -> Result<Response, PageError> {
    Ok(export_response(&state, &session, &params, false).await?)
}

pub(crate) async fn export_xlsx(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(params): Query<ExportParams>,
) -> Result<Response, PageError> {
    Ok(export_response(&state, &session, &params, true).await?)
}

/// Export the people matching a search as csv or xlsx (masked unless `unmasked=1`).
#[utoipa::path(get, path = "/api/v1/persons/export", params(PersonQuery,
        ("format" = Option<String>, Query, description = "csv (default) or xlsx"),
        ("unmasked" = Option<String>, Query, description = "1 for full values: needs person.reveal; audited")),
    responses((status = 200, description = "the file"), (status = 401, body = crate::api::ErrorBody), (status = 403, body = crate::api::ErrorBody)))]
pub(crate) async fn api_export(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Query(params): Query<ExportParams>,
) -> Result<Response, ApiError> {
    let xlsx = match params.format.as_deref().unwrap_or("csv") {
        "csv" => false,
        "xlsx" => true,
        _ => return Err(AppError::invalid("format", "格式应为 csv 或 xlsx").into()),
    };
    Ok(export_response(&state, &session, &params, xlsx).await?)
}
