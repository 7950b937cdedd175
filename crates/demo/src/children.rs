//! Yunfu's welfare home (云浮市儿童福利院) with the demo register's children
//! in institutional care (集中供养), their files and activities. One demo
//! carer is assigned to half of them, so the other half shows the
//! break-glass rule. All data is invented.

use kangyang_app::children::ChildDetails;
use kangyang_app::{audit, civil, App, AppError, Result};
use kangyang_domain::children::{Guardianship, Schooling};
use kangyang_domain::facility::FacilityKind;
use kangyang_domain::register::ChildCategory;
use kangyang_domain::{CivilDate, RegionCode, Scope};
use kangyang_store::children as store;
use kangyang_store::facility::{self as facility, FacilityValues};
use kangyang_store::register::PersonScope;
use kangyang_store::{kangyuan, users};

pub const WELFARE_HOME: &str = "云浮市儿童福利院";
/// The home is the city's (市级): it takes children from the whole city,
/// so its region, and its staff's, is Yunfu, though it stands in Yuncheng.
const YUNFU: &str = "4453";

/// Demo allowance, not a published standard: a round figure of the order of
/// Guangdong's monthly basic living allowance for orphans in institutions.
const DEMO_ALLOWANCE_FEN: i64 = 200_000;

fn schooling_at(age: u32, i: usize) -> (Schooling, &'static str) {
    match age {
        0..=2 => (Schooling::NotYet, ""),
        3..=5 => (Schooling::Kindergarten, "云城区第一幼儿园"),
        6..=11 => {
            if i % 7 == 3 {
                (Schooling::SpecialEducation, "云浮市特殊教育学校")
            } else {
                (Schooling::Primary, "云城区第二小学")
            }
        }
        12..=14 => (Schooling::JuniorSecondary, "云浮市第一中学"),
        15..=17 => {
            if i.is_multiple_of(2) {
                (Schooling::SeniorSecondary, "云浮市第一中学")
            } else {
                (Schooling::Vocational, "云浮市中等职业学校")
            }
        }
        _ => (Schooling::NotInSchool, ""),
    }
}

const HEALTH: [&str; 5] = [
    "健康，按时接种疫苗",
    "先天性心脏病术后，每半年复查",
    "脑瘫，每周康复训练三次",
    "健康，轻度近视",
    "哮喘，备有吸入剂",
];

/// The welfare home's id, creating it with its children on first use.
pub async fn seed_welfare_home(app: &App) -> Result<i64> {
    if let Some(id) = home_id(app).await? {
        return Ok(id);
    }
    let now = app.now();
    let today = app.today();
    let yunfu = RegionCode::parse(YUNFU).map_err(AppError::internal)?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let id = facility::insert(
        &mut tx,
        &FacilityValues {
            name: WELFARE_HOME.to_owned(),
            kind: FacilityKind::WelfareHome.as_str().to_owned(),
            region_code: YUNFU.to_owned(),
            address: "云浮市云城区儿童福利院路".to_owned(),
            longitude_e6: Some(112_045_000),
            latitude_e6: Some(22_930_000),
            floor_area_m2: Some(6_000),
            capacity: Some(150),
            opening_hours: "全天".to_owned(),
            operator: "云浮市民政局".to_owned(),
            contact_name: "院办".to_owned(),
            contact_phone: "0766-8800000".to_owned(),
            eligibility: serde_json::to_string(&FacilityKind::WelfareHome.default_eligibility())
                .map_err(AppError::internal)?,
            opening_days: "1234567".to_owned(),
        },
        now,
    )
    .await?;
    facility::add_site(
        &mut tx,
        id,
        "云浮市云城区儿童福利院路",
        Some(6_000),
        Some("2015-06-01"),
        "",
    )
    .await?;
    let children = store::of_category(
        &mut tx,
        &PersonScope::from(&Scope::Region { region: yunfu }),
        ChildCategory::InstitutionalCare.as_str(),
    )
    .await?;
    for (i, (person, born)) in children.iter().enumerate() {
        let born = CivilDate::parse(born).unwrap_or(today);
        let age = born.full_years_until(today);
        // Placed some years ago, never before birth.
        let placed_days = 200 + (i as i64 * 137) % 2_400;
        let placed = civil::date_of(now - placed_days * 86_400).max(born);
        kangyuan::enrol(&mut tx, id, *person, &placed.to_string(), None, now).await?;
        let guardianship = match i % 6 {
            4 => Guardianship::StateTemporary,
            5 => Guardianship::Entrusted,
            _ => Guardianship::StateLongTerm,
        };
        let (schooling, school) = schooling_at(age, i);
        let details = ChildDetails {
            guardian: match guardianship {
                Guardianship::StateLongTerm => "云浮市民政局（长期监护）".to_owned(),
                Guardianship::StateTemporary => "云浮市民政局（临时监护，寻亲中）".to_owned(),
                _ => "祖母委托照护，每月探望".to_owned(),
            },
            school: school.to_owned(),
            health: HEALTH[i % HEALTH.len()].to_owned(),
            allowance_note: "孤儿基本生活费（演示数据）".to_owned(),
        };
        let sealed = details.seal(app.keys())?;
        store::save_file(
            &mut tx,
            &store::FileValues {
                person_id: *person,
                facility_id: id,
                guardianship: guardianship.as_str(),
                schooling: schooling.as_str(),
                allowance_fen: DEMO_ALLOWANCE_FEN,
                details_cipher: &sealed,
                updated_by: None,
            },
            now,
        )
        .await?;
        for (n, (kind, note)) in [
            ("health_check", "季度体检，情况良好"),
            ("study", "志愿者课业辅导"),
            ("festival", "中秋游园活动"),
        ]
        .iter()
        .enumerate()
        {
            let day =
                civil::date_of(now - (10 + 30 * n as i64 + i as i64 % 9) * 86_400).max(placed);
            let sealed = app.keys().encrypt(note)?;
            store::add_activity(&mut tx, *person, &day.to_string(), kind, &sealed, None, now)
                .await?;
        }
    }
    audit::record_cli_in(
        app,
        &mut tx,
        "demo.welfare_home",
        "facility",
        id.to_string(),
        serde_json::json!({ "children": children.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Assigns the demo carer to every other child of the home (once).
pub async fn assign_demo_carer(app: &App, home: i64, username: &str) -> Result<()> {
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let Some(user) = users::find_by_username(&mut tx, username).await? else {
        return Ok(());
    };
    let children = store::children_of(&mut tx, home, user.id).await?;
    if children.iter().any(|c| c.mine > 0) {
        return Ok(());
    }
    let now = app.now();
    for c in children.iter().step_by(2) {
        store::assign(&mut tx, c.person_id, user.id, None, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn home_id(app: &App) -> Result<Option<i64>> {
    let mut conn = app.store().read().await?;
    crate::facility_named(&mut conn, YUNFU, FacilityKind::WelfareHome, WELFARE_HOME).await
}
