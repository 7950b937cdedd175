//! Age-friendly home modification: Yunfu's target tracked by county from the
//! cases, the steps of a case, photos checked by content, scope, stuck cases,
//! and the demo's programme.

use crate::backend_test;
use crate::register::name_for;
use crate::support::{get_json, start_app, Backend, TestApp};
use kangyang_domain::{CivilDate, IdNumber, Role};

/// The first bytes of a PNG: what the server recognises a PNG by.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";
/// The first bytes of a JPEG (SOI and an APP0 marker).
const JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0,
];

/// An elderly person (aged `age`) of `village`, created through the API.
async fn elder(
    t: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    village: &str,
    n: u16,
    age: u16,
) -> i64 {
    let today = t.app.today();
    let birth = CivilDate::new(today.year() - age - 1, 3, 1 + (n % 28) as u8).unwrap();
    let (status, body) = t
        .post_json(
            client,
            csrf,
            "/api/v1/persons",
            serde_json::json!({
                "id_number": IdNumber::from_parts(&village[..6], birth, 600 + n).unwrap().as_str(),
                "name": name_for(n), "village": village, "address": "新村路8号",
                "economic_status": "特困", "living_situation": "独居",
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

async fn open(t: &TestApp, client: &reqwest::Client, csrf: &str, person: i64) -> i64 {
    let (status, body) = t
        .post_json(
            client,
            csrf,
            "/api/v1/modifications",
            serde_json::json!({ "person_id": person }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

async fn move_to(
    t: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    case: i64,
    to: &str,
) -> (u16, serde_json::Value) {
    t.post_json(
        client,
        csrf,
        &format!("/api/v1/modifications/{case}/state"),
        serde_json::json!({ "to": to }),
    )
    .await
}

async fn add_item(t: &TestApp, client: &reqwest::Client, csrf: &str, case: i64, item: &str) {
    let (status, body) = t
        .post_json(
            client,
            csrf,
            &format!("/api/v1/modifications/{case}/items"),
            serde_json::json!({ "item": item, "quantity": 2, "unit_cost": "350" }),
        )
        .await;
    assert_eq!(status, 204, "{body}");
}

async fn upload(
    t: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    case: i64,
    phase: &str,
    (file_name, claimed_type): (&str, &str),
    bytes: Vec<u8>,
) -> (u16, serde_json::Value) {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(file_name.to_owned())
        .mime_str(claimed_type)
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("phase", phase.to_owned())
        .part("photo", part);
    let res = client
        .post(t.url(&format!("/api/v1/modifications/{case}/photos")))
        .header("x-csrf-token", csrf)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

/// A page's HTML.
async fn page(t: &TestApp, client: &reqwest::Client, path: &str) -> String {
    crate::support::get_text(client, &t.url(path)).await
}

/// A "before" photo sent through the case page's form, named .jpg whatever it is.
async fn page_upload(
    t: &TestApp,
    client: &reqwest::Client,
    case: i64,
    csrf: &str,
    bytes: &[u8],
) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf.to_owned())
        .text("phase", "before")
        .part(
            "photo",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name("photo.jpg"),
        );
    client
        .post(t.url(&format!("/modifications/{case}/photos")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// A case of `person` in assessment with one "before" photo: (case, photo).
/// The route walk of api.rs probes the case and photo routes with these.
pub async fn case_with_photo(
    t: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    person: i64,
) -> (i64, i64) {
    let case = open(t, client, csrf, person).await;
    assert_eq!(move_to(t, client, csrf, case, "assessed").await.0, 200);
    let (status, body) = upload(
        t,
        client,
        csrf,
        case,
        "before",
        ("before.png", "image/png"),
        PNG.to_vec(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    (case, body["id"].as_i64().unwrap())
}

async fn progress(t: &TestApp, client: &reqwest::Client, code: &str) -> serde_json::Value {
    let (status, body) = get_json(
        client,
        &t.url(&format!("/api/v1/regions/{code}/modifications")),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn line<'a>(p: &'a serde_json::Value, code: &str) -> &'a serde_json::Value {
    p["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == code)
        .unwrap_or_else(|| panic!("no line {code}: {p}"))
}

/// Yunfu's five counties and their shares of the 1,310 households.
const COUNTIES: [(&str, i64); 5] = [
    ("445302", 200),
    ("445303", 180),
    ("445321", 260),
    ("445322", 250),
    ("445381", 420),
];

backend_test!(
    the_yunfu_target_is_tracked_by_county_from_the_cases,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("yunfu", Role::Official, "4453").await;
        let (client, csrf) = t.login("yunfu").await;
        let target = |region: &'static str, households: i64| {
            let (t, client, csrf) = (&t, &client, &csrf);
            async move {
                let (status, body) = t
                    .post_json(
                        client,
                        csrf,
                        "/api/v1/modification-targets",
                        serde_json::json!({ "region": region, "households": households }),
                    )
                    .await;
                assert_eq!(status, 204, "{body}");
            }
        };
        target("4453", 1310).await;
        for (county, n) in COUNTIES {
            target(county, n).await;
        }
        // Refused: a village, a region outside one's scope, a bad count.
        for (body, field) in [
            (
                serde_json::json!({ "region": "445302004001", "households": 3 }),
                "region",
            ),
            (
                serde_json::json!({ "region": "440784", "households": 3 }),
                "region",
            ),
            (
                serde_json::json!({ "region": "445302", "households": -5 }),
                "households",
            ),
            (serde_json::json!({ "region": "445302" }), "households"),
        ] {
            let (status, answer) = t
                .post_json(&client, &csrf, "/api/v1/modification-targets", body)
                .await;
            assert_eq!((status, answer["field"].as_str()), (422, Some(field)));
        }

        let antang = elder(&t, &client, &csrf, "445302004001", 1, 78).await;
        let luoding = elder(&t, &client, &csrf, "445381001002", 2, 83).await;
        let first = open(&t, &client, &csrf, antang).await;
        let second = open(&t, &client, &csrf, luoding).await;
        // One live case a person a year.
        let (status, body) = t
            .post_json(
                &client,
                &csrf,
                "/api/v1/modifications",
                serde_json::json!({ "person_id": antang }),
            )
            .await;
        assert_eq!(status, 409, "{body}");
        assert!(body["message"].as_str().unwrap().contains("每人每年一件"));

        let p = progress(&t, &client, "4453").await;
        assert_eq!(p["target"], 1310);
        assert_eq!(p["own_target"], 1310);
        assert_eq!(p["children_target"], 1310);
        assert_eq!(
            (p["cases"].as_i64(), p["done"].as_i64()),
            (Some(2), Some(0))
        );
        let codes: Vec<&str> = p["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["445302", "445303", "445321", "445322", "445381"]);
        for (county, n) in COUNTIES {
            assert_eq!(line(&p, county)["target"], n);
        }
        assert_eq!(line(&p, "445302")["in_progress"], 1);
        assert_eq!(line(&p, "445302")["done"], 0);
        assert_eq!(line(&p, "445302")["percent"], "0.0%");

        // The Yuncheng case goes all the way to acceptance.
        add_item(&t, &client, &csrf, first, "bath_handrail").await;
        add_item(&t, &client, &csrf, first, "floor_anti_slip").await;
        for to in ["assessed", "designed", "works"] {
            let (status, body) = move_to(&t, &client, &csrf, first, to).await;
            assert_eq!(status, 200, "{to}: {body}");
        }
        let p = progress(&t, &client, "4453").await;
        assert_eq!(p["done"], 0, "works under way are not done");
        let (status, body) = move_to(&t, &client, &csrf, first, "accepted").await;
        assert_eq!((status, body["state_label"].as_str()), (200, Some("验收")));

        let p = progress(&t, &client, "4453").await;
        assert_eq!(p["done"], 1);
        assert_eq!(p["percent"], "0.1%");
        assert_eq!(line(&p, "445302")["done"], 1);
        assert_eq!(line(&p, "445302")["percent"], "0.5%");
        assert_eq!(line(&p, "445302")["in_progress"], 0);
        assert_eq!(line(&p, "445381")["done"], 0);
        assert_eq!(line(&p, "445381")["in_progress"], 1);
        let by_state: Vec<(String, i64)> = p["by_state"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["state"].as_str().unwrap().to_owned(),
                    s["cases"].as_i64().unwrap(),
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        assert_eq!(
            by_state,
            [("applied".to_owned(), 1), ("accepted".to_owned(), 1)]
        );
        // A county's own page breaks it down by town.
        let county = progress(&t, &client, "445302").await;
        assert_eq!(
            (county["target"].as_i64(), county["done"].as_i64()),
            (Some(200), Some(1))
        );
        assert_eq!(line(&county, "445302004")["done"], 1);

        // The case page: items with costs and the total, the steps taken.
        let (status, case) =
            get_json(&client, &t.url(&format!("/api/v1/modifications/{first}"))).await;
        assert_eq!(status, 200);
        assert_eq!(case["total"], "1,400.00");
        assert_eq!(case["basic_total"], "1,400.00");
        assert_eq!(case["items"].as_array().unwrap().len(), 2);
        assert_eq!(case["items"][0]["name"], "防滑处理", "in the list's order");
        let steps: Vec<&str> = case["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["to_label"].as_str().unwrap())
            .collect();
        assert_eq!(steps, ["申请", "评估", "设计", "施工", "验收"]);
        assert!(
            case["id_number"].as_str().unwrap().contains("**********"),
            "the ID number is masked: {case}"
        );
        // Items may no longer change once accepted.
        let (status, body) = t
            .post_json(
                &client,
                &csrf,
                &format!("/api/v1/modifications/{first}/items"),
                serde_json::json!({ "item": "aid_walking_stick" }),
            )
            .await;
        assert_eq!((status, body["field"].as_str()), (422, Some("item")));

        // The page shows the same figures.
        let page = page(&t, &client, "/regions/4453/modifications").await;
        assert!(
            page.contains(r#"<span class="big" id="fig-target">1310</span>"#),
            "{page}"
        );
        assert!(page.contains(r#"<span class="big" id="fig-done">1</span>"#));
        assert!(page.contains("云城区") && page.contains("罗定市"));
        let (_, other) =
            get_json(&client, &t.url(&format!("/api/v1/modifications/{second}"))).await;
        assert_eq!(other["state"], "applied");
    }
);

backend_test!(
    an_illegal_step_is_refused_with_a_message,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("yunfu", Role::Official, "4453").await;
        let (client, csrf) = t.login("yunfu").await;
        let person = elder(&t, &client, &csrf, "445302004201", 3, 70).await;
        let case = open(&t, &client, &csrf, person).await;

        let (status, body) = move_to(&t, &client, &csrf, case, "works").await;
        assert_eq!(status, 422);
        assert_eq!(body["field"], "to");
        assert_eq!(
            body["message"],
            "不能从“申请”转到“施工”：下一步应为“评估”，或撤回"
        );
        let (status, body) = move_to(&t, &client, &csrf, case, "done").await;
        assert_eq!((status, body["field"].as_str()), (422, Some("to")));
        // A design needs an item of the list; the list is the Ministry's.
        assert_eq!(move_to(&t, &client, &csrf, case, "assessed").await.0, 200);
        let (status, body) = move_to(&t, &client, &csrf, case, "designed").await;
        assert_eq!(status, 422);
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("请先添加至少一项"),
            "{body}"
        );
        for (item, field) in [
            (serde_json::json!({ "item": "jacuzzi" }), "item"),
            (
                serde_json::json!({ "item": "bath_handrail", "quantity": 99 }),
                "quantity",
            ),
            (
                serde_json::json!({ "item": "bath_handrail", "unit_cost": "300000" }),
                "unit_cost",
            ),
            (
                serde_json::json!({ "item": "bath_handrail", "unit_cost": "三百" }),
                "unit_cost",
            ),
        ] {
            let (status, body) = t
                .post_json(
                    &client,
                    &csrf,
                    &format!("/api/v1/modifications/{case}/items"),
                    item,
                )
                .await;
            assert_eq!(
                (status, body["field"].as_str()),
                (422, Some(field)),
                "{body}"
            );
        }
        // Withdrawal needs a reason.
        let (status, body) = move_to(&t, &client, &csrf, case, "withdrawn").await;
        assert_eq!((status, body["field"].as_str()), (422, Some("note")));

        let (_, view) = get_json(&client, &t.url(&format!("/api/v1/modifications/{case}"))).await;
        assert_eq!(view["state"], "assessed", "nothing changed");
        assert_eq!(view["history"].as_array().unwrap().len(), 2);
        assert_eq!(view["total_fen"], 0);

        // The page form shows the refusal in Chinese.
        let res = client
            .post(t.url(&format!("/modifications/{case}/state")))
            .form(&[("csrf_token", csrf.as_str()), ("to", "paid")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
        let page = res.text().await.unwrap();
        assert!(
            page.contains("不能从“评估”转到“已拨付”：下一步应为“设计”，或撤回"),
            "{page}"
        );
        // A withdrawn case is closed; the person may apply again.
        let (status, _) = t
            .post_json(
                &client,
                &csrf,
                &format!("/api/v1/modifications/{case}/state"),
                serde_json::json!({ "to": "withdrawn", "note": "老人入住敬老院" }),
            )
            .await;
        assert_eq!(status, 200);
        let (status, body) = move_to(&t, &client, &csrf, case, "assessed").await;
        assert_eq!(status, 422);
        assert!(body["message"].as_str().unwrap().contains("已撤回"));
        open(&t, &client, &csrf, person).await;
        // Someone under 60 has no case.
        let young = elder(&t, &client, &csrf, "445302004201", 4, 45).await;
        let (status, body) = t
            .post_json(
                &client,
                &csrf,
                "/api/v1/modifications",
                serde_json::json!({ "person_id": young }),
            )
            .await;
        assert_eq!((status, body["field"].as_str()), (422, Some("person_id")));
    }
);

async fn photo_rows(t: &TestApp) -> i64 {
    let mut conn = t.app.store().pool().acquire().await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM home_mod_photos")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    n
}

backend_test!(
    photos_are_checked_by_content_and_size_and_come_back_with_their_type,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("yunfu", Role::Official, "4453").await;
        let (client, csrf) = t.login("yunfu").await;
        let person = elder(&t, &client, &csrf, "445302004001", 5, 81).await;
        let case = open(&t, &client, &csrf, person).await;
        // No before photo while the case is only applied for.
        let (status, body) = upload(
            &t,
            &client,
            &csrf,
            case,
            "before",
            ("a.png", "image/png"),
            PNG.to_vec(),
        )
        .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (422, Some("phase")),
            "{body}"
        );
        assert_eq!(move_to(&t, &client, &csrf, case, "assessed").await.0, 200);

        let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();
        let text = "这不是照片".as_bytes().to_vec();
        for (name, bytes) in [
            ("photo.jpg", pdf),
            ("photo.jpg", text),
            ("empty.jpg", Vec::new()),
        ] {
            let (status, body) = upload(
                &t,
                &client,
                &csrf,
                case,
                "before",
                (name, "image/jpeg"),
                bytes,
            )
            .await;
            assert_eq!(
                (status, body["field"].as_str()),
                (422, Some("photo")),
                "{body}"
            );
        }
        let mut big = JPEG.to_vec();
        big.resize(5 * 1024 * 1024 + 1, 0);
        let (status, body) = upload(
            &t,
            &client,
            &csrf,
            case,
            "before",
            ("big.jpg", "image/jpeg"),
            big,
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["message"], "照片不能超过 5 MB");
        // Far too big: cut off by the body limit, refused the same way.
        let mut huge = JPEG.to_vec();
        huge.resize(12 * 1024 * 1024, 0);
        // The server may answer and close the connection before the client
        // has finished sending 12 MB; the client then sees a broken pipe
        // instead of the answer. Either way the photo is refused. The
        // request asks for the connection to be closed afterwards, so that
        // the next request does not pick the dead connection from the pool.
        let part = reqwest::multipart::Part::bytes(huge)
            .file_name("huge.jpg")
            .mime_str("image/jpeg")
            .unwrap();
        let form = reqwest::multipart::Form::new()
            .text("phase", "before")
            .part("photo", part);
        match client
            .post(t.url(&format!("/api/v1/modifications/{case}/photos")))
            .header("x-csrf-token", &csrf)
            .header(reqwest::header::CONNECTION, "close")
            .multipart(form)
            .send()
            .await
        {
            Ok(res) => {
                let status = res.status().as_u16();
                assert!(status == 422 || status == 413, "{status}");
            }
            Err(e) => assert!(e.is_request(), "{e}"),
        }
        // After photos come with the works.
        let (status, body) = upload(
            &t,
            &client,
            &csrf,
            case,
            "after",
            ("a.png", "image/png"),
            PNG.to_vec(),
        )
        .await;
        assert_eq!((status, body["field"].as_str()), (422, Some("phase")));
        assert_eq!(photo_rows(&t).await, 0, "nothing refused was stored");

        // The type is the content's, not what the client claims.
        let mut jpeg = JPEG.to_vec();
        jpeg.extend_from_slice(&[7; 2000]);
        let (status, stored) = upload(
            &t,
            &client,
            &csrf,
            case,
            "before",
            ("kitchen.png", "image/png"),
            jpeg.clone(),
        )
        .await;
        assert_eq!(status, 201, "{stored}");
        assert_eq!(stored["content_type"], "image/jpeg");
        assert_eq!(stored["size"], 2011);
        let id = stored["id"].as_i64().unwrap();
        let res = client
            .get(t.url(&format!("/modifications/{case}/photos/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        assert_eq!(res.headers()["cache-control"], "no-store");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        assert_eq!(res.bytes().await.unwrap().to_vec(), jpeg);

        // A page form must carry the session's CSRF token.
        let res = page_upload(&t, &client, case, "forged", PNG).await;
        assert_eq!(res.status(), 403);
        assert_eq!(photo_rows(&t).await, 1);
        // Through the page's form, which lands back on the case.
        let res = page_upload(&t, &client, case, &csrf, PNG).await;
        assert_eq!(res.status(), 303);
        assert_eq!(
            res.headers()["location"],
            format!("/modifications/{case}").as_str()
        );
        let res = page_upload(&t, &client, case, &csrf, b"GIF89a....").await;
        assert_eq!(res.status(), 422);
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("只能上传 JPEG、PNG 或 WebP"));
        let (_, view) = get_json(&client, &t.url(&format!("/api/v1/modifications/{case}"))).await;
        let types: Vec<&str> = view["photos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["content_type"].as_str().unwrap())
            .collect();
        assert_eq!(types, ["image/jpeg", "image/png"]);
        assert_eq!(photo_rows(&t).await, 2);
        let page = page(&t, &client, &format!("/modifications/{case}")).await;
        assert!(page.contains(&format!(r#"<img src="/modifications/{case}/photos/{id}""#)));
    }
);

backend_test!(
    another_regions_official_gets_404_for_the_case_and_its_photo,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("yunfu", Role::Official, "4453").await;
        t.user("heshan", Role::Official, "440784").await;
        let (yunfu, csrf) = t.login("yunfu").await;
        let (heshan, heshan_csrf) = t.login("heshan").await;
        let person = elder(&t, &yunfu, &csrf, "445302004001", 6, 75).await;
        let (case, photo) = case_with_photo(&t, &yunfu, &csrf, person).await;
        for path in [
            format!("/api/v1/modifications/{case}"),
            format!("/modifications/{case}"),
            format!("/modifications/{case}/photos/{photo}"),
            format!("/api/v1/persons/{person}/modifications"),
            "/api/v1/regions/4453/modifications".to_owned(),
        ] {
            let res = heshan.get(t.url(&path)).send().await.unwrap();
            assert_eq!(res.status(), 404, "{path}");
            let body = res.text().await.unwrap();
            assert!(!body.contains("测试"), "no trace of the person: {path}");
        }
        // Writing is refused alike, and nothing changes.
        let (status, _) = move_to(&t, &heshan, &heshan_csrf, case, "designed").await;
        assert_eq!(status, 404);
        let (status, _) = upload(
            &t,
            &heshan,
            &heshan_csrf,
            case,
            "before",
            ("a.png", "image/png"),
            PNG.to_vec(),
        )
        .await;
        assert_eq!(status, 404);
        let (status, _) = t
            .post_json(
                &heshan,
                &heshan_csrf,
                "/api/v1/modifications",
                serde_json::json!({ "person_id": person }),
            )
            .await;
        assert_eq!(status, 404);
        // Yunfu's own photo id under another case is no way in either.
        let other = elder(&t, &yunfu, &csrf, "445302004001", 7, 77).await;
        let other_case = open(&t, &yunfu, &csrf, other).await;
        let res = yunfu
            .get(t.url(&format!("/modifications/{other_case}/photos/{photo}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
        assert_eq!(photo_rows(&t).await, 1);

        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let (denials,): (i64,) = sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE username = 'heshan' \
             AND result = 'denied' AND action LIKE 'home_mod.%'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert!(denials >= 5, "denials are audited ({denials})");
        let (reads,): (i64,) = sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE username = 'yunfu' \
             AND action = 'home_mod.photo_read' AND result = 'ok'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(reads, 0, "the refused look-up was no read");
    }
);

backend_test!(cases_stuck_in_a_step_are_listed, |b: Backend| async move {
    let t = start_app(b).await;
    t.user("yunfu", Role::Official, "4453").await;
    let (client, csrf) = t.login("yunfu").await;
    let today = t.app.today();
    let open_on = |person: i64, days_ago: i64| {
        let (t, client, csrf) = (&t, &client, &csrf);
        async move {
            let (status, body) = t
                .post_json(
                    client,
                    csrf,
                    "/api/v1/modifications",
                    serde_json::json!({
                        "person_id": person,
                        "applied_on": today.add_days(-days_ago).unwrap().to_string(),
                    }),
                )
                .await;
            assert_eq!(status, 201, "{body}");
            body["id"].as_i64().unwrap()
        }
    };
    // Stuck is about now, whatever the year the case counts in.
    let days_ago = 20;
    let a = elder(&t, &client, &csrf, "445302004001", 8, 72).await;
    let b_ = elder(&t, &client, &csrf, "445381001001", 9, 90).await;
    let fresh = open_on(a, 0).await;
    let old = open_on(b_, days_ago).await;
    let p = progress(&t, &client, "4453").await;
    let stuck: Vec<i64> = p["stuck"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(stuck, [old], "{p}");
    assert_eq!(p["stuck"][0]["state_label"], "申请");
    assert_eq!(p["stuck"][0]["days"], days_ago);
    let page = page(&t, &client, "/regions/4453/modifications").await;
    assert!(page.contains(&format!(r#"<a href="/modifications/{old}">#{old}</a>"#)));
    let (_, view) = get_json(&client, &t.url(&format!("/api/v1/modifications/{old}"))).await;
    assert_eq!(view["stuck"], true);
    assert!(!stuck.contains(&fresh));
    // A move starts the clock of the next step.
    assert_eq!(move_to(&t, &client, &csrf, old, "assessed").await.0, 200);
    let p = progress(&t, &client, "4453").await;
    assert_eq!(p["stuck"].as_array().unwrap().len(), 0);
});

backend_test!(
    the_demo_seeds_yunfu_in_every_step_once,
    |b: Backend| async move {
        use kangyang_demo::home_modification::seed_modifications;
        let t = start_app(b).await;
        kangyang_demo::seed_people(&t.app, 0.01).await.unwrap();
        let first = seed_modifications(&t.app).await.unwrap();
        assert!(first.seeded);
        assert_eq!(first.target, 1310);
        assert!(first.cases > 50, "{first:?}");
        let again = seed_modifications(&t.app).await.unwrap();
        assert!(!again.seeded);
        assert_eq!((again.cases, again.done), (first.cases, first.done));

        t.user("yunfu", Role::Official, "4453").await;
        let (client, _) = t.login("yunfu").await;
        let p = progress(&t, &client, "4453").await;
        assert_eq!(p["target"], 1310);
        assert_eq!(p["cases"], first.cases);
        assert_eq!(p["done"], first.done);
        let county_targets: i64 = p["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["target"].as_i64().unwrap())
            .sum();
        assert_eq!(county_targets, 1310);
        for s in p["by_state"].as_array().unwrap() {
            assert!(
                s["cases"].as_i64().unwrap() > 0,
                "a case in every step: {s}"
            );
        }
        assert!(!p["stuck"].as_array().unwrap().is_empty(), "some are stuck");
        let done_by_county: i64 = p["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["done"].as_i64().unwrap())
            .sum();
        assert_eq!(done_by_county, first.done);
    }
);

/// An official on a phone opens a case from the person page, designs it,
/// moves it on and adds a photo; the pages fit the phone's width.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_is_opened_and_worked_on_a_phone() {
    use crate::browser::Browser;
    let t = start_app(Backend::Sqlite).await;
    t.user("yunfu", Role::Official, "4453").await;
    let (client, csrf) = t.login("yunfu").await;
    let person = elder(&t, &client, &csrf, "445302004001", 10, 84).await;
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("before.png");
    std::fs::write(&photo, PNG).unwrap();

    let b = Browser::start(390, 844).await;
    b.login(&t, "yunfu").await;
    let fits = || async {
        // The page's width, the screen's, and the first elements that stick out.
        let fit = b
            .eval(
                "const w = document.documentElement.clientWidth; \
                 const out = [...document.querySelectorAll('body *')] \
                   .filter(e => e.getBoundingClientRect().right > w + 1).slice(-4) \
                   .map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className); \
                 return [document.documentElement.scrollWidth, w, out];",
            )
            .await;
        assert!(
            fit[0].as_i64().unwrap() <= fit[1].as_i64().unwrap(),
            "wider than the phone on {}: {fit}",
            b.current_url().await
        );
    };
    b.goto(&t.url(&format!("/persons/{person}"))).await;
    b.click("#home-mod-link").await;
    b.wait_for_url(&format!("/modifications/new?person={person}"))
        .await;
    fits().await;
    b.click("#open-case-button").await;
    assert_eq!(b.wait_for_text("#case-state", "申请").await, "申请");
    fits().await;

    // The first item of the list at its typical cost, then the design.
    b.click("#add-item").await;
    assert_eq!(b.wait_for_text("#case-total", "800.00").await, "800.00");
    b.click("#move-button").await;
    assert_eq!(b.wait_for_text("#case-state", "评估").await, "评估");
    b.type_into("#photo-form input[type=file]", photo.to_str().unwrap())
        .await;
    b.click("#upload-photo").await;
    for _ in 0..50 {
        if b.count("#photos img").await == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(b.count("#photos img").await, 1);
    fits().await;
    b.assert_not_defaced("the case page").await;

    b.nav("#nav-modifications").await;
    b.wait_for_url("/regions/4453/modifications").await;
    assert_eq!(b.text("#fig-done").await, "0");
    assert_eq!(b.text("#fig-in-progress").await, "1");
    fits().await;
}
