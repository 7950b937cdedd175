//! Social-work visits (探访): from the visit rules and the register, each
//! station's list of who is due and overdue; visit records with findings,
//! risk flags and referrals. A social worker is bound to a station and reaches
//! the people of the villages it serves; officials reach every station of
//! their region.

use crate::actor::Who;
use crate::audit::Event;
use crate::facility::scoped_facility;
use crate::register::scoped_person;
use crate::{civil, Actor, App, AppError, Result};
use kangyang_domain::facility::FacilityKind;
use kangyang_domain::register::{ChildCategory, EconomicStatus, LivingSituation, PersonStatus};
use kangyang_domain::visits::{
    applicable_rules, default_rules, next_due, raised_to_head, visit_status, VisitRule,
    VisitStatus, VisitSubject, RAISE_TO_HEAD_AFTER_DAYS,
};
use kangyang_domain::{Action, CivilDate};
use kangyang_store::visits::{self as store, NewVisit};
use serde::{Deserialize, Serialize};

/// A visit is "due" this many days before its date: short enough that a
/// weekly contact made today is not due again at once.
pub const SOON_DAYS: u32 = 3;

/// What a visitor may find (探访发现), as codes with labels.
pub const FINDINGS: [(&str, &str); 8] = [
    ("well", "身体和生活状况良好"),
    ("health_decline", "健康状况下降"),
    ("no_carer", "无人照料"),
    ("housing_unsafe", "居住环境存在安全隐患"),
    ("financial_hardship", "经济困难"),
    ("lonely", "孤独、情绪低落"),
    ("school_problem", "就学困难（儿童）"),
    ("guardian_absent", "监护缺失（儿童）"),
];

/// Risks that need action (风险提示).
pub const RISKS: [(&str, &str); 5] = [
    ("fall", "跌倒风险"),
    ("self_harm", "自伤风险"),
    ("neglect", "疏于照料"),
    ("abuse", "疑似受虐"),
    ("emergency", "需紧急处置"),
];

/// Stores the default rules on a new database.
pub(crate) async fn seed_rules(app: &App) -> Result<()> {
    let rules = default_rules()
        .into_iter()
        .map(|r| {
            Ok((
                r.code.clone(),
                serde_json::to_string(&r).map_err(AppError::internal)?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut conn = app.store().read().await?;
    store::seed_rules(&mut conn, &rules, app.now()).await?;
    Ok(())
}

async fn rules(conn: &mut kangyang_store::Conn) -> Result<Vec<VisitRule>> {
    store::rules(conn)
        .await?
        .iter()
        .map(|b| serde_json::from_str(b).map_err(AppError::internal))
        .collect()
}

/// The station a visit list or record belongs to: the actor's own station,
/// or (for officials) the one they name.
async fn station_of(app: &App, actor: &Actor, station: Option<i64>) -> Result<i64> {
    let id = match (actor.scope.facility_id(), station) {
        (Some(own), _) => own,
        (None, Some(id)) => id,
        (None, None) => return Err(AppError::invalid_field("station", "社工站", "请选择社工站")),
    };
    let row = scoped_facility(app, actor, id, "visit.read").await?;
    if row.kind != FacilityKind::SocialWorkStation.as_str() {
        return Err(AppError::invalid_field(
            "station",
            "社工站",
            "此机构不是社工站",
        ));
    }
    Ok(id)
}

/// One person on a station's visit list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DueLine {
    pub person_id: i64,
    pub name: String,
    pub village: String,
    /// The rule that makes this person most urgent.
    pub rule: String,
    /// due, overdue, never, not_yet_due
    pub status: &'static str,
    pub status_label: String,
    pub overdue_days: u32,
    pub last_visit: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DueList {
    pub station_id: i64,
    pub station_name: String,
    pub today: String,
    pub overdue: usize,
    pub due: usize,
    pub never: usize,
    /// Most urgent first: overdue (longest first), never visited, due.
    /// People not yet due are left out.
    pub lines: Vec<DueLine>,
}

fn urgency(s: VisitStatus) -> (u8, u32) {
    match s {
        VisitStatus::Overdue { days } => (0, u32::MAX - days),
        VisitStatus::Never => (1, 0),
        VisitStatus::Due => (2, 0),
        VisitStatus::NotYetDue => (3, 0),
    }
}

/// A person of a station's villages with their most urgent visit status.
struct Assessed<'r> {
    person: store::Visitee,
    status: VisitStatus,
    rule: &'r VisitRule,
    /// The day the visit the status is about fell (or falls) due.
    due_on: Option<CivilDate>,
}

/// Each person's most urgent status under the rules that apply to them.
/// People no rule applies to are left out.
fn assess<'r>(
    rules: &'r [VisitRule],
    people: Vec<store::Visitee>,
    today: CivilDate,
) -> Result<Vec<Assessed<'r>>> {
    let mut out = Vec::new();
    for p in people {
        let birth = CivilDate::parse(&p.birth_date).map_err(AppError::internal)?;
        let subject = VisitSubject {
            age: birth.full_years_until(today),
            living_situation: p
                .living_situation
                .as_deref()
                .and_then(LivingSituation::parse),
            economic_status: p.economic_status.as_deref().and_then(EconomicStatus::parse),
            child_category: p.child_category.as_deref().and_then(ChildCategory::parse),
            alive_and_present: PersonStatus::parse(&p.status) == Some(PersonStatus::Alive),
        };
        let worst = applicable_rules(rules, &subject)
            .into_iter()
            .map(|rule| {
                let last = if rule.phone_counts {
                    &p.last_any
                } else {
                    &p.last_in_person
                };
                let last = last.as_deref().and_then(|d| CivilDate::parse(d).ok());
                (
                    visit_status(rule, last, today, SOON_DAYS),
                    rule,
                    last.and_then(|l| next_due(rule, l)),
                )
            })
            .min_by_key(|(status, _, _)| urgency(*status));
        if let Some((status, rule, due_on)) = worst {
            out.push(Assessed {
                person: p,
                status,
                rule,
                due_on,
            });
        }
    }
    Ok(out)
}

/// The rules, a station's people and its name.
async fn station_people(
    app: &App,
    station_id: i64,
) -> Result<(Vec<VisitRule>, Vec<store::Visitee>, String)> {
    let mut conn = app.store().read().await?;
    let rules = rules(&mut conn).await?;
    let elderly_born_by = civil::years_before(app.today(), 60).to_string();
    let people = store::visitees(&mut conn, station_id, &elderly_born_by).await?;
    let station_name = kangyang_store::facility::name_of(&mut conn, station_id)
        .await?
        .unwrap_or_default();
    Ok((rules, people, station_name))
}

/// Who of a station's people is due or overdue for a visit today.
pub async fn due_list(app: &App, actor: &Actor, station: Option<i64>) -> Result<DueList> {
    app.require(actor, Action::PersonRead).await?;
    let station_id = station_of(app, actor, station).await?;
    let (rules, people, station_name) = station_people(app, station_id).await?;
    let today = app.today();
    let mut lines = Vec::new();
    for a in assess(&rules, people, today)? {
        if a.status == VisitStatus::NotYetDue {
            continue;
        }
        let p = a.person;
        lines.push(DueLine {
            person_id: p.id,
            name: p.name,
            village: p.village_name,
            rule: a.rule.name.clone(),
            status: a.status.as_str(),
            status_label: a.status.label(),
            overdue_days: match a.status {
                VisitStatus::Overdue { days } => days,
                _ => 0,
            },
            last_visit: p.last_any,
        });
    }
    lines.sort_by_key(|l| {
        (
            match l.status {
                "overdue" => 0,
                "never" => 1,
                _ => 2,
            },
            u32::MAX - l.overdue_days,
        )
    });
    Ok(DueList {
        station_id,
        station_name,
        today: today.to_string(),
        overdue: lines.iter().filter(|l| l.status == "overdue").count(),
        due: lines.iter().filter(|l| l.status == "due").count(),
        never: lines.iter().filter(|l| l.status == "never").count(),
        lines,
    })
}

// ---- overdue visits raised to the station head (上报站长) ----

/// One person whose visit is overdue past the grace week.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RaisedLine {
    pub person_id: i64,
    pub name: String,
    pub village: String,
    pub rule: String,
    pub overdue_days: u32,
    /// The day the missed visit fell due: with the person, what an
    /// acknowledgement is about.
    pub due_on: String,
    pub last_visit: Option<String>,
    /// Who made the last visit, if it was recorded by a user.
    pub last_visited_by: String,
    /// Who acknowledged this overdue spell, when and with what note.
    pub acknowledged_by: Option<String>,
    pub acknowledged_on: Option<String>,
    pub acknowledgement_note: String,
}

/// The visits raised to a station's head: every worker's overdue visitees of
/// the station, overdue by more than the grace period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RaisedList {
    pub station_id: i64,
    pub station_name: String,
    /// Days overdue after which a visit is raised.
    pub grace_days: u32,
    pub pending: usize,
    /// Whether the reader is the head, who acknowledges.
    pub can_acknowledge: bool,
    /// Most overdue first; acknowledged ones after the pending ones.
    pub lines: Vec<RaisedLine>,
}

async fn raised_lines(app: &App, station_id: i64, head: bool) -> Result<RaisedList> {
    let (rules, people, station_name) = station_people(app, station_id).await?;
    let mut conn = app.store().read().await?;
    let acks = kangyang_store::station::acks(&mut conn, station_id).await?;
    drop(conn);
    let today = app.today();
    let mut lines = Vec::new();
    for a in assess(&rules, people, today)? {
        let (VisitStatus::Overdue { days }, Some(due_on)) = (a.status, a.due_on) else {
            continue;
        };
        if !raised_to_head(a.status) {
            continue;
        }
        let p = a.person;
        let due_on = due_on.to_string();
        let ack = acks
            .iter()
            .find(|k| k.person_id == p.id && k.due_on == due_on);
        lines.push(RaisedLine {
            person_id: p.id,
            name: p.name,
            village: p.village_name,
            rule: a.rule.name.clone(),
            overdue_days: days,
            due_on,
            last_visit: p.last_any,
            last_visited_by: p.last_worker.unwrap_or_default(),
            acknowledged_by: ack.map(|k| k.acknowledged_by.clone()),
            acknowledged_on: ack.map(|k| civil::date_of(k.acknowledged_at).to_string()),
            acknowledgement_note: ack.map(|k| k.note.clone()).unwrap_or_default(),
        });
    }
    lines.sort_by_key(|l| (l.acknowledged_by.is_some(), u32::MAX - l.overdue_days));
    Ok(RaisedList {
        station_id,
        station_name,
        grace_days: RAISE_TO_HEAD_AFTER_DAYS,
        pending: lines.iter().filter(|l| l.acknowledged_by.is_none()).count(),
        can_acknowledge: head,
        lines,
    })
}

/// The visits raised to the head, for those who may see them: the station's
/// head, and officials of the region (naming the station). `None` for a
/// social worker who is not the head — their page simply has no such section.
pub async fn raised_for(
    app: &App,
    actor: &Actor,
    station: Option<i64>,
) -> Result<Option<RaisedList>> {
    app.require(actor, Action::PersonRead).await?;
    let station_id = station_of(app, actor, station).await?;
    let head = crate::station::is_head_of_own_station(app, actor)
        .await?
        .is_some();
    if actor.scope.facility_id().is_some() && !head {
        return Ok(None);
    }
    Ok(Some(raised_lines(app, station_id, head).await?))
}

/// The same through the API: a social worker who is not the head is refused.
pub async fn raised(app: &App, actor: &Actor, station: Option<i64>) -> Result<RaisedList> {
    match raised_for(app, actor, station).await? {
        Some(list) => Ok(list),
        None => {
            app.audit_denied(actor, "visit.raised", "facility", "")
                .await?;
            Err(AppError::Forbidden)
        }
    }
}

/// The head's acknowledgement of one raised visit.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AcknowledgeInput {
    pub person_id: i64,
    /// The raised line's `due_on`.
    pub due_on: String,
    /// What the head will do, e.g. "已安排本周内上门".
    pub note: String,
}

/// The station head acknowledges a visit raised to them; recorded and audited.
pub async fn acknowledge(app: &App, actor: &Actor, input: &AcknowledgeInput) -> Result<()> {
    app.require(actor, Action::PersonWrite).await?;
    let Some(station_id) = crate::station::is_head_of_own_station(app, actor).await? else {
        app.audit_denied(actor, "visit.raise_ack", "facility", "")
            .await?;
        return Err(AppError::Forbidden);
    };
    if input.person_id == 0 {
        return Err(AppError::invalid_field(
            "person_id",
            "探访对象",
            "请选择上报的探访对象",
        ));
    }
    scoped_person(app, actor, input.person_id, "visit.raise_ack").await?;
    if input.note.chars().count() > 200 {
        return Err(AppError::invalid_field(
            "note",
            "处理意见",
            "处理意见不超过 200 字",
        ));
    }
    let list = raised_lines(app, station_id, true).await?;
    let due_on = input.due_on.trim();
    if !list
        .lines
        .iter()
        .any(|l| l.person_id == input.person_id && l.due_on == due_on)
    {
        return Err(AppError::invalid_field(
            "due_on",
            "到期日",
            "此人目前没有上报站长的逾期探访，或到期日与上报的不符",
        ));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let stored = kangyang_store::station::acknowledge(
        &mut tx,
        station_id,
        input.person_id,
        due_on,
        actor.user_id,
        input.note.trim(),
        app.now(),
    )
    .await?;
    if !stored {
        return Err(AppError::Conflict("此逾期探访已确认过".into()));
    }
    let mut event = Event::ok("visit.raise_ack", "person", input.person_id.to_string());
    event.detail = serde_json::json!({ "station": station_id, "due_on": due_on });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(())
}

/// A visit as the visitor records it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct VisitInput {
    pub day: String,
    /// in_person or phone
    pub mode: String,
    pub findings: Vec<String>,
    pub risk_flags: Vec<String>,
    /// Where the person was referred (a service or an office), if anywhere.
    pub referral: String,
    pub notes: String,
}

/// Records a visit to a person of one's scope.
pub async fn record(app: &App, actor: &Actor, person_id: i64, input: &VisitInput) -> Result<i64> {
    app.require(actor, Action::PersonWrite).await?;
    let person = scoped_person(app, actor, person_id, "visit.create").await?;
    let day = CivilDate::parse(input.day.trim())
        .map_err(|_| AppError::invalid_field("day", "探访日期", "日期应为 YYYY-MM-DD"))?;
    if day > app.today() {
        return Err(AppError::invalid_field(
            "day",
            "探访日期",
            "不能登记今天以后的探访",
        ));
    }
    kangyang_domain::life::service_allowed_stored(
        &person.status,
        person.status_date.as_deref(),
        day,
        kangyang_domain::life::Service::Visit,
    )
    .map_err(|refused| AppError::invalid_field("day", "探访日期", refused.to_string()))?;
    if !matches!(input.mode.as_str(), "in_person" | "phone") {
        return Err(AppError::invalid_field(
            "mode",
            "方式",
            "应为入户探访或电话探访",
        ));
    }
    let known =
        |codes: &[String], list: &[(&str, &str)], key: &str, label: &str| -> Result<String> {
            if let Some(bad) = codes.iter().find(|c| !list.iter().any(|(k, _)| k == c)) {
                return Err(AppError::invalid_field(
                    key,
                    label,
                    format!("未知的选项 {bad}"),
                ));
            }
            serde_json::to_string(codes).map_err(AppError::internal)
        };
    let findings = known(&input.findings, &FINDINGS, "findings", "探访发现")?;
    let risks = known(&input.risk_flags, &RISKS, "risk_flags", "风险提示")?;
    let limits = "记录不超过 2000 字，转介不超过 200 字";
    if input.notes.chars().count() > 2000 {
        return Err(AppError::invalid_field("notes", "记录", limits));
    }
    if input.referral.chars().count() > 200 {
        return Err(AppError::invalid_field("referral", "转介", limits));
    }
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::add(
        &mut tx,
        &NewVisit {
            person_id,
            station_id: actor.scope.facility_id(),
            worker_id: Some(actor.user_id),
            day: &day.to_string(),
            mode: &input.mode,
            findings: &findings,
            risk_flags: &risks,
            referral: input.referral.trim(),
            notes: input.notes.trim(),
        },
        app.now(),
    )
    .await?;
    let mut event = Event::ok("visit.create", "person", person_id.to_string());
    event.detail =
        serde_json::json!({ "visit": id, "mode": input.mode, "risks": input.risk_flags.len() });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VisitView {
    pub day: String,
    pub mode_label: &'static str,
    pub findings: Vec<&'static str>,
    pub risks: Vec<&'static str>,
    pub referral: String,
    pub notes: String,
    pub worker: String,
}

fn labels(json: &str, list: &[(&'static str, &'static str)]) -> Vec<&'static str> {
    serde_json::from_str::<Vec<String>>(json)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| list.iter().find(|(k, _)| k == c).map(|(_, l)| *l))
        .collect()
}

/// A person's visits, newest first.
pub async fn of_person(app: &App, actor: &Actor, person_id: i64) -> Result<Vec<VisitView>> {
    app.require(actor, Action::PersonRead).await?;
    scoped_person(app, actor, person_id, "visit.read").await?;
    let mut conn = app.store().read().await?;
    Ok(store::of_person(&mut conn, person_id)
        .await?
        .into_iter()
        .map(|v| VisitView {
            mode_label: if v.mode == "phone" {
                "电话探访"
            } else {
                "入户探访"
            },
            findings: labels(&v.findings, &FINDINGS),
            risks: labels(&v.risk_flags, &RISKS),
            day: v.day,
            referral: v.referral,
            notes: v.notes,
            worker: v.worker.unwrap_or_default(),
        })
        .collect())
}
