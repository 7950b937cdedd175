//! Social-work visits (探访): from the visit rules and the register, each
//! station's list of who is due and overdue; visit records with findings,
//! risk flags and referrals. A social worker is bound to a station and reaches
//! the people of the villages it serves; officials reach every station of
//! their region.

use crate::actor::Who;
use crate::audit::Event;
use crate::facilities::scoped_facility;
use crate::persons::scoped_person;
use crate::{civil, Actor, App, AppError, Result};
use kangyang_domain::facility::FacilityKind;
use kangyang_domain::person::{ChildCategory, EconomicStatus, LivingSituation, PersonStatus};
use kangyang_domain::visits::{
    applicable_rules, default_rules, visit_status, VisitRule, VisitStatus, VisitSubject,
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
    let mut conn = app.store().pool().acquire().await?;
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
        (None, None) => return Err(AppError::invalid("社工站", "请选择社工站")),
    };
    let row = scoped_facility(app, actor, id, "visit.read").await?;
    if row.kind != FacilityKind::SocialWorkStation.as_str() {
        return Err(AppError::invalid("社工站", "此机构不是社工站"));
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

/// Who of a station's people is due or overdue for a visit today.
pub async fn due_list(app: &App, actor: &Actor, station: Option<i64>) -> Result<DueList> {
    app.require(actor, Action::PersonRead).await?;
    let station_id = station_of(app, actor, station).await?;
    let mut conn = app.store().pool().acquire().await?;
    let rules = rules(&mut conn).await?;
    let today = app.today();
    let elderly_born_by = civil::years_before(today, 60).to_string();
    let people = store::visitees(&mut conn, station_id, &elderly_born_by).await?;
    let station_name = kangyang_store::facilities::name_of(&mut conn, station_id)
        .await?
        .unwrap_or_default();
    drop(conn);
    let mut lines = Vec::new();
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
        let worst = applicable_rules(&rules, &subject)
            .into_iter()
            .map(|rule| {
                let last = if rule.phone_counts {
                    &p.last_any
                } else {
                    &p.last_in_person
                };
                let last = last.as_deref().and_then(|d| CivilDate::parse(d).ok());
                (visit_status(rule, last, today, SOON_DAYS), rule)
            })
            .min_by_key(|(status, _)| urgency(*status));
        let Some((status, rule)) = worst else {
            continue;
        };
        if status == VisitStatus::NotYetDue {
            continue;
        }
        lines.push(DueLine {
            person_id: p.id,
            name: p.name,
            village: p.village_name,
            rule: rule.name.clone(),
            status: status.as_str(),
            status_label: status.label(),
            overdue_days: match status {
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
    scoped_person(app, actor, person_id, "visit.create").await?;
    let day = CivilDate::parse(input.day.trim())
        .map_err(|_| AppError::invalid("探访日期", "日期应为 YYYY-MM-DD"))?;
    if day > app.today() {
        return Err(AppError::invalid("探访日期", "不能登记今天以后的探访"));
    }
    if !matches!(input.mode.as_str(), "in_person" | "phone") {
        return Err(AppError::invalid("方式", "应为入户探访或电话探访"));
    }
    let known = |codes: &[String], list: &[(&str, &str)], field: &str| -> Result<String> {
        if let Some(bad) = codes.iter().find(|c| !list.iter().any(|(k, _)| k == c)) {
            return Err(AppError::invalid(field, format!("未知的选项 {bad}")));
        }
        serde_json::to_string(codes).map_err(AppError::internal)
    };
    let findings = known(&input.findings, &FINDINGS, "探访发现")?;
    let risks = known(&input.risk_flags, &RISKS, "风险提示")?;
    if input.notes.chars().count() > 2000 || input.referral.chars().count() > 200 {
        return Err(AppError::invalid(
            "记录",
            "记录不超过 2000 字，转介不超过 200 字",
        ));
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
    let mut conn = app.store().pool().acquire().await?;
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
