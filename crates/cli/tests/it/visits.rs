//! Social-work visits: a station's social worker sees who is due and
//! overdue among the people of the station's villages, and records visits.

use crate::backend_test;
use crate::register::name_for;
use crate::support::{
    assert_bad_field, get_json, post_json, start_app, Backend, TestApp, PASSWORD,
};
use kangyang_app::auth::Password;
use kangyang_app::users;
use kangyang_domain::{CivilDate, IdNumber, RegionCode, Role};

/// An elderly person living alone in `village`, born `age` years ago.
pub async fn elderly_alone(
    t: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    village: &str,
    n: u16,
) -> i64 {
    let today = t.app.today();
    let birth = CivilDate::new(today.year() - 80, 3, 1 + (n % 28) as u8).unwrap();
    let res = client
        .post(t.url("/api/v1/persons"))
        .header("x-csrf-token", csrf)
        .json(&serde_json::json!({
            "id_number": IdNumber::from_parts(&village[..6], birth, 300 + n).unwrap().as_str(),
            "name": name_for(n), "village": village, "address": "安塘路1号",
            "living_situation": "独居",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap()
}

backend_test!(
    a_social_worker_sees_who_is_due_and_records_visits,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("yunfu", Role::Official, "4453").await;
        let (official, csrf) = t.login("yunfu").await;
        let (_, villages) = get_json(&official, &t.url("/api/v1/regions/445302004/children")).await;
        let villages: Vec<String> = villages
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["code"].as_str().unwrap().to_owned())
            .collect();
        let (served, elsewhere) = (&villages[0], &villages[1]);
        let res = official
            .post(t.url("/api/v1/facilities"))
            .header("x-csrf-token", &csrf)
            .json(
                &serde_json::json!({ "name": "安塘街道社工站", "kind": "social_work_station",
                "region": "445302004", "villages": served }),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let station = res.json::<serde_json::Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap();
        let never = elderly_alone(&t, &official, &csrf, served, 1).await;
        let late = elderly_alone(&t, &official, &csrf, served, 2).await;
        let outside = elderly_alone(&t, &official, &csrf, elsewhere, 3).await;
        let today = t.app.today();
        let forty_days_ago = today.add_days(-40).unwrap().to_string();
        assert_eq!(
            post_json(
                &official,
                &csrf,
                &t.url(&format!("/api/v1/persons/{late}/visits")),
                serde_json::json!({ "day": forty_days_ago, "mode": "in_person" })
            )
            .await
            .0,
            201
        );

        users::create_from_cli(
            &t.app,
            &users::NewAccount {
                username: "worker".into(),
                display_name: "社工甲".into(),
                password: Password(PASSWORD.to_owned()),
                role: Role::SocialWorker,
                region: RegionCode::parse("445302004").unwrap(),
                facility_id: Some(station),
                must_change_password: false,
            },
        )
        .await
        .unwrap();
        let (worker, worker_csrf) = t.login("worker").await;

        let (status, due) = get_json(&worker, &t.url("/api/v1/visits/due")).await;
        assert_eq!(status, 200, "{due}");
        let line = |id: i64| {
            due["lines"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["person_id"] == id)
                .cloned()
        };
        assert_eq!(line(never).unwrap()["status"], "never");
        let late_line = line(late).unwrap();
        assert_eq!(late_line["status"], "overdue");
        assert_eq!(
            late_line["overdue_days"], 33,
            "weekly contact, last seen 40 days ago: {late_line}"
        );
        assert!(
            line(outside).is_none(),
            "people outside the station's villages are not on its list"
        );
        assert_eq!(due["lines"][0]["person_id"], late, "the most overdue first");

        // Outside the station's villages: not found, and not visitable.
        assert_eq!(
            get_json(&worker, &t.url(&format!("/api/v1/persons/{outside}")))
                .await
                .0,
            404
        );
        assert_eq!(
            post_json(
                &worker,
                &worker_csrf,
                &t.url(&format!("/api/v1/persons/{outside}/visits")),
                serde_json::json!({ "day": today.to_string(), "mode": "in_person" })
            )
            .await
            .0,
            404
        );

        // A visit in person today takes the person off the list.
        assert_eq!(
            post_json(&worker, &worker_csrf, &t.url(&format!("/api/v1/persons/{never}/visits")),
                serde_json::json!({ "day": today.to_string(), "mode": "in_person",
                    "findings": ["lonely"], "risk_flags": ["fall"], "referral": "居家养老服务中心" })).await.0,
            201
        );
        // A bad finding code is refused and nothing is stored.
        assert_eq!(
            post_json(&worker, &worker_csrf, &t.url(&format!("/api/v1/persons/{late}/visits")),
                serde_json::json!({ "day": today.to_string(), "mode": "in_person", "findings": ["<script>"] })).await.0,
            422
        );
        let (_, due) = get_json(&worker, &t.url("/api/v1/visits/due")).await;
        let ids: Vec<i64> = due["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["person_id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [late]);
        let (_, history) =
            get_json(&worker, &t.url(&format!("/api/v1/persons/{never}/visits"))).await;
        assert_eq!(history[0]["risks"], serde_json::json!(["跌倒风险"]));
        assert_eq!(history[0]["worker"], "社工甲");
        let (_, history) =
            get_json(&worker, &t.url(&format!("/api/v1/persons/{late}/visits"))).await;
        assert_eq!(history.as_array().unwrap().len(), 1);

        // The phone page lists the same.
        let page = worker
            .get(t.url("/visits"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains(r#"id="overdue-count">1<"#), "{page}");
        assert!(page.contains(&format!(r#"id="v{late}""#)));
    }
);

backend_test!(
    a_bad_visit_field_is_named_by_its_key_with_the_label_beside,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("yunfu", Role::Official, "4453").await;
        let (official, csrf) = t.login("yunfu").await;
        let (_, villages) = get_json(&official, &t.url("/api/v1/regions/445302004/children")).await;
        let village = villages[0]["code"].as_str().unwrap().to_owned();
        let person = elderly_alone(&t, &official, &csrf, &village, 1).await;
        let url = t.url(&format!("/api/v1/persons/{person}/visits"));
        let today = t.app.today().to_string();
        let tomorrow = t.app.today().add_days(1).unwrap().to_string();
        for (key, value, label) in [
            ("day", serde_json::json!(tomorrow), "探访日期"),
            ("mode", serde_json::json!("letter"), "方式"),
            ("findings", serde_json::json!(["<script>"]), "探访发现"),
            ("risk_flags", serde_json::json!(["unknown"]), "风险提示"),
        ] {
            let mut body = serde_json::json!({ "day": today, "mode": "in_person" });
            body[key] = value;
            let (status, e) = post_json(&official, &csrf, &url, body).await;
            assert_bad_field(status, &e, key, label);
        }
    }
);
