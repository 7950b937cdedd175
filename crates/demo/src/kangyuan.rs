//! Heshan's community Kangyuan centres as the brief describes them: 11
//! centres, 274 trainees with attendance history, 7 three-star / 3 two-star
//! / 1 one-star ratings, Gulao's relocation to a 350 m² site with five rooms
//! serving its 13 villages, the building projects and their funding, the
//! charity lunch and 62 paired party organisations. Every figure the overview
//! shows is computed from these records, never stored as a figure.

use kangyang_app::{audit, civil, App, AppError, Result};
use kangyang_domain::assessment::{brand_competition_template, kangyuan_star_template, Template};
use kangyang_domain::disability::{DisabilityCategory, DisabilityGrade};
use kangyang_domain::facility::{Applicant, EligibilityRule, FacilityKind};
use kangyang_domain::kangyuan::{working_days, ServiceKind};
use kangyang_domain::money::Fen;
use kangyang_domain::{CivilDate, RegionCode, Scope};
use kangyang_store::assessment::{self, NewAssessment};
use kangyang_store::facility::{self as store, FacilityScope, FacilityValues};
use kangyang_store::funds::{self, NewProject};
use kangyang_store::kangyuan::{self, NewOrder, NewService};
use kangyang_store::pairing::NewHelp;
use kangyang_store::register::{self, PersonScope};
use kangyang_store::{pairing, regions, Tx};
use std::collections::BTreeMap;

/// A centre of the scenario: name, town code, floor area, stars, rooms.
struct Centre {
    name: &'static str,
    town: &'static str,
    area: i64,
    stars: u8,
    address: &'static str,
    /// (longitude, latitude) in degrees, near the town's seat.
    at: (f64, f64),
}

const CENTRES: [Centre; 11] = [
    Centre {
        name: "鹤山市康园中心",
        town: "440784001",
        area: 420,
        stars: 3,
        address: "沙坪街道人民路",
        at: (112.961, 22.768),
    },
    Centre {
        name: "沙坪街道康园中心",
        town: "440784001",
        area: 260,
        stars: 3,
        address: "沙坪街道中山路",
        at: (112.955, 22.772),
    },
    Centre {
        name: "龙口镇康园中心",
        town: "440784101",
        area: 240,
        stars: 3,
        address: "龙口镇墟镇大道",
        at: (112.880, 22.840),
    },
    Centre {
        name: "雅瑶镇康园中心",
        town: "440784102",
        area: 180,
        stars: 2,
        address: "雅瑶镇雅瑶大道",
        at: (113.010, 22.700),
    },
    Centre {
        name: "古劳镇康园中心",
        town: "440784103",
        area: 350,
        stars: 3,
        address: "古劳镇新墟路（新址）",
        at: (112.930, 22.830),
    },
    Centre {
        name: "桃源镇康园中心",
        town: "440784104",
        area: 220,
        stars: 3,
        address: "桃源镇桃源大道",
        at: (112.880, 22.760),
    },
    Centre {
        name: "鹤城镇康园中心",
        town: "440784105",
        area: 160,
        stars: 2,
        address: "鹤城镇鹤城大道",
        at: (112.800, 22.660),
    },
    Centre {
        name: "共和镇康园中心",
        town: "440784106",
        area: 230,
        stars: 3,
        address: "共和镇共和大道",
        at: (112.900, 22.600),
    },
    Centre {
        name: "址山镇康园中心",
        town: "440784107",
        area: 175,
        stars: 2,
        address: "址山镇址山墟",
        at: (112.730, 22.560),
    },
    Centre {
        name: "宅梧镇康园中心",
        town: "440784108",
        area: 120,
        stars: 1,
        address: "宅梧镇宅梧墟",
        at: (112.600, 22.620),
    },
    Centre {
        name: "双合镇康园中心",
        town: "440784112",
        area: 200,
        stars: 3,
        address: "双合镇双合墟",
        at: (112.690, 22.700),
    },
];

/// Gulao's five rooms on its new 350 m² site.
const GULAO_ROOMS: [(&str, &str, i64); 5] = [
    ("工疗训练室", "工疗与辅助就业", 110),
    ("康复健身室", "康复功能训练", 80),
    ("心理咨询室", "心理疏导", 25),
    ("学员产品展示区", "学员产品展示", 45),
    ("康乐文娱室", "康乐文体活动", 90),
];

/// Rooms every other centre has (each has a counselling room).
const COMMON_ROOMS: [(&str, &str); 3] = [
    ("康复训练室", "康复功能训练"),
    ("心理咨询室", "心理疏导"),
    ("活动室", "日间照料与康乐文体"),
];

const TRAINEES: usize = 274;

/// The star-rating totals that give each result (60/75/90 thresholds).
fn target_total(stars: u8, i: usize) -> u32 {
    match stars {
        3 => 90 + (i as u32 % 7),
        2 => 76 + (i as u32 % 10),
        _ => 62 + (i as u32 % 10),
    }
}

/// A deterministic number in 0..100 for (a, b): the demo is the same every run.
fn roll(a: i64, b: i64) -> i64 {
    let x = (a.wrapping_mul(2_654_435_761) ^ b.wrapping_mul(40_503)).wrapping_mul(2_246_822_519);
    (x >> 7).rem_euclid(100)
}

fn days_ago(app: &App, days: i64) -> CivilDate {
    civil::date_of(app.now() - days * 86_400)
}

/// Creates the centres and everything around them, once: a database that
/// already has Kangyuan centres in Heshan is left alone. Returns the centres
/// created (0 when left alone).
pub async fn seed_centres(app: &App) -> Result<usize> {
    let heshan = RegionCode::parse(crate::HESHAN).map_err(AppError::internal)?;
    let mut conn = app.store().read().await?;
    let scope = FacilityScope::from(&Scope::Region {
        region: heshan.clone(),
    });
    let existing = store::list(
        &mut conn,
        &scope,
        Some(FacilityKind::KangyuanCentre.as_str()),
        None,
    )
    .await?;
    if !existing.is_empty() {
        return Ok(0);
    }
    let today = app.today();
    // Working-age people with a disability; the Kangyuan rule picks trainees.
    let rule = EligibilityRule::kangyuan_default();
    let candidates = register::disabled_between(
        &mut conn,
        &PersonScope::from(&Scope::Region {
            region: heshan.clone(),
        }),
        &civil::years_before(today, 60).to_string(),
        &civil::years_before(today, 16).to_string(),
    )
    .await?;
    let trainees: Vec<(i64, String)> = candidates
        .into_iter()
        .filter(|p| {
            let applicant = Applicant {
                age: CivilDate::parse(&p.birth_date)
                    .map(|b| b.full_years_until(today))
                    .unwrap_or(0),
                disability: DisabilityCategory::parse(&p.disability_category).zip(
                    u8::try_from(p.disability_grade)
                        .ok()
                        .and_then(DisabilityGrade::new),
                ),
                in_register: p.status == "alive",
            };
            rule.check(&applicant).is_ok()
        })
        .map(|p| (p.id, p.village_code))
        .take(TRAINEES)
        .collect();
    drop(conn);

    let now = app.now();
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let mut ids = Vec::new();
    for (i, c) in CENTRES.iter().enumerate() {
        let id = add_centre(app, &mut tx, c, i).await?;
        ids.push(id);
    }
    let centre_of = |village: &str, person: i64| -> Option<usize> {
        let town = village.get(..9)?;
        let here: Vec<usize> = CENTRES
            .iter()
            .enumerate()
            .filter(|(_, c)| c.town == town)
            .map(|(i, _)| i)
            .collect();
        here.get(person.rem_euclid(here.len().max(1) as i64) as usize)
            .copied()
    };
    let window: Vec<CivilDate> = attendance_window(app, today);
    let mut enrolled: Vec<Vec<i64>> = vec![Vec::new(); CENTRES.len()];
    for (n, (person, village)) in trainees.iter().enumerate() {
        // People of a town without a centre go to the city centre.
        let c = centre_of(village, *person).unwrap_or(0);
        let start = days_ago(app, 90 + (n as i64 * 37) % 900);
        kangyuan::enrol(&mut tx, ids[c], *person, &start.to_string(), None, now).await?;
        enrolled[c].push(*person);
    }
    for (c, people) in enrolled.iter().enumerate() {
        for day in &window {
            for person in people {
                let present =
                    roll(*person, i64::from(day.day()) + 31 * i64::from(day.month())) < 91;
                kangyuan::mark_attendance(
                    &mut tx,
                    ids[c],
                    *person,
                    &day.to_string(),
                    present,
                    None,
                    now,
                )
                .await?;
            }
        }
        add_services_and_orders(app, &mut tx, ids[c], c, people, &window).await?;
    }
    add_ratings(app, &mut tx, &ids).await?;
    add_funds(app, &mut tx, &ids).await?;
    add_pairings(app, &mut tx, &ids, &trainees).await?;
    audit::record_cli_in(
        app,
        &mut tx,
        "demo.centres",
        "facility",
        String::new(),
        serde_json::json!({ "centres": ids.len(), "trainees": trainees.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(ids.len())
}

/// The working days of this month and the last, up to today.
fn attendance_window(app: &App, today: CivilDate) -> Vec<CivilDate> {
    let last_month = days_ago(app, i64::from(today.day()) + 1);
    let mut days = working_days(i32::from(last_month.year()), u32::from(last_month.month()));
    days.extend(working_days(
        i32::from(today.year()),
        u32::from(today.month()),
    ));
    days.retain(|d| *d <= today);
    days
}

async fn add_centre(app: &App, tx: &mut Tx, c: &Centre, i: usize) -> Result<i64> {
    let now = app.now();
    let town = RegionCode::parse(c.town).map_err(AppError::internal)?;
    let villages: Vec<String> = regions::villages_under(tx, &town)
        .await?
        .into_iter()
        .map(|r| r.code)
        .collect();
    let id = store::insert(
        tx,
        &FacilityValues {
            name: c.name.to_owned(),
            kind: FacilityKind::KangyuanCentre.as_str().to_owned(),
            region_code: c.town.to_owned(),
            address: format!("鹤山市{}", c.address),
            longitude_e6: Some((c.at.0 * 1e6) as i64),
            latitude_e6: Some((c.at.1 * 1e6) as i64),
            floor_area_m2: Some(c.area),
            capacity: Some(c.area / 8),
            opening_hours: "周一至周五 8:30-17:00".to_owned(),
            operator: if i.is_multiple_of(3) {
                "鹤山市残疾人联合会".to_owned()
            } else {
                "鹤山市康乐社会工作服务中心（委托运营）".to_owned()
            },
            contact_name: "中心主任".to_owned(),
            contact_phone: format!("0750-88{:05}", 10_000 + i * 137),
            eligibility: serde_json::to_string(&EligibilityRule::kangyuan_default())
                .map_err(AppError::internal)?,
            opening_days: kangyang_domain::holidays::OpeningDays::MONDAY_TO_FRIDAY.code(),
        },
        now,
    )
    .await?;
    // Each centre serves its town's villages; the two Shaping centres split them.
    let served: Vec<String> = if c.town == "440784001" {
        villages
            .iter()
            .enumerate()
            .filter(|(n, _)| n % 2 == i % 2)
            .map(|(_, v)| v.clone())
            .collect()
    } else {
        villages
    };
    store::set_villages(tx, id, &served).await?;
    if c.town == "440784103" {
        // Gulao moved out of the town nursing home this year.
        let moved = days_ago(app, 200).to_string();
        let opened = "2017-06-01";
        store::add_site(
            tx,
            id,
            "鹤山市古劳镇敬老院内（旧址）",
            Some(120),
            Some(opened),
            "与镇敬老院合用场地",
        )
        .await?;
        store::close_current_site(tx, id, &moved).await?;
        store::add_site(
            tx,
            id,
            &format!("鹤山市{}", c.address),
            Some(c.area),
            Some(&moved),
            "迁出敬老院，改建新址",
        )
        .await?;
        for (name, function, area) in GULAO_ROOMS {
            store::add_room(tx, id, name, function, Some(area)).await?;
        }
    } else {
        store::add_site(
            tx,
            id,
            &format!("鹤山市{}", c.address),
            Some(c.area),
            Some("2018-03-01"),
            "",
        )
        .await?;
        for (name, function) in COMMON_ROOMS {
            store::add_room(tx, id, name, function, Some(c.area / 4)).await?;
        }
        if c.town == "440784107" {
            // Zhishan added one 55 m² room in place.
            store::add_room(tx, id, "工疗训练室（新增）", "工疗与辅助就业", Some(55)).await?;
        }
    }
    let brand = store::add_brand_project(
        tx,
        id,
        &format!("{}“一康园一品牌”项目", c.name.trim_end_matches("康园中心")),
        "结合本镇特色，打造学员手工产品与康复服务品牌",
        &format!("{}-05-10", app.today().year()),
        now,
    )
    .await?;
    let year = app.today().year();
    for (title, planned, done) in [
        ("确定品牌主题与方案", format!("{year}-05-31"), true),
        (
            "开展品牌活动并形成产品",
            format!("{year}-08-31"),
            i % 4 != 3,
        ),
        ("参加全市品牌评比展示", format!("{year}-12-15"), false),
    ] {
        store::add_milestone(tx, brand, title, &planned, done.then_some(planned.as_str())).await?;
    }
    // The competition: centres' brand projects scored against each other.
    let template = brand_competition_template();
    let scores = scores_for(&template, 68 + (i as u32 * 7) % 28);
    let scored = template
        .score(&scores)
        .map_err(|e| AppError::internal(format!("demo scores: {e:?}")))?;
    assessment::add_assessment(
        tx,
        &NewAssessment {
            template_code: &template.code,
            round_id: None,
            subject_type: "brand_project",
            subject_id: brand,
            region_code: c.town,
            scores: &serde_json::to_string(&scores).map_err(AppError::internal)?,
            total: i64::from(scored.total),
            result: scored.result.as_ref().map(|r| r.result.as_str()),
            evidence: "现场展示与材料评审",
            assessed_on: &format!("{year}-10-20"),
            assessor: "鹤山市残联品牌评比组",
            by: None,
        },
        now,
    )
    .await?;
    Ok(id)
}

async fn add_services_and_orders(
    app: &App,
    tx: &mut Tx,
    facility: i64,
    c: usize,
    people: &[i64],
    window: &[CivilDate],
) -> Result<()> {
    let now = app.now();
    let Some(first) = window.first() else {
        return Ok(());
    };
    for (n, day) in window.iter().enumerate().filter(|(n, _)| n % 3 == 0) {
        let kind = ServiceKind::ALL[n / 3 % ServiceKind::ALL.len()];
        let title = match kind {
            ServiceKind::DayCare => "午餐与午休照料",
            ServiceKind::Rehabilitation => "肢体康复功能训练",
            ServiceKind::Recreation => "康乐文体：手工与游戏",
            ServiceKind::SkillsTraining => "生活自理技能训练",
            ServiceKind::AssistedEmployment => "外发加工岗位练习",
        };
        let group: Vec<i64> = people
            .iter()
            .copied()
            .filter(|p| roll(*p, n as i64) < 60)
            .collect();
        if group.is_empty() {
            continue;
        }
        kangyuan::add_service(
            tx,
            &NewService {
                facility_id: facility,
                kind: kind.as_str(),
                day: &day.to_string(),
                title,
                group_activity: true,
                notes: "",
                participants: &group,
                by: None,
            },
            now,
        )
        .await?;
    }
    let (company, product, price) = [
        ("鹤山市某制衣厂", "服装剪线头", 8),
        ("鹤山市某五金厂", "螺丝包装", 5),
        ("某纸品公司", "纸袋粘贴", 12),
        ("某电子厂", "线材扎带", 6),
    ][c % 4];
    let order = kangyuan::add_order(
        tx,
        &NewOrder {
            facility_id: facility,
            company,
            product,
            unit_price_fen: price,
            quantity: 20_000 + 1_000 * c as i64,
            start_date: &first.to_string(),
            due_date: &days_ago(app, -30).to_string(),
        },
        now,
    )
    .await?;
    for day in window.iter().rev().take(10) {
        for person in people.iter().filter(|p| roll(**p, 7) < 50) {
            let made = 40 + roll(*person, i64::from(day.day()));
            kangyuan::record_output(tx, order, *person, &day.to_string(), made, None, now).await?;
        }
    }
    Ok(())
}

/// Scores on `template` that add up to `total`, each within its criterion's maximum.
pub(crate) fn scores_for(template: &Template, total: u32) -> BTreeMap<String, u32> {
    let max = template.max_total().max(1);
    let mut scores: BTreeMap<String, u32> = template
        .criteria()
        .map(|c| (c.code.clone(), c.max_score * total / max))
        .collect();
    let mut left = total.saturating_sub(scores.values().sum());
    for c in template.criteria() {
        if let Some(s) = scores.get_mut(&c.code) {
            let add = (c.max_score - *s).min(left);
            *s += add;
            left -= add;
        }
    }
    scores
}

async fn add_ratings(app: &App, tx: &mut Tx, ids: &[i64]) -> Result<()> {
    let template = kangyuan_star_template();
    let year = app.today().year();
    let round = assessment::add_round(
        tx,
        &template.code,
        &format!("{year} 年度社区康园中心星级评定"),
        crate::HESHAN,
        &format!("{year}-03-01"),
        app.now(),
    )
    .await?;
    for (i, (c, id)) in CENTRES.iter().zip(ids).enumerate() {
        // Last year's rating first, one star lower for some: the history.
        for (round_id, day, total) in [
            (
                None,
                format!("{}-11-20", year - 1),
                target_total(c.stars.saturating_sub((i % 3 == 0) as u8).max(1), i),
            ),
            (
                Some(round),
                format!("{year}-04-{:02}", 10 + i),
                target_total(c.stars, i),
            ),
        ] {
            let scores = scores_for(&template, total);
            let scored = template
                .score(&scores)
                .map_err(|e| AppError::internal(format!("demo scores: {e:?}")))?;
            assessment::add_assessment(
                tx,
                &NewAssessment {
                    template_code: &template.code,
                    round_id,
                    subject_type: "facility",
                    subject_id: *id,
                    region_code: c.town,
                    scores: &serde_json::to_string(&scores).map_err(AppError::internal)?,
                    total: i64::from(scored.total),
                    result: scored.result.as_ref().map(|r| r.result.as_str()),
                    evidence: "实地查看场地与台账，抽查学员服务记录",
                    assessed_on: &day,
                    assessor: "江门市残联星级评定组",
                    by: None,
                },
                app.now(),
            )
            .await?;
        }
    }
    Ok(())
}

async fn add_funds(app: &App, tx: &mut Tx, ids: &[i64]) -> Result<()> {
    let now = app.now();
    let year = app.today().year();
    let heshan = crate::HESHAN;
    let county = funds::add_source(tx, "鹤山市财政局", "county", heshan, now).await?;
    let lottery = funds::add_source(tx, "福利彩票公益金", "lottery", heshan, now).await?;
    let departments = funds::add_source(
        tx,
        "市直部门支持（残联、民政、人社）",
        "department",
        heshan,
        now,
    )
    .await?;
    let society = funds::add_source(tx, "社会爱心捐赠", "donation", heshan, now).await?;
    let sponsors = funds::add_source(tx, "爱心企业冠名赞助", "donation", heshan, now).await?;
    let gulao = ids[4];
    let hecheng = ids[6];
    let zhishan = ids[8];
    // "Three-a-bit" (三个一点): each project funded by several sources at once.
    // Departments and society give 600,000 yuan of the three projects' money.
    let projects = [
        (
            "古劳镇康园中心新址改建",
            "construction",
            gulao,
            470_000,
            [150_000, 100_000, 120_000, 100_000],
            470_000,
        ),
        (
            "址山镇康园中心新增功能室",
            "construction",
            zhishan,
            200_000,
            [60_000, 40_000, 50_000, 50_000],
            200_000,
        ),
        (
            "鹤城镇康园中心新址设备及装修",
            "equipment",
            hecheng,
            450_000,
            [120_000, 50_000, 150_000, 130_000],
            180_000,
        ),
    ];
    for (name, kind, facility, budget, mix, spent) in projects {
        let project = funds::add_project(
            tx,
            &NewProject {
                name,
                kind,
                region_code: heshan,
                facility_id: Some(facility),
                budget_fen: Fen::from_yuan(budget).0,
                started_on: &format!("{year}-02-01"),
                facilities: &[],
            },
            now,
        )
        .await?;
        for (source, amount) in [county, lottery, departments, society].into_iter().zip(mix) {
            funds::allocate(
                tx,
                source,
                project,
                Fen::from_yuan(amount).0,
                &format!("{year}-03-15"),
                "",
                now,
            )
            .await?;
        }
        funds::spend(
            tx,
            project,
            Fen::from_yuan(spent).0,
            &format!("{year}-09-30"),
            "工程及设备款",
            now,
        )
        .await?;
    }
    let lunch = funds::add_project(
        tx,
        &NewProject {
            name: "爱心午餐",
            kind: "programme",
            region_code: heshan,
            facility_id: None,
            budget_fen: Fen::from_yuan(250_000).0,
            started_on: &format!("{year}-01-01"),
            facilities: ids,
        },
        now,
    )
    .await?;
    funds::allocate(
        tx,
        sponsors,
        lunch,
        Fen::from_yuan(250_000).0,
        &format!("{year}-01-05"),
        "全年 11 个中心学员午餐",
        now,
    )
    .await?;
    funds::spend(
        tx,
        lunch,
        Fen::from_yuan(187_500).0,
        &format!("{year}-09-30"),
        "1-9 月午餐",
        now,
    )
    .await?;
    Ok(())
}

/// Units whose party branches pair with centres and needy trainees.
const UNITS: [&str; 31] = [
    "市民政局",
    "市残联",
    "市人社局",
    "市卫健局",
    "市教育局",
    "市财政局",
    "市住建局",
    "市交通运输局",
    "市市场监管局",
    "市文广旅体局",
    "市农业农村局",
    "市司法局",
    "市税务局",
    "市供电局",
    "市自然资源局",
    "市水利局",
    "市应急管理局",
    "市统计局",
    "市医保局",
    "市人民医院",
    "市中医院",
    "市妇幼保健院",
    "市第一中学",
    "市实验小学",
    "市总工会",
    "团市委",
    "市妇联",
    "市工商联",
    "市邮政分公司",
    "市农商银行",
    "市自来水公司",
];

async fn add_pairings(
    app: &App,
    tx: &mut Tx,
    ids: &[i64],
    trainees: &[(i64, String)],
) -> Result<()> {
    let now = app.now();
    let year = app.today().year();
    let started = format!("{year}-03-01");
    let mut orgs = Vec::new();
    for unit in UNITS {
        for branch in ["机关党支部", "第二党支部"] {
            orgs.push(format!("{unit}{branch}"));
        }
    }
    for (n, name) in orgs.iter().take(62).enumerate() {
        let org = pairing::add_org(tx, name, "party_branch", crate::HESHAN, "", now).await?;
        let pairing = if n < ids.len() * 2 {
            let facility = ids[n % ids.len()];
            let town = CENTRES[n % ids.len()].town;
            pairing::pair(tx, org, Some(facility), None, town, &started).await?
        } else {
            let Some((person, village)) = trainees.get((n * 7) % trainees.len().max(1)) else {
                continue;
            };
            pairing::pair(tx, org, None, Some(*person), village, &started).await?
        };
        pairing::add_help(
            tx,
            &NewHelp {
                pairing_id: pairing,
                day: &format!("{year}-06-28"),
                kind: "visit",
                amount_fen: 0,
                goods: "",
                notes: "走访慰问",
            },
            now,
        )
        .await?;
        if n.is_multiple_of(3) {
            pairing::add_help(
                tx,
                &NewHelp {
                    pairing_id: pairing,
                    day: &format!("{year}-09-28"),
                    kind: "money",
                    amount_fen: Fen::from_yuan(2_000).0,
                    goods: "",
                    notes: "中秋慰问金",
                },
                now,
            )
            .await?;
        }
    }
    Ok(())
}

/// The demo's Gulao centre, for binding its staff account.
pub const GULAO_CENTRE: &str = "古劳镇康园中心";

/// The id of a demo centre of Heshan by name.
pub async fn centre_id(app: &App, name: &str) -> Result<Option<i64>> {
    let mut conn = app.store().read().await?;
    crate::facility_named(&mut conn, crate::HESHAN, FacilityKind::KangyuanCentre, name).await
}
