//! The API round-trips: what GET returns, PUT takes back unchanged, and
//! nothing changes. One test per resource with a PUT at the path of its GET
//! (a person, a facility, a person's home care); coded fields take the code
//! the API returns or the Chinese label sheets carry, and store the same.

use crate::backend_test;
use crate::support::{get_json, start_app, Backend, TestApp};
use kangyang_domain::{CivilDate, IdNumber, Role};
use serde_json::{json, Value};

const VILLAGE: &str = "445302001009";

async fn send(
    client: &reqwest::Client,
    csrf: &str,
    method: reqwest::Method,
    url: &str,
    body: &Value,
) -> (u16, Value) {
    let res = client
        .request(method, url)
        .header("x-csrf-token", csrf)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// GETs `path`, PUTs the answer back unchanged, GETs again; asserts the PUT
/// succeeded and that the two answers are equal but for `changes_on_write`.
/// Returns the first answer.
async fn round_trip(
    t: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    path: &str,
    changes_on_write: &[&str],
) -> Value {
    let (status, before) = get_json(client, &t.url(path)).await;
    assert_eq!(status, 200, "GET {path}: {before}");
    let (status, answer) = send(client, csrf, reqwest::Method::PUT, &t.url(path), &before).await;
    assert!(
        status == 200 || status == 204,
        "PUT {path} of GET's answer: {status} {answer}"
    );
    let (status, after) = get_json(client, &t.url(path)).await;
    assert_eq!(status, 200, "GET {path} again: {after}");
    let strip = |mut v: Value| {
        if let Some(o) = v.as_object_mut() {
            for k in changes_on_write {
                o.remove(*k);
            }
        }
        v
    };
    assert_eq!(
        strip(before.clone()),
        strip(after),
        "PUT {path} of GET's answer changed it"
    );
    before
}

fn id_born(year: u16, seq: u16) -> IdNumber {
    IdNumber::from_parts("445302", CivilDate::new(year, 3, 9).unwrap(), seq).unwrap()
}

async fn create(t: &TestApp, client: &reqwest::Client, csrf: &str, path: &str, body: Value) -> i64 {
    let (status, created) = send(client, csrf, reqwest::Method::POST, &t.url(path), &body).await;
    assert_eq!(status, 201, "POST {path}: {created}");
    created["id"].as_i64().unwrap()
}

/// A disabled adult with every field set, coded ones by their labels.
async fn disabled_person(t: &TestApp, client: &reqwest::Client, csrf: &str, seq: u16) -> i64 {
    let id = id_born(1976, seq);
    create(
        t,
        client,
        csrf,
        "/api/v1/persons",
        json!({
            "id_number": id.as_str(),
            "name": "黄志强",
            "phone": "13800138000",
            "hukou_region": "445302",
            "village": VILLAGE,
            "address": "第3村民小组12号",
            "status": "在世",
            "living_situation": "与家人同住",
            "economic_status": "低保",
            "disability_category": "精神",
            "disability_grade": "二级",
            // ID number, category digit 6 (精神), grade digit 2.
            "disability_cert": format!("{}62", id.as_str()),
            "household_no": "H-0012",
            "emergency_contact_name": "黄秀英",
            "emergency_contact_phone": "0766-8888888",
            "tags": "重点,精神障碍",
        }),
    )
    .await
}

backend_test!(
    a_person_put_back_as_got_is_unchanged,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("yunfu", Role::Official, "4453").await;
        let (client, csrf) = t.login("yunfu").await;
        let adult = disabled_person(&t, &client, &csrf, 21).await;
        let child = create(
            &t,
            &client,
            &csrf,
            "/api/v1/persons",
            json!({
                "id_number": id_born(2016, 32).as_str(),
                "name": "陈小明",
                "village": VILLAGE,
                "child_category": "留守",
                "guardian_name": "陈伯",
                "guardian_phone": "13900139000",
                "economic_status": "困难",
            }),
        )
        .await;
        let (_, history_before) =
            get_json(&client, &t.url(&format!("/api/v1/persons/{adult}/history"))).await;
        let got = round_trip(
            &t,
            &client,
            &csrf,
            &format!("/api/v1/persons/{adult}"),
            &["updated_at"],
        )
        .await;
        // Codes in the API, labels beside them; sensitive values masked, and the
        // masks sent back kept what is stored.
        assert_eq!(got["disability_category"], "mental", "{got}");
        assert_eq!(got["disability_category_label"], "精神残疾");
        assert_eq!(got["disability_grade"], 2);
        assert_eq!(got["living_situation"], "with_family");
        assert_eq!(got["economic_status"], "dibao");
        assert!(got["id_number"].as_str().unwrap().contains('*'), "{got}");
        assert!(got["phone"].as_str().unwrap().contains('*'), "{got}");
        assert_eq!(got["tags"], json!(["重点", "精神障碍"]));
        let (_, history_after) =
            get_json(&client, &t.url(&format!("/api/v1/persons/{adult}/history"))).await;
        assert_eq!(history_before, history_after, "no change recorded");
        let (status, phone) = send(
            &client,
            &csrf,
            reqwest::Method::POST,
            &t.url(&format!("/api/v1/persons/{adult}/reveal")),
            &json!({ "field": "phone", "reason": "核对回传" }),
        )
        .await;
        assert_eq!((status, &phone["value"]), (200, &json!("13800138000")));

        let got = round_trip(
            &t,
            &client,
            &csrf,
            &format!("/api/v1/persons/{child}"),
            &["updated_at"],
        )
        .await;
        assert_eq!(got["child_category"], "left_behind", "{got}");
        assert_eq!(got["child_category_label"], "留守");
    }
);

backend_test!(
    a_coded_field_takes_the_code_or_the_label_alike,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("yunfu", Role::Official, "4453").await;
        let (client, csrf) = t.login("yunfu").await;
        let by_label = disabled_person(&t, &client, &csrf, 41).await;
        let by_code = disabled_person(&t, &client, &csrf, 43).await;
        // Both changed to 智力 grade 3 and 独居, one by labels, one by codes.
        for (id, category, grade, living) in [
            (by_label, "智力", "三级", "独居"),
            (by_code, "intellectual", "3", "alone"),
        ] {
            let path = format!("/api/v1/persons/{id}");
            let (_, mut body) = get_json(&client, &t.url(&path)).await;
            body["disability_category"] = json!(category);
            body["disability_grade"] = json!(grade);
            body["living_situation"] = json!(living);
            // The certificate's digits follow the category and grade.
            body["disability_cert"] = json!("");
            let (status, answer) =
                send(&client, &csrf, reqwest::Method::PUT, &t.url(&path), &body).await;
            assert_eq!(
                status, 422,
                "the old certificate no longer matches: {answer}"
            );
            assert_eq!(answer["errors"][0]["field"], "disability_cert", "{answer}");
            let id_number = id_born(1976, if id == by_label { 41 } else { 43 });
            body["disability_cert"] = json!(format!("{}53", id_number.as_str()));
            let (status, answer) =
                send(&client, &csrf, reqwest::Method::PUT, &t.url(&path), &body).await;
            assert_eq!(status, 204, "{category}: {answer}");
        }
        let stored = |v: &Value| {
            (
                v["disability_category"].clone(),
                v["disability_category_label"].clone(),
                v["disability_grade"].clone(),
                v["living_situation"].clone(),
                v["living_situation_label"].clone(),
            )
        };
        let (_, a) = get_json(&client, &t.url(&format!("/api/v1/persons/{by_label}"))).await;
        let (_, b) = get_json(&client, &t.url(&format!("/api/v1/persons/{by_code}"))).await;
        assert_eq!(stored(&a), stored(&b));
        assert_eq!(
            stored(&a),
            (
                json!("intellectual"),
                json!("智力残疾"),
                json!(3),
                json!("alone"),
                json!("独居")
            )
        );
    }
);

backend_test!(
    a_facility_put_back_as_got_is_unchanged,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("yunfu", Role::Official, "4453").await;
        let (client, csrf) = t.login("yunfu").await;
        let facility = create(
            &t,
            &client,
            &csrf,
            "/api/v1/facilities",
            json!({
                "name": "云城区康园中心", "kind": "社区康园中心", "region": "445302001",
                "address": "河口街 8 号", "longitude": "112.044", "latitude": "22.915",
                "floor_area_m2": "320", "capacity": "30", "opening_hours": "周一至周五 8:30-17:00",
                "operator": "云浮市残疾人联合会", "contact_name": "李主任",
                "contact_phone": "0766-8222222", "villages": VILLAGE,
            }),
        )
        .await;
        let got = round_trip(
            &t,
            &client,
            &csrf,
            &format!("/api/v1/facilities/{facility}"),
            &[],
        )
        .await;
        assert_eq!(got["facility"]["kind"], "kangyuan_centre", "{got}");
        assert_eq!(got["facility"]["kind_label"], "社区康园中心");
        assert_eq!(got["facility"]["capacity"], 30);
        assert_eq!(got["villages"][0][0], VILLAGE, "{got}");
    }
);

backend_test!(
    a_home_care_plan_put_back_as_got_keeps_the_home,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("yunfu", Role::Official, "4453").await;
        let (client, csrf) = t.login("yunfu").await;
        let person = crate::register::create_person(&t, &client, &csrf, VILLAGE, 7).await;
        let path = format!("/api/v1/persons/{person}/home-care");
        let (status, answer) = send(
            &client,
            &csrf,
            reqwest::Method::PUT,
            &t.url(&path),
            &json!({ "longitude": "112.044", "latitude": "22.915",
                     "plan": [{ "item": "bathing", "times_per_month": 2, "quantity": 1 }] }),
        )
        .await;
        assert_eq!(status, 204, "{answer}");
        let got = round_trip(&t, &client, &csrf, &path, &[]).await;
        assert_eq!(got["home_located"], true, "{got}");
        assert_eq!(got["plan"][0]["item"], "bathing", "{got}");

        // The item's name, as GET shows it beside the code, stores the same.
        let mut by_name = got.clone();
        by_name["plan"][0]["item"] = got["plan"][0]["item_name"].clone();
        let (status, answer) = send(
            &client,
            &csrf,
            reqwest::Method::PUT,
            &t.url(&path),
            &by_name,
        )
        .await;
        assert_eq!(status, 204, "{answer}");
        let (_, after) = get_json(&client, &t.url(&path)).await;
        assert_eq!(after, got);

        // Both blank clears the home, as before.
        let (status, _) = send(
            &client,
            &csrf,
            reqwest::Method::PUT,
            &t.url(&path),
            &json!({ "longitude": "", "latitude": "", "plan": got["plan"] }),
        )
        .await;
        assert_eq!(status, 204);
        let (_, after) = get_json(&client, &t.url(&path)).await;
        assert_eq!(after["home_located"], false);
    }
);
