//! The whole demo city in order, with its accounts: what `kangyang demo`
//! builds before it serves. The account names, display names and the one
//! password are public (the README lists them); keep them as they are.

use kangyang_app::{auth::Password, users, App, AppError};
use kangyang_domain::{RegionCode, Role};

/// The demo accounts: username, display name, region.
const DEMO_ACCOUNTS: [(&str, &str, &str); 3] = [
    ("province", "广东省（演示）", "44"),
    ("heshan", "鹤山市（演示）", "440784"),
    ("yunfu", "云浮市（演示）", "4453"),
];

/// Builds the demo city in `app` (each step leaves alone what an earlier
/// run made) and gives every demo account `password`; returns the banner
/// the command prints. Errors are the operator's messages.
pub async fn build(app: &App, password: &str, scale: f64) -> Result<String, String> {
    for (username, display_name, region) in DEMO_ACCOUNTS {
        ensure_demo_account(app, username, display_name, region, None, password).await?;
    }
    let seeded = crate::seed_people(app, scale)
        .await
        .map_err(|e| e.operator_message())?;
    crate::kangyuan::seed_centres(app)
        .await
        .map_err(|e| e.operator_message())?;
    // The Gulao centre's staff account: the phone sign-in sheet.
    let gulao = crate::kangyuan::centre_id(app, crate::kangyuan::GULAO_CENTRE)
        .await
        .map_err(|e| e.operator_message())?;
    if let Some(gulao) = gulao {
        ensure_demo_account(
            app,
            "gulao",
            "古劳镇康园中心（演示）",
            "440784103",
            Some((gulao, Role::FacilityStaff)),
            password,
        )
        .await?;
    }
    let antang = crate::yunfu::seed_antang(app)
        .await
        .map_err(|e| e.operator_message())?;
    ensure_demo_account(
        app,
        crate::yunfu::ANTANG_WORKER,
        "安塘街道社工站（演示）",
        crate::yunfu::ANTANG,
        Some((antang, Role::SocialWorker)),
        password,
    )
    .await?;
    // Yunfu's welfare home and the carer assigned to half of its children.
    let home = crate::children::seed_welfare_home(app)
        .await
        .map_err(|e| e.operator_message())?;
    ensure_demo_account(
        app,
        "fuliyuan",
        "云浮市儿童福利院保育员（演示）",
        "4453",
        Some((home, Role::FacilityStaff)),
        password,
    )
    .await?;
    crate::children::assign_demo_carer(app, home, "fuliyuan")
        .await
        .map_err(|e| e.operator_message())?;
    ensure_demo_account(
        app,
        crate::yunfu::ANTANG_HEAD,
        "安塘街道社工站站长",
        crate::yunfu::ANTANG,
        Some((antang, Role::SocialWorker)),
        password,
    )
    .await?;
    // The other stations, Antang's head, activities, training, ratings and
    // the care institutions with their clinics.
    crate::yunfu::seed_care_work(app)
        .await
        .map_err(|e| e.operator_message())?;
    let modifications = crate::home_modification::seed_modifications(app)
        .await
        .map_err(|e| e.operator_message())?;
    // Yunfu's canteens of every mode, with a month of meals and a settlement;
    // their staff account: the phone meal counter.
    let canteen = crate::canteen::seed_canteens(app)
        .await
        .map_err(|e| e.operator_message())?;
    ensure_demo_account(
        app,
        "shitang",
        "安塘街道长者饭堂（演示）",
        "445302004",
        Some((canteen, Role::FacilityStaff)),
        password,
    )
    .await?;
    // A GB/T 42195 assessment behind every elderly person's capability level.
    for region in [crate::YUNFU, crate::HESHAN] {
        crate::capability::seed_assessments(app, region)
            .await
            .map_err(|e| e.operator_message())?;
    }
    // Yunfu's home-care orders: the quality guidance centre's hotline desk
    // and a caregiver of the Antang provider (the phone check-in page).
    let (quality, antang_provider, _) = crate::home_care::seed(app)
        .await
        .map_err(|e| e.operator_message())?;
    ensure_demo_account(
        app,
        "zhidao",
        "云浮市居家养老服务质量指导中心（演示）",
        "4453",
        Some((quality, Role::FacilityStaff)),
        password,
    )
    .await?;
    ensure_demo_account(
        app,
        "huli",
        "安塘居家养老服务中心护理员（演示）",
        "445302004",
        Some((antang_provider, Role::FacilityStaff)),
        password,
    )
    .await?;
    crate::home_care::link_caregiver(app, antang_provider, "huli")
        .await
        .map_err(|e| e.operator_message())?;
    crate::construction::seed_construction(app)
        .await
        .map_err(|e| e.operator_message())?;
    let mut banner = if seeded.seeded {
        format!(
            "演示人员：新生成 {} 人（鹤山市、云浮市，均为虚构数据）\n",
            seeded.people
        )
    } else {
        format!("演示人员：沿用已有的 {} 人\n", seeded.people)
    };
    banner.push_str(&format!(
        "云浮市适老化改造：年度目标 {} 户，已有案件 {} 件，已完成（验收或拨付）{} 户{}\n",
        modifications.target,
        modifications.cases,
        modifications.done,
        if modifications.cases < modifications.target {
            "（演示登记的特殊困难老年人不足目标户数，按实有人数生成）"
        } else {
            ""
        }
    ));
    banner.push_str(&format!("演示账号（密码均为 {password}）：\n"));
    for (username, display_name, _) in DEMO_ACCOUNTS {
        banner.push_str(&format!("  {username:<10} {display_name}\n"));
    }
    if gulao.is_some() {
        banner.push_str("  gulao      古劳镇康园中心工作人员（手机签到）\n");
    }
    banner.push_str("  antang     安塘街道社工站社工（手机探访）\n");
    banner.push_str("  fuliyuan   云浮市儿童福利院保育员（负责半数儿童的档案）\n");
    banner.push_str("  zhanzhang  安塘街道社工站站长（逾期探访上报）\n");
    banner.push_str("  shitang    安塘街道长者饭堂工作人员（手机助餐登记）\n");
    banner.push_str("  zhidao     云浮市居家养老服务质量指导中心（热线受理、回访）\n");
    banner.push_str("  huli       安塘居家养老服务中心护理员（手机上门签到）\n");
    Ok(banner)
}

async fn ensure_demo_account(
    app: &App,
    username: &str,
    display_name: &str,
    region: &str,
    facility: Option<(i64, Role)>,
    password: &str,
) -> Result<(), String> {
    let region = RegionCode::parse(region).map_err(|e| e.to_string())?;
    match users::find(app, username)
        .await
        .map_err(|e| e.operator_message())?
    {
        None => {
            users::create_from_cli(
                app,
                &users::NewAccount {
                    username: username.to_owned(),
                    display_name: display_name.to_owned(),
                    password: Password(password.to_owned()),
                    role: facility.map(|(_, role)| role).unwrap_or(Role::Official),
                    region,
                    facility_id: facility.map(|(id, _)| id),
                    must_change_password: false,
                },
            )
            .await
            .map_err(|e: AppError| format!("demo account {username}: {}", e.operator_message()))?;
        }
        Some(_) => {
            users::reset_password_from_cli(app, username, &Password(password.to_owned()), false)
                .await
                .map_err(|e: AppError| {
                    format!("demo account {username}: {}", e.operator_message())
                })?;
        }
    }
    Ok(())
}
