//! Children in care: each child's file (guardianship, schooling, health,
//! allowances, activities), who is assigned to the child, and break-glass.
//!
//! The rule (domain `child_care`): a file is open to the staff assigned to
//! the child. Anyone else whose scope covers the child must give a reason;
//! that opens the file read-only for a short while, is audited, and waits
//! in the auditor's list until reviewed. Outside one's scope a child does not
//! exist (404), as for every person.

use crate::actor::{Actor, Who};
use crate::audit::Event;
use crate::facility::scoped_facility;
use crate::kangyuan::record_day;
use crate::register::scoped_person;
use crate::{civil, App, AppError, Result};
use kangyang_domain::children::{
    self, activity_code, activity_label, FileAccess, Guardianship, Schooling, BREAK_GLASS_MINUTES,
    MAX_MONTHLY_ALLOWANCE,
};
use kangyang_domain::facility::FacilityKind;
use kangyang_domain::money::Fen;
use kangyang_domain::Action;
use kangyang_store::children as store;
use kangyang_store::kangyuan as enrolments;
use kangyang_store::users;
use serde::{Deserialize, Serialize};

/// The sealed part of a file: free text about the child.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ChildDetails {
    /// The guardian and how to reach them, or the department's note.
    pub guardian: String,
    /// School and grade.
    pub school: String,
    /// Health: conditions, medication, allergies, last check-up.
    pub health: String,
    /// What the allowance is (e.g. 孤儿基本生活费) and anything else paid.
    pub allowance_note: String,
}

impl ChildDetails {
    /// The details as the file stores them: JSON, encrypted (the one
    /// mapping, for files written here and the demo's).
    pub fn seal(&self, keys: &crate::crypto::Keys) -> Result<Vec<u8>> {
        keys.encrypt(&serde_json::to_string(self).map_err(AppError::internal)?)
    }
}

/// A file as a form or the API gives it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ChildFileInput {
    /// state_long_term, state_temporary, family or entrusted.
    pub guardianship: String,
    /// not_yet, kindergarten, primary, junior_secondary, senior_secondary,
    /// vocational, special_education, home_teaching or not_in_school.
    pub schooling: String,
    /// Monthly allowance in yuan, e.g. "2338.00".
    pub allowance: String,
    #[serde(flatten)]
    pub details: ChildDetails,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ActivityInput {
    pub day: String,
    /// study, rehab, health_check, outing, festival, family_visit, counselling, other.
    pub kind: String,
    pub notes: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActivityView {
    pub day: String,
    pub kind: String,
    pub kind_label: String,
    pub notes: String,
    pub recorded_by: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CarerView {
    pub username: String,
    pub display_name: String,
}

/// What one may see of a child's file.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChildFileView {
    pub person_id: i64,
    pub name: String,
    /// "assigned" (may change it) or "break_glass" (reads only, until `open_until`).
    pub access: String,
    /// When a break-glass opening ends (Asia/Shanghai), if that is the access.
    pub open_until: Option<String>,
    /// None until the file is first written.
    pub file: Option<FileBody>,
    pub activities: Vec<ActivityView>,
    pub carers: Vec<CarerView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FileBody {
    pub facility_id: i64,
    pub facility_name: String,
    pub guardianship: String,
    pub guardianship_label: String,
    pub schooling: String,
    pub schooling_label: String,
    /// Monthly allowance in yuan.
    pub allowance: String,
    pub details: ChildDetails,
    pub updated_at: String,
}

/// The person in scope and how the actor may open their file. Refusals
/// outside scope are 404 and audited by `scoped_person`.
async fn access(
    app: &App,
    actor: &Actor,
    person_id: i64,
    what: &str,
) -> Result<(String, FileAccess, Option<(i64, i64)>)> {
    app.require(actor, Action::PersonRead).await?;
    let person = scoped_person(app, actor, person_id, what).await?;
    let mut conn = app.store().read().await?;
    let assigned = store::is_assigned(&mut conn, person_id, actor.user_id).await?;
    let glass = if assigned {
        None
    } else {
        store::open_break_glass(&mut conn, actor.user_id, person_id, app.now()).await?
    };
    Ok((
        person.name.clone(),
        FileAccess::decide(assigned, glass.is_some()),
        glass,
    ))
}

/// A child's file, for those assigned or with a break-glass opening; every
/// reading is audited with how it was allowed.
pub async fn file(app: &App, actor: &Actor, person_id: i64) -> Result<ChildFileView> {
    let (name, access, glass) = access(app, actor, person_id, "child.read").await?;
    if !access.may_read() {
        app.audit_denied(actor, "child.read", "person", &person_id.to_string())
            .await?;
        return Err(AppError::ReasonRequired);
    }
    let mut conn = app.store().read().await?;
    let row = store::file(&mut conn, person_id).await?;
    let activity_rows = store::activities(&mut conn, person_id).await?;
    let carers = store::assigned(&mut conn, person_id).await?;
    drop(conn);
    let file = match row {
        Some(r) => Some(FileBody {
            facility_id: r.facility_id,
            facility_name: r.facility_name,
            guardianship_label: Guardianship::parse(&r.guardianship)
                .map(Guardianship::label)
                .unwrap_or_default()
                .to_owned(),
            guardianship: r.guardianship,
            schooling_label: Schooling::parse(&r.schooling)
                .map(Schooling::label)
                .unwrap_or_default()
                .to_owned(),
            schooling: r.schooling,
            allowance: Fen(r.allowance_fen).yuan_string(),
            details: serde_json::from_str(&app.keys().decrypt(&r.details_cipher)?)
                .map_err(AppError::internal)?,
            updated_at: civil::datetime(r.updated_at),
        }),
        None => None,
    };
    let mut activities = Vec::with_capacity(activity_rows.len());
    for a in activity_rows {
        activities.push(ActivityView {
            kind_label: activity_label(&a.kind).unwrap_or("其他").to_owned(),
            kind: a.kind,
            day: a.day,
            notes: app.keys().decrypt(&a.notes_cipher)?,
            recorded_by: a.by_name.unwrap_or_default(),
        });
    }
    let via = match access {
        FileAccess::Assigned => "assigned",
        _ => "break_glass",
    };
    let mut event = Event::ok("child.read", "person", person_id.to_string());
    event.detail = serde_json::json!({ "via": via, "break_glass": glass.map(|g| g.0) });
    app.audit(&Who::from(actor), event).await?;
    Ok(ChildFileView {
        person_id,
        name,
        access: via.to_owned(),
        open_until: glass.map(|(_, until)| civil::datetime(until)),
        file,
        activities,
        carers: carers
            .into_iter()
            .map(|(_, username, display_name)| CarerView {
                username,
                display_name,
            })
            .collect(),
    })
}

/// Opens a child's file to someone not assigned, for [`BREAK_GLASS_MINUTES`],
/// on a stated reason. Returns the opening's id; one assigned to the child
/// needs none and gets None.
pub async fn break_glass(
    app: &App,
    actor: &Actor,
    person_id: i64,
    reason: &str,
) -> Result<Option<i64>> {
    let (_, access, glass) = access(app, actor, person_id, "child.break_glass").await?;
    let reason =
        children::check_reason(reason).map_err(|m| AppError::invalid_field("reason", "理由", m))?;
    if access == FileAccess::Assigned {
        return Ok(None);
    }
    if let Some((id, _)) = glass {
        // Still open: a second reason within the window adds nothing.
        return Ok(Some(id));
    }
    let now = app.now();
    let until = now + BREAK_GLASS_MINUTES * 60;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::add_break_glass(&mut tx, actor.user_id, person_id, reason, now, until).await?;
    let mut event = Event::ok("child.break_glass", "person", person_id.to_string());
    event.detail =
        serde_json::json!({ "reason": reason, "break_glass": id, "minutes": BREAK_GLASS_MINUTES });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(Some(id))
}

/// Only the child's own carers change the file.
async fn require_assigned(app: &App, actor: &Actor, person_id: i64, what: &str) -> Result<()> {
    app.require(actor, Action::ServiceRecord).await?;
    let (_, access, _) = access(app, actor, person_id, what).await?;
    if access.may_write() {
        return Ok(());
    }
    app.audit_denied(actor, what, "person", &person_id.to_string())
        .await?;
    Err(AppError::Forbidden)
}

/// The welfare home the child is placed in now.
async fn welfare_home_of(app: &App, person_id: i64) -> Result<i64> {
    let mut conn = app.store().read().await?;
    enrolments::current_facilities_of(&mut conn, person_id)
        .await?
        .into_iter()
        .find(|(_, kind)| kind == FacilityKind::WelfareHome.as_str())
        .map(|(id, _)| id)
        .ok_or_else(|| {
            AppError::invalid_field(
                "facility",
                "安置机构",
                "该儿童未在儿童福利机构安置，不能建立儿童档案",
            )
        })
}

fn parse_file(input: &ChildFileInput) -> Result<(Guardianship, Schooling, Fen, ChildDetails)> {
    let guardianship = Guardianship::parse(input.guardianship.trim())
        .ok_or_else(|| AppError::invalid_field("guardianship", "监护情况", "请选择监护情况"))?;
    let schooling = Schooling::parse(input.schooling.trim())
        .ok_or_else(|| AppError::invalid_field("schooling", "就学情况", "请选择就学情况"))?;
    let allowance = if input.allowance.trim().is_empty() {
        Fen(0)
    } else {
        Fen::parse_yuan(input.allowance.trim())
            .ok()
            .filter(|f| f.0 >= 0 && *f <= MAX_MONTHLY_ALLOWANCE)
            .ok_or_else(|| {
                AppError::invalid_field(
                    "allowance",
                    "每月补助",
                    "每月补助应为 0 至 10000 元的金额，如 2338.00",
                )
            })?
    };
    let mut details = input.details.clone();
    for (key, label, value) in [
        ("guardian", "监护人/联系", &mut details.guardian),
        ("school", "学校和年级", &mut details.school),
        ("health", "健康状况", &mut details.health),
        ("allowance_note", "补助说明", &mut details.allowance_note),
    ] {
        *value = value.trim().to_owned();
        if value.chars().count() > 500 {
            return Err(AppError::invalid_field(key, label, "不超过 500 个字"));
        }
    }
    Ok((guardianship, schooling, allowance, details))
}

/// Writes a child's file: the child's carers only, and only for a child
/// placed in a welfare home.
pub async fn save_file(
    app: &App,
    actor: &Actor,
    person_id: i64,
    input: &ChildFileInput,
) -> Result<()> {
    require_assigned(app, actor, person_id, "child.write").await?;
    let (guardianship, schooling, allowance, details) = parse_file(input)?;
    let facility_id = welfare_home_of(app, person_id).await?;
    let sealed = details.seal(app.keys())?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    store::save_file(
        &mut tx,
        &store::FileValues {
            person_id,
            facility_id,
            guardianship: guardianship.as_str(),
            schooling: schooling.as_str(),
            allowance_fen: allowance.0,
            details_cipher: &sealed,
            updated_by: Some(actor.user_id),
        },
        app.now(),
    )
    .await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok("child.write", "person", person_id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Records an activity in a child's file (carers only).
pub async fn add_activity(
    app: &App,
    actor: &Actor,
    person_id: i64,
    input: &ActivityInput,
) -> Result<i64> {
    require_assigned(app, actor, person_id, "child.activity").await?;
    let day = record_day(app, "日期", &input.day)
        .map_err(|e| e.keyed("day"))?
        .to_string();
    let kind = activity_code(input.kind.trim())
        .ok_or_else(|| AppError::invalid_field("kind", "类别", "请选择活动类别"))?;
    let notes = input.notes.trim();
    if notes.chars().count() > 500 {
        return Err(AppError::invalid_field("notes", "情况", "不超过 500 个字"));
    }
    let sealed = app.keys().encrypt(notes)?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = store::add_activity(
        &mut tx,
        person_id,
        &day,
        kind,
        &sealed,
        Some(actor.user_id),
        app.now(),
    )
    .await?;
    app.audit_in(
        &mut tx,
        &Who::from(actor),
        Event::ok("child.activity", "person", person_id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Assigns (or with `remove`, unassigns) a staff member of the child's
/// welfare home to the child. Officials over the home do this.
pub async fn assign(
    app: &App,
    actor: &Actor,
    person_id: i64,
    username: &str,
    remove: bool,
) -> Result<()> {
    app.require(actor, Action::FacilityManage).await?;
    scoped_person(app, actor, person_id, "child.assign").await?;
    let facility_id = welfare_home_of(app, person_id).await?;
    scoped_facility(app, actor, facility_id, "child.assign").await?;
    let mut conn = app.store().read().await?;
    // The same refusal for no such user and one of another facility: the
    // form does not tell which accounts exist elsewhere.
    let user = users::find_by_username(&mut conn, username.trim())
        .await?
        .filter(|u| u.facility_id == Some(facility_id) && u.disabled_at.is_none())
        .ok_or_else(|| {
            AppError::invalid_field(
                "username",
                "工作人员账号",
                "只能指派本机构在用的工作人员账号",
            )
        })?;
    drop(conn);
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let changed = if remove {
        store::unassign(&mut tx, person_id, user.id).await?
    } else {
        store::assign(&mut tx, person_id, user.id, Some(actor.user_id), app.now()).await?
    };
    if changed {
        let mut event = Event::ok(
            if remove {
                "child.unassign"
            } else {
                "child.assign"
            },
            "person",
            person_id.to_string(),
        );
        event.detail = serde_json::json!({ "user": user.username });
        app.audit_in(&mut tx, &Who::from(actor), event).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A child on a welfare home's list: what anyone at the home may see.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChildListEntry {
    pub person_id: i64,
    pub name: String,
    pub age: Option<u32>,
    pub sex: String,
    pub placed_on: String,
    /// The asking user is one of the child's carers.
    pub mine: bool,
    pub carers: i64,
    pub has_file: bool,
}

/// The children placed in a welfare home.
pub async fn children_of(
    app: &App,
    actor: &Actor,
    facility_id: i64,
) -> Result<Vec<ChildListEntry>> {
    app.require(actor, Action::PersonRead).await?;
    let facility = scoped_facility(app, actor, facility_id, "child.list").await?;
    if facility.kind != FacilityKind::WelfareHome.as_str() {
        return Ok(Vec::new());
    }
    let mut conn = app.store().read().await?;
    let rows = store::children_of(&mut conn, facility_id, actor.user_id).await?;
    drop(conn);
    let today = app.today();
    Ok(rows
        .into_iter()
        .map(|r| ChildListEntry {
            age: kangyang_domain::CivilDate::parse(&r.birth_date)
                .ok()
                .map(|b| b.full_years_until(today)),
            person_id: r.person_id,
            name: r.name,
            sex: r.sex,
            placed_on: r.start_date,
            mine: r.mine > 0,
            carers: r.carers,
            has_file: r.has_file > 0,
        })
        .collect())
}

/// A break-glass opening as the auditor reviews it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BreakGlassView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// The child's register id (the auditor sees no child data).
    pub person_id: i64,
    pub facility: String,
    pub reason: String,
    pub opened_at: String,
    pub reviewed: bool,
    pub reviewed_at: Option<String>,
    pub reviewer: String,
    pub review_note: String,
}

/// Every break-glass opening, those awaiting review first, and how many
/// await review. For the auditor.
pub async fn break_glass_report(app: &App, actor: &Actor) -> Result<(i64, Vec<BreakGlassView>)> {
    app.require(actor, Action::AuditRead).await?;
    let (lo, hi) = actor.scope.region().subtree_range();
    let mut conn = app.store().read().await?;
    let waiting = store::unreviewed_count(&mut conn, (&lo, &hi)).await?;
    let rows = store::break_glass_list(&mut conn, (&lo, &hi), 500).await?;
    Ok((
        waiting,
        rows.into_iter()
            .map(|r| BreakGlassView {
                id: r.id,
                username: r.username,
                display_name: r.display_name,
                person_id: r.person_id,
                facility: r.facility_name.unwrap_or_default(),
                reason: r.reason,
                opened_at: civil::datetime(r.opened_at),
                reviewed: r.reviewed_at.is_some(),
                reviewed_at: r.reviewed_at.map(civil::datetime),
                reviewer: r.reviewer.unwrap_or_default(),
                review_note: r.review_note,
            })
            .collect(),
    ))
}

/// How many break-glass openings await the auditor (for the nav badge).
pub async fn awaiting_review(app: &App, actor: &Actor) -> Result<i64> {
    if !actor.permissions.contains(&Action::AuditRead) {
        return Ok(0);
    }
    let (lo, hi) = actor.scope.region().subtree_range();
    let mut conn = app.store().read().await?;
    Ok(store::unreviewed_count(&mut conn, (&lo, &hi)).await?)
}

/// The auditor marks an opening reviewed, with a note.
pub async fn review(app: &App, actor: &Actor, id: i64, note: &str) -> Result<()> {
    app.require(actor, Action::AuditRead).await?;
    let note = note.trim();
    if note.chars().count() > 200 {
        return Err(AppError::invalid_field(
            "note",
            "审查意见",
            "不超过 200 个字",
        ));
    }
    let (lo, hi) = actor.scope.region().subtree_range();
    let (mut tx, _guard) = app.store().begin_audited().await?;
    if !store::review(&mut tx, (&lo, &hi), id, actor.user_id, note, app.now()).await? {
        // Another region's opening is as absent as one that never was;
        // the refusal is audited like any out-of-scope request.
        drop(tx);
        drop(_guard);
        app.audit_denied(
            actor,
            "child.break_glass.review",
            "break_glass",
            &id.to_string(),
        )
        .await?;
        return Err(AppError::NotFound);
    }
    let mut event = Event::ok("child.break_glass.review", "break_glass", id.to_string());
    event.detail = serde_json::json!({ "note": note });
    app.audit_in(&mut tx, &Who::from(actor), event).await?;
    tx.commit().await?;
    Ok(())
}
