//! Register membership is not told across regions; transfer requests
//! (迁入申请) move a person between them with the holder's consent.

use crate::backend_test;
use crate::register::{create_person, id_for, upload_import};
use crate::support::{get_json, get_text, start_app, Backend};
use kangyang_domain::Role;

backend_test!(
    a_number_registered_elsewhere_is_refused_without_saying_where,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        t.user("yunfu", Role::Official, "4453").await;
        let (heshan, csrf) = t.login("heshan").await;
        let (yunfu, yunfu_csrf) = t.login("yunfu").await;
        create_person(&t, &yunfu, &yunfu_csrf, "445302001009", 5).await;
        let number = id_for("445302001009", 5);

        let csv = format!("身份证号,姓名,居住村（社区）代码\n{number},外地,440784103202\n");
        let job = upload_import(&t, &heshan, &csrf, &csv).await;
        let page = get_text(&heshan, &t.url(&format!("/imports/{job}"))).await;
        assert!(page.contains("rejected 1"), "{page}");
        assert!(page.contains(kangyang_app::import::NOT_HERE), "{page}");
        for leak in ["其他辖区", "云浮", "已在"] {
            assert!(!page.contains(leak), "{leak}: {page}");
        }

        let (status, body) = t.post_json(&heshan,
            &csrf,
            "/api/v1/persons",
            serde_json::json!({ "id_number": number, "name": "外地", "village": "440784103202" }),
        )
        .await;
        assert_eq!(status, 422);
        let text = body.to_string();
        assert!(text.contains(kangyang_app::import::NOT_HERE), "{text}");
        assert!(!text.contains("已登记"), "{text}");
    }
);

backend_test!(
    a_transfer_request_is_pending_until_the_holder_decides,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        t.user("yunfu", Role::Official, "4453").await;
        let (heshan, csrf) = t.login("heshan").await;
        let (yunfu, yunfu_csrf) = t.login("yunfu").await;
        let moving = create_person(&t, &yunfu, &yunfu_csrf, "445302001009", 5).await;
        let staying = create_person(&t, &yunfu, &yunfu_csrf, "445302001009", 6).await;
        let number = id_for("445302001009", 5);

        // Three requests: a Yunfu person (typed in groups), another Yunfu
        // person, and a number nobody holds. All read the same: pending.
        let spaced = format!("{} {} {}", &number[..6], &number[6..14], &number[14..]);
        let mut ids = Vec::new();
        for n in [spaced, id_for("445302001009", 6), id_for("445302001009", 7)] {
            let (status, body) = t.post_json(&heshan,
                &csrf,
                "/api/v1/transfers",
                serde_json::json!({ "id_number": n, "village": "440784103202", "reason": "随子女迁居" }),
            )
            .await;
            assert_eq!(status, 201, "{body}");
            assert_eq!(body["status"], "pending");
            ids.push(body["id"].as_i64().unwrap());
        }
        let (moving_req, staying_req, nobody_req) = (ids[0], ids[1], ids[2]);
        let shape = |v: &serde_json::Value| {
            let mut v = v.clone();
            for k in ["id", "id_number", "created_at"] {
                v.as_object_mut().unwrap().remove(k);
            }
            v
        };
        let (status, held) =
            get_json(&heshan, &t.url(&format!("/api/v1/transfers/{moving_req}"))).await;
        assert_eq!(status, 200);
        let (_, unheld) =
            get_json(&heshan, &t.url(&format!("/api/v1/transfers/{nobody_req}"))).await;
        assert_eq!(
            shape(&held),
            shape(&unheld),
            "a request must not tell whether the number is held"
        );
        assert_eq!(held["person_id"], serde_json::Value::Null);
        // The same request twice is refused, and the number is never echoed.
        let (status, body) = t
            .post_json(
                &heshan,
                &csrf,
                "/api/v1/transfers",
                serde_json::json!({ "id_number": number, "village": "440784103202" }),
            )
            .await;
        assert_eq!(status, 422);
        assert!(!body.to_string().contains(&number[6..14]));

        // Yunfu sees the two requests for its people, not the third.
        let (status, lists) = get_json(&yunfu, &t.url("/api/v1/transfers")).await;
        assert_eq!(status, 200);
        let incoming: Vec<i64> = lists["incoming"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        assert_eq!(incoming, [staying_req, moving_req]);
        assert_eq!(lists["incoming"][1]["person_id"], moving);
        let (status, _) =
            get_json(&yunfu, &t.url(&format!("/api/v1/transfers/{nobody_req}"))).await;
        assert_eq!(status, 404);
        // Heshan cannot decide its own request.
        let (status, _) = t
            .post_json(
                &heshan,
                &csrf,
                &format!("/api/v1/transfers/{moving_req}/accept"),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(status, 422);

        // Yunfu accepts one (from the page) and refuses the other.
        let res = yunfu
            .post(t.url(&format!("/transfers/{moving_req}/accept")))
            .form(&[("csrf_token", yunfu_csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let (status, refused) = t
            .post_json(
                &yunfu,
                &yunfu_csrf,
                &format!("/api/v1/transfers/{staying_req}/refuse"),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(refused["status"], "refused");

        // The moved person is Heshan's now, in the requested village.
        let (status, p) = get_json(&heshan, &t.url(&format!("/api/v1/persons/{moving}"))).await;
        assert_eq!(status, 200);
        assert_eq!(p["village_code"], "440784103202");
        let (status, _) = get_json(&yunfu, &t.url(&format!("/api/v1/persons/{moving}"))).await;
        assert_eq!(status, 404);
        let (status, _) = get_json(&heshan, &t.url(&format!("/api/v1/persons/{staying}"))).await;
        assert_eq!(status, 404);
        let (_, done) = get_json(&heshan, &t.url(&format!("/api/v1/transfers/{moving_req}"))).await;
        assert_eq!(done["status"], "accepted");
        assert_eq!(done["person_id"], moving);
        let (_, no) = get_json(&heshan, &t.url(&format!("/api/v1/transfers/{staying_req}"))).await;
        assert_eq!(no["status"], "refused");
        assert_eq!(no["person_id"], serde_json::Value::Null);
        // Deciding again is refused.
        let (status, _) = t
            .post_json(
                &yunfu,
                &yunfu_csrf,
                &format!("/api/v1/transfers/{moving_req}/refuse"),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(status, 422);

        // The pages list them in Chinese.
        let page = get_text(&heshan, &t.url("/transfers")).await;
        assert!(page.contains("本辖区提交的申请"), "{page}");
        assert!(page.contains("已同意迁入") && page.contains("未同意") && page.contains("待处理"));
        assert!(!page.contains(&number));

        // Every step is audited, by ids; the number never.
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT action, object_id, detail FROM audit_log WHERE action LIKE 'transfer.%' ORDER BY id",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let actions: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        assert!(actions.contains(&"transfer.request"));
        assert!(rows
            .iter()
            .any(|r| r.0 == "transfer.accept" && r.1 == moving.to_string()));
        assert!(rows
            .iter()
            .any(|r| r.0 == "transfer.refuse" && r.1 == staying.to_string()));
        for (_, id, detail) in &rows {
            assert!(
                !id.contains(&number[6..14]) && !detail.contains(&number[6..14]),
                "{detail}"
            );
        }
    }
);
