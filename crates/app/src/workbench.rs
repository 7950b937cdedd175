//! The workbench (工作台): each role's landing page, what needs doing with
//! a count that links to its list. Every count is the length of the list it
//! links to, computed by that list's own function, so the two cannot
//! disagree: a social worker's visits due (their station's), the visits
//! raised to a station head, the break-glass openings awaiting the auditor,
//! home-care orders flagged or late, home-modification cases stuck past
//! their step's limit, building projects with a late milestone, Kangyuan
//! centres with no attendance taken on a working day, canteens with meals
//! held for review, capability assessments more than a year old, and people
//! whose status changed while a service is still open.

use crate::{canteen, capability, children, construction, home_care, home_modification, visits};
use crate::{Actor, App, Result};
use kangyang_domain::{Action, RegionLevel, Role};
use kangyang_store::facility::FacilityScope;
use kangyang_store::register::PersonScope;
use serde::Serialize;

/// One thing to do.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorkItem {
    /// A stable code, e.g. visits_due.
    pub code: &'static str,
    pub label: String,
    pub count: usize,
    /// The list the count is the length of.
    pub link: String,
}

/// A centre with no attendance taken on one of its working days.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CentreWithoutAttendance {
    pub facility_id: i64,
    pub name: String,
    pub trainees: i64,
}

/// Kangyuan centres of the actor's scope for which today is a working day,
/// with trainees enrolled and no attendance mark yet today.
pub async fn centres_without_attendance(
    app: &App,
    actor: &Actor,
) -> Result<Vec<CentreWithoutAttendance>> {
    app.require(actor, Action::FacilityRead).await?;
    let today = app.today();
    let d = today.to_string();
    let mut conn = app.store().read().await?;
    let centres = kangyang_store::facility::list(
        &mut conn,
        &FacilityScope::from(&actor.scope),
        Some("kangyuan_centre"),
        None,
    )
    .await?;
    let mut out = Vec::new();
    for c in centres {
        if c.current_enrolled == 0 {
            continue;
        }
        let opening = crate::facility::opening_days_of(&c.values);
        if !crate::holidays::working_day(&mut conn, opening, today).await? {
            continue;
        }
        let marks = kangyang_store::kangyuan::attendance_between(&mut conn, c.id, &d, &d).await?;
        if marks.is_empty() {
            out.push(CentreWithoutAttendance {
                facility_id: c.id,
                name: c.values.name.clone(),
                trainees: c.current_enrolled,
            });
        }
    }
    Ok(out)
}

/// A person whose register status changed while a service is still open.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatusStillOpen {
    pub person_id: i64,
    pub name: String,
    pub status_label: String,
    pub status_date: String,
    /// What is still open, e.g. "在托/在册 1 处；居家服务计划".
    pub open: String,
}

/// People of the actor's scope no longer alive and present with an
/// enrolment, a home-care plan or a carer assignment still open. Recording
/// the death or move as a life event (the person's page, or a status list)
/// closes them.
pub async fn status_still_open(app: &App, actor: &Actor) -> Result<Vec<StatusStillOpen>> {
    app.require(actor, Action::PersonRead).await?;
    let mut conn = app.store().read().await?;
    let rows =
        kangyang_store::life::still_open(&mut conn, &PersonScope::from(&actor.scope)).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut open = Vec::new();
            if r.enrolments > 0 {
                open.push(format!("在托/在册 {} 处", r.enrolments));
            }
            if r.care_plan > 0 {
                open.push("居家服务计划".to_owned());
            }
            if r.carers > 0 {
                open.push(format!("照护人 {} 名", r.carers));
            }
            StatusStillOpen {
                person_id: r.id,
                name: r.name,
                status_label: kangyang_domain::register::PersonStatus::parse(&r.status)
                    .map(|s| s.label().to_owned())
                    .unwrap_or(r.status),
                status_date: r.status_date.unwrap_or_default(),
                open: open.join("；"),
            }
        })
        .collect())
}

/// The actor's workbench: the items that apply to their role and scope,
/// in the order they are usually dealt with. Empty when nothing applies.
pub async fn items(app: &App, actor: &Actor) -> Result<Vec<WorkItem>> {
    let mut out = Vec::new();
    let region = actor.scope.region().clone();
    let facility = actor.scope.facility_id();
    let can = |a: Action| actor.permissions.contains(&a);

    if actor.role == Role::SocialWorker && facility.is_some() && can(Action::PersonRead) {
        let due = visits::due_list(app, actor, None).await?;
        out.push(WorkItem {
            code: "visits_due",
            label: "待走访（逾期、未曾走访、即将到期）".to_owned(),
            count: due.lines.len(),
            link: "/visits".to_owned(),
        });
        let reassess = capability::reassessments_due(app, actor).await?;
        out.push(WorkItem {
            code: "reassessments_due",
            label: "能力评估满一年待复评的人员".to_owned(),
            count: reassess.len(),
            link: "/workbench/reassessments".to_owned(),
        });
        if let Some(raised) = visits::raised_for(app, actor, None).await? {
            if raised.can_acknowledge {
                out.push(WorkItem {
                    code: "visits_raised",
                    label: "上报站长的逾期走访".to_owned(),
                    count: raised.lines.len(),
                    link: "/visits#raised".to_owned(),
                });
            }
        }
    }

    if actor.role == Role::Auditor && can(Action::AuditRead) {
        let (waiting, _) = children::break_glass_report(app, actor).await?;
        out.push(WorkItem {
            code: "break_glass",
            label: "待审计的紧急查阅（破窗）".to_owned(),
            count: usize::try_from(waiting).unwrap_or(0),
            link: "/audit/break-glass".to_owned(),
        });
    }

    if actor.role == Role::Official && facility.is_none() && can(Action::PersonRead) {
        let flagged = home_care::orders(
            app,
            actor,
            &home_care::OrderQuery {
                unreviewed: "1".to_owned(),
                ..home_care::OrderQuery::default()
            },
        )
        .await?;
        out.push(WorkItem {
            code: "home_care_flagged",
            label: "居家服务异常工单待审核".to_owned(),
            count: flagged.len(),
            link: "/home-care/orders?unreviewed=1".to_owned(),
        });
        let late = home_care::orders(
            app,
            actor,
            &home_care::OrderQuery {
                open: "1".to_owned(),
                late: "1".to_owned(),
                ..home_care::OrderQuery::default()
            },
        )
        .await?;
        out.push(WorkItem {
            code: "home_care_late",
            label: "居家服务超时工单".to_owned(),
            count: late.len(),
            link: "/home-care/orders?open=1&late=1".to_owned(),
        });
        if matches!(
            region.level(),
            RegionLevel::Province | RegionLevel::City | RegionLevel::County
        ) {
            let progress = home_modification::progress(app, actor, &region, None).await?;
            out.push(WorkItem {
                code: "modifications_stuck",
                label: "适老化改造超期未推进的个案".to_owned(),
                count: progress.stuck.len(),
                link: format!("/regions/{region}/modifications#stuck"),
            });
        }
        if can(Action::FacilityRead) {
            let builds = construction::list(app, actor, &region).await?;
            out.push(WorkItem {
                code: "construction_delayed",
                label: "节点延误的建设项目".to_owned(),
                count: builds.delayed,
                link: format!("/regions/{region}/construction"),
            });
        }
        // Person-level lists run over the whole region on every landing: a
        // province's official (tens of millions of people) reads these
        // figures on the dashboards, not as lists here.
        let person_lists = region.level() != RegionLevel::Province;
        if person_lists {
            let reassess = capability::reassessments_due(app, actor).await?;
            out.push(WorkItem {
                code: "reassessments_due",
                label: "能力评估满一年待复评的人员".to_owned(),
                count: reassess.len(),
                link: "/workbench/reassessments".to_owned(),
            });
            let still_open = status_still_open(app, actor).await?;
            out.push(WorkItem {
                code: "status_still_open",
                label: "已故或迁出但服务未结束的人员".to_owned(),
                count: still_open.len(),
                link: "/workbench/status-open".to_owned(),
            });
        }
    }

    // Meals held for review: officials over their region's canteens, a
    // canteen's staff over their own.
    // A province's canteens are settled by their cities; a month of every
    // canteen's meals is too much to read on each landing.
    let canteen_reader = (actor.role == Role::Official
        && facility.is_none()
        && region.level() != RegionLevel::Province)
        || (actor.role == Role::FacilityStaff
            && own_kind(app, actor).await?.as_deref() == Some("elder_canteen"));
    if canteen_reader && can(Action::ServiceRecord) {
        let held = canteen::to_review(app, actor).await?;
        out.push(WorkItem {
            code: "meals_held",
            label: "本月有待核餐次（重复领餐、亡故或迁出后用餐）的饭堂".to_owned(),
            count: held.len(),
            link: "/workbench/canteens".to_owned(),
        });
    }

    // Centre staff see their own centre; officials their region's centres.
    let centre_reader = (actor.role == Role::Official && facility.is_none())
        || (actor.role == Role::FacilityStaff && facility.is_some());
    if centre_reader && can(Action::FacilityRead) {
        let missing = centres_without_attendance(app, actor).await?;
        if actor.role == Role::Official || !missing.is_empty() || own_is_centre(app, actor).await? {
            out.push(WorkItem {
                code: "attendance_missing",
                label: "今天尚未签到的康园中心".to_owned(),
                count: missing.len(),
                link: "/workbench/attendance".to_owned(),
            });
        }
    }
    Ok(out)
}

/// Whether a facility user's facility is a Kangyuan centre.
async fn own_is_centre(app: &App, actor: &Actor) -> Result<bool> {
    Ok(own_kind(app, actor).await?.as_deref() == Some("kangyuan_centre"))
}

/// The kind of a facility user's facility.
async fn own_kind(app: &App, actor: &Actor) -> Result<Option<String>> {
    let Some(id) = actor.scope.facility_id() else {
        return Ok(None);
    };
    let mut conn = app.store().read().await?;
    Ok(
        kangyang_store::facility::get(&mut conn, &FacilityScope::from(&actor.scope), id)
            .await?
            .map(|f| f.kind.clone()),
    )
}
