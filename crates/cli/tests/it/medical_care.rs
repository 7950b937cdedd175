//! Medical-care integration: clinic agreements and the report of
//! institutions without one, and the demo's pairing of Hekou with gaps in
//! every county.

use crate::backend_test;
use crate::station::{facility, worker};
use crate::support::{get_json, post_json, start_app, Backend};
use kangyang_domain::Role;
use serde_json::{json, Value};

/// Hekou town, Yunan county (郁南县河口镇).
const HEKOU: &str = "445322112";

fn county<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["counties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code)
        .unwrap_or_else(|| panic!("no county {code} in {report}"))
}

fn missing_ids(report: &Value, code: &str) -> Vec<i64> {
    county(report, code)["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

backend_test!(
    an_agreement_takes_an_institution_off_the_without_clinic_list,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("yunfu", Role::Official, "4453").await;
        t.user("heshan", Role::Official, "440784").await;
        let (official, csrf) = t.login("yunfu").await;
        let home = facility(
            &t,
            &official,
            &csrf,
            json!({ "name": "河口镇敬老院", "kind": "nursing_home", "region": HEKOU }),
        )
        .await;
        let other_home = facility(
            &t,
            &official,
            &csrf,
            json!({ "name": "连滩镇敬老院", "kind": "nursing_home", "region": "445322115" }),
        )
        .await;
        let clinic = facility(
            &t,
            &official,
            &csrf,
            json!({ "name": "河口镇卫生院", "kind": "clinic", "region": HEKOU }),
        )
        .await;
        let centre = facility(
            &t,
            &official,
            &csrf,
            json!({ "name": "居家养老服务中心", "kind": "home_care_centre", "region": HEKOU }),
        )
        .await;
        let report_url = t.url("/api/v1/regions/4453/medical-care");
        let (status, report) = get_json(&official, &report_url).await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(county(&report, "445322")["name"], "郁南县");
        let mut missing = missing_ids(&report, "445322");
        missing.sort_unstable();
        assert_eq!(
            missing,
            [home, other_home, centre],
            "clinics are not care institutions"
        );
        assert_eq!(report["without_clinic"], 3);

        // A partner that is not a clinic is refused, naming it.
        let agreement = |partner: i64| {
            json!({ "institution_id": home, "clinic_id": partner,
            "services": ["doctor_visits", "green_channel"], "visits_per_month": 4,
            "start_date": t.app.today().add_days(-30).unwrap().to_string() })
        };
        let url = t.url("/api/v1/care-agreements");
        let (status, body) = post_json(&official, &csrf, &url, agreement(centre)).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["field"], "clinic_id");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("“居家养老服务中心”是居家养老服务中心，不是医疗机构"),
            "{body}"
        );
        // Regular doctor visits with no visits a month do not add up.
        let mut no_visits = agreement(clinic);
        no_visits["visits_per_month"] = 0.into();
        let (status, body) = post_json(&official, &csrf, &url, no_visits).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (422, Some("services")),
            "{body}"
        );

        let (status, body) = post_json(&official, &csrf, &url, agreement(clinic)).await;
        assert_eq!(status, 201, "{body}");
        let id = body["id"].as_i64().unwrap();
        let (status, _) = post_json(&official, &csrf, &url, agreement(clinic)).await;
        assert_eq!(
            status, 409,
            "an overlapping agreement of the same two is refused"
        );

        let (_, report) = get_json(&official, &report_url).await;
        assert!(!missing_ids(&report, "445322").contains(&home));
        assert_eq!(county(&report, "445322")["with_clinic"], 1);
        assert_eq!(report["agreements"][0]["clinic_name"], "河口镇卫生院");
        let (status, listed) = get_json(
            &official,
            &t.url(&format!("/api/v1/facilities/{clinic}/care-agreements")),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(listed[0]["institution_name"], "河口镇敬老院");
        assert_eq!(listed[0]["current"], true);
        assert_eq!(listed[0]["service_labels"][1], "急诊转诊绿色通道");
        let page = official
            .get(t.url(&format!("/facilities/{home}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(&format!(r#"data-agreement="{id}""#)),
            "{page}"
        );

        // Someone else's region: nothing there to see or change.
        let (heshan, heshan_csrf) = t.login("heshan").await;
        assert_eq!(get_json(&heshan, &report_url).await.0, 404);
        assert_eq!(
            get_json(
                &heshan,
                &t.url(&format!("/api/v1/facilities/{home}/care-agreements"))
            )
            .await
            .0,
            404
        );
        let (status, _) = post_json(&heshan, &heshan_csrf, &url, agreement(clinic)).await;
        assert_eq!(status, 404);
        let end_url = t.url(&format!("/api/v1/care-agreements/{id}/end"));
        let yesterday = t.app.today().add_days(-1).unwrap().to_string();
        let (status, _) = post_json(
            &heshan,
            &heshan_csrf,
            &end_url,
            json!({ "end_date": yesterday }),
        )
        .await;
        assert_eq!(status, 404);

        // Ending it puts the home back on the list.
        let (status, body) = post_json(
            &official,
            &csrf,
            &end_url,
            json!({ "end_date": t.app.today().add_days(-40).unwrap().to_string() }),
        )
        .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (422, Some("end_date")),
            "before its start"
        );
        let (status, body) = post_json(
            &official,
            &csrf,
            &end_url,
            json!({ "end_date": yesterday, "reason": "卫生院人员不足" }),
        )
        .await;
        assert_eq!(status, 204, "{body}");
        let (status, _) =
            post_json(&official, &csrf, &end_url, json!({ "end_date": yesterday })).await;
        assert_eq!(status, 409, "already ended");
        let (_, report) = get_json(&official, &report_url).await;
        assert!(missing_ids(&report, "445322").contains(&home));
        assert_eq!(report["agreements"].as_array().unwrap().len(), 0);
        let page = official
            .get(t.url("/regions/4453/medical-care"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains(r#"id="fig-without-clinic">3<"#), "{page}");
        assert!(page.contains(&format!(r#"href="/facilities/{home}">河口镇敬老院"#)));

        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let (audited,): (i64,) = sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action LIKE 'care_agreement.%' AND result = 'ok'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(audited, 2, "created and ended");
    }
);

/// The demo's Yunfu: three stations, Antang's head seeing raised visits,
/// Hekou nursing home paired with its health centre, gaps in every county;
/// a second run adds nothing.
#[tokio::test]
async fn the_demo_pairs_hekou_and_leaves_gaps_per_county() {
    use kangyang_demo::yunfu::{seed_antang, seed_care_work, ANTANG_HEAD, ANTANG_WORKER};
    let t = start_app(Backend::Sqlite).await;
    kangyang_demo::seed_people(&t.app, 0.01).await.unwrap();
    let antang = seed_antang(&t.app).await.unwrap();
    worker(&t, ANTANG_WORKER, "安塘街道社工站（演示）", antang).await;
    worker(&t, ANTANG_HEAD, "安塘街道社工站站长", antang).await;
    let first = seed_care_work(&t.app).await.unwrap();
    assert_eq!(first.stations.len(), 3);
    assert_eq!(first.stations[0], antang);
    assert!(first.agreements_created >= 4);
    let count = |table: &'static str| {
        let pool = t.app.store().pool().clone();
        async move {
            let (n,): (i64,) =
                sqlx::query_as(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table}"))
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            n
        }
    };
    let tables = [
        "facilities",
        "care_agreements",
        "station_activities",
        "station_trainings",
        "assessments",
        "visits",
        "station_heads",
    ];
    let mut before = Vec::new();
    for table in tables {
        before.push(count(table).await);
    }
    let again = seed_care_work(&t.app).await.unwrap();
    assert_eq!(
        (again.institutions_created, again.agreements_created),
        (0, 0)
    );
    assert_eq!(again.stations, first.stations);
    for (table, n) in tables.iter().zip(before) {
        assert_eq!(count(table).await, n, "{table} unchanged by a second run");
    }

    t.user("yunfu", Role::Official, "4453").await;
    let (official, _) = t.login("yunfu").await;
    let (_, report) = get_json(&official, &t.url("/api/v1/regions/4453/medical-care")).await;
    let hekou = report["agreements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["institution_name"] == "郁南县河口镇敬老院")
        .unwrap_or_else(|| panic!("Hekou is paired: {report}"));
    assert_eq!(hekou["clinic_name"], "郁南县河口镇卫生院");
    for code in ["445302", "445303", "445321", "445322", "445381"] {
        assert!(
            county(&report, code)["without_clinic"].as_i64().unwrap() >= 1,
            "{code}: {report}"
        );
    }
    let (_, stations) = get_json(
        &official,
        &t.url("/api/v1/facilities?type=social_work_station"),
    )
    .await;
    assert_eq!(stations.as_array().unwrap().len(), 3);
    for s in &first.stations {
        let page = official
            .get(t.url(&format!("/facilities/{s}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let ratings = &page[page.find(r#"id="station-ratings""#).unwrap()..];
        assert!(ratings.contains("云浮市民政局社工站评估组"), "{s} is rated");
    }

    let (head, _) = t.login(ANTANG_HEAD).await;
    let (status, raised) = get_json(&head, &t.url("/api/v1/visits/raised")).await;
    assert_eq!(status, 200, "{raised}");
    assert!(
        raised["pending"].as_u64().unwrap() > 0,
        "the demo has overdue visits: {raised}"
    );
    let (worker_client, _) = t.login(ANTANG_WORKER).await;
    assert_eq!(
        get_json(&worker_client, &t.url("/api/v1/visits/raised"))
            .await
            .0,
        403
    );
}
