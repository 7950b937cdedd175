//! The work of a social-work station (社工站) besides visits: its activities,
//! its social workers' training, and its head (站长), to whom overdue visits
//! are raised (see [`crate::visits::raised`]).
//!
//! Activities and training are written by the station's own social workers,
//! whose write permission is `PersonWrite` (a station enrols nobody, so they
//! hold no `ServiceRecord`), and by officials of the region. The head is
//! designated by an official (`FacilityManage`).

use crate::actor::Who;
use crate::audit::Event;
use crate::facility::scoped_facility;
use crate::{Actor, App, AppError, Result};
use kangyang_domain::assessment::STATION_STANDARD;
use kangyang_domain::facility::FacilityKind;
use kangyang_domain::station::{activity_label, hours_string, parse_hours, ACTIVITY_KINDS};
use kangyang_domain::{Action, CivilDate};
use kangyang_store::facility::FacilityRow;
use kangyang_store::station::{self as store, NewActivity, NewTraining};
use serde::{Deserialize, Serialize};

/// The station `id` of one's scope; a facility of another kind is refused
/// with a field error (after the scope check, so it tells nothing outside it).
async fn scoped_station(app: &App, actor: &Actor, id: i64, action: &str) -> Result<FacilityRow> {
    let row = scoped_facility(app, actor, id, action).await?;
    if row.kind != FacilityKind::SocialWorkStation.as_str() {
        return Err(AppError::invalid_field(
            "facility",
            "社工站",
            "此机构不是社工站",
        ));
    }
    Ok(row)
}

/// Whether the actor is the designated head of the station they are bound to.
pub(crate) async fn is_head_of_own_station(app: &App, actor: &Actor) -> Result<Option<i64>> {
    let Some(station) = actor.scope.facility_id() else {
        return Ok(None);
    };
    let mut conn = app.store().read().await?;
    let head = store::head(&mut conn, station).await?;
    Ok((head == Some(actor.user_id)).then_some(station))
}

/// Shared by several date fields: callers name the field by key (`keyed`).
fn day_field(field: &str, s: &str, today: CivilDate) -> Result<CivilDate> {
    let day =
        CivilDate::parse(s.trim()).map_err(|_| AppError::unkeyed(field, "日期应为 YYYY-MM-DD"))?;
    if day > today {
        return Err(AppError::unkeyed(field, "不能登记今天以后的日期"));
    }
    Ok(day)
}

/// Shared by several text fields: callers name the field by key (`keyed`).
fn text_field(field: &str, s: &str, required: bool, max: usize) -> Result<String> {
    let s = s.trim();
    if required && s.is_empty() {
        return Err(AppError::unkeyed(field, "不能为空"));
    }
    if s.chars().count() > max {
        return Err(AppError::unkeyed(field, format!("不超过 {max} 字")));
    }
    Ok(s.to_owned())
}

// ---- activities ----

/// A station activity as recorded.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ActivityInput {
    pub day: String,
    /// group_activity, community_event, resident_training or policy_publicity
    pub kind: String,
    pub title: String,
    /// How many residents took part.
    pub participants: u32,
    pub notes: String,
}

/// Most participants one activity may count: a large community event.
const MAX_PARTICIPANTS: u32 = 100_000;

pub async fn add_activity(
    app: &App,
    actor: &Actor,
    station_id: i64,
    input: &ActivityInput,
) -> Result<i64> {
    app.require(actor, Action::PersonWrite).await?;
    scoped_station(app, actor, station_id, "station.activity").await?;
    let day = day_field("日期", &input.day, app.today()).map_err(|e| e.keyed("day"))?;
    if activity_label(input.kind.trim()).is_none() {
        return Err(AppError::invalid_field(
            "kind",
            "类别",
            format!(
                "应为以下之一：{}",
                ACTIVITY_KINDS
                    .iter()
                    .map(|(_, l)| *l)
                    .collect::<Vec<_>>()
                    .join("、")
            ),
        ));
    }
    let title = text_field("活动名称", &input.title, true, 100).map_err(|e| e.keyed("title"))?;
    if input.participants > MAX_PARTICIPANTS {
        return Err(AppError::invalid_field(
            "participants",
            "参与人数",
            format!("应为 0 至 {MAX_PARTICIPANTS} 人"),
        ));
    }
    let notes = text_field("备注", &input.notes, false, 500).map_err(|e| e.keyed("notes"))?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::add_activity(
        &mut tx,
        &NewActivity {
            station_id,
            day: &day.to_string(),
            kind: input.kind.trim(),
            title: &title,
            participants: i64::from(input.participants),
            notes: &notes,
            by: Some(actor.user_id),
        },
        app.now(),
    )
    .await?;
    let mut event = Event::ok("station.activity", "facility", station_id.to_string());
    event.detail = serde_json::json!({ "activity": id, "kind": input.kind.trim() });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActivityView {
    pub id: i64,
    pub day: String,
    pub kind: String,
    pub kind_label: &'static str,
    pub title: String,
    pub participants: i64,
    pub notes: String,
    pub recorded_by: String,
}

/// A facility's activities, newest first (none for a facility that is not a station).
pub async fn activities(app: &App, actor: &Actor, station_id: i64) -> Result<Vec<ActivityView>> {
    app.require(actor, Action::FacilityRead).await?;
    scoped_facility(app, actor, station_id, "station.read").await?;
    let mut conn = app.store().read().await?;
    Ok(store::activities(&mut conn, station_id)
        .await?
        .into_iter()
        .map(|a| ActivityView {
            kind_label: activity_label(&a.kind).unwrap_or(""),
            id: a.id,
            day: a.day,
            kind: a.kind,
            title: a.title,
            participants: a.participants,
            notes: a.notes,
            recorded_by: a.recorded_by.unwrap_or_default(),
        })
        .collect())
}

// ---- training ----

/// A social worker's training as recorded.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TrainingInput {
    /// The social worker (a user bound to the station); one's own account when left out.
    pub worker_id: Option<i64>,
    pub course: String,
    pub day: String,
    /// Hours, e.g. "3" or "1.5".
    pub hours: String,
    pub organiser: String,
}

/// Records a social worker's training. A worker records their own; the head
/// and officials record anyone's of the station.
pub async fn add_training(
    app: &App,
    actor: &Actor,
    station_id: i64,
    input: &TrainingInput,
) -> Result<i64> {
    app.require(actor, Action::PersonWrite).await?;
    scoped_station(app, actor, station_id, "station.training").await?;
    let own_station = actor.scope.facility_id() == Some(station_id);
    let worker_id = match input.worker_id {
        Some(id) => id,
        None if own_station => actor.user_id,
        None => {
            return Err(AppError::invalid_field(
                "worker_id",
                "社工",
                "请选择参训社工",
            ))
        }
    };
    let mut conn = app.store().read().await?;
    let bound = store::workers(&mut conn, station_id)
        .await?
        .iter()
        .any(|w| w.id == worker_id);
    let head = store::head(&mut conn, station_id).await?;
    drop(conn);
    if !bound {
        return Err(AppError::invalid_field(
            "worker_id",
            "社工",
            "该账号不是本站的社工",
        ));
    }
    if own_station && worker_id != actor.user_id && head != Some(actor.user_id) {
        return Err(AppError::invalid_field(
            "worker_id",
            "社工",
            "只能登记本人的培训，其他社工的培训由站长登记",
        ));
    }
    let course = text_field("课程", &input.course, true, 100).map_err(|e| e.keyed("course"))?;
    let day = day_field("日期", &input.day, app.today()).map_err(|e| e.keyed("day"))?;
    let hours =
        parse_hours(&input.hours).map_err(|m| AppError::invalid_field("hours", "学时", m))?;
    let organiser =
        text_field("主办单位", &input.organiser, false, 100).map_err(|e| e.keyed("organiser"))?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::add_training(
        &mut tx,
        &NewTraining {
            station_id,
            worker_id,
            course: &course,
            day: &day.to_string(),
            hours_tenths: i64::from(hours),
            organiser: &organiser,
            by: Some(actor.user_id),
        },
        app.now(),
    )
    .await?;
    let mut event = Event::ok("station.training", "facility", station_id.to_string());
    event.detail = serde_json::json!({ "training": id, "worker": worker_id });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrainingView {
    pub id: i64,
    pub worker_id: i64,
    pub worker: String,
    pub course: String,
    pub day: String,
    /// e.g. "1.5"
    pub hours: String,
    pub hours_tenths: i64,
    pub organiser: String,
}

/// A facility's training records, newest first.
pub async fn trainings(app: &App, actor: &Actor, station_id: i64) -> Result<Vec<TrainingView>> {
    app.require(actor, Action::FacilityRead).await?;
    scoped_facility(app, actor, station_id, "station.read").await?;
    let mut conn = app.store().read().await?;
    Ok(store::trainings(&mut conn, station_id)
        .await?
        .into_iter()
        .map(|t| TrainingView {
            id: t.id,
            worker_id: t.worker_id,
            worker: t.worker,
            course: t.course,
            day: t.day,
            hours: hours_string(t.hours_tenths),
            hours_tenths: t.hours_tenths,
            organiser: t.organiser,
        })
        .collect())
}

// ---- the head ----

/// Who heads a station.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct HeadInput {
    /// A user bound to the station.
    pub user_id: i64,
}

/// Designates the station head (站长): one of the station's own accounts.
pub async fn set_head(app: &App, actor: &Actor, station_id: i64, input: &HeadInput) -> Result<()> {
    app.require(actor, Action::FacilityManage).await?;
    scoped_station(app, actor, station_id, "station.head").await?;
    let mut conn = app.store().read().await?;
    let worker = store::workers(&mut conn, station_id)
        .await?
        .into_iter()
        .find(|w| w.id == input.user_id);
    drop(conn);
    match worker {
        None => {
            return Err(AppError::invalid_field(
                "user_id",
                "站长",
                "请选择本站的一个账号（站长须是绑定到本站的社工）",
            ))
        }
        Some(w) if w.disabled => {
            return Err(AppError::invalid_field("user_id", "站长", "该账号已停用"))
        }
        Some(_) => {}
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    store::set_head(
        &mut tx,
        station_id,
        input.user_id,
        Some(actor.user_id),
        app.now(),
    )
    .await?;
    let mut event = Event::ok("station.head", "facility", station_id.to_string());
    event.detail = serde_json::json!({ "head": input.user_id });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(())
}

/// A station's social worker, with their training hours.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkerView {
    pub id: i64,
    pub display_name: String,
    pub is_head: bool,
    pub disabled: bool,
    /// Hours of training on record, e.g. "12.5".
    pub training_hours: String,
}

/// Everything a station's page shows of its work besides visits.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StationWork {
    pub head: Option<String>,
    pub workers: Vec<WorkerView>,
    pub activities: Vec<ActivityView>,
    pub trainings: Vec<TrainingView>,
    /// The standardisation assessments, newest first.
    pub ratings: Vec<crate::assessment::RatingView>,
}

/// A station's work; `None` for a facility that is not a station.
pub async fn work(app: &App, actor: &Actor, station_id: i64) -> Result<Option<StationWork>> {
    app.require(actor, Action::FacilityRead).await?;
    let row = scoped_facility(app, actor, station_id, "station.read").await?;
    if row.kind != FacilityKind::SocialWorkStation.as_str() {
        return Ok(None);
    }
    let activities = activities(app, actor, station_id).await?;
    let trainings = trainings(app, actor, station_id).await?;
    let ratings =
        crate::assessment::facility_history(app, actor, station_id, STATION_STANDARD).await?;
    let mut conn = app.store().read().await?;
    let head_id = store::head(&mut conn, station_id).await?;
    let workers: Vec<WorkerView> = store::workers(&mut conn, station_id)
        .await?
        .into_iter()
        .map(|w| WorkerView {
            is_head: head_id == Some(w.id),
            training_hours: hours_string(
                trainings
                    .iter()
                    .filter(|t| t.worker_id == w.id)
                    .map(|t| t.hours_tenths)
                    .sum(),
            ),
            id: w.id,
            display_name: w.display_name,
            disabled: w.disabled,
        })
        .collect();
    Ok(Some(StationWork {
        head: workers
            .iter()
            .find(|w| w.is_head)
            .map(|w| w.display_name.clone()),
        workers,
        activities,
        trainings,
        ratings,
    }))
}
