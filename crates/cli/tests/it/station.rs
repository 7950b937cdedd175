//! Station work: the station head's raised visits; station activities,
//! training and the standardisation rating.

use crate::backend_test;
use crate::support::{
    assert_bad_field, get_json, post_json, put_json, start_app, Backend, TestApp, PASSWORD,
};
use crate::visits::elderly_alone;
use kangyang_app::auth::Password;
use kangyang_app::users;
use kangyang_domain::{RegionCode, Role};
use serde_json::{json, Value};

const ANTANG: &str = "445302004";

pub(crate) async fn facility(
    t: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    body: Value,
) -> i64 {
    let (status, created) = post_json(client, csrf, &t.url("/api/v1/facilities"), body).await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_i64().unwrap()
}

/// A social worker's account bound to `station`; returns the user id.
pub(crate) async fn worker(t: &TestApp, username: &str, display_name: &str, station: i64) -> i64 {
    users::create_from_cli(
        &t.app,
        &users::NewAccount {
            username: username.into(),
            display_name: display_name.into(),
            password: Password(PASSWORD.to_owned()),
            role: Role::SocialWorker,
            region: RegionCode::parse(ANTANG).unwrap(),
            facility_id: Some(station),
            must_change_password: false,
        },
    )
    .await
    .unwrap()
}

/// A station in Antang serving its first village, with a head, a worker and
/// a second worker; returns (station, village, official client, csrf, head id, worker id).
async fn station_with_staff(t: &TestApp) -> (i64, String, reqwest::Client, String, i64, i64) {
    t.user("yunfu", Role::Official, "4453").await;
    let (official, csrf) = t.login("yunfu").await;
    let (_, villages) = get_json(
        &official,
        &t.url(&format!("/api/v1/regions/{ANTANG}/children")),
    )
    .await;
    let village = villages[0]["code"].as_str().unwrap().to_owned();
    let station = facility(
        t,
        &official,
        &csrf,
        json!({ "name": "安塘街道社工站",
        "kind": "social_work_station", "region": ANTANG, "villages": village }),
    )
    .await;
    let head = worker(t, "stationhead", "站长甲", station).await;
    let plain = worker(t, "worker", "社工乙", station).await;
    worker(t, "helper", "社工丙", station).await;
    (station, village, official, csrf, head, plain)
}

backend_test!(
    the_station_head_sees_overdue_visits_raised_from_every_worker,
    |b: Backend| async move {
        let t = start_app(b).await;
        let (station, village, official, csrf, head_id, _) = station_with_staff(&t).await;
        let long_ago = elderly_alone(&t, &official, &csrf, &village, 1).await;
        let lately = elderly_alone(&t, &official, &csrf, &village, 2).await;
        let just_late = elderly_alone(&t, &official, &csrf, &village, 3).await;
        let (plain, plain_csrf) = t.login("worker").await;
        let (helper, helper_csrf) = t.login("helper").await;
        let today = t.app.today();
        // Weekly contact for elderly living alone: 40 days ago is 33 days
        // overdue, 20 days ago 13, 10 days ago 3 (within the grace week).
        for (client, csrf, person, days) in [
            (&plain, &plain_csrf, long_ago, 40),
            (&helper, &helper_csrf, lately, 20),
            (&plain, &plain_csrf, just_late, 10),
        ] {
            let (status, body) = post_json(
                client,
                csrf,
                &t.url(&format!("/api/v1/persons/{person}/visits")),
                json!({ "day": today.add_days(-days).unwrap().to_string(), "mode": "in_person" }),
            )
            .await;
            assert_eq!(status, 201, "{body}");
        }

        // Only one of the station's accounts may be made head.
        let head_url = t.url(&format!("/api/v1/facilities/{station}/head"));
        let (status, body) =
            put_json(&official, &csrf, &head_url, json!({ "user_id": 999_999 })).await;
        assert_eq!(status, 422, "{body}");
        let (status, body) =
            put_json(&official, &csrf, &head_url, json!({ "user_id": head_id })).await;
        assert_eq!(status, 204, "{body}");

        let (head, head_csrf) = t.login("stationhead").await;
        let (status, raised) = get_json(&head, &t.url("/api/v1/visits/raised")).await;
        assert_eq!(status, 200, "{raised}");
        assert_eq!(raised["grace_days"], 7);
        let lines = raised["lines"].as_array().unwrap();
        let ids: Vec<i64> = lines
            .iter()
            .map(|l| l["person_id"].as_i64().unwrap())
            .collect();
        assert_eq!(
            ids,
            [long_ago, lately],
            "most overdue first, within the grace week left out"
        );
        assert_eq!(lines[0]["overdue_days"], 33);
        assert_eq!(lines[0]["last_visited_by"], "社工乙");
        assert_eq!(lines[1]["last_visited_by"], "社工丙");
        assert_eq!(raised["pending"], 2);
        let due_on = lines[0]["due_on"].as_str().unwrap().to_owned();
        assert_eq!(due_on, today.add_days(-33).unwrap().to_string());
        let page = head
            .get(t.url("/visits"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains(r#"id="raised""#), "{page}");
        assert!(page.contains(&format!(r#"id="r{long_ago}""#)));
        assert!(!page.contains(&format!(r#"id="r{just_late}""#)));

        // A worker who is not the head has no such section and is refused the list.
        let page = plain
            .get(t.url("/visits"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains(r#"id="due-list""#));
        assert!(!page.contains(r#"id="raised""#), "{page}");
        assert_eq!(
            get_json(&plain, &t.url("/api/v1/visits/raised")).await.0,
            403
        );
        let ack_url = t.url("/api/v1/visits/raised/acknowledgements");
        let (status, _) = post_json(
            &plain,
            &plain_csrf,
            &ack_url,
            json!({ "person_id": long_ago, "due_on": due_on }),
        )
        .await;
        assert_eq!(status, 403);

        // The head acknowledges: recorded, shown, audited, and only once.
        let (status, body) = post_json(
            &head,
            &head_csrf,
            &ack_url,
            json!({ "person_id": long_ago, "due_on": "2020-01-01" }),
        )
        .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (422, Some("due_on")),
            "{body}"
        );
        let (status, body) = post_json(
            &head,
            &head_csrf,
            &ack_url,
            json!({ "person_id": long_ago, "due_on": due_on, "note": "本周内安排上门" }),
        )
        .await;
        assert_eq!(status, 204, "{body}");
        let (status, _) = post_json(
            &head,
            &head_csrf,
            &ack_url,
            json!({ "person_id": long_ago, "due_on": due_on }),
        )
        .await;
        assert_eq!(status, 409);
        let (_, raised) = get_json(&head, &t.url("/api/v1/visits/raised")).await;
        assert_eq!(raised["pending"], 1);
        let acked = raised["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["person_id"] == long_ago)
            .unwrap()
            .clone();
        assert_eq!(acked["acknowledged_by"], "站长甲");
        assert_eq!(acked["acknowledgement_note"], "本周内安排上门");
        assert_eq!(acked["acknowledged_on"], today.to_string());
        // Officials see the same list for the station they name.
        let (status, seen) = get_json(
            &official,
            &t.url(&format!("/api/v1/visits/raised?station={station}")),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(seen["lines"], raised["lines"]);
        assert_eq!(seen["can_acknowledge"], false);
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let (audited,): (i64,) = sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'visit.raise_ack' \
             AND result = 'ok' AND object_id = $1",
        )
        .bind(long_ago.to_string())
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(audited, 1);
    }
);

backend_test!(
    station_activities_and_training_round_trip,
    |b: Backend| async move {
        let t = start_app(b).await;
        let (station, _, official, csrf, head_id, plain_id) = station_with_staff(&t).await;
        put_json(
            &official,
            &csrf,
            &t.url(&format!("/api/v1/facilities/{station}/head")),
            json!({ "user_id": head_id }),
        )
        .await;
        let (plain, plain_csrf) = t.login("worker").await;
        let today = t.app.today().to_string();
        let activities = t.url(&format!("/api/v1/facilities/{station}/activities"));
        let (status, body) = post_json(
            &plain,
            &plain_csrf,
            &activities,
            json!({ "day": today, "kind": "policy_publicity", "title": "养老服务补贴政策宣讲",
                "participants": 46, "notes": "村委会礼堂" }),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        let (status, body) = post_json(
            &plain,
            &plain_csrf,
            &activities,
            json!({ "day": today, "kind": "party", "title": "联欢" }),
        )
        .await;
        assert_bad_field(status, &body, "kind", "类别");
        let tomorrow = t.app.today().add_days(1).unwrap().to_string();
        let (status, _) = post_json(
            &plain,
            &plain_csrf,
            &activities,
            json!({ "day": tomorrow, "kind": "group_activity", "title": "小组" }),
        )
        .await;
        assert_eq!(status, 422);
        let (status, listed) = get_json(&plain, &activities).await;
        assert_eq!(status, 200);
        assert_eq!(listed.as_array().unwrap().len(), 1);
        assert_eq!(listed[0]["kind_label"], "政策宣传");
        assert_eq!(listed[0]["participants"], 46);
        assert_eq!(listed[0]["recorded_by"], "社工乙");

        let trainings = t.url(&format!("/api/v1/facilities/{station}/trainings"));
        let (status, body) = post_json(&plain, &plain_csrf, &trainings,
            json!({ "course": "探访关爱服务实务", "day": today, "hours": "1.5", "organiser": "云浮市民政局" })).await;
        assert_eq!(status, 201, "{body}");
        let (status, body) = post_json(
            &plain,
            &plain_csrf,
            &trainings,
            json!({ "worker_id": head_id, "course": "代登记", "day": today, "hours": "2" }),
        )
        .await;
        assert_eq!(status, 422, "a worker records only their own: {body}");
        let (status, body) = post_json(
            &plain,
            &plain_csrf,
            &trainings,
            json!({ "course": "学时有误", "day": today, "hours": "1.25" }),
        )
        .await;
        assert_bad_field(status, &body, "hours", "学时");
        let (head, head_csrf) = t.login("stationhead").await;
        let (status, body) = post_json(
            &head,
            &head_csrf,
            &trainings,
            json!({ "worker_id": plain_id, "course": "心理急救", "day": today, "hours": "3" }),
        )
        .await;
        assert_eq!(status, 201, "the head records for a worker: {body}");
        let (_, listed) = get_json(&head, &trainings).await;
        let rows: Vec<(String, String, String)> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["worker"].as_str().unwrap().to_owned(),
                    r["course"].as_str().unwrap().to_owned(),
                    r["hours"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(rows.len(), 2);
        assert!(rows.contains(&("社工乙".into(), "探访关爱服务实务".into(), "1.5".into())));
        assert!(rows.contains(&("社工乙".into(), "心理急救".into(), "3".into())));

        // The station's page shows the head, the hours and the activity.
        let page = official
            .get(t.url(&format!("/facilities/{station}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains(r#"id="station-head">站长甲<"#), "{page}");
        assert!(
            page.contains(r#"<td>社工乙</td><td>社工</td><td class="num">4.5</td>"#),
            "{page}"
        );
        assert!(page.contains("养老服务补贴政策宣讲"));

        // Activities belong to stations only.
        let canteen = facility(
            &t,
            &official,
            &csrf,
            json!({ "name": "长者饭堂", "kind": "elder_canteen", "region": ANTANG }),
        )
        .await;
        let (status, body) = post_json(
            &official,
            &csrf,
            &t.url(&format!("/api/v1/facilities/{canteen}/activities")),
            json!({ "day": today, "kind": "group_activity", "title": "小组", "participants": 5 }),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["message"], "此机构不是社工站");
    }
);

backend_test!(
    a_station_is_rated_with_the_standardisation_sheet,
    |b: Backend| async move {
        let t = start_app(b).await;
        let (station, _, official, csrf, _, _) = station_with_staff(&t).await;
        let sheet = kangyang_domain::assessment::station_standard_template();
        // Everything full marks but the brand project (5) and coverage (8 → 1): 88.
        let scores: serde_json::Map<String, Value> = sheet
            .criteria()
            .map(|c| {
                let s = match c.code.as_str() {
                    "distinction" => 0,
                    "coverage" => 1,
                    _ => c.max_score,
                };
                (c.code.clone(), s.into())
            })
            .collect();
        let rate = |template: &str, facility: i64| {
            let body = json!({ "template": template, "scores": scores,
                "assessed_on": t.app.today().to_string(), "assessor": "市民政局评估组" });
            let url = t.url(&format!("/api/v1/facilities/{facility}/ratings"));
            let (official, csrf) = (official.clone(), csrf.clone());
            async move { post_json(&official, &csrf, &url, body).await }
        };
        let (status, scored) = rate("station_standard", station).await;
        assert_eq!(status, 201, "{scored}");
        assert_eq!(scored["total"], 88);
        assert_eq!(scored["result"]["label"], "良好");
        // A centre's sheet does not rate a station, nor the reverse.
        let (status, body) = rate("kangyuan_star", station).await;
        assert_eq!(status, 422);
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("station_standard"),
            "{body}"
        );
        let centre = facility(
            &t,
            &official,
            &csrf,
            json!({ "name": "康园中心", "kind": "kangyuan_centre", "region": ANTANG }),
        )
        .await;
        let (status, _) = rate("station_standard", centre).await;
        assert_eq!(status, 422);
        let page = official
            .get(t.url(&format!("/facilities/{station}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let ratings = &page[page.find(r#"id="station-ratings""#).unwrap()..];
        assert!(
            ratings.contains(r#"<td class="num">88</td><td>良好</td>"#),
            "{ratings}"
        );
    }
);
