//! Importing the register from the sheets towns really keep.
//!
//! Two passes over the file. The first reads every row, checks it with the
//! same rules as the form ([`parse_person`]), checks its village and scope,
//! finds people listed twice, and looks each up in the register; nothing is
//! written. The second, only when nothing was rejected (or the user chose to
//! take the valid rows), writes everything in ONE transaction: a crash or a
//! kill part-way leaves the register exactly as it was. Re-importing the same
//! file changes nothing: rows are matched by ID number and compared by their
//! content MAC.

use crate::actor::Who;
use crate::audit::{Event, Outcome};
use crate::register::{changes, check_village, content_mac, id_index, seal};
use crate::sheet::{map_headers, SheetError, SheetFormat, SheetReader};
use crate::{Actor, App, AppError, Result};
use kangyang_domain::register::{parse_person, Field, PersonRecord};
use kangyang_domain::{Action, RegionCode, Scope};
use kangyang_store::register::{self as store, StoredPerson};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Rows checked (or written) per batch: one look-up query per batch.
const BATCH: usize = 500;

#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Write the valid rows even when some are rejected.
    pub accept_valid: bool,
}

/// A rejected row: its number in the sheet, its cells as they were, and why.
#[derive(Debug, Clone)]
pub struct RejectedRow {
    pub row: u64,
    pub cells: Vec<String>,
    pub message: String,
}

/// What an import found and did.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub headers: Vec<String>,
    /// Rows that will be (or were) new people.
    pub imported: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    /// The rejected rows, for the error workbook (at most `MAX_KEPT_ERRORS`).
    pub errors: Vec<RejectedRow>,
    /// Repairs made without guessing, as "第 N 行 列：说明".
    pub warnings: Vec<String>,
    /// Whether anything was written.
    pub committed: bool,
}

impl ImportReport {
    /// The one summary line the CLI ends with.
    pub fn summary(&self) -> String {
        format!(
            "imported {}, updated {}, unchanged {}, rejected {}",
            self.imported, self.updated, self.unchanged, self.rejected
        )
    }

    /// The error workbook: the original rows with an added error column.
    pub fn error_workbook(&self) -> Result<Vec<u8>> {
        rows_workbook(&self.headers, &self.errors)
    }
}

/// Rows not taken, as the original cells with an added error column.
pub(crate) fn rows_workbook(headers: &[String], errors: &[RejectedRow]) -> Result<Vec<u8>> {
    let rows: Vec<(u64, Vec<String>, String)> = errors
        .iter()
        .map(|e| (e.row, e.cells.clone(), e.message.clone()))
        .collect();
    crate::sheet::error_workbook(headers, &rows).map_err(sheet_error)
}

/// Enough to fix a sheet; the count of rejected rows stays exact beyond it.
const MAX_KEPT_ERRORS: usize = 100_000;
/// The cell text the rejected rows kept may hold: a finished report stays in
/// memory for its owner to read, so each must stay small whatever the file.
const MAX_KEPT_ERROR_BYTES: usize = 8 << 20;
/// Warnings kept; the rest are counted in one last line.
const MAX_KEPT_WARNINGS: usize = 1_000;
/// Rows read ahead of their checking, on the reading thread.
const ROWS_AHEAD: usize = 256;

/// The message for a row (or a form) naming a person the user may not reach.
/// It says what the user can do and nothing more: not whether, nor where,
/// the number is registered (being on the register says a person is old,
/// disabled or a child in need). The county that receives a person asks the
/// county that holds them, by a transfer request (`crate::transfers`).
pub const NOT_HERE: &str = "此人不能在本辖区登记或修改：如此人已迁入本辖区，请由县（区）民政工作人员在“迁入申请”中提交申请，经原登记地同意后迁入";

pub(crate) fn sheet_error(e: SheetError) -> AppError {
    AppError::invalid_field("file", "文件", e.to_string())
}

/// Who imports, and within what.
pub enum Importer<'a> {
    User(&'a Actor),
    /// `kangyang import persons` at the command line, limited to a region.
    Cli {
        region: RegionCode,
    },
}

impl Importer<'_> {
    fn scope(&self) -> Scope {
        match self {
            Importer::User(actor) => actor.scope.clone(),
            Importer::Cli { region } => Scope::Region {
                region: region.clone(),
            },
        }
    }

    fn who(&self) -> Who {
        match self {
            Importer::User(actor) => Who::from(*actor),
            Importer::Cli { .. } => Who::cli(),
        }
    }
}

/// What the first pass decided for a valid row.
enum Plan {
    New,
    Update(i64),
    Unchanged,
}

/// Reports progress: rows done, and the total once known.
pub type Progress<'a> = &'a (dyn Fn(&str, u64, Option<u64>) + Send + Sync);

/// Imports a file of people. `progress` is told of each thousand rows.
pub async fn import_file(
    app: &App,
    importer: &Importer<'_>,
    path: &Path,
    format: SheetFormat,
    options: ImportOptions,
    progress: Progress<'_>,
) -> Result<ImportReport> {
    if let Importer::User(actor) = importer {
        app.require(actor, Action::PersonWrite).await?;
    }
    let scope = importer.scope();
    let today = app.today();
    let keys = app.keys();

    // ---- pass 1: check every row, write nothing ----
    let mut reader = open_rows(path, format).await?;
    let headers = reader.headers.clone();
    let map = map_headers(&headers);
    if !map.is_usable() {
        return Err(AppError::invalid_field(
            "file",
            "表头",
            map.errors().join("；"),
        ));
    }
    let mut report = ImportReport {
        headers: headers.clone(),
        ..Default::default()
    };
    if let Some(w) = map.warning() {
        report.warnings.push(w);
    }
    let mut villages: HashMap<String, std::result::Result<(), String>> = HashMap::new();
    // First row of each ID number seen, to name both rows of a duplicate.
    let mut seen: HashMap<u128, u64> = HashMap::new();
    let mut rejected_rows: HashSet<u64> = HashSet::new();
    // What pass 2 must do besides inserting: the rows to skip and the rows
    // that change someone already registered (row → person id). Deciding it
    // here means pass 2 looks nothing up (and on PostgreSQL a look-up inside
    // the growing, not yet analysed table would scan it).
    let mut unchanged_rows: HashSet<u64> = HashSet::new();
    let mut updates: HashMap<u64, i64> = HashMap::new();
    let mut pending: Vec<(u64, Vec<String>, Identity)> = Vec::with_capacity(BATCH);
    let mut conn = app.store().read().await?;
    let mut rows_read = 0u64;
    let mut kept_bytes = 0usize;
    let mut reject = |report: &mut ImportReport,
                      rejected_rows: &mut HashSet<u64>,
                      row: u64,
                      cells: Vec<String>,
                      message: String| {
        report.rejected += 1;
        rejected_rows.insert(row);
        // Each cell costs its text and its `String` (empty or not).
        let size = message.len()
            + cells
                .iter()
                .map(|c| c.len() + std::mem::size_of::<String>())
                .sum::<usize>();
        if report.errors.len() < MAX_KEPT_ERRORS && kept_bytes + size <= MAX_KEPT_ERROR_BYTES {
            kept_bytes += size;
            report.errors.push(RejectedRow {
                row,
                cells,
                message,
            });
        }
    };
    let mut more_warnings = 0u64;
    loop {
        let next = reader.rows.recv().await;
        let done = next.is_none();
        if let Some(item) = next {
            let (row, cells) = item.map_err(sheet_error)?;
            rows_read += 1;
            if rows_read.is_multiple_of(1000) {
                progress("校验", rows_read, None);
            }
            let raw = map.raw_person(&cells);
            let checked = parse_person(&raw, today);
            for w in checked.warnings {
                if report.warnings.len() < MAX_KEPT_WARNINGS {
                    report.warnings.push(format!(
                        "第 {row} 行 {}：{}",
                        w.field.header(),
                        w.message
                    ));
                } else {
                    more_warnings += 1;
                }
            }
            let record: PersonRecord = match checked.record {
                Ok(r) => r,
                Err(errors) => {
                    let message = errors
                        .iter()
                        .map(|e| format!("{}：{}", e.field.header(), e.message))
                        .collect::<Vec<_>>()
                        .join("；");
                    reject(&mut report, &mut rejected_rows, row, cells, message);
                    continue;
                }
            };
            let village = record.village.to_string();
            if !villages.contains_key(&village) {
                let verdict = check_village(&mut conn, &scope, &record.village)
                    .await
                    .map_err(|e| format!("{}：{}", e.field.header(), e.message));
                villages.insert(village.clone(), verdict);
            }
            if let Some(Err(message)) = villages.get(&village) {
                reject(&mut report, &mut rejected_rows, row, cells, message.clone());
                continue;
            }
            // Pass 1 needs only how to find the person and whether they
            // changed; the encryption is left to pass 2.
            let identity = Identity {
                id_index: id_index(keys, &record),
                content_mac: content_mac(keys, &record),
            };
            let key = index_key(&identity.id_index);
            if let Some(first) = seen.get(&key) {
                let message = format!(
                    "{}：同一人在本文件中重复出现（与第 {first} 行身份证号相同）",
                    Field::IdNumber.header()
                );
                reject(&mut report, &mut rejected_rows, row, cells, message);
                continue;
            }
            seen.insert(key, row);
            pending.push((row, cells, identity));
        }
        if pending.len() >= BATCH || (done && !pending.is_empty()) {
            for (row, cells, plan) in
                plan_batch(&mut conn, &scope, std::mem::take(&mut pending)).await?
            {
                match plan {
                    Ok(Plan::New) => report.imported += 1,
                    Ok(Plan::Update(id)) => {
                        report.updated += 1;
                        updates.insert(row, id);
                    }
                    Ok(Plan::Unchanged) => {
                        report.unchanged += 1;
                        unchanged_rows.insert(row);
                    }
                    Err(message) => reject(&mut report, &mut rejected_rows, row, cells, message),
                }
            }
        }
        if done {
            break;
        }
    }
    drop(conn);
    if more_warnings > 0 {
        report
            .warnings
            .push(format!("另有 {more_warnings} 处自动修正未逐条列出"));
    }
    progress("校验", rows_read, Some(rows_read));
    if report.rejected > 0 && !options.accept_valid {
        // All or nothing: nothing is imported or updated.
        report.imported = 0;
        report.updated = 0;
        return Ok(report);
    }
    if report.imported + report.updated == 0 {
        return Ok(report);
    }

    // ---- pass 2: write, all in one transaction ----
    let mut reader = open_rows(path, format).await?;
    let now = app.now();
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let who = importer.who();
    let mut written = 0u64;
    let mut new_people: Vec<StoredPerson> = Vec::with_capacity(BATCH);
    let person_scope = kangyang_store::register::PersonScope::from(&scope);
    let mut rows_done = 0u64;
    loop {
        let next = reader.rows.recv().await;
        let done = next.is_none();
        if let Some(item) = next {
            let (row, cells) = item.map_err(sheet_error)?;
            rows_done += 1;
            if rows_done.is_multiple_of(1000) {
                progress("写入", rows_done, Some(rows_read));
            }
            if rejected_rows.contains(&row) || unchanged_rows.contains(&row) {
                continue;
            }
            let Ok(record) = parse_person(&map.raw_person(&cells), today).record else {
                continue;
            };
            let person = seal(keys, &record, None)?;
            match updates.get(&row) {
                None => new_people.push(person),
                Some(&id) => {
                    let Some(old) = store::get(&mut tx, &person_scope, id).await? else {
                        continue;
                    };
                    // An assessment's result is not in the sheet: keep it.
                    let person = StoredPerson {
                        capability_level: old.capability_level.clone(),
                        ..person
                    };
                    store::update(&mut tx, id, &person, now).await?;
                    app.audit_in(
                        &mut tx,
                        &who,
                        Event {
                            action: "person.import",
                            object_type: "person",
                            object_id: id.to_string(),
                            result: Outcome::Ok,
                            detail: serde_json::json!({ "changes": changes(Some(&old), &person) }),
                        },
                    )
                    .await?;
                    written += 1;
                }
            }
        }
        if new_people.len() >= BATCH || (done && !new_people.is_empty()) {
            written += new_people.len() as u64;
            store::insert_many(&mut tx, &new_people, now).await?;
            new_people.clear();
        }
        if done {
            break;
        }
    }
    app.audit_in(
        &mut tx,
        &who,
        Event {
            action: "person.import.file",
            object_type: "import",
            object_id: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            result: Outcome::Ok,
            detail: serde_json::json!({
                "imported": report.imported,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "rejected": report.rejected,
                "written": written,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    progress("写入", rows_read, Some(rows_read));
    report.committed = true;
    Ok(report)
}

/// A sheet's rows, read on a blocking thread: parsing a workbook or a CSV
/// is CPU work and file I/O that would otherwise hold an async worker (and
/// with it every request queued there) for as long as the file takes.
pub(crate) struct RowStream {
    pub(crate) headers: Vec<String>,
    pub(crate) rows:
        tokio::sync::mpsc::Receiver<std::result::Result<(u64, Vec<String>), SheetError>>,
}

pub(crate) async fn open_rows(path: &Path, format: SheetFormat) -> Result<RowStream> {
    let path = path.to_owned();
    let (tx, rows) = tokio::sync::mpsc::channel(ROWS_AHEAD);
    let (head_tx, head_rx) = tokio::sync::oneshot::channel();
    tokio::task::spawn_blocking(move || {
        let reader = match SheetReader::open_path(&path, format) {
            Ok(reader) => reader,
            Err(e) => {
                let _ = head_tx.send(Err(e));
                return;
            }
        };
        if head_tx.send(Ok(reader.headers().to_vec())).is_err() {
            return;
        }
        for row in reader {
            // The import stopped (an error, or it was dropped): stop reading.
            if tx.blocking_send(row).is_err() {
                return;
            }
        }
    });
    let headers = head_rx
        .await
        .map_err(|_| AppError::internal("the sheet reading thread ended early"))?
        .map_err(sheet_error)?;
    Ok(RowStream { headers, rows })
}

/// A compact key for the in-file duplicate check: the first 128 bits of the
/// blind index (16 bytes a row, so a million rows need 16 MB).
pub(crate) fn index_key(index: &str) -> u128 {
    u128::from_str_radix(index.get(..32).unwrap_or(index), 16).unwrap_or_default()
}

/// What pass 1 knows of a valid row.
struct Identity {
    id_index: String,
    content_mac: String,
}

/// Decides each pending row against the register in one query.
async fn plan_batch(
    conn: &mut kangyang_store::Conn,
    scope: &Scope,
    rows: Vec<(u64, Vec<String>, Identity)>,
) -> Result<Vec<(u64, Vec<String>, std::result::Result<Plan, String>)>> {
    let indexes: Vec<String> = rows.iter().map(|(_, _, p)| p.id_index.clone()).collect();
    let mut existing: HashMap<String, (i64, String, String)> =
        store::find_many_by_id_index(conn, &indexes)
            .await?
            .into_iter()
            .map(|(index, id, village, mac)| (index, (id, village, mac)))
            .collect();
    // Who the importer may reach: their region, and for a facility user only
    // the facility's people, as every read decides it (`PersonScope`). A
    // region check alone let a facility user's row count as "updated" for
    // someone else's person, then be skipped when written.
    let person_scope = kangyang_store::register::PersonScope::from(scope);
    let mut out_of_reach: HashSet<i64> = HashSet::new();
    for (id, village, _) in existing.values() {
        let in_region = RegionCode::parse(village).is_ok_and(|v| scope.covers(&v));
        let reachable = in_region
            && (scope.facility_id().is_none()
                || store::get(conn, &person_scope, *id).await?.is_some());
        if !reachable {
            out_of_reach.insert(*id);
        }
    }
    Ok(rows
        .into_iter()
        .map(|(row, cells, person)| {
            let plan = match existing.remove(&person.id_index) {
                None => Ok(Plan::New),
                Some((id, _, _)) if out_of_reach.contains(&id) => {
                    Err(format!("{}：{NOT_HERE}", Field::IdNumber.header()))
                }
                Some((_, _, mac)) if mac == person.content_mac => Ok(Plan::Unchanged),
                Some((id, _, _)) => Ok(Plan::Update(id)),
            };
            (row, cells, plan)
        })
        .collect())
}

/// Background imports kept (running, or finished with their reports): with
/// each report's rejected rows bounded by [`MAX_KEPT_ERROR_BYTES`], the
/// reports together stay near 128 MB at worst.
const MAX_JOBS: usize = 16;

/// Imports started from the web, running in the background.
#[derive(Clone, Default)]
pub struct ImportJobs {
    jobs: std::sync::Arc<std::sync::Mutex<HashMap<u64, Job>>>,
    next_id: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

struct Job {
    owner: i64,
    file_name: String,
    state: JobState,
}

/// Where a background import is.
#[derive(Clone)]
pub enum JobState {
    Running {
        phase: String,
        done: u64,
        total: Option<u64>,
    },
    Finished(std::sync::Arc<ImportReport>),
    Failed(String),
}

/// A background import as its owner sees it.
#[derive(Clone)]
pub struct JobView {
    pub id: u64,
    pub file_name: String,
    pub state: JobState,
}

impl ImportJobs {
    fn update(&self, id: u64, state: JobState) {
        if let Ok(mut jobs) = self.jobs.lock() {
            if let Some(job) = jobs.get_mut(&id) {
                job.state = state;
            }
        }
    }
}

/// Starts importing an uploaded file in the background. The file is removed
/// when the import ends. Returns the job's id, for [`job`].
pub async fn start_job(
    app: &App,
    actor: &Actor,
    upload: tempfile::TempPath,
    format: SheetFormat,
    file_name: String,
    options: ImportOptions,
) -> Result<u64> {
    app.require(actor, Action::PersonWrite).await?;
    let jobs = app.imports.clone();
    let id = jobs
        .next_id
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        + 1;
    {
        let mut all = jobs
            .jobs
            .lock()
            .map_err(|_| AppError::internal("import jobs lock"))?;
        // Reports stay in memory until their owner has read them: keep the
        // newest few, dropping the oldest finished ones, and refuse a new
        // import while the table is full of running ones.
        while all.len() >= MAX_JOBS {
            let oldest_finished = all
                .iter()
                .filter(|(_, job)| !matches!(job.state, JobState::Running { .. }))
                .map(|(id, _)| *id)
                .min();
            match oldest_finished {
                Some(oldest) => {
                    all.remove(&oldest);
                }
                None => {
                    return Err(AppError::invalid_field(
                        "file",
                        "文件",
                        "正在进行的导入过多，请等其他导入完成后再试",
                    ))
                }
            }
        }
        all.insert(
            id,
            Job {
                owner: actor.user_id,
                file_name,
                state: JobState::Running {
                    phase: "排队".to_owned(),
                    done: 0,
                    total: None,
                },
            },
        );
    }
    let app = app.clone();
    let actor = actor.clone();
    tokio::spawn(async move {
        let progress_jobs = jobs.clone();
        let progress = move |phase: &str, done: u64, total: Option<u64>| {
            progress_jobs.update(
                id,
                JobState::Running {
                    phase: phase.to_owned(),
                    done,
                    total,
                },
            );
        };
        let result = import_file(
            &app,
            &Importer::User(&actor),
            &upload,
            format,
            options,
            &progress,
        )
        .await;
        jobs.update(
            id,
            match result {
                Ok(report) => JobState::Finished(std::sync::Arc::new(report)),
                Err(e @ AppError::Internal(_)) => {
                    let cause = e.operator_message();
                    tracing::error!(%cause, "background import failed");
                    JobState::Failed("服务器内部错误，导入未完成，登记册保持不变".to_owned())
                }
                Err(e) => JobState::Failed(e.to_string()),
            },
        );
        drop(upload);
    });
    Ok(id)
}

/// A background import of the actor's own; anyone else's is `NotFound`
/// (and the refusal audited).
pub async fn job(app: &App, actor: &Actor, id: u64) -> Result<JobView> {
    let found = {
        let jobs = app
            .imports
            .jobs
            .lock()
            .map_err(|_| AppError::internal("import jobs lock"))?;
        jobs.get(&id)
            .filter(|job| job.owner == actor.user_id)
            .map(|job| JobView {
                id,
                file_name: job.file_name.clone(),
                state: job.state.clone(),
            })
    };
    match found {
        Some(view) => Ok(view),
        None => {
            app.audit_denied(actor, "import.read", "import", &id.to_string())
                .await?;
            Err(AppError::NotFound)
        }
    }
}
