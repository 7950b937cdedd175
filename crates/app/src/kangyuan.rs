//! What facility staff record day to day: enrolment (入托) against the
//! facility's eligibility rule, daily attendance (签到) with the monthly
//! sheet, five-in-one service records, counselling notes (counsellors only),
//! and assisted employment: piecework orders, output and the monthly payout.
//!
//! Every use case names a facility and goes through
//! [`crate::facility::scoped_facility`], so a facility user reaches only
//! their own facility; people are reached through their enrolment in it.

use crate::actor::Who;
use crate::audit::Event;
use crate::facility::{eligibility_of, scoped_facility};
use crate::report_sheet::ReportSheet;
use crate::{Actor, App, AppError, Result};
use kangyang_domain::disability::{DisabilityCategory, DisabilityGrade};
use kangyang_domain::facility::{Applicant, FacilityKind};
use kangyang_domain::kangyuan::{piece_earnings, ServiceKind};
use kangyang_domain::life::{service_allowed_stored, Service};
use kangyang_domain::money::Fen;
use kangyang_domain::register::PersonStatus;
use kangyang_domain::{Action, CivilDate, IdNumber, RegionCode, Scope};
use kangyang_store::facility::FacilityRow;
use kangyang_store::kangyuan::{self as store, NewOrder, NewService, TraineeRow};
use kangyang_store::register::{self, PersonScope};
use rust_xlsxwriter::XlsxError;
use serde::{Deserialize, Serialize};

fn date_field(field: &str, s: &str) -> Result<CivilDate> {
    CivilDate::parse(s.trim())
        .map_err(|_| AppError::unkeyed(field, "日期应为 YYYY-MM-DD，如 2023-11-06"))
}

/// A day on which something is recorded: not in the future. Shared by
/// several fields, so callers name the field by key (`keyed`).
pub(crate) fn record_day(app: &App, field: &str, s: &str) -> Result<CivilDate> {
    let day = date_field(field, s)?;
    if day > app.today() {
        return Err(AppError::unkeyed(field, "不能登记今天以后的日期"));
    }
    Ok(day)
}

/// The month "YYYY-MM" as (year, month).
pub fn parse_month(s: &str) -> Result<(u16, u8)> {
    let bad = || AppError::invalid_field("month", "月份", "月份应为 YYYY-MM，如 2023-11");
    let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
    let (y, m) = (
        y.parse::<u16>().map_err(|_| bad())?,
        m.parse::<u8>().map_err(|_| bad())?,
    );
    if !(1900..=2999).contains(&y) || !(1..=12).contains(&m) {
        return Err(bad());
    }
    Ok((y, m))
}

/// The first and last day of a month.
pub fn month_bounds(year: u16, month: u8) -> Result<(CivilDate, CivilDate)> {
    let last = kangyang_domain::date::days_in_month(year, month)
        .ok_or_else(|| AppError::invalid_field("month", "月份", "月份不存在"))?;
    let first = CivilDate::new(year, month, 1).map_err(AppError::internal)?;
    let last = CivilDate::new(year, month, last).map_err(AppError::internal)?;
    Ok((first, last))
}

// ---- enrolment ----

/// Who to enrol: a person of the register by id (as officials see them) or
/// by ID number (as centre staff, who see only their own trainees, know them).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct EnrolRequest {
    pub person_id: Option<i64>,
    pub id_number: Option<String>,
    /// YYYY-MM-DD; today when left out.
    pub start_date: Option<String>,
}

/// The people a facility may enrol: those living in its region.
fn catchment(facility: &FacilityRow) -> Result<PersonScope> {
    let region = RegionCode::parse(&facility.region_code).map_err(AppError::internal)?;
    Ok(PersonScope::from(&Scope::Region { region }))
}

/// Enrols a person in a facility if its eligibility rule allows; a refusal
/// names each rule that failed.
pub async fn enrol(app: &App, actor: &Actor, facility_id: i64, req: &EnrolRequest) -> Result<i64> {
    app.require(actor, Action::ServiceRecord).await?;
    let facility = scoped_facility(app, actor, facility_id, "enrolment.create").await?;
    let kind = FacilityKind::parse(&facility.kind);
    if !kind.is_some_and(FacilityKind::enrols_people) {
        return Err(AppError::invalid_field(
            "facility",
            "机构",
            "此类机构不登记入托人员",
        ));
    }
    let start = match req.start_date.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => date_field("入托日期", s).map_err(|e| e.keyed("start_date"))?,
        None => app.today(),
    };
    let mut conn = app.store().read().await?;
    let scope = catchment(&facility)?;
    let not_in_catchment = || {
        AppError::invalid_field(
            "person_id",
            "人员",
            "在本机构所在区域的人员名册中找不到此人：请核对身份证号，或先在名册中登记",
        )
    };
    let person_id = match (req.person_id, req.id_number.as_deref()) {
        // Facility users see only their own trainees: a record number would
        // let them reach anyone of the town, so they enrol by ID number,
        // which they have from the person in front of them.
        (Some(_), _) if actor.scope.facility_id().is_some() => {
            return Err(AppError::invalid_field(
                "id_number",
                "身份证号",
                "请用身份证号登记入托",
            ));
        }
        (Some(id), _) => Some(id),
        (None, Some(number)) => {
            let number = IdNumber::parse(number.trim())
                .map_err(|e| AppError::invalid_field("id_number", "身份证号", e.to_string()))?;
            let index = app
                .keys()
                .blind_index(crate::register::ID_KIND, number.as_str());
            register::find_by_id_index(&mut conn, &index)
                .await?
                .map(|(id, _, _)| id)
        }
        (None, None) => {
            return Err(AppError::invalid_field(
                "person_id",
                "人员",
                "请给出人员或其身份证号",
            ))
        }
    };
    let person = match person_id {
        Some(id) => register::get(&mut conn, &scope, id).await?,
        None => None,
    };
    let Some(person) = person else {
        drop(conn);
        let object = person_id.map(|id| id.to_string()).unwrap_or_default();
        app.audit_denied(actor, "enrolment.create", "person", &object)
            .await?;
        return Err(not_in_catchment());
    };
    let person_id = person.id;
    let birth = CivilDate::parse(&person.birth_date).map_err(AppError::internal)?;
    let applicant = Applicant {
        age: birth.full_years_until(start),
        disability: person
            .disability_category
            .as_deref()
            .and_then(DisabilityCategory::parse)
            .zip(
                person
                    .disability_grade
                    .and_then(|g| u8::try_from(g).ok())
                    .and_then(DisabilityGrade::new),
            ),
        in_register: PersonStatus::parse(&person.status) == Some(PersonStatus::Alive),
    };
    if let Err(failures) = eligibility_of(&facility).check(&applicant) {
        app.audit(
            &Who::from(actor),
            Event {
                action: "enrolment.refused",
                object_type: "person",
                object_id: person_id.to_string(),
                result: crate::audit::Outcome::Failed,
                detail: serde_json::json!({
                    "facility": facility_id,
                    "rules": failures.iter().map(|f| f.rule).collect::<Vec<_>>(),
                }),
            },
        )
        .await?;
        return Err(AppError::invalid_field(
            "eligibility",
            "入托条件",
            failures
                .into_iter()
                .map(|f| f.message)
                .collect::<Vec<_>>()
                .join("；"),
        ));
    }
    // One centre of a kind at a time: a trainee is not counted twice.
    for (other, other_kind) in store::current_facilities_of(&mut conn, person_id).await? {
        if other == facility_id {
            return Err(AppError::Conflict("此人已在本机构入托".into()));
        }
        if other_kind == facility.kind && kind.is_some_and(FacilityKind::exclusive_enrolment) {
            drop(conn);
            app.audit_denied(
                actor,
                "enrolment.elsewhere",
                "person",
                &person_id.to_string(),
            )
            .await?;
            // Where else a person is enrolled is for those who may see that
            // facility: a centre's own staff are told only that they cannot.
            let message = if actor.scope.facility_id().is_some() {
                "此人当前不能在本机构入托，请联系上级主管部门".to_owned()
            } else {
                format!(
                    "此人已在另一所{}入托，请先办理离开",
                    kind.map(FacilityKind::label).unwrap_or("同类机构")
                )
            };
            return Err(AppError::Conflict(message));
        }
    }
    drop(conn);
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::enrol(
        &mut tx,
        facility_id,
        person_id,
        &start.to_string(),
        Some(actor.user_id),
        app.now(),
    )
    .await
    .map_err(|e| match e {
        kangyang_store::StoreError::Duplicate(_) => AppError::Conflict("此人已在本机构入托".into()),
        e => e.into(),
    })?;
    let mut event = Event::ok("enrolment.create", "person", person_id.to_string());
    event.detail = serde_json::json!({ "facility": facility_id, "start_date": start.to_string() });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(id)
}

/// Ends a trainee's enrolment, with the date and reason of leaving.
pub async fn leave(
    app: &App,
    actor: &Actor,
    facility_id: i64,
    person_id: i64,
    end_date: &str,
    reason: &str,
) -> Result<()> {
    app.require(actor, Action::ServiceRecord).await?;
    scoped_facility(app, actor, facility_id, "enrolment.end").await?;
    let end = record_day(app, "离开日期", end_date).map_err(|e| e.keyed("end_date"))?;
    if reason.trim().is_empty() {
        return Err(AppError::invalid_field(
            "reason",
            "离开原因",
            "请填写离开原因",
        ));
    }
    let mut conn = app.store().read().await?;
    let Some(current) = store::current_enrolment(&mut conn, facility_id, person_id).await? else {
        drop(conn);
        app.audit_denied(actor, "enrolment.end", "person", &person_id.to_string())
            .await?;
        return Err(AppError::NotFound);
    };
    drop(conn);
    if end.to_string() < current.start_date {
        return Err(AppError::invalid_field(
            "end_date",
            "离开日期",
            "不能早于入托日期",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    store::end_enrolment(&mut tx, current.id, &end.to_string(), reason.trim()).await?;
    let mut event = Event::ok("enrolment.end", "person", person_id.to_string());
    event.detail = serde_json::json!({ "facility": facility_id, "end_date": end.to_string() });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(())
}

/// A trainee as the centre's staff see them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TraineeView {
    pub person_id: i64,
    pub name: String,
    pub village_code: String,
    pub start_date: String,
    pub end_date: Option<String>,
    pub leave_reason: Option<String>,
}

impl From<TraineeRow> for TraineeView {
    fn from(t: TraineeRow) -> TraineeView {
        TraineeView {
            person_id: t.person_id,
            name: t.name,
            village_code: t.village_code,
            start_date: t.start_date,
            end_date: t.end_date,
            leave_reason: t.leave_reason,
        }
    }
}

/// The facility's trainees: current ones, or every enrolment with `all`.
pub async fn trainees(
    app: &App,
    actor: &Actor,
    facility_id: i64,
    all: bool,
) -> Result<Vec<TraineeView>> {
    app.require(actor, Action::PersonRead).await?;
    scoped_facility(app, actor, facility_id, "enrolment.read").await?;
    let mut conn = app.store().read().await?;
    let rows = if all {
        store::enrolment_history(&mut conn, facility_id).await?
    } else {
        store::trainees(&mut conn, facility_id, None).await?
    };
    drop(conn);
    let mut event = Event::ok("enrolment.read", "facility", facility_id.to_string());
    event.detail = serde_json::json!({ "people": rows.len() });
    app.audit(&Who::from(actor), event).await?;
    Ok(rows.into_iter().map(TraineeView::from).collect())
}

// ---- attendance ----

/// One trainee's line on the day's sign-in sheet.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SignInLine {
    pub person_id: i64,
    pub name: String,
    /// Some(true) present, Some(false) absent, None not yet marked.
    pub present: Option<bool>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttendanceDay {
    pub facility_id: i64,
    pub facility_name: String,
    pub day: String,
    /// Whether the day is one of the centre's working days (its opening
    /// weekdays and the holiday calendar): on any other day nobody is
    /// expected, and the page says so instead of showing a sheet to fill.
    pub working_day: bool,
    pub lines: Vec<SignInLine>,
    pub present: usize,
    pub absent: usize,
}

/// The sign-in sheet of a day: everyone enrolled that day and their mark.
pub async fn attendance_day(
    app: &App,
    actor: &Actor,
    facility_id: i64,
    day: Option<&str>,
) -> Result<AttendanceDay> {
    app.require(actor, Action::ServiceRecord).await?;
    let facility = scoped_facility(app, actor, facility_id, "attendance.read").await?;
    let day = match day.filter(|d| !d.trim().is_empty()) {
        Some(d) => record_day(app, "日期", d).map_err(|e| e.keyed("day"))?,
        None => app.today(),
    };
    let d = day.to_string();
    let mut conn = app.store().read().await?;
    let working_day =
        crate::holidays::working_day(&mut conn, crate::facility::opening_days_of(&facility), day)
            .await?;
    let trainees = store::trainees(&mut conn, facility_id, Some((&d, &d))).await?;
    let marks = store::attendance_between(&mut conn, facility_id, &d, &d).await?;
    let lines: Vec<SignInLine> = trainees
        .into_iter()
        .map(|t| SignInLine {
            present: marks
                .iter()
                .find(|(p, _, _)| *p == t.person_id)
                .map(|(_, _, x)| *x),
            person_id: t.person_id,
            name: t.name,
        })
        .collect();
    let mut event = Event::ok("attendance.read", "facility", facility_id.to_string());
    event.detail = serde_json::json!({ "day": d, "people": lines.len() });
    app.audit(&Who::from(actor), event).await?;
    Ok(AttendanceDay {
        facility_id,
        facility_name: facility.name.clone(),
        day: d,
        working_day,
        present: lines.iter().filter(|l| l.present == Some(true)).count(),
        absent: lines.iter().filter(|l| l.present == Some(false)).count(),
        lines,
    })
}

/// A tap on the sign-in sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    Present,
    Absent,
    /// Takes a mark back.
    Clear,
}

pub(crate) async fn check_enrolled_on(
    app: &App,
    actor: &Actor,
    conn: &mut kangyang_store::Conn,
    facility_id: i64,
    day: &str,
    people: &[i64],
    service: Service,
) -> Result<()> {
    if people.iter().any(|p| *p <= 0) {
        return Err(AppError::invalid_field("person_id", "学员", "请选择学员"));
    }
    // A death or a move refuses what is dated after it, by the one rule
    // every recording path asks. Only the facility's own people (enrolled
    // here at some time) are told why; anyone else is not found below.
    let day_date = CivilDate::parse(day).map_err(AppError::internal)?;
    for (person, status, status_date) in
        kangyang_store::life::ended_here(conn, facility_id, people).await?
    {
        if let Err(refused) =
            service_allowed_stored(&status, status_date.as_deref(), day_date, service)
        {
            let mut event = Event::ok("life.refused", "person", person.to_string());
            event.result = crate::audit::Outcome::Failed;
            event.detail = serde_json::json!({ "facility": facility_id, "day": day, "service": service.label() });
            app.audit(&Who::from(actor), event).await?;
            return Err(AppError::invalid_field("day", "日期", refused.to_string()));
        }
    }
    let enrolled = store::trainees(conn, facility_id, Some((day, day))).await?;
    for person in people {
        if !enrolled.iter().any(|t| t.person_id == *person) {
            app.audit_denied(actor, "attendance.mark", "person", &person.to_string())
                .await?;
            return Err(AppError::NotFound);
        }
    }
    Ok(())
}

/// Marks one trainee for a day; each tap is saved at once.
pub async fn mark(
    app: &App,
    actor: &Actor,
    facility_id: i64,
    person_id: i64,
    day: &str,
    mark: Mark,
) -> Result<()> {
    app.require(actor, Action::ServiceRecord).await?;
    scoped_facility(app, actor, facility_id, "attendance.mark").await?;
    let day = record_day(app, "日期", day)
        .map_err(|e| e.keyed("day"))?
        .to_string();
    let mut conn = app.store().read().await?;
    check_enrolled_on(
        app,
        actor,
        &mut conn,
        facility_id,
        &day,
        &[person_id],
        Service::Attendance,
    )
    .await?;
    drop(conn);
    let (mut tx, _guard) = app.store().begin_audited().await?;
    match mark {
        Mark::Clear => store::clear_attendance(&mut tx, facility_id, person_id, &day).await?,
        Mark::Present | Mark::Absent => {
            store::mark_attendance(
                &mut tx,
                facility_id,
                person_id,
                &day,
                mark == Mark::Present,
                Some(actor.user_id),
                app.now(),
            )
            .await?
        }
    }
    let mut event = Event::ok("attendance.mark", "person", person_id.to_string());
    event.detail = serde_json::json!({ "facility": facility_id, "day": day, "mark": format!("{mark:?}").to_lowercase() });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(())
}

/// Enters a whole day at once (a missed day): the listed trainees present,
/// every other trainee enrolled that day absent. All or nothing.
pub async fn mark_day(
    app: &App,
    actor: &Actor,
    facility_id: i64,
    day: &str,
    present: &[i64],
) -> Result<usize> {
    app.require(actor, Action::ServiceRecord).await?;
    scoped_facility(app, actor, facility_id, "attendance.mark").await?;
    let day = record_day(app, "日期", day)
        .map_err(|e| e.keyed("day"))?
        .to_string();
    let mut conn = app.store().read().await?;
    check_enrolled_on(
        app,
        actor,
        &mut conn,
        facility_id,
        &day,
        present,
        Service::Attendance,
    )
    .await?;
    let enrolled = store::trainees(&mut conn, facility_id, Some((&day, &day))).await?;
    drop(conn);
    let (mut tx, _guard) = app.store().begin_audited().await?;
    for t in &enrolled {
        store::mark_attendance(
            &mut tx,
            facility_id,
            t.person_id,
            &day,
            present.contains(&t.person_id),
            Some(actor.user_id),
            app.now(),
        )
        .await?;
    }
    let mut event = Event::ok("attendance.day", "facility", facility_id.to_string());
    event.detail =
        serde_json::json!({ "day": day, "present": present.len(), "enrolled": enrolled.len() });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(enrolled.len())
}

/// The monthly attendance sheet (签到表) of a facility as xlsx: one row per
/// trainee, one column per working day (√ present, × absent), totals and rate.
pub async fn attendance_month_xlsx(
    app: &App,
    actor: &Actor,
    facility_id: i64,
    month: &str,
) -> Result<Vec<u8>> {
    app.require(actor, Action::ServiceRecord).await?;
    let facility = scoped_facility(app, actor, facility_id, "attendance.export").await?;
    let (year, m) = parse_month(month)?;
    let (first, last) = month_bounds(year, m)?;
    let (from, to) = (first.to_string(), last.to_string());
    let mut conn = app.store().read().await?;
    let trainees = store::trainees(&mut conn, facility_id, Some((&from, &to))).await?;
    let marks = store::attendance_between(&mut conn, facility_id, &from, &to).await?;
    let opening = crate::facility::opening_days_of(&facility);
    let days: Vec<String> = crate::holidays::working_days_of_month(&mut conn, opening, year, m)
        .await?
        .into_iter()
        .map(|d| d.to_string())
        .collect();
    drop(conn);
    let bytes = attendance_workbook(&facility.name, year, m, &days, &trainees, &marks)
        .map_err(AppError::internal)?;
    let mut event = Event::ok("attendance.export", "facility", facility_id.to_string());
    event.detail =
        serde_json::json!({ "month": format!("{year}-{m:02}"), "trainees": trainees.len() });
    app.audit(&Who::from(actor), event).await?;
    Ok(bytes)
}

fn attendance_workbook(
    facility: &str,
    year: u16,
    month: u8,
    days: &[String],
    trainees: &[TraineeRow],
    marks: &[(i64, String, bool)],
) -> Result<Vec<u8>, XlsxError> {
    let mut sheet = ReportSheet::new(format!("{year}年{month}月签到表"))?.centred();
    let last_col = (days.len() + 3) as u16;
    sheet.title(
        &format!("{facility} {year}年{month}月学员签到表"),
        last_col + 1,
    )?;
    let mut headers = vec!["姓名"];
    headers.extend(days.iter().map(|d| d.get(8..).unwrap_or(d)));
    headers.extend(["出勤天数", "应出勤天数", "出勤率"]);
    sheet.headers(1, &headers)?;
    sheet.widths(&[(0, 10.0)])?;
    for i in 0..days.len() {
        sheet.widths(&[((i + 1) as u16, 4.0)])?;
    }
    let (c_present, c_expected, c_rate) = (last_col - 2, last_col - 1, last_col);
    let (mut sum_present, mut sum_expected) = (0i64, 0i64);
    for (r, t) in trainees.iter().enumerate() {
        let row = (r + 2) as u32;
        sheet.text(row, 0, &t.name)?;
        let (mut present, mut expected) = (0i64, 0i64);
        for (i, d) in days.iter().enumerate() {
            let enrolled = t.start_date.as_str() <= d.as_str()
                && t.end_date.as_deref().is_none_or(|e| e >= d.as_str());
            let mark = marks
                .iter()
                .find(|(p, day, _)| *p == t.person_id && day == d)
                .map(|(_, _, x)| *x);
            let text = match (enrolled, mark) {
                (false, _) => "—",
                (true, Some(true)) => "√",
                (true, Some(false)) => "×",
                (true, None) => "",
            };
            if enrolled {
                expected += 1;
            }
            if enrolled && mark == Some(true) {
                present += 1;
            }
            sheet.text(row, (i + 1) as u16, text)?;
        }
        sum_present += present;
        sum_expected += expected;
        sheet.number(row, c_present, present as f64)?;
        sheet.number(row, c_expected, expected as f64)?;
        let rate = kangyang_domain::kangyuan::attendance_rate(present, expected)
            .map(kangyang_domain::money::percent_string)
            .unwrap_or_default();
        sheet.text(row, c_rate, &rate)?;
    }
    let row = (trainees.len() + 2) as u32;
    sheet.label(row, 0, "合计")?;
    sheet.total(row, c_present, sum_present as f64)?;
    sheet.total(row, c_expected, sum_expected as f64)?;
    let rate = kangyang_domain::kangyuan::attendance_rate(sum_present, sum_expected)
        .map(kangyang_domain::money::percent_string)
        .unwrap_or_default();
    sheet.label(row, c_rate, &rate)?;
    sheet.note(
        row + 2,
        0,
        "√ 出勤　× 缺勤　— 未在托　工作日为本中心开放日，除去法定节假日，加上调休上班日",
    )?;
    sheet.finish()
}

// ---- five-in-one services and counselling ----

/// Counselling notes stay with the centre's own counsellors: an account of
/// the role that is not bound to this facility reads none of them.
async fn own_facility_only(app: &App, actor: &Actor, facility_id: i64, action: &str) -> Result<()> {
    if actor.scope.facility_id() == Some(facility_id) {
        return Ok(());
    }
    app.audit_denied(actor, action, "facility", &facility_id.to_string())
        .await?;
    Err(AppError::Forbidden)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ServiceInput {
    /// day_care, rehabilitation, recreation, skills_training, assisted_employment
    pub kind: String,
    pub day: String,
    pub title: String,
    /// A group activity with many participants, or one person's service.
    pub group_activity: bool,
    pub participants: Vec<i64>,
    pub notes: String,
}

/// Records a service given to one trainee or a group activity.
pub async fn add_service(
    app: &App,
    actor: &Actor,
    facility_id: i64,
    input: &ServiceInput,
) -> Result<i64> {
    app.require(actor, Action::ServiceRecord).await?;
    scoped_facility(app, actor, facility_id, "service.create").await?;
    let kind = ServiceKind::parse(input.kind.trim()).ok_or_else(|| {
        AppError::invalid_field(
            "kind",
            "服务类别",
            "应为日间照料、康复训练、康乐文体、技能训练或辅助就业",
        )
    })?;
    let day = record_day(app, "日期", &input.day)
        .map_err(|e| e.keyed("day"))?
        .to_string();
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 100 {
        return Err(AppError::invalid_field(
            "title",
            "内容",
            "请填写服务内容（100 字以内）",
        ));
    }
    let mut participants = input.participants.clone();
    participants.sort_unstable();
    participants.dedup();
    match (input.group_activity, participants.len()) {
        (_, 0) => {
            return Err(AppError::invalid_field(
                "participants",
                "参加人员",
                "请至少选择一名学员",
            ))
        }
        (false, n) if n > 1 => {
            return Err(AppError::invalid_field(
                "participants",
                "参加人员",
                "个人服务只能有一名学员；多人请登记为小组活动",
            ))
        }
        _ => {}
    }
    let mut conn = app.store().read().await?;
    check_enrolled_on(
        app,
        actor,
        &mut conn,
        facility_id,
        &day,
        &participants,
        Service::ServiceRecord,
    )
    .await?;
    drop(conn);
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::add_service(
        &mut tx,
        &NewService {
            facility_id,
            kind: kind.as_str(),
            day: &day,
            title,
            group_activity: input.group_activity,
            notes: input.notes.trim(),
            participants: &participants,
            by: Some(actor.user_id),
        },
        app.now(),
    )
    .await?;
    let mut event = Event::ok("service.create", "facility", facility_id.to_string());
    event.detail = serde_json::json!({ "record": id, "kind": kind.as_str(), "participants": participants.len() });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceView {
    pub kind_label: &'static str,
    pub day: String,
    pub title: String,
    pub group_activity: bool,
    pub participants: i64,
}

/// The facility's latest service records.
pub async fn services(app: &App, actor: &Actor, facility_id: i64) -> Result<Vec<ServiceView>> {
    app.require(actor, Action::FacilityRead).await?;
    scoped_facility(app, actor, facility_id, "service.read").await?;
    let mut conn = app.store().read().await?;
    Ok(store::services(&mut conn, facility_id, 50)
        .await?
        .into_iter()
        .map(|s| ServiceView {
            kind_label: ServiceKind::parse(&s.kind)
                .map(ServiceKind::label)
                .unwrap_or(""),
            day: s.day,
            title: s.title,
            group_activity: s.group_activity != 0,
            participants: s.participants,
        })
        .collect())
}

/// Records a counselling session; its notes are sealed.
pub async fn add_counselling(
    app: &App,
    actor: &Actor,
    facility_id: i64,
    person_id: i64,
    day: &str,
    notes: &str,
) -> Result<i64> {
    app.require(actor, Action::CounsellingNotes).await?;
    scoped_facility(app, actor, facility_id, "counselling.create").await?;
    own_facility_only(app, actor, facility_id, "counselling.create").await?;
    let day = record_day(app, "日期", day)
        .map_err(|e| e.keyed("day"))?
        .to_string();
    if notes.trim().is_empty() {
        return Err(AppError::invalid_field("notes", "记录", "请填写咨询记录"));
    }
    let mut conn = app.store().read().await?;
    check_enrolled_on(
        app,
        actor,
        &mut conn,
        facility_id,
        &day,
        &[person_id],
        Service::ServiceRecord,
    )
    .await?;
    drop(conn);
    let sealed = app.keys().encrypt(notes.trim())?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::add_counselling(
        &mut tx,
        facility_id,
        person_id,
        &day,
        Some(actor.user_id),
        &sealed,
        app.now(),
    )
    .await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok("counselling.create", "person", person_id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CounsellingView {
    pub person_id: i64,
    pub name: String,
    pub day: String,
    pub counsellor: String,
    pub notes: String,
}

/// A facility's counselling sessions with their notes: counsellors only,
/// and every reading is audited.
pub async fn counselling(
    app: &App,
    actor: &Actor,
    facility_id: i64,
) -> Result<Vec<CounsellingView>> {
    app.require(actor, Action::CounsellingNotes).await?;
    scoped_facility(app, actor, facility_id, "counselling.read").await?;
    own_facility_only(app, actor, facility_id, "counselling.read").await?;
    let mut conn = app.store().read().await?;
    let rows = store::counselling(&mut conn, facility_id).await?;
    drop(conn);
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(CounsellingView {
            notes: app.keys().decrypt(&r.notes_cipher)?,
            person_id: r.person_id,
            name: r.name,
            day: r.day,
            counsellor: r.counsellor.unwrap_or_default(),
        });
    }
    app.audit(
        &Who::from(actor),
        Event::ok("counselling.read", "facility", facility_id.to_string()),
    )
    .await?;
    Ok(out)
}

// ---- piecework (assisted employment) ----

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct OrderInput {
    pub company: String,
    pub product: String,
    /// Yuan per piece, e.g. "0.15".
    pub unit_price: String,
    pub quantity: String,
    pub start_date: String,
    pub due_date: String,
}

/// Takes on a piecework order from a partner company.
pub async fn add_order(
    app: &App,
    actor: &Actor,
    facility_id: i64,
    input: &OrderInput,
) -> Result<i64> {
    app.require(actor, Action::ServiceRecord).await?;
    scoped_facility(app, actor, facility_id, "piecework.order").await?;
    let required = |key: &str, label: &str, s: &str| -> Result<String> {
        let s = s.trim();
        if s.is_empty() || s.chars().count() > 100 {
            return Err(AppError::invalid_field(key, label, "必填，100 字以内"));
        }
        Ok(s.to_owned())
    };
    let company = required("company", "委托企业", &input.company)?;
    let product = required("product", "产品", &input.product)?;
    let price = Fen::parse_yuan(&input.unit_price)
        .map_err(|m| AppError::invalid_field("unit_price", "单价（元）", m))?;
    if price.0 <= 0 {
        return Err(AppError::invalid_field(
            "unit_price",
            "单价（元）",
            "单价应大于 0",
        ));
    }
    let quantity = input
        .quantity
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|q| (1..=100_000_000).contains(q))
        .ok_or_else(|| AppError::invalid_field("quantity", "数量", "应为 1 到 1 亿之间的整数"))?;
    let start = date_field("开始日期", &input.start_date).map_err(|e| e.keyed("start_date"))?;
    let due = date_field("交货日期", &input.due_date).map_err(|e| e.keyed("due_date"))?;
    if due < start {
        return Err(AppError::invalid_field(
            "due_date",
            "交货日期",
            "不能早于开始日期",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::add_order(
        &mut tx,
        &NewOrder {
            facility_id,
            company: &company,
            product: &product,
            unit_price_fen: price.0,
            quantity,
            start_date: &start.to_string(),
            due_date: &due.to_string(),
        },
        app.now(),
    )
    .await?;
    let mut event = Event::ok("piecework.order", "facility", facility_id.to_string());
    event.detail = serde_json::json!({ "order": id });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(id)
}

/// Records a trainee's output of a day on an order (replacing that day's figure).
pub async fn record_output(
    app: &App,
    actor: &Actor,
    facility_id: i64,
    order_id: i64,
    person_id: i64,
    day: &str,
    quantity: i64,
) -> Result<()> {
    app.require(actor, Action::ServiceRecord).await?;
    scoped_facility(app, actor, facility_id, "piecework.output").await?;
    let day = record_day(app, "日期", day)
        .map_err(|e| e.keyed("day"))?
        .to_string();
    if !(0..=1_000_000).contains(&quantity) {
        return Err(AppError::invalid_field(
            "quantity",
            "数量",
            "应为 0 到 100 万之间的整数",
        ));
    }
    let mut conn = app.store().read().await?;
    let Some(order) = store::order(&mut conn, facility_id, order_id).await? else {
        drop(conn);
        app.audit_denied(actor, "piecework.output", "order", &order_id.to_string())
            .await?;
        return Err(AppError::NotFound);
    };
    if day < order.start_date {
        return Err(AppError::invalid_field(
            "day",
            "日期",
            "订单开始之前不能登记产量",
        ));
    }
    check_enrolled_on(
        app,
        actor,
        &mut conn,
        facility_id,
        &day,
        &[person_id],
        Service::ServiceRecord,
    )
    .await?;
    drop(conn);
    let (mut tx, _guard) = app.store().begin_audited().await?;
    store::record_output(
        &mut tx,
        order_id,
        person_id,
        &day,
        quantity,
        Some(actor.user_id),
        app.now(),
    )
    .await?;
    let mut event = Event::ok("piecework.output", "person", person_id.to_string());
    event.detail = serde_json::json!({ "order": order_id, "day": day, "quantity": quantity });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderView {
    pub id: i64,
    pub company: String,
    pub product: String,
    pub unit_price: String,
    pub quantity: i64,
    pub produced: i64,
    /// Made over ordered, e.g. "62.5%".
    pub progress: String,
    pub start_date: String,
    pub due_date: String,
    /// Past its due date and not finished.
    pub late: bool,
}

pub async fn orders(app: &App, actor: &Actor, facility_id: i64) -> Result<Vec<OrderView>> {
    app.require(actor, Action::FacilityRead).await?;
    scoped_facility(app, actor, facility_id, "piecework.read").await?;
    let today = app.today().to_string();
    let mut conn = app.store().read().await?;
    Ok(store::orders(&mut conn, facility_id)
        .await?
        .into_iter()
        .map(|o| OrderView {
            progress: kangyang_domain::money::per_mille(o.produced, o.quantity)
                .map(kangyang_domain::money::percent_string)
                .unwrap_or_default(),
            late: o.produced < o.quantity && o.due_date < today,
            id: o.id,
            company: o.company,
            product: o.product,
            unit_price: Fen(o.unit_price_fen).yuan_string(),
            quantity: o.quantity,
            produced: o.produced,
            start_date: o.start_date,
            due_date: o.due_date,
        })
        .collect())
}

/// One trainee's earnings of a month.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayoutLine {
    pub person_id: i64,
    pub name: String,
    /// (product, unit price, quantity, amount) per order.
    pub items: Vec<(String, String, i64, String)>,
    pub total_fen: i64,
    pub total: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Payout {
    pub facility_name: String,
    pub month: String,
    pub lines: Vec<PayoutLine>,
    pub total_fen: i64,
    pub total: String,
}

/// The monthly payout: each trainee's pieces × unit price, in fen.
pub async fn payout(app: &App, actor: &Actor, facility_id: i64, month: &str) -> Result<Payout> {
    app.require(actor, Action::ServiceRecord).await?;
    let facility = scoped_facility(app, actor, facility_id, "piecework.payout").await?;
    let (year, m) = parse_month(month)?;
    let (first, last) = month_bounds(year, m)?;
    let mut conn = app.store().read().await?;
    let rows = store::output_between(
        &mut conn,
        facility_id,
        &first.to_string(),
        &last.to_string(),
    )
    .await?;
    let overflow = || AppError::invalid_field("total", "金额", "金额超出可记录的范围");
    let mut lines: Vec<PayoutLine> = Vec::new();
    let mut total = Fen(0);
    for r in rows {
        let amount = piece_earnings(r.quantity, Fen(r.unit_price_fen)).ok_or_else(overflow)?;
        total = total.checked_add(amount).ok_or_else(overflow)?;
        if lines.last().is_none_or(|l| l.person_id != r.person_id) {
            lines.push(PayoutLine {
                person_id: r.person_id,
                name: r.name.clone(),
                items: Vec::new(),
                total_fen: 0,
                total: String::new(),
            });
        }
        if let Some(line) = lines.last_mut() {
            line.items.push((
                r.product,
                Fen(r.unit_price_fen).yuan_string(),
                r.quantity,
                amount.yuan_string(),
            ));
            line.total_fen = Fen(line.total_fen)
                .checked_add(amount)
                .ok_or_else(overflow)?
                .0;
            line.total = Fen(line.total_fen).yuan_string();
        }
    }
    Ok(Payout {
        facility_name: facility.name.clone(),
        month: format!("{year}-{m:02}"),
        lines,
        total_fen: total.0,
        total: total.yuan_string(),
    })
}

/// The payout sheet as xlsx, for signing and paying out.
pub async fn payout_xlsx(
    app: &App,
    actor: &Actor,
    facility_id: i64,
    month: &str,
) -> Result<Vec<u8>> {
    let payout = payout(app, actor, facility_id, month).await?;
    let bytes = payout_workbook(&payout).map_err(AppError::internal)?;
    let mut event = Event::ok(
        "piecework.payout_export",
        "facility",
        facility_id.to_string(),
    );
    event.detail = serde_json::json!({ "month": payout.month, "trainees": payout.lines.len() });
    app.audit(&Who::from(actor), event).await?;
    Ok(bytes)
}

fn payout_workbook(p: &Payout) -> Result<Vec<u8>, XlsxError> {
    let mut sheet = ReportSheet::new("计件工资发放表")?;
    let headers = [
        "序号",
        "姓名",
        "产品",
        "单价（元）",
        "数量（件）",
        "金额（元）",
        "领取人签名",
    ];
    sheet.title(
        &format!("{} {} 辅助就业计件工资发放表", p.facility_name, p.month),
        headers.len() as u16,
    )?;
    sheet.headers(1, &headers)?;
    sheet.widths(&[(1, 10.0), (2, 18.0), (6, 14.0)])?;
    let mut row = 2u32;
    for (n, line) in p.lines.iter().enumerate() {
        for (product, price, quantity, amount) in &line.items {
            sheet.number(row, 0, (n + 1) as f64)?;
            sheet.text(row, 1, &line.name)?;
            sheet.text(row, 2, product)?;
            sheet.text(row, 3, price)?;
            sheet.number(row, 4, *quantity as f64)?;
            sheet.text(row, 5, amount)?;
            sheet.text(row, 6, "")?;
            row += 1;
        }
    }
    sheet.label(row, 1, "合计")?;
    sheet.yuan(row, 5, p.total_fen)?;
    sheet.note(row + 2, 0, "经办人：　　　　　　复核：　　　　　　负责人：")?;
    sheet.finish()
}
