//! Exporting the register (人员导出) from the browser: the search's people
//! as CSV or XLSX, streamed (the API is `api/export.rs`).

use crate::error::PageError;
use crate::routes::{Access, Routes};
use crate::session::{PageSession, Session};
use crate::AppState;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use kangyang_app::export::{self, PersonExport};
use kangyang_app::register::PersonQuery;
use kangyang_app::sheet;
use kangyang_app::AppError;
use serde::Deserialize;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get("/persons/export.csv", SignedIn, export_csv)
        .get("/persons/export.xlsx", SignedIn, export_xlsx)
}

/// A file to save, named `name`.
pub(crate) fn attachment(name: &str, content_type: &'static str, body: Body) -> Response {
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

/// The content type of an xlsx file.
pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Deserialize, Default)]
pub(crate) struct ExportParams {
    #[serde(flatten)]
    query: PersonQuery,
    /// Full values instead of masks (needs the reveal permission; audited).
    #[serde(default)]
    unmasked: Option<String>,
    /// csv or xlsx (API only; the pages use the file extension).
    #[serde(default)]
    pub(crate) format: Option<String>,
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
                .map_err(|e| AppError::invalid_field("format", "导出", e.to_string()))?;
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

pub(crate) async fn export_response(
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
