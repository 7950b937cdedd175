//! Yunfu's social work and medical-care integration: social-work stations of
//! the "double hundred" programme — Antang street (安塘街道社工站) with its
//! head and worker accounts, Gaofeng street and Hekou town — serving their
//! villages, with visit history in which some visits are overdue, activities,
//! training and a standardisation rating; and the county and town care
//! institutions, most paired with their nearest clinic (Hekou nursing home
//! with Hekou town health centre), some not, so the report shows the gaps.
//!
//! Every step looks for what it would create first: a second run adds nothing.

use kangyang_app::{audit, civil, App, AppError, Result};
use kangyang_domain::assessment::{station_standard_template, Template};
use kangyang_domain::facility::{EligibilityRule, FacilityKind};
use kangyang_domain::RegionCode;
use kangyang_store::assessment::{self, NewAssessment};
use kangyang_store::facility::{self as store, FacilityValues};
use kangyang_store::medical_care::{self, NewAgreement};
use kangyang_store::station::{self, NewActivity, NewTraining};
use kangyang_store::visits::{self, NewVisit};
use kangyang_store::{regions, users, Tx};
use std::collections::BTreeMap;

/// Antang street, Yuncheng district, Yunfu.
pub const ANTANG: &str = "445302004";
pub const ANTANG_STATION: &str = "安塘街道社工站";
/// The demo account of Antang's head (站长).
pub const ANTANG_HEAD: &str = "zhanzhang";
/// The demo account of an Antang social worker.
pub const ANTANG_WORKER: &str = "antang";

/// A station: its town, name and address.
struct StationSpec {
    town: &'static str,
    name: &'static str,
    address: &'static str,
    longitude_e6: i64,
    latitude_e6: i64,
    /// The standardisation score it was given (of 100).
    rating: u32,
}

const STATIONS: [StationSpec; 3] = [
    StationSpec {
        town: ANTANG,
        name: ANTANG_STATION,
        address: "云浮市云城区安塘街道办事处",
        longitude_e6: 112_080_000,
        latitude_e6: 22_940_000,
        rating: 92,
    },
    StationSpec {
        town: "445302002",
        name: "高峰街道社工站",
        address: "云浮市云城区高峰街道办事处",
        longitude_e6: 112_050_000,
        latitude_e6: 22_950_000,
        rating: 81,
    },
    // Hekou town, Yunan county: also where the Hekou nursing home is.
    StationSpec {
        town: HEKOU,
        name: "河口镇社工站",
        address: "云浮市郁南县河口镇人民政府",
        longitude_e6: 111_690_000,
        latitude_e6: 23_140_000,
        rating: 68,
    },
];

/// Hekou town (河口镇), Yunan county. Yuncheng district also has a Hekou
/// street (河口街道, 445302003); the nursing home of the scenario is taken to
/// be the town's, as town nursing homes (敬老院) are rural institutions.
pub const HEKOU: &str = "445322112";
pub const HEKOU_NURSING_HOME: &str = "郁南县河口镇敬老院";
pub const HEKOU_CLINIC: &str = "郁南县河口镇卫生院";

/// A deterministic number in 0..100 for (a, b).
fn roll(a: i64, b: i64) -> i64 {
    let x = (a.wrapping_mul(2_654_435_761) ^ b.wrapping_mul(97)).wrapping_mul(2_246_822_519);
    (x >> 7).rem_euclid(100)
}

/// The Antang station's id, creating it with its visit history on first use.
pub async fn seed_antang(app: &App) -> Result<i64> {
    seed_station(app, &STATIONS[0]).await
}

/// A station's id, creating it with its visit history on first use.
async fn seed_station(app: &App, spec: &StationSpec) -> Result<i64> {
    if let Some(id) = station_id(app, spec).await? {
        return Ok(id);
    }
    let now = app.now();
    let town = RegionCode::parse(spec.town).map_err(AppError::internal)?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let villages: Vec<String> = regions::villages_under(&mut tx, &town)
        .await?
        .into_iter()
        .map(|r| r.code)
        .collect();
    let id = store::insert(
        &mut tx,
        &FacilityValues {
            name: spec.name.to_owned(),
            kind: FacilityKind::SocialWorkStation.as_str().to_owned(),
            region_code: spec.town.to_owned(),
            address: spec.address.to_owned(),
            longitude_e6: Some(spec.longitude_e6),
            latitude_e6: Some(spec.latitude_e6),
            floor_area_m2: Some(80),
            capacity: None,
            opening_hours: "周一至周五 8:30-17:30".to_owned(),
            operator: "云浮市社会工作服务中心（“双百工程”）".to_owned(),
            contact_name: "站长".to_owned(),
            contact_phone: "0766-88800000".to_owned(),
            eligibility: serde_json::to_string(&EligibilityRule::default())
                .map_err(AppError::internal)?,
            opening_days: kangyang_domain::holidays::OpeningDays::MONDAY_TO_FRIDAY.code(),
        },
        now,
    )
    .await?;
    store::set_villages(&mut tx, id, &villages).await?;
    store::add_site(&mut tx, id, spec.address, Some(80), Some("2021-07-01"), "").await?;
    let today = app.today();
    let elderly_born_by = civil::years_before(today, 60).to_string();
    let people = visits::visitees(&mut tx, id, &elderly_born_by).await?;
    let mut visited = 0;
    for p in &people {
        // Half seen lately, a third seen long ago (overdue), the rest never.
        let r = roll(p.id, 3);
        let ages: &[i64] = if r < 50 {
            &[5, 40, 75]
        } else if r < 85 {
            &[45, 100]
        } else {
            &[]
        };
        for (n, days) in ages.iter().enumerate() {
            let day = civil::date_of(now - (days + roll(p.id, n as i64) % 5) * 86_400);
            visits::add(
                &mut tx,
                &NewVisit {
                    person_id: p.id,
                    station_id: Some(id),
                    worker_id: None,
                    day: &day.to_string(),
                    mode: if n % 2 == 0 { "in_person" } else { "phone" },
                    findings: r#"["well"]"#,
                    risk_flags: "[]",
                    referral: "",
                    notes: "",
                },
                now,
            )
            .await?;
            visited += 1;
        }
    }
    audit::record_cli_in(
        app,
        &mut tx,
        "demo.station",
        "facility",
        id.to_string(),
        serde_json::json!({ "people": people.len(), "visits": visited }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn station_id(app: &App, spec: &StationSpec) -> Result<Option<i64>> {
    let mut conn = app.store().read().await?;
    crate::facility_named(
        &mut conn,
        spec.town,
        FacilityKind::SocialWorkStation,
        spec.name,
    )
    .await
}

/// What [`seed_care_work`] found or made.
#[derive(Debug, Clone, Default)]
pub struct CareSummary {
    pub stations: Vec<i64>,
    /// Institutions created now (0 on a second run).
    pub institutions_created: usize,
    pub agreements_created: usize,
}

/// A care institution or clinic of the scenario.
struct Place {
    name: &'static str,
    kind: FacilityKind,
    town: &'static str,
    address: &'static str,
    capacity: Option<i64>,
}

const fn place(
    name: &'static str,
    kind: FacilityKind,
    town: &'static str,
    address: &'static str,
    capacity: Option<i64>,
) -> Place {
    Place {
        name,
        kind,
        town,
        address,
        capacity,
    }
}

/// Yunfu's county and town care institutions. Hekou's nursing home is the
/// scenario's; the others are typical of the city's five counties (names of
/// real towns, not a census of real institutions).
const INSTITUTIONS: [Place; 10] = [
    place(
        HEKOU_NURSING_HOME,
        FacilityKind::NursingHome,
        HEKOU,
        "郁南县河口镇河口圩",
        Some(60),
    ),
    place(
        "郁南县都城镇敬老院",
        FacilityKind::NursingHome,
        "445322100",
        "郁南县都城镇",
        Some(80),
    ),
    place(
        "郁南县连滩镇敬老院",
        FacilityKind::NursingHome,
        "445322115",
        "郁南县连滩镇",
        Some(40),
    ),
    place(
        "云城区居家养老服务中心",
        FacilityKind::HomeCareCentre,
        "445302001",
        "云浮市云城区云城街道",
        None,
    ),
    place(
        "云城区腰古镇敬老院",
        FacilityKind::NursingHome,
        "445302102",
        "云浮市云城区腰古镇",
        Some(30),
    ),
    place(
        "云安区六都镇敬老院",
        FacilityKind::NursingHome,
        "445303100",
        "云浮市云安区六都镇",
        Some(40),
    ),
    // "Six-in-one" county institution of the scenario.
    place(
        "新兴县社会福利服务中心",
        FacilityKind::SocialWelfareCentre,
        "445321100",
        "新兴县新城镇",
        Some(200),
    ),
    place(
        "新兴县太平镇敬老院",
        FacilityKind::NursingHome,
        "445321107",
        "新兴县太平镇",
        Some(30),
    ),
    place(
        "罗定市罗镜镇敬老院",
        FacilityKind::NursingHome,
        "445381100",
        "罗定市罗镜镇",
        Some(50),
    ),
    place(
        "罗定市分界镇敬老院",
        FacilityKind::NursingHome,
        "445381102",
        "罗定市分界镇",
        Some(30),
    ),
];

const CLINICS: [Place; 5] = [
    place(
        HEKOU_CLINIC,
        FacilityKind::Clinic,
        HEKOU,
        "郁南县河口镇河口圩",
        None,
    ),
    place(
        "郁南县人民医院",
        FacilityKind::Clinic,
        "445322100",
        "郁南县都城镇",
        None,
    ),
    place(
        "云城区云城街道社区卫生服务中心",
        FacilityKind::Clinic,
        "445302001",
        "云浮市云城区云城街道",
        None,
    ),
    place(
        "新兴县人民医院",
        FacilityKind::Clinic,
        "445321100",
        "新兴县新城镇",
        None,
    ),
    place(
        "罗定市罗镜镇卫生院",
        FacilityKind::Clinic,
        "445381100",
        "罗定市罗镜镇",
        None,
    ),
];

/// An agreement of the scenario: institution, clinic, services, visits a
/// month, start (days before today), end (days after today; negative: it has
/// ended).
type Pairing = (
    &'static str,
    &'static str,
    &'static [&'static str],
    i64,
    i64,
    Option<i64>,
);

const PAIRINGS: [Pairing; 6] = [
    (
        HEKOU_NURSING_HOME,
        HEKOU_CLINIC,
        &[
            "doctor_visits",
            "health_checks",
            "chronic_followup",
            "green_channel",
        ],
        4,
        700,
        None,
    ),
    (
        "郁南县都城镇敬老院",
        "郁南县人民医院",
        &["doctor_visits", "green_channel", "rehab_guidance"],
        2,
        400,
        Some(330),
    ),
    (
        "云城区居家养老服务中心",
        "云城区云城街道社区卫生服务中心",
        &["health_checks", "chronic_followup", "health_education"],
        1,
        500,
        None,
    ),
    (
        "新兴县社会福利服务中心",
        "新兴县人民医院",
        &[
            "doctor_visits",
            "health_checks",
            "green_channel",
            "rehab_guidance",
            "tcm",
        ],
        8,
        900,
        None,
    ),
    (
        "罗定市罗镜镇敬老院",
        "罗定市罗镜镇卫生院",
        &["doctor_visits", "health_checks", "chronic_followup"],
        2,
        300,
        None,
    ),
    // Yaogu's agreement ran out last year and was not renewed: a gap.
    (
        "云城区腰古镇敬老院",
        "云城区云城街道社区卫生服务中心",
        &["doctor_visits", "green_channel"],
        1,
        800,
        Some(-60),
    ),
];

/// The stations' work, Antang's head, and the care institutions with their
/// clinic agreements. Needs the Antang accounts ([`ANTANG_HEAD`],
/// [`ANTANG_WORKER`]) for the head and the training records; without them
/// those parts are skipped.
pub async fn seed_care_work(app: &App) -> Result<CareSummary> {
    let mut summary = CareSummary::default();
    for spec in &STATIONS {
        summary.stations.push(seed_station(app, spec).await?);
    }
    let now = app.now();
    let today = app.today();
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let antang = summary.stations[0];
    let head = users::find_by_username(&mut tx, ANTANG_HEAD)
        .await?
        .filter(|u| u.facility_id == Some(antang));
    let worker = users::find_by_username(&mut tx, ANTANG_WORKER)
        .await?
        .filter(|u| u.facility_id == Some(antang));
    if let Some(head) = &head {
        if station::head(&mut tx, antang).await?.is_none() {
            station::set_head(&mut tx, antang, head.id, None, now).await?;
        }
    }
    let day = |days_ago: i64| civil::date_of(now - days_ago * 86_400).to_string();
    for (i, &station) in summary.stations.iter().enumerate() {
        if !station::activities(&mut tx, station).await?.is_empty() {
            continue;
        }
        let offset = i as i64 * 3;
        for (days_ago, kind, title, participants) in [
            (80, "policy_publicity", "养老服务补贴政策宣讲", 46),
            (52, "group_activity", "独居长者互助小组", 12),
            (30, "resident_training", "居家防跌倒知识培训", 28),
            (9, "community_event", "社区长者联欢会", 120),
        ] {
            station::add_activity(
                &mut tx,
                &NewActivity {
                    station_id: station,
                    day: &day(days_ago + offset),
                    kind,
                    title,
                    participants: participants + offset,
                    notes: "",
                    by: None,
                },
                now,
            )
            .await?;
        }
    }
    if station::trainings(&mut tx, antang).await?.is_empty() {
        for (account, courses) in [
            (
                &head,
                &[
                    ("“双百工程”社工站站长能力提升培训", 120, 240, "广东省民政厅"),
                    ("困境儿童个案管理", 75, 60, "云浮市民政局"),
                ][..],
            ),
            (
                &worker,
                &[
                    ("特殊困难老年人探访关爱服务实务", 100, 80, "云浮市民政局"),
                    ("社会工作伦理与服务记录规范", 40, 30, "云城区民政局"),
                    ("心理急救与危机干预", 15, 15, "云浮市社会工作协会"),
                ][..],
            ),
        ] {
            let Some(user) = account else { continue };
            // (course, days ago, tenths of an hour, organiser)
            for &(course, days_ago, hours_tenths, organiser) in courses {
                station::add_training(
                    &mut tx,
                    &NewTraining {
                        station_id: antang,
                        worker_id: user.id,
                        course,
                        day: &day(days_ago),
                        hours_tenths,
                        organiser,
                        by: None,
                    },
                    now,
                )
                .await?;
            }
        }
    }
    let template = station_standard_template();
    for (spec, &station) in STATIONS.iter().zip(&summary.stations) {
        let unrated = assessment::history(&mut tx, &template.code, "facility", station)
            .await?
            .is_empty();
        if unrated {
            rate_station(&mut tx, &template, spec, station, &day(45), now).await?;
        }
    }
    let mut ids = BTreeMap::new();
    for p in INSTITUTIONS.iter().chain(CLINICS.iter()) {
        let id = match crate::facility_named(&mut tx, p.town, p.kind, p.name).await? {
            Some(id) => id,
            None => {
                summary.institutions_created += 1;
                insert_place(&mut tx, p, now).await?
            }
        };
        ids.insert(p.name, (id, p.town));
    }
    for &(institution, clinic, services, visits, started, ends) in &PAIRINGS {
        let (Some(&(institution, town)), Some(&(clinic, _))) =
            (ids.get(institution), ids.get(clinic))
        else {
            continue;
        };
        if !medical_care::agreements_between(&mut tx, institution, clinic)
            .await?
            .is_empty()
        {
            continue;
        }
        let end = ends.map(|d| day(-d));
        medical_care::add_agreement(
            &mut tx,
            &NewAgreement {
                institution_id: institution,
                clinic_id: clinic,
                region_code: town,
                services: &serde_json::to_string(services).map_err(AppError::internal)?,
                visits_per_month: visits,
                start_date: &day(started),
                end_date: end.as_deref(),
                notes: "",
                by: None,
            },
            now,
        )
        .await?;
        summary.agreements_created += 1;
    }
    audit::record_cli_in(
        app,
        &mut tx,
        "demo.care",
        "region",
        crate::YUNFU.to_owned(),
        serde_json::json!({ "stations": summary.stations.len(),
        "institutions": summary.institutions_created, "agreements": summary.agreements_created,
        "today": today.to_string() }),
    )
    .await?;
    tx.commit().await?;
    Ok(summary)
}

async fn insert_place(tx: &mut Tx, p: &Place, now: i64) -> Result<i64> {
    let id = store::insert(
        tx,
        &FacilityValues {
            name: p.name.to_owned(),
            kind: p.kind.as_str().to_owned(),
            region_code: p.town.to_owned(),
            address: p.address.to_owned(),
            capacity: p.capacity,
            eligibility: serde_json::to_string(&p.kind.default_eligibility())
                .map_err(AppError::internal)?,
            ..FacilityValues::default()
        },
        now,
    )
    .await?;
    store::add_site(tx, id, p.address, None, None, "").await?;
    Ok(id)
}

/// Rates a station at `spec.rating` points.
async fn rate_station(
    tx: &mut Tx,
    template: &Template,
    spec: &StationSpec,
    station: i64,
    day: &str,
    now: i64,
) -> Result<()> {
    let scores = crate::kangyuan::scores_for(template, spec.rating);
    let scored = template
        .score(&scores)
        .map_err(|e| AppError::internal(format!("demo scores: {e:?}")))?;
    assessment::add_assessment(
        tx,
        &NewAssessment {
            template_code: &template.code,
            round_id: None,
            subject_type: "facility",
            subject_id: station,
            region_code: spec.town,
            scores: &serde_json::to_string(&scores).map_err(AppError::internal)?,
            total: i64::from(scored.total),
            result: scored.result.as_ref().map(|r| r.result.as_str()),
            evidence: "查阅服务台账和探访记录，走访服务对象，查看站点场地",
            assessed_on: day,
            assessor: "云浮市民政局社工站评估组",
            by: None,
        },
        now,
    )
    .await?;
    Ok(())
}
