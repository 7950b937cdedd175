//! The holiday calendar (放假 and 调休上班 days) and the working days it
//! gives a centre. Anyone signed in reads it; a civil-affairs official of a
//! province or a city edits it, because the State Council's arrangement is
//! national and a county official should not move a whole city's working
//! days. Every edit is audited.

use crate::actor::Who;
use crate::audit::Event;
use crate::{Actor, App, AppError, Result};
use kangyang_domain::holidays::{is_working_day, CalendarDay, DayKind, OpeningDays};
use kangyang_domain::{Action, CivilDate, RegionLevel, Role};
use kangyang_store::holidays::{self as store, HolidayRow};
use serde::{Deserialize, Serialize};

/// One day of the calendar.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HolidayView {
    /// YYYY-MM-DD.
    pub day: String,
    /// holiday (放假) or workday (调休上班).
    pub kind: String,
    #[serde(default)]
    pub kind_label: String,
    /// The holiday it belongs to, e.g. 春节.
    pub name: String,
}

/// A year of the calendar and whether the reader may edit it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HolidayList {
    pub year: u16,
    pub can_edit: bool,
    pub days: Vec<HolidayView>,
}

/// What adding a day takes (the API's POST body, the page's form).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct HolidayInput {
    /// YYYY-MM-DD.
    pub day: String,
    /// holiday / 放假, or workday / 调休上班.
    pub kind: String,
    pub name: String,
}

/// Whether the actor may edit the calendar: an official of a province or city.
pub fn may_edit(actor: &Actor) -> bool {
    actor.role == Role::Official
        && actor.permissions.contains(&Action::FacilityManage)
        && matches!(
            actor.scope.region().level(),
            RegionLevel::Province | RegionLevel::City
        )
        && actor.scope.facility_id().is_none()
}

fn parse_day(s: &str) -> Result<CivilDate> {
    CivilDate::parse(s.trim())
        .map_err(|_| AppError::invalid_field("day", "日期", "应为日期，如 2026-10-01"))
}

fn calendar_days(rows: Vec<HolidayRow>) -> Vec<CalendarDay> {
    rows.into_iter()
        .filter_map(|r| {
            Some(CalendarDay {
                day: CivilDate::parse(&r.day).ok()?,
                kind: DayKind::parse(&r.kind)?,
                name: r.name,
            })
        })
        .collect()
}

/// The calendar's days between two dates, for the working-day rule.
pub(crate) async fn calendar_between(
    conn: &mut kangyang_store::Conn,
    from: CivilDate,
    to: CivilDate,
) -> Result<Vec<CalendarDay>> {
    Ok(calendar_days(
        store::between(conn, &from.to_string(), &to.to_string()).await?,
    ))
}

/// Whether `day` is a working day for a centre open on `opening`.
pub(crate) async fn working_day(
    conn: &mut kangyang_store::Conn,
    opening: OpeningDays,
    day: CivilDate,
) -> Result<bool> {
    let calendar = calendar_between(conn, day, day).await?;
    Ok(is_working_day(opening, day, &calendar))
}

/// A centre's working days of a month; empty for a month that does not exist.
pub(crate) async fn working_days_of_month(
    conn: &mut kangyang_store::Conn,
    opening: OpeningDays,
    year: u16,
    month: u8,
) -> Result<Vec<CivilDate>> {
    let (Ok(first), Some(last)) = (
        CivilDate::new(year, month, 1),
        kangyang_domain::date::days_in_month(year, month)
            .and_then(|d| CivilDate::new(year, month, d).ok()),
    ) else {
        return Ok(Vec::new());
    };
    let calendar = calendar_between(conn, first, last).await?;
    Ok(kangyang_domain::holidays::working_days_of_month(
        opening, year, month, &calendar,
    ))
}

/// A year's calendar.
pub async fn list(app: &App, actor: &Actor, year: Option<u16>) -> Result<HolidayList> {
    app.require(actor, Action::RegionRead).await?;
    let year = year.unwrap_or_else(|| app.today().year());
    let mut conn = app.store().read().await?;
    let rows = store::between(
        &mut conn,
        &format!("{year:04}-01-01"),
        &format!("{year:04}-12-31"),
    )
    .await?;
    Ok(HolidayList {
        year,
        can_edit: may_edit(actor),
        days: rows
            .into_iter()
            .map(|r| HolidayView {
                kind_label: DayKind::parse(&r.kind)
                    .map(DayKind::label)
                    .unwrap_or("")
                    .to_owned(),
                day: r.day,
                kind: r.kind,
                name: r.name,
            })
            .collect(),
    })
}

async fn refuse_unless_editor(app: &App, actor: &Actor, action: &str, day: &str) -> Result<()> {
    if may_edit(actor) {
        return Ok(());
    }
    app.audit_denied(actor, action, "holiday", day).await?;
    Err(AppError::Forbidden)
}

/// Sets a day as a holiday or a make-up working day (replacing what it was).
pub async fn set(app: &App, actor: &Actor, input: &HolidayInput) -> Result<()> {
    app.require(actor, Action::FacilityManage).await?;
    refuse_unless_editor(app, actor, "holiday.set", input.day.trim()).await?;
    let day = parse_day(&input.day)?;
    let kind = DayKind::parse(&input.kind)
        .ok_or_else(|| AppError::invalid_field("kind", "类型", "应为 放假 或 调休上班"))?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 20 {
        return Err(AppError::invalid_field(
            "name",
            "节日",
            "请填写节日名称（不超过 20 字），如 春节",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    store::put(
        &mut tx,
        &HolidayRow {
            day: day.to_string(),
            kind: kind.as_str().to_owned(),
            name: name.to_owned(),
        },
        Some(actor.user_id),
        app.now(),
    )
    .await?;
    let mut event = Event::ok("holiday.set", "holiday", day.to_string());
    event.detail = serde_json::json!({ "kind": kind.as_str(), "name": name });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a day from the calendar: it becomes an ordinary day again.
pub async fn remove(app: &App, actor: &Actor, day: &str) -> Result<()> {
    app.require(actor, Action::FacilityManage).await?;
    refuse_unless_editor(app, actor, "holiday.remove", day.trim()).await?;
    let day = parse_day(day)?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    if !store::remove(&mut tx, &day.to_string()).await? {
        return Err(AppError::NotFound);
    }
    let event = Event::ok("holiday.remove", "holiday", day.to_string());
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(())
}
