//! Facilities and the Kangyuan centres: the Heshan scenario's figures, the
//! reach of centre staff, enrolment by rule, attendance, piecework and
//! counselling, through a real server.

use crate::backend_test;
use crate::register::name_for;
use crate::support::{
    assert_bad_field, get_json, post_json, start_app, Backend, TestApp, PASSWORD,
};
use kangyang_app::auth::Password;
use kangyang_app::users;
use kangyang_demo::kangyuan::{centre_id, seed_centres, GULAO_CENTRE};
use kangyang_domain::{CivilDate, IdNumber, RegionCode, Role};

/// The demo scenario on a small population: Heshan's 274 trainees are always
/// generated, the rest of the register at 1%.
async fn scenario(t: &TestApp) {
    kangyang_demo::seed_people(&t.app, 0.01).await.unwrap();
    assert_eq!(seed_centres(&t.app).await.unwrap(), 11);
    assert_eq!(
        seed_centres(&t.app).await.unwrap(),
        0,
        "seeding twice adds nothing"
    );
}

/// Creates a user bound to a facility.
async fn staff(t: &TestApp, username: &str, role: Role, facility: i64, region: &str) {
    users::create_from_cli(
        &t.app,
        &users::NewAccount {
            username: username.to_owned(),
            display_name: String::new(),
            password: Password(PASSWORD.to_owned()),
            role,
            region: RegionCode::parse(region).unwrap(),
            facility_id: Some(facility),
            must_change_password: false,
        },
    )
    .await
    .unwrap();
}

async fn overview(t: &TestApp, client: &reqwest::Client) -> serde_json::Value {
    let (status, o) = get_json(client, &t.url("/api/v1/regions/440784/kangyuan")).await;
    assert_eq!(status, 200, "{o}");
    o
}

backend_test!(
    heshan_overview_figures_come_from_the_records,
    |b: Backend| async move {
        let t = start_app(b).await;
        scenario(&t).await;
        t.user("heshan", Role::Official, "440784").await;
        let (client, csrf) = t.login("heshan").await;

        let (status, centres) = get_json(
            &client,
            &t.url("/api/v1/facilities?type=kangyuan_centre&region=440784"),
        )
        .await;
        assert_eq!(status, 200);
        let centres = centres.as_array().unwrap();
        assert_eq!(centres.len(), 11);
        let stars = |n: u64| centres.iter().filter(|c| c["stars"] == n).count();
        assert_eq!((stars(3), stars(2), stars(1)), (7, 3, 1));
        let enrolled: i64 = centres
            .iter()
            .map(|c| c["current_enrolled"].as_i64().unwrap())
            .sum();
        assert_eq!(enrolled, 274);

        let o = overview(&t, &client).await;
        assert_eq!(o["centres"], 11);
        assert_eq!(o["trainees"], 274);
        assert_eq!(
            (
                o["three_star"].clone(),
                o["two_star"].clone(),
                o["one_star"].clone()
            ),
            (7.into(), 3.into(), 1.into())
        );
        assert_eq!(
            o["raised_fen"], 60_000_000,
            "600,000 yuan from departments and society"
        );
        assert_eq!(o["paired_organisations"], 62);
        assert_eq!(
            o["programmes"][0],
            serde_json::json!(["爱心午餐", "250,000.00", 11])
        );
        let gulao = o["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == GULAO_CENTRE)
            .unwrap()
            .clone();
        assert_eq!(
            (
                gulao["floor_area_m2"].clone(),
                gulao["rooms"].clone(),
                gulao["villages_served"].clone()
            ),
            (350.into(), 5.into(), 13.into())
        );
        let budgets: Vec<(String, String)> = o["projects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap().to_owned(),
                    p["budget"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        for (name, budget) in [
            ("古劳镇康园中心新址改建", "470,000.00"),
            ("址山镇康园中心新增功能室", "200,000.00"),
            ("鹤城镇康园中心新址设备及装修", "450,000.00"),
        ] {
            assert!(
                budgets.contains(&(name.to_owned(), budget.to_owned())),
                "{budgets:?}"
            );
        }
        let zhishan = centres
            .iter()
            .find(|c| c["name"] == "址山镇康园中心")
            .unwrap();
        let (_, detail) = get_json(
            &client,
            &t.url(&format!("/api/v1/facilities/{}", zhishan["id"])),
        )
        .await;
        assert!(detail["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["area_m2"] == 55));

        // The page shows the same figures.
        let page = client
            .get(t.url("/regions/440784/kangyuan"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains(r#"id="fig-trainees">274<"#), "{page}");
        assert!(page.contains(r#"id="fig-raised">600,000.00<"#));
        assert!(page.contains(r#"id="fig-paired">62<"#));

        // Change records; the figures follow.
        let gulao_id = gulao["id"].as_i64().unwrap();
        let (_, trainees) = get_json(
            &client,
            &t.url(&format!("/api/v1/facilities/{gulao_id}/enrolments")),
        )
        .await;
        let leaver = trainees[0]["person_id"].as_i64().unwrap();
        let res = client
            .post(t.url(&format!("/facilities/{gulao_id}/leave")))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("person_id", &leaver.to_string()),
                ("end_date", &t.app.today().to_string()),
                ("reason", "外出务工"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let o = overview(&t, &client).await;
        assert_eq!(o["trainees"], 273);

        // A three-star centre re-rated at 80 points becomes two-star.
        let template = kangyang_domain::assessment::kangyuan_star_template();
        let mut left = 80u32;
        let scores: serde_json::Map<String, serde_json::Value> = template
            .criteria()
            .map(|c| {
                let s = c.max_score.min(left);
                left -= s;
                (c.code.clone(), s.into())
            })
            .collect();
        let (status, scored) = post_json(
            &client,
            &csrf,
            &t.url(&format!("/api/v1/facilities/{gulao_id}/ratings")),
            serde_json::json!({ "template": "kangyuan_star", "scores": scores,
                "assessed_on": t.app.today().to_string(), "assessor": "复评组", "evidence": "复评" }),
        )
        .await;
        assert_eq!(status, 201, "{scored}");
        assert_eq!(scored["total"], 80);
        assert_eq!(scored["result"]["result"], "2_star");
        let o = overview(&t, &client).await;
        assert_eq!(
            (o["three_star"].clone(), o["two_star"].clone()),
            (6.into(), 4.into())
        );

        // The leaver comes back: enrolled again, counted again.
        let (status, body) = post_json(
            &client,
            &csrf,
            &t.url(&format!("/api/v1/facilities/{gulao_id}/enrolments")),
            serde_json::json!({ "person_id": leaver }),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(overview(&t, &client).await["trainees"], 274);

        // A further donation to Gulao's rebuild is money raised; a new pairing counts.
        let (status, source) = post_json(
            &client,
            &csrf,
            &t.url("/api/v1/funds/sources"),
            serde_json::json!({ "name": "鹤山市慈善会", "kind": "donation", "region": "440784" }),
        )
        .await;
        assert_eq!(status, 201, "{source}");
        let (_, projects) = get_json(&client, &t.url("/api/v1/regions/440784/funds")).await;
        let rebuild = projects
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "古劳镇康园中心新址改建")
            .unwrap();
        let (status, body) = post_json(&client, &csrf,
            &t.url(&format!("/api/v1/funds/projects/{}/allocations", rebuild["id"])),
            serde_json::json!({ "source_id": source["id"], "amount": "12,345.67", "day": t.app.today().to_string() })).await;
        assert_eq!(status, 201, "{body}");
        let (status, body) = post_json(&client, &csrf,
            &t.url(&format!("/api/v1/funds/projects/{}/allocations", rebuild["id"])),
            serde_json::json!({ "source_id": source["id"], "amount": "12.345", "day": t.app.today().to_string() })).await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body["message"].as_str().unwrap().contains("两位小数"),
            "{body}"
        );
        let (_, org) = post_json(&client, &csrf, &t.url("/api/v1/partner-orgs"),
            serde_json::json!({ "name": "鹤山市慈善会党支部", "kind": "party_branch", "region": "440784" })).await;
        let (status, body) = post_json(&client, &csrf, &t.url("/api/v1/pairings"),
            serde_json::json!({ "org_id": org["id"], "facility_id": gulao_id, "started_on": t.app.today().to_string() })).await;
        assert_eq!(status, 201, "{body}");
        let o = overview(&t, &client).await;
        assert_eq!(o["raised_fen"], 60_000_000 + 1_234_567);
        assert_eq!(o["paired_organisations"], 63);

        // The brand competition: a new score for Gulao's project is its line's score.
        let (_, detail) =
            get_json(&client, &t.url(&format!("/api/v1/facilities/{gulao_id}"))).await;
        let brand = detail["brand_projects"][0]["id"].as_i64().unwrap();
        let sheet = kangyang_domain::assessment::brand_competition_template();
        let scores: serde_json::Map<String, serde_json::Value> = sheet
            .criteria()
            .map(|c| (c.code.clone(), c.max_score.into()))
            .collect();
        let (status, scored) = post_json(
            &client,
            &csrf,
            &t.url(&format!("/api/v1/facilities/{gulao_id}/ratings")),
            serde_json::json!({ "template": "brand_competition", "brand_project_id": brand, "scores": scores,
                "assessed_on": t.app.today().to_string(), "assessor": "评比组" }),
        )
        .await;
        assert_eq!(status, 201, "{scored}");
        let o = overview(&t, &client).await;
        let line = o["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == gulao_id)
            .unwrap()
            .clone();
        assert_eq!(line["brand_score"], 100);
        let (_, detail) =
            get_json(&client, &t.url(&format!("/api/v1/facilities/{gulao_id}"))).await;
        assert_eq!(detail["brand_projects"][0]["prize"], "一等奖");
        assert_eq!(
            detail["facility"]["stars"], 2,
            "the brand score is not a star rating"
        );
    }
);

backend_test!(
    centre_staff_reach_only_their_own_centre,
    |b: Backend| async move {
        let t = start_app(b).await;
        scenario(&t).await;
        let gulao = centre_id(&t.app, GULAO_CENTRE).await.unwrap().unwrap();
        let longkou = centre_id(&t.app, "龙口镇康园中心").await.unwrap().unwrap();
        staff(&t, "centrestaff", Role::FacilityStaff, gulao, "440784103").await;
        t.user("heshan", Role::Official, "440784").await;
        let (official, _) = t.login("heshan").await;
        let (client, csrf) = t.login("centrestaff").await;

        let (_, list) = get_json(&client, &t.url("/api/v1/facilities")).await;
        let names: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, [GULAO_CENTRE]);
        let (status, own) = get_json(
            &client,
            &t.url(&format!("/api/v1/facilities/{gulao}/enrolments")),
        )
        .await;
        assert_eq!(status, 200);
        let own_trainee = own[0]["person_id"].as_i64().unwrap();
        assert_eq!(
            get_json(&client, &t.url(&format!("/api/v1/persons/{own_trainee}")))
                .await
                .0,
            200
        );

        let (_, theirs) = get_json(
            &official,
            &t.url(&format!("/api/v1/facilities/{longkou}/enrolments")),
        )
        .await;
        let their_trainee = theirs[0]["person_id"].as_i64().unwrap();
        for path in [
            format!("/api/v1/facilities/{longkou}"),
            format!("/api/v1/facilities/{longkou}/enrolments"),
            format!("/facilities/{longkou}"),
            format!("/facilities/{longkou}/attendance"),
            format!("/api/v1/persons/{their_trainee}"),
            "/api/v1/regions/440784/kangyuan".to_owned(),
        ] {
            assert_eq!(get_json(&client, &t.url(&path)).await.0, 404, "{path}");
        }
        let (status, _) = post_json(
            &client,
            &csrf,
            &t.url(&format!("/api/v1/facilities/{longkou}/enrolments")),
            serde_json::json!({ "person_id": own_trainee }),
        )
        .await;
        assert_eq!(status, 404, "enrolling into another centre");
        let (status, body) = post_json(
            &client,
            &csrf,
            &t.url(&format!("/api/v1/facilities/{gulao}/enrolments")),
            serde_json::json!({ "person_id": their_trainee }),
        )
        .await;
        assert_eq!(
            status, 422,
            "staff enrol by ID number, not by record number: {body}"
        );
        assert!(
            body["message"].as_str().unwrap().contains("身份证号"),
            "{body}"
        );
        let (status, _) = post_json(
            &client,
            &csrf,
            &t.url(&format!("/api/v1/facilities/{longkou}/attendance")),
            serde_json::json!({ "person_id": their_trainee }),
        )
        .await;
        assert_eq!(status, 404);

        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let (denials,): (i64,) = sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE username = 'centrestaff' AND result = 'denied'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert!(denials >= 6, "denials are audited ({denials})");
    }
);

/// A person for enrolment tests: born `age` years before today, with a disability.
pub async fn disabled_person(
    t: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    n: u16,
    age: u16,
    category: &str,
    grade: &str,
) -> (i64, String) {
    let today = t.app.today();
    let birth = CivilDate::new(today.year() - age, 1, 1 + (n % 28) as u8).unwrap();
    let id_number = IdNumber::from_parts("440784", birth, 500 + n)
        .unwrap()
        .as_str()
        .to_owned();
    let (status, body) = post_json(
        client,
        csrf,
        &t.url("/api/v1/persons"),
        serde_json::json!({
            "id_number": id_number, "name": name_for(n), "village": "440784103202",
            "address": "第3村民小组12号", "disability_category": category, "disability_grade": grade,
        }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    (body["id"].as_i64().unwrap(), id_number)
}

backend_test!(
    enrolment_follows_the_centres_rule_and_says_which_failed,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        let (client, csrf) = t.login("heshan").await;
        let (status, body) = post_json(
            &client,
            &csrf,
            &t.url("/api/v1/facilities"),
            serde_json::json!({ "name": "古劳镇康园中心", "kind": "kangyuan_centre", "region": "440784103",
                "address": "古劳镇新墟路", "floor_area_m2": "350", "villages": "440784103202 440784103203" }),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        let centre = body["id"].as_i64().unwrap();
        // The same through the page form: a bad region is named, nothing is stored.
        let res = client
            .post(t.url("/facilities"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("name", "址山镇康园中心"),
                ("kind", "kangyuan_centre"),
                ("region", "445302001"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
        assert!(res.text().await.unwrap().contains("不在您的管辖范围内"));
        let res = client
            .post(t.url("/facilities"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("name", "址山镇康园中心"),
                ("kind", "社区康园中心"),
                ("region", "440784107"),
                ("floor_area_m2", "55"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        // A relocation keeps the old site and its dates.
        let today = t.app.today();
        let (status, body) = post_json(
            &client,
            &csrf,
            &t.url(&format!("/api/v1/facilities/{centre}/relocations")),
            serde_json::json!({ "address": "古劳镇新址", "floor_area_m2": "350",
                "day": today.add_days(-1).unwrap().to_string() }),
        )
        .await;
        assert_eq!(status, 422, "before the current site opened: {body}");
        let (status, body) = post_json(
            &client,
            &csrf,
            &t.url(&format!("/api/v1/facilities/{centre}/relocations")),
            serde_json::json!({ "address": "古劳镇新址", "floor_area_m2": "350", "day": today.to_string(), "note": "迁出敬老院" }),
        )
        .await;
        assert_eq!(status, 204, "{body}");
        let (_, detail) = get_json(&client, &t.url(&format!("/api/v1/facilities/{centre}"))).await;
        let sites = detail["sites"].as_array().unwrap();
        assert_eq!(sites.len(), 2);
        assert_eq!(
            (sites[0]["address"].clone(), sites[0]["moved_out"].clone()),
            ("古劳镇新址".into(), serde_json::Value::Null)
        );
        assert_eq!(
            (sites[1]["address"].clone(), sites[1]["moved_out"].clone()),
            ("古劳镇新墟路".into(), today.to_string().into())
        );
        assert_eq!(detail["facility"]["floor_area_m2"], 350);
        let (_, listed) = get_json(&client, &t.url("/api/v1/facilities?region=440784")).await;
        assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
        let enrol_url = t.url(&format!("/api/v1/facilities/{centre}/enrolments"));
        let enrol = |person: serde_json::Value| post_json(&client, &csrf, &enrol_url, person);

        let (ok, ok_number) = disabled_person(&t, &client, &csrf, 1, 30, "智力残疾", "三级").await;
        let (physical_mild, _) =
            disabled_person(&t, &client, &csrf, 2, 30, "肢体残疾", "三级").await;
        let (old, _) = disabled_person(&t, &client, &csrf, 3, 63, "精神残疾", "二级").await;
        let (old_and_mild, _) =
            disabled_person(&t, &client, &csrf, 4, 63, "肢体残疾", "四级").await;

        let (status, body) = enrol(serde_json::json!({ "id_number": ok_number })).await;
        assert_eq!(status, 201, "enrolled by ID number: {body}");
        let (status, body) = enrol(serde_json::json!({ "person_id": ok })).await;
        assert_eq!(status, 409, "already enrolled: {body}");

        let (status, body) = enrol(serde_json::json!({ "person_id": physical_mild })).await;
        assert_eq!(status, 422);
        let message = body["message"].as_str().unwrap();
        assert!(
            message.contains("肢体残疾"),
            "names the disability rule: {message}"
        );
        assert!(!message.contains("岁"), "age was fine: {message}");

        let (status, body) = enrol(serde_json::json!({ "person_id": old })).await;
        assert_eq!(status, 422);
        assert!(body["message"].as_str().unwrap().contains("63"), "{body}");

        let (status, body) = enrol(serde_json::json!({ "person_id": old_and_mild })).await;
        assert_eq!(status, 422);
        let message = body["message"].as_str().unwrap();
        assert!(
            message.contains("岁") && message.contains("残疾"),
            "both rules: {message}"
        );
        assert!(
            !message.contains(&name_for(4)),
            "no personal data in the message"
        );

        let (_, trainees) = get_json(
            &client,
            &t.url(&format!("/api/v1/facilities/{centre}/enrolments")),
        )
        .await;
        let ids: Vec<i64> = trainees
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["person_id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [ok]);
    }
);

backend_test!(
    attendance_piecework_and_counselling_are_recorded_and_kept_apart,
    |b: Backend| async move {
        let t = start_app(b).await;
        scenario(&t).await;
        let gulao = centre_id(&t.app, GULAO_CENTRE).await.unwrap().unwrap();
        staff(&t, "centrestaff", Role::FacilityStaff, gulao, "440784103").await;
        staff(&t, "counsellor", Role::Counsellor, gulao, "440784103").await;
        let (client, csrf) = t.login("centrestaff").await;
        let (counsellor, counsellor_csrf) = t.login("counsellor").await;
        let (_, trainees) = get_json(
            &client,
            &t.url(&format!("/api/v1/facilities/{gulao}/enrolments")),
        )
        .await;
        let trainee = trainees[0]["person_id"].as_i64().unwrap();
        let today = t.app.today().to_string();

        // Attendance: absent, then present; the last mark stands, once.
        for mark in ["absent", "present"] {
            let (status, body) = post_json(
                &client,
                &csrf,
                &t.url(&format!("/api/v1/facilities/{gulao}/attendance")),
                serde_json::json!({ "person_id": trainee, "day": today, "mark": mark }),
            )
            .await;
            assert_eq!(status, 204, "{body}");
        }
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT present FROM attendance WHERE facility_id = $1 AND person_id = $2 AND day = $3",
        )
        .bind(gulao)
        .bind(trainee)
        .bind(&today)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        assert_eq!(rows, [(1,)]);
        let (status, body) = post_json(
            &client,
            &csrf,
            &t.url(&format!("/api/v1/facilities/{gulao}/attendance")),
            serde_json::json!({ "person_id": trainee, "day": "2099-01-01" }),
        )
        .await;
        assert_eq!(status, 422, "a future day: {body}");
        assert!(body["message"].as_str().unwrap().contains("以后"));

        // Piecework: an order taken on, a day's output recorded, progress follows.
        let (status, order) = post_json(
            &client,
            &csrf,
            &t.url(&format!("/api/v1/facilities/{gulao}/orders")),
            serde_json::json!({ "company": "某纸品公司", "product": "礼品袋粘贴", "unit_price": "0.15",
                "quantity": "1000", "start_date": today, "due_date": today }),
        )
        .await;
        assert_eq!(status, 201, "{order}");
        for quantity in [100, 120] {
            let res = client
                .post(t.url(&format!("/api/v1/facilities/{gulao}/orders/{}/output", order["id"])))
                .header("x-csrf-token", &csrf)
                .json(&serde_json::json!({ "person_id": trainee, "day": today, "quantity": quantity }))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 204);
        }
        let (_, orders) = get_json(
            &client,
            &t.url(&format!("/api/v1/facilities/{gulao}/orders")),
        )
        .await;
        let taken = orders
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == order["id"])
            .unwrap();
        assert_eq!(
            (taken["produced"].clone(), taken["progress"].clone()),
            (120.into(), "12.0%".into()),
            "the day's figure is replaced, not added"
        );

        // The payout is pieces × unit price, summed per trainee.
        let month = &today[..7];
        let payout = client
            .get(t.url(&format!("/facilities/{gulao}/payout.xlsx?month={month}")))
            .send()
            .await
            .unwrap();
        assert_eq!(payout.status(), 200);
        let bytes = payout.bytes().await.unwrap();
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let sheet = calamine::Reader::worksheet_range_at(&mut book, 0)
            .unwrap()
            .unwrap();
        let rows: Vec<Vec<String>> = sheet
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        assert!(rows[0][0].contains(GULAO_CENTRE));
        assert_eq!(rows[1][1], "姓名");
        let (expected_fen,): (i64,) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(w.quantity * o.unit_price_fen), 0) AS BIGINT) FROM piecework_output w \
             JOIN piecework_orders o ON o.id = w.order_id WHERE o.facility_id = $1 AND w.day >= $2 AND w.day <= $3",
        )
        .bind(gulao)
        .bind(format!("{month}-01"))
        .bind(format!("{month}-31"))
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        let total_row = rows
            .iter()
            .find(|r| r.get(1).is_some_and(|c| c == "合计"))
            .unwrap();
        let total: f64 = total_row[5].parse().unwrap();
        assert_eq!((total * 100.0).round() as i64, expected_fen);
        assert!(
            rows.iter()
                .any(|r| r.get(2).is_some_and(|c| c == "礼品袋粘贴") && r[5] == "18.00"),
            "120 pieces at 0.15 yuan: {rows:?}"
        );

        // Counselling notes: counsellors write and read them; staff cannot.
        let note = "情绪稳定，家属反映睡眠改善";
        let res = counsellor
            .post(t.url(&format!("/api/v1/facilities/{gulao}/counselling")))
            .header("x-csrf-token", &counsellor_csrf)
            .json(&serde_json::json!({ "person_id": trainee, "day": today, "notes": note }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let (status, sessions) = get_json(
            &counsellor,
            &t.url(&format!("/api/v1/facilities/{gulao}/counselling")),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(sessions[0]["notes"], note);
        assert_eq!(
            get_json(
                &client,
                &t.url(&format!("/api/v1/facilities/{gulao}/counselling"))
            )
            .await
            .0,
            403
        );
        let longkou = centre_id(&t.app, "龙口镇康园中心").await.unwrap().unwrap();
        assert_eq!(
            get_json(
                &counsellor,
                &t.url(&format!("/api/v1/facilities/{longkou}/counselling"))
            )
            .await
            .0,
            404,
            "a counsellor reads only their own centre's notes"
        );
        let (stored,): (Vec<u8>,) = sqlx::query_as("SELECT notes_cipher FROM counselling_sessions")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert!(
            !String::from_utf8_lossy(&stored).contains("睡眠"),
            "notes are sealed at rest"
        );
    }
);

backend_test!(
    a_bad_facility_field_is_named_by_its_key_with_the_label_beside,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        let (client, csrf) = t.login("heshan").await;
        let good = serde_json::json!({ "name": "古劳康园中心", "kind": "kangyuan_centre",
            "region": "440784103", "address": "古劳镇", "capacity": "30" });
        for (key, value, label) in [
            ("name", "", "名称"),
            ("kind", "palace", "类型"),
            ("region", "445302", "所在区划"),
            ("longitude", "200", "经度"),
            ("capacity", "-1", "床位/学位"),
            ("contact_phone", "1".repeat(31).as_str(), "联系电话"),
            ("villages", "4407841", "服务村（社区）"),
        ] {
            let mut body = good.clone();
            body[key] = value.into();
            let (status, e) = post_json(&client, &csrf, t.url("/api/v1/facilities"), body).await;
            assert_bad_field(status, &e, key, label);
        }
        let (status, e) = post_json(&client, &csrf, t.url("/api/v1/facilities"), good).await;
        assert_eq!(status, 201, "{e}");
        let centre = e["id"].as_i64().unwrap();
        // A piecework order: named the same way.
        let today = t.app.today().to_string();
        let yesterday = t.app.today().add_days(-1).unwrap().to_string();
        for (key, value, label) in [
            ("company", "", "委托企业"),
            ("unit_price", "0", "单价（元）"),
            ("quantity", "many", "数量"),
            ("due_date", yesterday.as_str(), "交货日期"),
        ] {
            let mut body = serde_json::json!({ "company": "某纸品公司", "product": "礼品袋粘贴",
                "unit_price": "0.15", "quantity": "1000", "start_date": today, "due_date": today });
            body[key] = value.into();
            let (status, e) = post_json(
                &client,
                &csrf,
                t.url(&format!("/api/v1/facilities/{centre}/orders")),
                body,
            )
            .await;
            assert_bad_field(status, &e, key, label);
        }
        // A star rating with a bad date or no assessor: named the same way.
        let scores: serde_json::Map<String, serde_json::Value> =
            kangyang_domain::assessment::kangyuan_star_template()
                .criteria()
                .map(|c| (c.code.clone(), c.max_score.into()))
                .collect();
        let tomorrow = t.app.today().add_days(1).unwrap().to_string();
        for (key, value, label) in [
            ("assessed_on", tomorrow.as_str(), "评定日期"),
            ("assessor", " ", "评定人"),
        ] {
            let mut body = serde_json::json!({ "template": "kangyuan_star", "scores": scores,
                "assessed_on": t.app.today().to_string(), "assessor": "复评组" });
            body[key] = value.into();
            let (status, e) = post_json(
                &client,
                &csrf,
                t.url(&format!("/api/v1/facilities/{centre}/ratings")),
                body,
            )
            .await;
            assert_bad_field(status, &e, key, label);
        }
        let (status, e) = post_json(
            &client,
            &csrf,
            t.url(&format!("/api/v1/facilities/{centre}/rooms")),
            serde_json::json!({ "name": "康复室", "function": "康复", "area_m2": "很大" }),
        )
        .await;
        assert_eq!(status, 422, "{e}");
        assert_eq!(
            (e["field"].as_str(), e["label"].as_str()),
            (Some("area_m2"), Some("面积（平方米）"))
        );
    }
);

/// A Kangyuan centre created through the API by a signed-in official.
async fn new_centre(t: &TestApp, client: &reqwest::Client, csrf: &str, town: &str) -> i64 {
    let (status, body) = post_json(
        client,
        csrf,
        &t.url("/api/v1/facilities"),
        serde_json::json!({ "name": "沙坪康园中心", "kind": "kangyuan_centre", "region": town }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

backend_test!(
    a_brand_project_its_milestone_and_score_show_on_the_centre_and_the_overview,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        t.user("yunfu", Role::Official, "4453").await;
        let (client, csrf) = t.login("heshan").await;
        let centre = new_centre(&t, &client, &csrf, "440784103").await;
        let base = format!("/api/v1/facilities/{centre}/brand-projects");
        let today = t.app.today();
        let year = today.year();

        let (status, created) = post_json(
            &client,
            &csrf,
            &t.url(&base),
            serde_json::json!({ "name": "古劳水乡手工坊", "description": "学员编织水乡藤器",
                "started_on": today.add_days(-10).unwrap().to_string() }),
        )
        .await;
        assert_eq!(status, 201, "{created}");
        let brand = created["id"].as_i64().unwrap();
        let (status, m) = post_json(
            &client,
            &csrf,
            &t.url(&format!("{base}/{brand}/milestones")),
            serde_json::json!({ "name": "藤器样品定型", "planned_on": format!("{year}-12-30"),
                "done_on": today.to_string() }),
        )
        .await;
        assert_eq!(status, 201, "{m}");
        // A yearly score without a prize takes the prize its score reaches.
        let (status, s) = post_json(
            &client,
            &csrf,
            &t.url(&format!("{base}/{brand}/score")),
            serde_json::json!({ "year": year, "score": 78, "prize": "" }),
        )
        .await;
        assert_eq!(status, 201, "{s}");

        let (status, list) = get_json(&client, &t.url(&base)).await;
        assert_eq!(status, 200);
        assert_eq!(list[0]["name"], "古劳水乡手工坊");
        assert_eq!(list[0]["score"], 78);
        assert_eq!(list[0]["prize"], "二等奖");
        assert_eq!(list[0]["score_year"], year.to_string());
        assert_eq!(list[0]["milestones"][0]["name"], "藤器样品定型");
        assert_eq!(list[0]["milestones"][0]["done_on"], today.to_string());

        let page =
            crate::support::get_text(&client, &t.url(&format!("/facilities/{centre}"))).await;
        assert!(
            page.contains("古劳水乡手工坊"),
            "the centre page shows the project"
        );
        assert!(
            page.contains(&format!("藤器样品定型：已完成（{today}）")),
            "and its milestone"
        );
        assert!(
            page.contains(&format!("{year} 年度 78 分（二等奖）")),
            "and its score"
        );

        // A prize given stands (decided by rank), and the newer score is shown.
        let (status, s) = post_json(
            &client,
            &csrf,
            &t.url(&format!("{base}/{brand}/score")),
            serde_json::json!({ "year": year.to_string(), "score": "90", "prize": "二等奖" }),
        )
        .await;
        assert_eq!(status, 201, "{s}");
        // An earlier year's score does not displace this year's.
        let (status, s) = post_json(
            &client,
            &csrf,
            &t.url(&format!("{base}/{brand}/score")),
            serde_json::json!({ "year": year - 1, "score": 40 }),
        )
        .await;
        assert_eq!(status, 201, "{s}");
        let (_, o) = get_json(&client, &t.url("/api/v1/regions/440784/kangyuan")).await;
        let line = o["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == centre)
            .unwrap()
            .clone();
        assert_eq!(line["brand_score"], 90);
        let overview = crate::support::get_text(&client, &t.url("/regions/440784/kangyuan")).await;
        assert!(
            overview.contains("<td class=\"num\">90</td></tr>"),
            "康园概况 shows the score"
        );
        let (_, list) = get_json(&client, &t.url(&base)).await;
        assert_eq!(list[0]["prize"], "二等奖");

        // Bad input names the field.
        for (path, body, key, label) in [
            (
                base.clone(),
                serde_json::json!({ "name": " ", "started_on": "2026-01-01" }),
                "name",
                "项目名称",
            ),
            (
                base.clone(),
                serde_json::json!({ "name": "品牌", "started_on": "2026-13-01" }),
                "started_on",
                "启动日期",
            ),
            (
                format!("{base}/{brand}/milestones"),
                serde_json::json!({ "name": "", "planned_on": "2026-03-01" }),
                "name",
                "里程碑名称",
            ),
            (
                format!("{base}/{brand}/milestones"),
                serde_json::json!({ "name": "展示", "planned_on": "三月" }),
                "planned_on",
                "计划日期",
            ),
            (
                format!("{base}/{brand}/milestones"),
                serde_json::json!({ "name": "展示", "planned_on": format!("{year}-03-01"),
                "done_on": today.add_days(1).unwrap().to_string() }),
                "done_on",
                "完成日期",
            ),
            (
                format!("{base}/{brand}/score"),
                serde_json::json!({ "year": year + 1, "score": 80 }),
                "year",
                "评比年度",
            ),
            (
                format!("{base}/{brand}/score"),
                serde_json::json!({ "year": year, "score": 101 }),
                "score",
                "得分",
            ),
            (
                format!("{base}/{brand}/score"),
                serde_json::json!({ "year": year, "score": 80, "prize": "特等奖" }),
                "prize",
                "奖项",
            ),
        ] {
            let (status, e) = post_json(&client, &csrf, &t.url(&path), body).await;
            assert_bad_field(status, &e, key, label);
        }
        let (_, list) = get_json(&client, &t.url(&base)).await;
        assert_eq!(list.as_array().unwrap().len(), 1, "nothing half-written");
        assert_eq!(list[0]["milestones"].as_array().unwrap().len(), 1);

        // Another region's official finds neither the centre nor its project,
        // and a project reached through another centre's path is not found.
        let (yunfu, yunfu_csrf) = t.login("yunfu").await;
        let (status, _) = get_json(&yunfu, &t.url(&base)).await;
        assert_eq!(status, 404);
        for (path, body) in [
            (
                base.clone(),
                serde_json::json!({ "name": "冒名项目", "started_on": "2026-01-01" }),
            ),
            (
                format!("{base}/{brand}/milestones"),
                serde_json::json!({ "name": "冒名", "planned_on": "2026-03-01" }),
            ),
            (
                format!("{base}/{brand}/score"),
                serde_json::json!({ "year": year, "score": 99 }),
            ),
        ] {
            let (status, e) = post_json(&yunfu, &yunfu_csrf, &t.url(&path), body).await;
            assert_eq!(status, 404, "{path}: {e}");
        }
        let other = new_centre(&t, &client, &csrf, "440784103").await;
        let (status, _) = post_json(
            &client,
            &csrf,
            &t.url(&format!(
                "/api/v1/facilities/{other}/brand-projects/{brand}/score"
            )),
            serde_json::json!({ "year": year, "score": 99 }),
        )
        .await;
        assert_eq!(status, 404, "a project is scored through its own centre");
        let (_, list) = get_json(&client, &t.url(&base)).await;
        assert_eq!(list[0]["score"], 90, "no stranger's score was kept");
    }
);
