//! Elder canteens: meals priced by tier, the monthly settlement, and the
//! same meal claimed at two canteens flagged.

use crate::backend_test;
use crate::persons::name_for;
use crate::support::{get_json, start_app, Backend, TestApp};
use kangyang_domain::{CivilDate, IdNumber, Role};

async fn post(
    t: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    path: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let res = client
        .post(t.url(path))
        .header("x-csrf-token", csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

async fn diner(
    t: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    n: u16,
    age: u16,
    economic: &str,
) -> i64 {
    let today = t.app.today();
    let birth = CivilDate::new(today.year() - age - 1, 6, 1 + (n % 28) as u8).unwrap();
    let (status, body) = post(t, client, csrf, "/api/v1/persons", serde_json::json!({
        "id_number": IdNumber::from_parts("445302", birth, 700 + n).unwrap().as_str(),
        "name": name_for(n), "village": "445302004001", "address": "安塘路2号", "economic_status": economic,
    })).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

backend_test!(
    meals_are_priced_by_tier_and_settled_with_double_claims_held,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("yunfu", Role::Official, "4453").await;
        let (client, csrf) = t.login("yunfu").await;
        let canteen = |name: &'static str| {
            let (t, client, csrf) = (&t, &client, &csrf);
            async move {
                let (status, body) = post(
                    t,
                    client,
                    csrf,
                    "/api/v1/facilities",
                    serde_json::json!({
                    "name": name, "kind": "elder_canteen", "region": "445302004" }),
                )
                .await;
                assert_eq!(status, 201, "{body}");
                body["id"].as_i64().unwrap()
            }
        };
        let first = canteen("安塘社区长者饭堂").await;
        let second = canteen("安塘村长者饭堂").await;
        let elder = diner(&t, &client, &csrf, 1, 82, "").await;
        let poor = diner(&t, &client, &csrf, 2, 70, "低保").await;
        let young = diner(&t, &client, &csrf, 3, 50, "").await;
        for person in [elder, poor, young] {
            let (status, body) = post(
                &t,
                &client,
                &csrf,
                &format!("/api/v1/facilities/{first}/enrolments"),
                serde_json::json!({ "person_id": person }),
            )
            .await;
            assert_eq!(status, 201, "{body}");
        }
        let (status, _) = post(
            &t,
            &client,
            &csrf,
            &format!("/api/v1/facilities/{second}/enrolments"),
            serde_json::json!({ "person_id": elder }),
        )
        .await;
        assert_eq!(status, 201);
        let res = client
            .put(t.url(&format!("/api/v1/facilities/{first}/canteen-mode")))
            .header("x-csrf-token", &csrf)
            .json(&serde_json::json!({ "mode": "own_kitchen" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
        let today = t.app.today().to_string();
        let (status, _) = post(
            &t,
            &client,
            &csrf,
            &format!("/api/v1/facilities/{first}/menus"),
            serde_json::json!({ "day": today, "meal": "lunch", "dishes": "蒸鱼、炒青菜、冬瓜汤" }),
        )
        .await;
        assert_eq!(status, 204);

        let meal = |facility: i64, person: i64, service: &'static str| {
            let (t, client, csrf, today) = (&t, &client, &csrf, today.clone());
            async move {
                post(t, client, csrf, &format!("/api/v1/facilities/{facility}/meals"),
                    serde_json::json!({ "person_id": person, "day": today, "meal": "lunch", "service": service })).await
            }
        };
        let (status, priced) = meal(first, elder, "dine_in").await;
        assert_eq!(status, 201, "{priced}");
        let (status, priced_poor) = meal(first, poor, "delivered").await;
        assert_eq!(status, 201, "{priced_poor}");
        let (status, body) = meal(first, young, "dine_in").await;
        assert_eq!(status, 422, "under 60 with no hardship: no tier: {body}");
        assert_eq!(
            meal(first, elder, "dine_in").await.0,
            409,
            "the same lunch twice at one canteen"
        );
        assert_eq!(
            meal(second, elder, "dine_in").await.0,
            201,
            "the same lunch at another canteen goes in, flagged"
        );

        let (status, s) = get_json(
            &client,
            &t.url(&format!(
                "/api/v1/facilities/{first}/settlement?month={}",
                &today[..7]
            )),
        )
        .await;
        assert_eq!(status, 200, "{s}");
        let fen = |v: &str| kangyang_domain::money::Fen::parse_yuan(v).unwrap().0;
        assert_eq!(s["meals"], 2);
        assert_eq!(
            s["subsidy_fen"].as_i64().unwrap(),
            fen(priced["subsidy"].as_str().unwrap())
                + fen(priced_poor["subsidy"].as_str().unwrap())
        );
        assert_eq!(
            s["personal_fen"].as_i64().unwrap(),
            fen(priced["personal"].as_str().unwrap())
                + fen(priced_poor["personal"].as_str().unwrap())
        );
        assert_eq!(
            s["charity_fen"].as_i64().unwrap(),
            fen(priced["charity"].as_str().unwrap())
                + fen(priced_poor["charity"].as_str().unwrap())
        );
        assert!(
            fen(priced_poor["personal"].as_str().unwrap()) > 0,
            "delivery is paid by the person"
        );
        assert_eq!(s["flagged"].as_array().unwrap().len(), 1);
        assert_eq!(s["flagged"][0]["name"], name_for(1));
        assert_eq!(
            s["held_fen"].as_i64().unwrap(),
            fen(priced["subsidy"].as_str().unwrap())
        );
        assert_eq!(
            s["claimed_fen"].as_i64().unwrap(),
            s["subsidy_fen"].as_i64().unwrap() - s["held_fen"].as_i64().unwrap()
        );

        let res = client
            .get(t.url(&format!(
                "/facilities/{first}/settlement.xlsx?month={}",
                &today[..7]
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
        assert_eq!(total[1], "2");
        let claimed = rows.iter().find(|r| r[0] == "本月申请补贴").unwrap();
        let claimed: f64 = claimed[2].parse().unwrap();
        assert_eq!(
            (claimed * 100.0).round() as i64,
            s["claimed_fen"].as_i64().unwrap()
        );
    }
);
