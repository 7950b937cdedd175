//! Home-care service orders: a hotline order dispatched, accepted, checked in
//! and out by the provider's caregiver, rated by the family and settled in
//! its month; a flagged order held back until reviewed; the entitlement
//! splitting what the government and the person pay; a provider's staff
//! seeing only their provider's orders.

use crate::backend_test;
use crate::support::{
    assert_bad_field, get_json, send_json, start_app_with_clock, Backend, TestApp, PASSWORD,
};
use kangyang_app::auth::Password;
use kangyang_app::{users, Config};
use kangyang_domain::{RegionCode, Role};
use serde_json::{json, Value};

const VILLAGE: &str = "445302001009";

async fn staff(t: &TestApp, username: &str, facility: i64) {
    users::create_from_cli(
        &t.app,
        &users::NewAccount {
            username: username.into(),
            display_name: format!("护理员{}", crate::register::name_for(username.len() as u16)),
            password: Password(PASSWORD.to_owned()),
            role: Role::FacilityStaff,
            region: RegionCode::parse("445302001").unwrap(),
            facility_id: Some(facility),
            must_change_password: false,
        },
    )
    .await
    .unwrap();
}

/// "YYYY-MM-DD HH:MM" in Shanghai, `seconds` from now.
fn at(t: &TestApp, seconds: i64) -> String {
    let mut s = kangyang_app::civil::datetime(t.app.now() + seconds);
    s.truncate(16);
    s
}

/// A provider serving the test village, made by the official.
pub async fn provider(t: &TestApp, client: &reqwest::Client, csrf: &str, name: &str) -> i64 {
    let (status, body) = t
        .post_json(
            client,
            csrf,
            "/api/v1/facilities",
            json!({
        "name": name, "kind": "home_care_centre", "region": "445302001",
        "villages": VILLAGE, "capacity": "10" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

backend_test!(
    a_hotline_order_is_served_rated_and_settled_and_a_flagged_one_held_until_reviewed,
    |b: Backend| async move {
        let t = start_app_with_clock(b, Config::default()).await;
        // The clock starts at 22:13 in Shanghai: move to the next morning so
        // that the day's visits fall on one day.
        t.advance(10 * 3600);
        t.user("yunfu", Role::Official, "4453").await;
        let (official, csrf) = t.login("yunfu").await;
        // An 84-year-old on 低保 living alone: 200 yuan a month of service.
        let person = crate::register::create_person(&t, &official, &csrf, VILLAGE, 1).await;
        let first = provider(&t, &official, &csrf, "云城区居家养老服务中心").await;
        let second = provider(&t, &official, &csrf, "河口居家养老服务站").await;
        staff(&t, "carer", first).await;
        staff(&t, "rival", second).await;
        let (status, caregiver) = t
            .post_json(
                &official,
                &csrf,
                &format!("/api/v1/home-care/providers/{first}/caregivers"),
                json!({ "name": "陈秀兰", "qualification": "养老护理员（四级）",
                    "phone": "13800001111", "username": "carer" }),
            )
            .await;
        assert_eq!(status, 201, "{caregiver}");
        let caregiver = caregiver["id"].as_i64().unwrap();
        let (status, list) = get_json(
            &official,
            &t.url(&format!("/api/v1/home-care/providers/{first}/caregivers")),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            list[0]["phone"], "138****1111",
            "the phone is masked: {list}"
        );
        // The home's position, for the check-in distance rule.
        let (status, _) = send_json(
            &official,
            &csrf,
            reqwest::Method::PUT,
            &t.url(&format!("/api/v1/persons/{person}/home-care")),
            json!({ "longitude": "112.044", "latitude": "22.915" }),
        )
        .await;
        assert_eq!(status, 204);

        // The hotline takes three requests: a bath in an hour, another in
        // four hours, a third tomorrow.
        let order = |item: &'static str, when: i64| {
            let (t, official, csrf) = (&t, &official, &csrf);
            async move {
                let (status, body) = t
                    .post_json(
                        official,
                        csrf,
                        "/api/v1/home-care/orders",
                        json!({
                    "person_id": person, "item": item, "scheduled_at": at(t, when),
                    "channel": "hotline", "notes": "家属来电" }),
                    )
                    .await;
                assert_eq!(status, 201, "{body}");
                body
            }
        };
        let one = order("bathing", 3600).await;
        let two = order("bathing", 4 * 3600).await;
        let three = order("bathing", 86_400).await;
        assert_eq!(one["entitlement"], "经济困难老年人");
        assert_eq!(
            (one["government_fen"].as_i64(), one["personal_fen"].as_i64()),
            (Some(8000), Some(0))
        );
        assert_eq!(
            (two["government_fen"].as_i64(), two["personal_fen"].as_i64()),
            (Some(8000), Some(0))
        );
        // 160 of the 200 yuan used: the third bath is half the government's, half the person's.
        assert_eq!(
            (
                three["government_fen"].as_i64(),
                three["personal_fen"].as_i64()
            ),
            (Some(4000), Some(4000))
        );
        let (one, two) = (one["id"].as_i64().unwrap(), two["id"].as_i64().unwrap());
        let (status, client) = get_json(
            &official,
            &t.url(&format!("/api/v1/persons/{person}/home-care")),
        )
        .await;
        assert_eq!(status, 200, "{client}");
        if t.app.today().add_days(1).unwrap().month() == t.app.today().month() {
            assert_eq!(client["remaining_fen"], 0, "{client}");
        }
        assert_eq!(client["home_located"], true);

        // Dispatch: both providers serve the village and have room; the
        // suggestion is the first, least loaded.
        let (status, d) = get_json(
            &official,
            &t.url(&format!("/api/v1/home-care/orders/{one}")),
        )
        .await;
        assert_eq!(status, 200, "{d}");
        assert_eq!(d["order"]["state"], "requested");
        let suggested: Vec<i64> = d["providers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["suggested"] == true)
            .map(|p| p["id"].as_i64().unwrap())
            .collect();
        assert_eq!(suggested, [first]);
        let (status, body) = t
            .post_json(
                &official,
                &csrf,
                &format!("/api/v1/home-care/orders/{one}/dispatch"),
                json!({}),
            )
            .await;
        assert_eq!(
            (status, body["provider_id"].as_i64()),
            (200, Some(first)),
            "{body}"
        );
        // The first now has a booking that day: the suggestion moves to the
        // second; the operator overrides it.
        let (_, d) = get_json(
            &official,
            &t.url(&format!("/api/v1/home-care/orders/{two}")),
        )
        .await;
        let suggested: Vec<i64> = d["providers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["suggested"] == true)
            .map(|p| p["id"].as_i64().unwrap())
            .collect();
        assert_eq!(suggested, [second], "{}", d["providers"]);
        let (status, body) = t
            .post_json(
                &official,
                &csrf,
                &format!("/api/v1/home-care/orders/{two}/dispatch"),
                json!({ "provider_id": first }),
            )
            .await;
        assert_eq!(
            (status, body["provider_id"].as_i64()),
            (200, Some(first)),
            "{body}"
        );

        // The provider's staff see their provider's orders; the other's see none.
        let (carer, carer_csrf) = t.login("carer").await;
        let (rival, rival_csrf) = t.login("rival").await;
        let (status, mine) = get_json(&carer, &t.url("/api/v1/home-care/orders")).await;
        assert_eq!(status, 200);
        let mut ids: Vec<i64> = mine
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_i64().unwrap())
            .collect();
        ids.sort();
        assert_eq!(ids, [one, two]);
        let (status, theirs) = get_json(&rival, &t.url("/api/v1/home-care/orders")).await;
        assert_eq!((status, theirs.as_array().unwrap().len()), (200, 0));
        for path in [
            format!("/api/v1/home-care/orders/{one}"),
            format!("/api/v1/home-care/providers/{first}/settlement"),
            format!("/home-care/orders/{one}"),
        ] {
            let res = rival.get(t.url(&path)).send().await.unwrap();
            assert_eq!(res.status(), 404, "{path}");
        }
        let (status, _) = t
            .post_json(
                &rival,
                &rival_csrf,
                &format!("/api/v1/home-care/orders/{one}/check-in"),
                json!({}),
            )
            .await;
        assert_eq!(
            status, 404,
            "another provider's order does not exist for them"
        );
        // Providers do not dispatch, and cannot take requests.
        let (status, _) = t
            .post_json(
                &carer,
                &carer_csrf,
                &format!("/api/v1/home-care/orders/{one}/dispatch"),
                json!({}),
            )
            .await;
        assert_eq!(status, 409);
        let (status, _) = t
            .post_json(
                &carer,
                &carer_csrf,
                "/api/v1/home-care/orders",
                json!({ "person_id": person, "item": "bathing", "scheduled_at": at(&t, 3600) }),
            )
            .await;
        assert_eq!(status, 403);

        // The provider accepts both with its caregiver.
        for id in [one, two] {
            let (status, body) = t
                .post_json(
                    &carer,
                    &carer_csrf,
                    &format!("/api/v1/home-care/orders/{id}/accept"),
                    json!({ "caregiver_id": caregiver }),
                )
                .await;
            assert_eq!(status, 204, "{body}");
        }
        // Checked in at the door (about 30 m away), out an hour later: clean.
        let (status, body) = t
            .post_json(
                &carer,
                &carer_csrf,
                &format!("/api/v1/home-care/orders/{one}/check-in"),
                json!({ "longitude": "112.0442", "latitude": "22.9152" }),
            )
            .await;
        assert_eq!(status, 204, "{body}");
        t.advance(3600);
        // Sessions end after 15 idle minutes: sign in again after the visit.
        let (carer, carer_csrf) = t.login("carer").await;
        let (status, out) = t
            .post_json(
                &carer,
                &carer_csrf,
                &format!("/api/v1/home-care/orders/{one}/check-out"),
                json!({}),
            )
            .await;
        assert_eq!(status, 200, "{out}");
        assert_eq!(out["anomalies"], json!([]));
        // The second: checked out with no check-in.
        t.advance(4 * 3600);
        let (carer, carer_csrf) = t.login("carer").await;
        let (official, csrf) = t.login("yunfu").await;
        let (status, out) = t
            .post_json(
                &carer,
                &carer_csrf,
                &format!("/api/v1/home-care/orders/{two}/check-out"),
                json!({}),
            )
            .await;
        assert_eq!(status, 200, "{out}");
        assert_eq!(out["anomalies"], json!(["未签到即签退"]));

        // The family rates the first by phone; the provider may not rate itself.
        let (status, _) = t
            .post_json(
                &carer,
                &carer_csrf,
                &format!("/api/v1/home-care/orders/{one}/rating"),
                json!({ "stars": "5", "by": "family" }),
            )
            .await;
        assert_eq!(status, 409);
        let (status, body) = t
            .post_json(
                &official,
                &csrf,
                &format!("/api/v1/home-care/orders/{one}/rating"),
                json!({ "stars": "5", "by": "family", "comment": "洗得干净，态度好" }),
            )
            .await;
        assert_eq!(status, 204, "{body}");
        let (_, d) = get_json(
            &official,
            &t.url(&format!("/api/v1/home-care/orders/{one}")),
        )
        .await;
        assert_eq!(d["order"]["state"], "rated");
        assert_eq!(d["order"]["rating"], 5);
        let steps: Vec<&str> = d["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["step"].as_str().unwrap())
            .collect();
        assert_eq!(steps, ["受理", "派单", "接单", "签到", "签退", "评价"]);

        // The month's settlement: both finished orders, the flagged one held.
        let month = {
            let day = kangyang_app::civil::date_of(t.app.now() - 5 * 3600);
            format!("{}-{:02}", day.year(), day.month())
        };
        let settlement_url = t.url(&format!(
            "/api/v1/home-care/providers/{first}/settlement?month={month}"
        ));
        let (status, s) = get_json(&official, &settlement_url).await;
        assert_eq!(status, 200, "{s}");
        assert_eq!(s["orders"], 2);
        let lines = s["lines"].as_array().unwrap();
        let sum = |key: &str| lines.iter().map(|l| l[key].as_i64().unwrap()).sum::<i64>();
        assert_eq!(s["government_fen"].as_i64().unwrap(), sum("government_fen"));
        assert_eq!(s["personal_fen"].as_i64().unwrap(), sum("personal_fen"));
        assert_eq!(s["government_fen"], 16_000);
        assert_eq!(
            (s["held_orders"].as_i64(), s["held_fen"].as_i64()),
            (Some(1), Some(8000))
        );
        assert_eq!(s["payable_fen"], 8000, "the flagged order is held back");
        let held: Vec<i64> = lines
            .iter()
            .filter(|l| l["status"] == "held")
            .map(|l| l["order_id"].as_i64().unwrap())
            .collect();
        assert_eq!(held, [two]);
        // The provider's own staff see the same settlement.
        let (status, own) = get_json(&carer, &settlement_url).await;
        assert_eq!((status, &own["payable_fen"]), (200, &json!(8000)));

        // Only an official reviews; a note is required; then it is paid.
        let review = format!("/api/v1/home-care/orders/{two}/review");
        assert_eq!(
            t.post_json(
                &carer,
                &carer_csrf,
                &review,
                json!({ "outcome": "confirmed", "note": "x" })
            )
            .await
            .0,
            403
        );
        let (status, body) = t
            .post_json(&official, &csrf, &review, json!({ "outcome": "confirmed" }))
            .await;
        assert_bad_field(status, &body, "note", "审核说明");
        let (status, _) = t.post_json(&official, &csrf, &review,
            json!({ "outcome": "confirmed", "note": "电话回访老人，确认当日已助浴，护理员手机故障未签到" })).await;
        assert_eq!(status, 204);
        assert_eq!(
            t.post_json(
                &official,
                &csrf,
                &review,
                json!({ "outcome": "rejected", "note": "再审" })
            )
            .await
            .0,
            409
        );
        let (_, s) = get_json(&official, &settlement_url).await;
        assert_eq!(
            (s["held_fen"].as_i64(), s["payable_fen"].as_i64()),
            (Some(0), Some(16_000))
        );

        // The xlsx the provider signs carries the same totals.
        let res = official
            .get(t.url(&format!(
                "/home-care/providers/{first}/settlement.xlsx?month={month}"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let bytes = res.bytes().await.unwrap().to_vec();
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let sheet = calamine::Reader::worksheet_range_at(&mut book, 0)
            .unwrap()
            .unwrap();
        let rows: Vec<Vec<String>> = sheet
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        let total = rows.iter().find(|r| r[0] == "合计").unwrap();
        assert_eq!((total[4].as_str(), total[6].as_str()), ("2", "160"));
        let payable = rows
            .iter()
            .find(|r| r[0] == "本月应付（政府购买）")
            .unwrap();
        assert_eq!(payable[6], "160");

        // The dashboard counts the month.
        let (status, dash) = get_json(
            &official,
            &t.url(&format!("/api/v1/home-care/dashboard?month={month}")),
        )
        .await;
        assert_eq!(status, 200, "{dash}");
        assert_eq!(dash["finished"], 2);
        assert_eq!(dash["flagged"], 1);
        assert_eq!(dash["unreviewed"], 0);
        assert_eq!(dash["satisfaction"], "5.0");
        assert!(dash["entitled"].as_i64().unwrap() >= 1);

        // A complaint becomes a case; call-backs sample every flagged order.
        let (status, complaint) = t
            .post_json(
                &official,
                &csrf,
                &format!("/api/v1/home-care/orders/{two}/complaints"),
                json!({ "text": "护理员未按时到达" }),
            )
            .await;
        assert_eq!(status, 201);
        let (status, sampled) = t
            .post_json(
                &official,
                &csrf,
                "/api/v1/home-care/callbacks",
                json!({ "month": month, "per_mille": 100 }),
            )
            .await;
        assert_eq!(status, 200, "{sampled}");
        assert!(sampled["sampled"].as_array().unwrap().contains(&json!(two)));
        let (status, _) = t.post_json(&official, &csrf, &format!("/api/v1/home-care/orders/{two}/callback"),
            json!({ "reached": true, "service_confirmed": true, "satisfied": false, "notes": "老人说护理员迟到半小时" })).await;
        assert_eq!(status, 204);
        let complaint = complaint["id"].as_i64().unwrap();
        let (status, _) = t
            .post_json(
                &official,
                &csrf,
                &format!("/api/v1/home-care/complaints/{complaint}/close"),
                json!({ "outcome": "已约谈服务机构，扣减当月评分" }),
            )
            .await;
        assert_eq!(status, 204);
        let (_, cases) = get_json(&official, &t.url("/api/v1/home-care/complaints")).await;
        assert_eq!(cases[0]["open"], false);
    }
);

backend_test!(
    an_order_needs_a_known_item_a_valid_time_and_a_person_in_scope,
    |b: Backend| async move {
        let t = start_app_with_clock(b, Config::default()).await;
        t.user("yunfu", Role::Official, "4453").await;
        t.user("heshan", Role::Official, "440784").await;
        let (official, csrf) = t.login("yunfu").await;
        let (heshan, heshan_csrf) = t.login("heshan").await;
        let person = crate::register::create_person(&t, &official, &csrf, VILLAGE, 2).await;
        let attempt = |body: Value| t.post_json(&official, &csrf, "/api/v1/home-care/orders", body);
        let (status, body) = attempt(
            json!({ "person_id": person, "item": "massage", "scheduled_at": at(&t, 3600) }),
        )
        .await;
        assert_bad_field(status, &body, "item", "服务项目");
        let (status, body) =
            attempt(json!({ "person_id": person, "item": "cleaning", "scheduled_at": "明天上午" }))
                .await;
        assert_bad_field(status, &body, "scheduled_at", "预约时间");
        let (status, body) = attempt(json!({ "person_id": person, "item": "cleaning", "quantity": "9", "scheduled_at": at(&t, 3600) })).await;
        assert_bad_field(status, &body, "quantity", "数量");
        let (status, _) = t
            .post_json(
                &heshan,
                &heshan_csrf,
                "/api/v1/home-care/orders",
                json!({ "person_id": person, "item": "cleaning", "scheduled_at": at(&t, 3600) }),
            )
            .await;
        assert_eq!(
            status, 404,
            "another county's person does not exist for Heshan"
        );
        // By ID number, as a caller gives it; two hours of cleaning.
        let (status, body) = attempt(json!({ "id_number": crate::register::id_for(VILLAGE, 2),
            "item": "助洁（居室清洁）", "quantity": "2", "scheduled_at": at(&t, 7200).replace(' ', "T") })).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(
            body["government_fen"].as_i64().unwrap() + body["personal_fen"].as_i64().unwrap(),
            8000
        );
        let id = body["id"].as_i64().unwrap();
        // Nothing is cancelled without a reason; a cancelled order cannot be dispatched.
        let cancel = format!("/api/v1/home-care/orders/{id}/cancel");
        assert_eq!(
            t.post_json(&official, &csrf, &cancel, json!({})).await.0,
            422
        );
        assert_eq!(
            t.post_json(&official, &csrf, &cancel, json!({ "reason": "老人住院" }))
                .await
                .0,
            204
        );
        let (status, body) = t
            .post_json(
                &official,
                &csrf,
                &format!("/api/v1/home-care/orders/{id}/dispatch"),
                json!({}),
            )
            .await;
        assert_eq!(status, 409, "{body}");
        // A cancelled order gives its entitlement back.
        let (_, client) = get_json(
            &official,
            &t.url(&format!("/api/v1/persons/{person}/home-care")),
        )
        .await;
        assert_eq!(client["used_fen"], 0);
    }
);

backend_test!(
    the_demo_has_yunfus_providers_and_orders_in_every_state,
    |b: Backend| async move {
        let t = start_app_with_clock(b, Config::default()).await;
        kangyang_demo::seed_people(&t.app, 0.02).await.unwrap();
        let (quality, antang, hekou) = kangyang_demo::home_care::seed(&t.app).await.unwrap();
        assert_eq!(
            kangyang_demo::home_care::seed(&t.app).await.unwrap(),
            (quality, antang, hekou),
            "a second run reuses what is there"
        );
        no_finished_order_breaks_a_rule_unflagged(&t).await;
        users::create_from_cli(
            &t.app,
            &users::NewAccount {
                username: "huli".into(),
                display_name: "护理员".into(),
                password: Password(PASSWORD.to_owned()),
                role: Role::FacilityStaff,
                region: RegionCode::parse("445302004").unwrap(),
                facility_id: Some(antang),
                must_change_password: false,
            },
        )
        .await
        .unwrap();
        kangyang_demo::home_care::link_caregiver(&t.app, antang, "huli")
            .await
            .unwrap();
        t.user("yunfu", Role::Official, "4453").await;
        let (official, _) = t.login("yunfu").await;
        let (status, all) = get_json(&official, &t.url("/api/v1/home-care/orders")).await;
        assert_eq!(status, 200);
        let all = all.as_array().unwrap();
        let states: std::collections::BTreeSet<&str> =
            all.iter().map(|o| o["state"].as_str().unwrap()).collect();
        for state in [
            "requested",
            "dispatched",
            "accepted",
            "done",
            "rated",
            "cancelled",
        ] {
            assert!(
                states.contains(state),
                "no {state} order in {states:?} ({} orders)",
                all.len()
            );
        }
        assert!(all
            .iter()
            .any(|o| !o["anomalies"].as_array().unwrap().is_empty()));
        let (status, complaints) =
            get_json(&official, &t.url("/api/v1/home-care/complaints")).await;
        assert_eq!(status, 200);
        assert!(!complaints.as_array().unwrap().is_empty());
        let (status, dash) = get_json(&official, &t.url("/api/v1/home-care/dashboard")).await;
        assert_eq!(status, 200, "{dash}");
        assert!(dash["orders"].as_i64().unwrap() > 0, "{dash}");
        for page in [
            "/home-care",
            "/home-care/orders",
            &format!("/home-care/providers/{antang}"),
        ] {
            let res = official.get(t.url(page)).send().await.unwrap();
            assert_eq!(res.status(), 200, "{page}");
        }
        // The demo caregiver sees the Antang provider's work only.
        let (huli, _) = t.login("huli").await;
        let (status, mine) = get_json(&huli, &t.url("/api/v1/home-care/orders?mine=1")).await;
        assert_eq!(status, 200);
        let mine = mine.as_array().unwrap();
        assert!(!mine.is_empty(), "the demo caregiver has visits");
        assert!(mine.iter().all(|o| o["provider_id"] == antang));
        let (_, theirs) = get_json(&huli, &t.url("/api/v1/home-care/orders")).await;
        assert!(theirs
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["provider_id"] == antang));
        let res = huli.get(t.url("/home-care/visits")).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
);

backend_test!(
    the_demos_visits_are_flagged_by_the_rules_whatever_the_hour,
    |b: Backend| async move {
        // Early on the 1st of a month (no day of it has passed yet), and on
        // a morning when the day's visits are still to come.
        for (when, advance) in [("10-01 06:00", 805_600), ("09-22 09:00", 38_800)] {
            let t = start_app_with_clock(b, Config::default()).await;
            t.advance(advance);
            assert!(t.app.today().to_string().ends_with(&when[..5]), "{when}");
            kangyang_demo::seed_people(&t.app, 0.02).await.unwrap();
            kangyang_demo::home_care::seed(&t.app).await.unwrap();
            no_finished_order_breaks_a_rule_unflagged(&t).await;
        }
    }
);

/// Every finished order, checked against the anomaly rules from what is
/// stored of it: a visit that breaks a rule carries that flag (of two
/// overlapping visits, at least one is flagged), however it was finished.
async fn no_finished_order_breaks_a_rule_unflagged(t: &TestApp) {
    use kangyang_domain::home_care::{
        visit_anomalies, Anomaly, GeoPoint, Span, Visit, DEFAULT_ANOMALY_RULES,
    };
    type Row = (
        i64,
        i64,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        i64,
        String,
        Option<i64>,
        Option<i64>,
    );
    let mut conn = t.app.store().pool().acquire().await.unwrap();
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT o.id, o.person_id, o.check_in_at, o.check_in_lon_e6, o.check_in_lat_e6, \
         o.check_out_at, o.standard_minutes, o.anomalies, c.longitude_e6, c.latitude_e6 \
         FROM home_care_orders o LEFT JOIN home_care_clients c ON c.person_id = o.person_id \
         WHERE o.state IN ('done', 'rated') ORDER BY o.id",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    drop(conn);
    assert!(
        rows.len() > 10,
        "the demo has finished orders ({})",
        rows.len()
    );
    let point = |lon: Option<i64>, lat: Option<i64>| {
        lon.zip(lat).map(|(longitude_e6, latitude_e6)| GeoPoint {
            longitude_e6,
            latitude_e6,
        })
    };
    let span = |r: &Row| Span {
        order: r.0,
        start: r.2.unwrap_or(r.5.unwrap() - r.6 * 60),
        end: r.5.unwrap(),
    };
    let flags = |r: &Row| -> Vec<&'static str> {
        serde_json::from_str::<Vec<Anomaly>>(&r.7)
            .unwrap()
            .iter()
            .map(Anomaly::code)
            .collect()
    };
    let mut flagged = 0;
    for r in &rows {
        let check_out = r.5.expect("a finished order has checked out");
        let visit = Visit {
            order: r.0,
            home: point(r.8, r.9),
            check_in: r.2,
            check_in_at: point(r.3, r.4),
            check_out,
            standard_minutes: u32::try_from(r.6).unwrap(),
        };
        let stored = flags(r);
        flagged += usize::from(!stored.is_empty());
        for due in visit_anomalies(&visit, &[], &DEFAULT_ANOMALY_RULES) {
            assert!(
                stored.contains(&due.code()),
                "order {} ({} min on site, standard {}) breaks “{}” unflagged: {stored:?}",
                r.0,
                r.2.map_or(-1, |i| (check_out - i) / 60),
                r.6,
                due.describe()
            );
        }
        // Overlaps with the same person's other finished visits.
        for other in rows.iter().filter(|o| o.1 == r.1 && o.0 < r.0) {
            let (a, b) = (span(other), span(r));
            if a.start < b.end && b.start < a.end {
                assert!(
                    stored.contains(&"overlap") || flags(other).contains(&"overlap"),
                    "orders {} and {} overlap, neither is flagged",
                    other.0,
                    r.0
                );
            }
        }
    }
    assert!(flagged > 0, "the demo shows flagged visits too");
}

backend_test!(
    a_bad_caregiver_field_is_named_by_its_key_with_the_label_beside,
    |b: Backend| async move {
        let t = start_app_with_clock(b, Config::default()).await;
        t.user("yunfu", Role::Official, "4453").await;
        let (official, csrf) = t.login("yunfu").await;
        let first = provider(&t, &official, &csrf, "云城区居家养老服务中心").await;
        let long = "护".repeat(101);
        for (key, value, label) in [
            ("name", "", "姓名"),
            ("qualification", long.as_str(), "资质"),
            ("phone", "12345", "电话"),
            ("username", "nobody", "账号"),
        ] {
            let mut body = json!({ "name": "陈秀兰", "qualification": "养老护理员（四级）",
                "phone": "13800001111", "username": "" });
            body[key] = value.into();
            let (status, e) = t
                .post_json(
                    &official,
                    &csrf,
                    &format!("/api/v1/home-care/providers/{first}/caregivers"),
                    body,
                )
                .await;
            assert_bad_field(status, &e, key, label);
        }
        let (_, list) = get_json(
            &official,
            &t.url(&format!("/api/v1/home-care/providers/{first}/caregivers")),
        )
        .await;
        assert_eq!(list, json!([]), "nothing was stored");
    }
);
