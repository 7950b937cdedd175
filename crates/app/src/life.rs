//! Life events reaching every service: a death (死亡), a move out of the
//! area (迁出) or of the household registration (户籍迁出), with its date,
//! recorded from the person's page or a status list of another department
//! (公安、卫健、殡葬; see [`import_status_file`]).
//!
//! One event, one transaction, one audit row: the register's status and
//! date change; current enrolments (centre trainees, canteen diner places)
//! end on the date; the home-care plan is emptied; a child's carers are
//! unassigned; home-care orders booked after the date are cancelled; and the
//! records already entered for days after it (a meal claimed the day after a
//! death) are listed as 应退/待核 — the canteen settlement holds their subsidy
//! by the same rule ([`kangyang_domain::life::service_allowed`]) that refuses
//! new ones. The visit lists drop the person because they are no longer
//! alive and present in the register.

use crate::actor::Who;
use crate::audit::{Event, Outcome};
use crate::register::{changes, scoped_person, seal, stored_values};
use crate::sheet::SheetFormat;
use crate::{civil, Actor, App, AppError, Result};
use kangyang_domain::home_care::OrderState;
use kangyang_domain::life::Service;
use kangyang_domain::register::{parse_person, Field, PersonStatus};
use kangyang_domain::{Action, CivilDate, IdNumber, Scope};
use kangyang_store::home_care as orders;
use kangyang_store::life::{self as store, NewLifeEvent};
use kangyang_store::register::{self, PersonRow, PersonScope};
use kangyang_store::Tx;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// A change of status with its date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChange {
    pub status: PersonStatus,
    pub date: CivilDate,
}

/// Reads a change as typed (form, API or a status list's row); the message
/// names the column.
pub fn parse_change(status: &str, date: &str, today: CivilDate) -> Result<StatusChange> {
    let status = match PersonStatus::parse_change(status) {
        Some(PersonStatus::Alive) | None => {
            return Err(AppError::invalid_field(
                "status",
                "状态",
                "应为死亡、迁出或户籍迁出（恢复为在世请在“修改”中办理）",
            ))
        }
        Some(s) => s,
    };
    let date = CivilDate::parse(date.trim()).map_err(|_| {
        AppError::invalid_field("date", "日期", "日期应为 YYYY-MM-DD，如 2026-11-03")
    })?;
    if date > today {
        return Err(AppError::invalid_field("date", "日期", "不能晚于今天"));
    }
    Ok(StatusChange { status, date })
}

/// An enrolment the event ended.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EndedEnrolment {
    pub facility: String,
    pub kind: String,
    pub start_date: String,
    pub end_date: String,
}

/// A home-care order the event cancelled.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CancelledOrder {
    pub id: i64,
    pub item: String,
    pub scheduled: String,
}

/// A record entered for a day after the event: to be refunded or reviewed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HeldRecord {
    /// 助餐, 签到, 服务记录, 探访 or 居家上门服务
    pub kind: String,
    pub day: String,
    pub place: String,
    pub what: String,
    pub subsidy_fen: i64,
}

/// What one life event ended, and what it found entered after its date.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Ended {
    pub enrolments: Vec<EndedEnrolment>,
    pub care_plan: bool,
    pub carers_removed: u64,
    pub orders_cancelled: Vec<CancelledOrder>,
    pub held: Vec<HeldRecord>,
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "meal" => Service::Meal.label(),
        "attendance" => Service::Attendance.label(),
        "service" => Service::ServiceRecord.label(),
        "visit" => Service::Visit.label(),
        _ => Service::HomeCare.label(),
    }
}

fn what_label(kind: &str, what: &str) -> String {
    match (kind, what) {
        ("meal", m) => kangyang_domain::canteen::Meal::parse(m)
            .map(|m| m.label().to_owned())
            .unwrap_or_else(|| m.to_owned()),
        ("visit", "phone") => "电话探访".to_owned(),
        ("visit", _) => "入户探访".to_owned(),
        (_, w) => w.to_owned(),
    }
}

/// Applies a change to a person inside `tx`: the register, everything the
/// event ends, the life-event row and its one audit row.
pub(crate) async fn apply(
    app: &App,
    tx: &mut Tx,
    who: &Who,
    by: Option<i64>,
    person: &PersonRow,
    change: StatusChange,
    source: &str,
) -> Result<Ended> {
    let now = app.now();
    let date = change.date.to_string();
    // The register: the record re-read through the same rules as any change.
    let mut raw = stored_values(app, person)?;
    raw.insert(Field::Status, change.status.label().to_owned());
    raw.insert(Field::StatusDate, date.clone());
    let record = parse_person(&raw, app.today())
        .record
        .map_err(AppError::InvalidFields)?;
    let stored = seal(app.keys(), &record, person.capability_level.clone())?;
    register::update(tx, person.id, &stored, now).await?;

    let mut ended = Ended::default();
    let reason = format!(
        "{}（{}）",
        change.status.event_label().unwrap_or(""),
        change.date
    );
    for e in store::open_enrolments(tx, person.id).await? {
        // An enrolment that began after the event (entered late) ends the
        // day it began, so its history keeps a valid period.
        let end = if e.start_date > date {
            e.start_date.clone()
        } else {
            date.clone()
        };
        kangyang_store::kangyuan::end_enrolment(tx, e.id, &end, &reason).await?;
        ended.enrolments.push(EndedEnrolment {
            kind: kangyang_domain::facility::FacilityKind::parse(&e.facility_kind)
                .map(|k| k.label().to_owned())
                .unwrap_or(e.facility_kind),
            facility: e.facility_name,
            start_date: e.start_date,
            end_date: end,
        });
    }
    ended.care_plan = store::clear_care_plan(tx, person.id, now).await?;
    ended.carers_removed = store::remove_carers(tx, person.id).await?;
    let next_day = change
        .date
        .add_days(1)
        .and_then(|d| civil::day_start(&d.to_string()))
        .ok_or_else(|| AppError::internal("day after a life event"))?;
    for o in store::orders_from(tx, person.id, next_day).await? {
        let state = OrderState::parse(&o.state);
        let scheduled = civil::datetime(o.scheduled_at);
        match state {
            Some(OrderState::Requested | OrderState::Dispatched | OrderState::Accepted) => {
                let set = orders::StepColumns {
                    cancel_reason: Some(&reason),
                    ..Default::default()
                };
                if orders::step(
                    tx,
                    o.id,
                    &o.state,
                    OrderState::Cancelled.as_str(),
                    now,
                    &set,
                )
                .await?
                {
                    orders::add_event(tx, o.id, "cancel", "cancelled", by, &reason, now).await?;
                    ended.orders_cancelled.push(CancelledOrder {
                        id: o.id,
                        item: o.item_name,
                        scheduled,
                    });
                }
            }
            Some(OrderState::Cancelled) => {}
            // Served (or being served) after the date: the provider's claim is reviewed.
            _ => ended.held.push(HeldRecord {
                kind: Service::HomeCare.label().to_owned(),
                day: scheduled.get(..10).unwrap_or(&scheduled).to_owned(),
                place: String::new(),
                what: o.item_name,
                subsidy_fen: o.government_fen,
            }),
        }
    }
    for r in store::records_after(tx, person.id, &date).await? {
        ended.held.push(HeldRecord {
            kind: kind_label(&r.kind).to_owned(),
            what: what_label(&r.kind, &r.what),
            day: r.day,
            place: r.place,
            subsidy_fen: r.subsidy_fen,
        });
    }
    let json = serde_json::to_string(&ended).map_err(AppError::internal)?;
    store::insert(
        tx,
        &NewLifeEvent {
            person_id: person.id,
            status: change.status.as_str(),
            event_date: &date,
            source,
            ended: &json,
            by,
        },
        now,
    )
    .await?;
    app.audit_in(
        tx,
        who,
        Event {
            action: "person.life_event",
            object_type: "person",
            object_id: person.id.to_string(),
            result: Outcome::Ok,
            detail: serde_json::json!({
                "status": change.status.as_str(),
                "date": date,
                "source": source,
                "enrolments_ended": ended.enrolments.len(),
                "care_plan_ended": ended.care_plan,
                "carers_removed": ended.carers_removed,
                "orders_cancelled": ended.orders_cancelled.len(),
                "held": ended.held.len(),
                "changes": changes(Some(person), &stored),
            }),
        },
    )
    .await?;
    Ok(ended)
}

/// What the form (or the API) sends.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct StatusChangeInput {
    /// deceased, moved_away or hukou_moved_out (or 死亡, 迁出, 户籍迁出)
    pub status: String,
    /// YYYY-MM-DD
    pub date: String,
}

/// Records a life event for a person of the actor's scope.
pub async fn record_change(
    app: &App,
    actor: &Actor,
    person_id: i64,
    input: &StatusChangeInput,
) -> Result<Ended> {
    app.require(actor, Action::PersonWrite).await?;
    let person = scoped_person(app, actor, person_id, "person.life_event").await?;
    let change = parse_change(&input.status, &input.date, app.today())?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let ended = apply(
        app,
        &mut tx,
        &Who::from(actor),
        Some(actor.user_id),
        &person,
        change,
        "form",
    )
    .await?;
    tx.commit().await?;
    Ok(ended)
}

/// A life event as the person's page shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LifeEventView {
    pub status_label: &'static str,
    pub event_label: &'static str,
    pub date: String,
    /// 人员页面 or 状态名单导入
    pub source_label: &'static str,
    pub recorded_by: String,
    pub recorded_at: String,
    pub ended: Ended,
}

/// A person's life events, newest first (the person's read is audited by its page).
pub async fn events_of(app: &App, actor: &Actor, person_id: i64) -> Result<Vec<LifeEventView>> {
    app.require(actor, Action::PersonRead).await?;
    scoped_person(app, actor, person_id, "person.read").await?;
    let mut conn = app.store().read().await?;
    let rows = store::of_person(&mut conn, person_id).await?;
    rows.into_iter()
        .map(|r| {
            let status = PersonStatus::parse(&r.status).unwrap_or(PersonStatus::Deceased);
            Ok(LifeEventView {
                status_label: status.label(),
                event_label: status.event_label().unwrap_or(""),
                date: r.event_date,
                source_label: if r.source == "import" {
                    "状态名单导入"
                } else {
                    "人员页面"
                },
                recorded_by: r.recorded_by.unwrap_or_else(|| "(命令行)".to_owned()),
                recorded_at: civil::datetime(r.recorded_at),
                ended: serde_json::from_str(&r.ended).map_err(AppError::internal)?,
            })
        })
        .collect()
}

// ---- status lists of other departments ----

/// Rows a status list may have: a county's deaths and moves of a year are
/// thousands; the plan kept between the passes is a few dozen bytes a row.
pub const MAX_STATUS_ROWS: u64 = 200_000;
/// Rows kept for the report's unmatched and rejected lists, and the cell
/// text they may hold: a department's list may cover a whole county, most
/// of it not in the register.
const MAX_KEPT_ROWS: usize = 10_000;
const MAX_KEPT_BYTES: usize = 8 << 20;

/// What a status list import found and did.
#[derive(Debug, Clone, Default)]
pub struct StatusReport {
    pub headers: Vec<String>,
    /// Rows that change (or changed) a person's status.
    pub matched: u64,
    /// Rows whose person already has this status and date.
    pub unchanged: u64,
    /// Rows naming nobody in the register (within the importer's reach).
    pub unmatched: u64,
    pub rejected: u64,
    /// Rejected and unmatched rows with why, for the error workbook.
    pub errors: Vec<crate::import::RejectedRow>,
    /// Enrolments ended, orders cancelled and records held, over all rows.
    pub enrolments_ended: u64,
    pub orders_cancelled: u64,
    pub held: u64,
    pub committed: bool,
}

impl StatusReport {
    pub fn summary(&self) -> String {
        format!(
            "matched {}, unchanged {}, unmatched {}, rejected {}",
            self.matched, self.unchanged, self.unmatched, self.rejected
        )
    }

    /// The rows not taken, as the original cells with an added error column.
    pub fn error_workbook(&self) -> Result<Vec<u8>> {
        crate::import::rows_workbook(&self.headers, &self.errors)
    }
}

/// Which column holds what: headers as the departments' lists name them.
struct StatusColumns {
    id: usize,
    status: usize,
    date: usize,
}

fn status_columns(headers: &[String]) -> Result<StatusColumns> {
    let find = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.contains(&h.trim().trim_start_matches('*').trim()))
    };
    let id = find(&["身份证号", "公民身份号码", "身份证号码", "id_number"]);
    let status = find(&["状态", "变更类型", "人员状态", "status"]);
    let date = find(&[
        "日期",
        "状态变更日期",
        "变更日期",
        "死亡日期",
        "迁出日期",
        "status_date",
        "date",
    ]);
    match (id, status, date) {
        (Some(id), Some(status), Some(date)) => Ok(StatusColumns { id, status, date }),
        _ => Err(AppError::invalid_field(
            "file",
            "表头",
            "状态名单须有“身份证号”“状态”“日期”三列（状态为死亡、迁出或户籍迁出）",
        )),
    }
}

/// Imports a status list (ID number, status, date; xlsx or csv). Rows are
/// matched through the ID blind index; all or nothing unless `accept_valid`.
/// Unmatched rows (nobody of the register within reach) are reported and
/// do not stop the rest: a department's list covers everyone.
pub async fn import_status_file(
    app: &App,
    importer: &crate::import::Importer<'_>,
    path: &Path,
    format: SheetFormat,
    options: crate::import::ImportOptions,
) -> Result<StatusReport> {
    use crate::import::{Importer, RejectedRow};
    if let Importer::User(actor) = importer {
        app.require(actor, Action::PersonWrite).await?;
    }
    let scope: Scope = match importer {
        Importer::User(actor) => actor.scope.clone(),
        Importer::Cli { region } => Scope::Region {
            region: region.clone(),
        },
    };
    let person_scope = PersonScope::from(&scope);
    let today = app.today();
    let mut reader = crate::import::open_rows(path, format).await?;
    let columns = status_columns(&reader.headers)?;
    let mut report = StatusReport {
        headers: reader.headers.clone(),
        ..StatusReport::default()
    };
    let mut kept_bytes = 0usize;
    let mut keep = |report: &mut StatusReport, row: u64, cells: Vec<String>, message: String| {
        let size = message.len()
            + cells
                .iter()
                .map(|c| c.len() + std::mem::size_of::<String>())
                .sum::<usize>();
        if report.errors.len() < MAX_KEPT_ROWS && kept_bytes + size <= MAX_KEPT_BYTES {
            kept_bytes += size;
            report.errors.push(RejectedRow {
                row,
                cells,
                message,
            });
        }
    };
    // Pass 1 (the only read of the file): check each row and decide it.
    let mut plans: Vec<(i64, StatusChange)> = Vec::new();
    let mut seen: HashMap<u128, u64> = HashMap::new();
    let mut conn = app.store().read().await?;
    let mut rows = 0u64;
    while let Some(item) = reader.rows.recv().await {
        let (row, cells) = item.map_err(crate::import::sheet_error)?;
        rows += 1;
        if rows > MAX_STATUS_ROWS {
            return Err(AppError::invalid_field(
                "file",
                "文件",
                format!("状态名单不超过 {MAX_STATUS_ROWS} 行，请分批导入"),
            ));
        }
        let cell = |i: usize| cells.get(i).map(String::as_str).unwrap_or("");
        let number = match IdNumber::parse(cell(columns.id).trim()) {
            Ok(n) => n,
            Err(e) => {
                report.rejected += 1;
                keep(&mut report, row, cells, format!("身份证号：{e}"));
                continue;
            }
        };
        let change = match parse_change(cell(columns.status), cell(columns.date), today) {
            Ok(c) => c,
            Err(AppError::Invalid {
                field,
                label,
                message,
            }) => {
                report.rejected += 1;
                let name = label.unwrap_or(field);
                keep(&mut report, row, cells, format!("{name}：{message}"));
                continue;
            }
            Err(e) => return Err(e),
        };
        let index = app
            .keys()
            .blind_index(crate::register::ID_KIND, number.as_str());
        let key = crate::import::index_key(&index);
        if let Some(first) = seen.get(&key) {
            report.rejected += 1;
            let message = format!("身份证号：同一人在本文件中重复出现（与第 {first} 行相同）");
            keep(&mut report, row, cells, message);
            continue;
        }
        seen.insert(key, row);
        // Someone outside the importer's reach looks like nobody at all.
        let found = match register::find_by_id_index(&mut conn, &index).await? {
            Some((id, _, _)) => register::get(&mut conn, &person_scope, id).await?,
            None => None,
        };
        let Some(person) = found else {
            report.unmatched += 1;
            keep(
                &mut report,
                row,
                cells,
                "未匹配：您管辖范围的名册中没有此人".to_owned(),
            );
            continue;
        };
        // A status already entered by an edit of the register left the
        // person's services open: the list's row closes them, so it is not
        // "unchanged" while an enrolment is still open.
        let same = PersonStatus::parse(&person.status) == Some(change.status)
            && person.status_date.as_deref() == Some(change.date.to_string().as_str())
            && store::open_enrolments(&mut conn, person.id)
                .await?
                .is_empty();
        if same {
            report.unchanged += 1;
        } else {
            report.matched += 1;
            plans.push((person.id, change));
        }
    }
    drop(conn);
    if report.rejected > 0 && !options.accept_valid {
        // All or nothing: nothing is changed.
        report.matched = 0;
        return Ok(report);
    }
    if plans.is_empty() {
        return Ok(report);
    }
    // Pass 2: every change, and everything each ends, in one transaction.
    let (who, by) = match importer {
        Importer::User(actor) => (Who::from(*actor), Some(actor.user_id)),
        Importer::Cli { .. } => (Who::cli(), None),
    };
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let mut done: HashSet<i64> = HashSet::new();
    for (person_id, change) in plans {
        if !done.insert(person_id) {
            continue;
        }
        let Some(person) = register::get(&mut tx, &person_scope, person_id).await? else {
            continue;
        };
        let ended = apply(app, &mut tx, &who, by, &person, change, "import").await?;
        report.enrolments_ended += ended.enrolments.len() as u64;
        report.orders_cancelled += ended.orders_cancelled.len() as u64;
        report.held += ended.held.len() as u64;
    }
    app.audit_in(
        &mut tx,
        &who,
        Event {
            action: "person.status_import",
            object_type: "import",
            object_id: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            result: Outcome::Ok,
            detail: serde_json::json!({
                "matched": report.matched,
                "unchanged": report.unchanged,
                "unmatched": report.unmatched,
                "rejected": report.rejected,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    report.committed = true;
    Ok(report)
}
