//! Yunfu's social work: the Antang street station (安塘街道社工站) of the
//! "double hundred" programme, serving the street's villages and
//! communities, with visit history in which some visits are overdue.

use crate::actor::Who;
use crate::audit::Event;
use crate::{civil, App, AppError, Result};
use kangyang_domain::facility::{EligibilityRule, FacilityKind};
use kangyang_domain::{RegionCode, Scope};
use kangyang_store::facilities::{self as store, FacilityScope, FacilityValues};
use kangyang_store::regions;
use kangyang_store::visits::{self, NewVisit};

/// Antang street, Yuncheng district, Yunfu.
pub const ANTANG: &str = "445302004";
pub const ANTANG_STATION: &str = "安塘街道社工站";

/// A deterministic number in 0..100 for (a, b).
fn roll(a: i64, b: i64) -> i64 {
    let x = (a.wrapping_mul(2_654_435_761) ^ b.wrapping_mul(97)).wrapping_mul(2_246_822_519);
    (x >> 7).rem_euclid(100)
}

/// The station's id, creating it with its visit history on first use.
pub async fn seed_antang(app: &App) -> Result<i64> {
    if let Some(id) = station_id(app).await? {
        return Ok(id);
    }
    let now = app.now();
    let town = RegionCode::parse(ANTANG).map_err(AppError::internal)?;
    let (mut tx, _guard) = app.store().begin_audited().await?;
    let villages: Vec<String> = regions::villages_under(&mut tx, &town)
        .await?
        .into_iter()
        .map(|r| r.code)
        .collect();
    let id = store::insert(
        &mut tx,
        &FacilityValues {
            name: ANTANG_STATION.to_owned(),
            kind: FacilityKind::SocialWorkStation.as_str().to_owned(),
            region_code: ANTANG.to_owned(),
            address: "云浮市云城区安塘街道办事处".to_owned(),
            longitude_e6: Some(112_080_000),
            latitude_e6: Some(22_940_000),
            floor_area_m2: Some(80),
            capacity: None,
            opening_hours: "周一至周五 8:30-17:30".to_owned(),
            operator: "云浮市社会工作服务中心（“双百工程”）".to_owned(),
            contact_name: "站长".to_owned(),
            contact_phone: "0766-88800000".to_owned(),
            eligibility: serde_json::to_string(&EligibilityRule::default())
                .map_err(AppError::internal)?,
        },
        now,
    )
    .await?;
    store::set_villages(&mut tx, id, &villages).await?;
    store::add_site(
        &mut tx,
        id,
        "云浮市云城区安塘街道办事处",
        Some(80),
        Some("2021-07-01"),
        "",
    )
    .await?;
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
    let mut event = Event::ok("demo.station", "facility", id.to_string());
    event.detail = serde_json::json!({ "people": people.len(), "visits": visited });
    app.audit_in(&mut tx, &Who::cli(), event).await?;
    tx.commit().await?;
    Ok(id)
}

async fn station_id(app: &App) -> Result<Option<i64>> {
    let region = RegionCode::parse(ANTANG).map_err(AppError::internal)?;
    let mut conn = app.store().pool().acquire().await?;
    Ok(store::list(
        &mut conn,
        &FacilityScope::from(&Scope::Region { region }),
        Some(FacilityKind::SocialWorkStation.as_str()),
        None,
    )
    .await?
    .into_iter()
    .find(|f| f.values.name == ANTANG_STATION)
    .map(|f| f.id))
}
