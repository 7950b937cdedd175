//! Heshan's three Kangyuan building projects (BRIEF.md: Gulao's new site,
//! 470,000 yuan; Zhishan's added room, 200,000; Hecheng's new site fit-out,
//! 450,000) as construction projects for the demo, each linked to its funds
//! project and paid by that project's recorded expenditure. Gulao's is in
//! use, with two milestones done late; Zhishan's is under construction with
//! its completion overdue; Hecheng's is contracted. The dates are ours (the
//! source gives none), counted back from today. Seeded once.

use kangyang_app::{audit, App, AppError, Result};
use kangyang_domain::construction::Stage;
use kangyang_domain::RegionCode;
use kangyang_store::construction::{self as store, NewBuild};
use kangyang_store::funds;

/// (funds project name, construction project name, town, area m², stage
/// reached, milestones: stage, name, planned days ago, done days ago).
type Spec = (
    &'static str,
    &'static str,
    &'static str,
    i64,
    Stage,
    &'static [(Stage, &'static str, i64, Option<i64>)],
);

const PROJECTS: [Spec; 3] = [
    (
        "古劳镇康园中心新址改建",
        "古劳镇康园中心新址（约 350 平方米）",
        "440784103",
        350,
        Stage::InUse,
        &[
            (Stage::Tendering, "招标完成", 240, Some(236)),
            (Stage::Contract, "施工合同签订", 210, Some(212)),
            (Stage::Construction, "主体及装修完工", 120, Some(100)),
            (Stage::Acceptance, "竣工验收", 80, Some(78)),
            (Stage::InUse, "学员迁入新址", 60, Some(60)),
        ],
    ),
    (
        "址山镇康园中心新增功能室",
        "址山镇康园中心新增功能室（55 平方米）",
        "440784107",
        55,
        Stage::Construction,
        &[
            (Stage::Tendering, "询价采购完成", 150, Some(150)),
            (Stage::Contract, "合同签订", 130, Some(128)),
            (Stage::Construction, "功能室改造完工", 20, None),
            (Stage::Acceptance, "验收", -10, None),
        ],
    ),
    (
        "鹤城镇康园中心新址设备及装修",
        "鹤城镇康园中心新址装修及设备",
        "440784105",
        0,
        Stage::Contract,
        &[
            (Stage::Tendering, "招标完成", 60, Some(55)),
            (Stage::Contract, "合同签订", 30, Some(30)),
            (Stage::Construction, "装修完工", -45, None),
            (Stage::InUse, "新址启用", -90, None),
        ],
    ),
];

/// Seeds the projects unless Heshan has some; returns how many were made.
pub async fn seed_construction(app: &App) -> Result<usize> {
    let heshan = RegionCode::parse(crate::HESHAN).map_err(AppError::internal)?;
    let (lo, hi) = heshan.subtree_range();
    let mut conn = app.store().read().await?;
    if !store::list(&mut conn, &lo, &hi, None).await?.is_empty() {
        return Ok(0);
    }
    let fund_projects = funds::projects(&mut conn, &lo, &hi, None).await?;
    drop(conn);
    let today = app.today();
    let day = |ago: i64| today.add_days(-ago).unwrap_or(today).to_string();
    let now = app.now();
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let mut made = 0;
    for (fund_name, name, town, area, reached, milestones) in PROJECTS {
        let Some(fund) = fund_projects.iter().find(|p| p.name == fund_name) else {
            continue;
        };
        let id = store::insert(
            &mut tx,
            &NewBuild {
                name,
                region_code: town,
                facility_id: fund.facility_id,
                facility_kind: "kangyuan_centre",
                fund_project_id: Some(fund.id),
                stage: reached.as_str(),
                budget_fen: fund.budget_fen,
                contractor: if reached >= Stage::Contract {
                    "鹤山市某建筑装饰工程有限公司"
                } else {
                    ""
                },
                floor_area_m2: (area > 0).then_some(area),
            },
            now,
        )
        .await?;
        store::set_stage(&mut tx, id, Stage::Planning.as_str(), &day(270), None, now).await?;
        // Each stage reached on the day its milestone was done; a stage
        // whose milestone is not done yet began when the last one was.
        let mut last = (Stage::Planning, 270);
        for (stage, _, _, done) in milestones.iter() {
            if let (true, Some(done)) = (*stage <= reached, done) {
                store::set_stage(&mut tx, id, stage.as_str(), &day(*done), None, now).await?;
                last = (*stage, *done);
            }
        }
        if last.0 != reached {
            store::set_stage(&mut tx, id, reached.as_str(), &day(last.1), None, now).await?;
        }
        for (stage, title, planned, done) in milestones.iter() {
            let m = store::add_milestone(&mut tx, id, stage.as_str(), title, &day(*planned), now)
                .await?;
            if let Some(done) = done {
                store::set_actual(&mut tx, id, m, &day(*done)).await?;
            }
        }
        // The funds project's recorded spending is this project's payments.
        store::adopt_expenditures(&mut tx, id, fund.id, now).await?;
        made += 1;
    }
    if made > 0 {
        audit::record_cli_in(
            app,
            &mut tx,
            "construction.demo",
            "region",
            heshan.as_str().to_owned(),
            serde_json::Value::Null,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(made)
}
