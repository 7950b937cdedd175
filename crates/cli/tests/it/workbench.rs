//! The workbench on `/` (its counts are the lengths of the lists they link
//! to) and the holiday calendar (edited by a city official, audited).

use crate::backend_test;
use crate::support::{get_json, get_text, post_json, start_app, Backend};
use kangyang_domain::Role;

fn count(items: &serde_json::Value, code: &str) -> Option<usize> {
    items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == code)
        .map(|i| i["count"].as_u64().unwrap() as usize)
}

backend_test!(
    an_officials_workbench_counts_equal_the_lists_they_link_to,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("yunfu", Role::Official, "4453").await;
        t.user("auditor", Role::Auditor, "4453").await;
        let (client, _csrf) = t.login("yunfu").await;
        let (status, items) = get_json(&client, &t.url("/api/v1/workbench")).await;
        assert_eq!(status, 200, "{items}");
        let (_, flagged) = get_json(&client, &t.url("/api/v1/home-care/orders?unreviewed=1")).await;
        assert_eq!(
            count(&items, "home_care_flagged"),
            Some(flagged.as_array().unwrap().len())
        );
        let (_, late) = get_json(&client, &t.url("/api/v1/home-care/orders?open=1&late=1")).await;
        assert_eq!(
            count(&items, "home_care_late"),
            Some(late.as_array().unwrap().len())
        );
        assert_eq!(count(&items, "status_still_open"), Some(0));
        assert_eq!(count(&items, "attendance_missing"), Some(0));
        // The landing page shows the workbench above the home region.
        let page = get_text(&client, &t.url("/")).await;
        assert!(page.contains("id=\"workbench\""), "{page}");
        assert!(page.contains("id=\"region-name\""));
        assert!(page.contains("id=\"wb-status_still_open\""));

        let (client, _) = t.login_with_totp("auditor").await;
        let (_, items) = get_json(&client, &t.url("/api/v1/workbench")).await;
        assert_eq!(count(&items, "break_glass"), Some(0));
    }
);

backend_test!(
    a_city_official_edits_the_holiday_calendar_and_each_edit_is_audited,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("yunfu", Role::Official, "4453").await;
        t.user("heshan", Role::Official, "440784").await;
        let (client, csrf) = t.login("yunfu").await;
        let (status, list) = get_json(&client, &t.url("/api/v1/holidays?year=2026")).await;
        assert_eq!(status, 200);
        let days = list["days"].as_array().unwrap();
        assert_eq!(days.len(), 39, "the 2026 arrangement is the default");
        assert!(days
            .iter()
            .any(|d| d["day"] == "2026-02-14" && d["kind"] == "workday"));
        assert_eq!(list["can_edit"], true);

        let body = serde_json::json!({ "day": "2026-03-09", "kind": "放假", "name": "地方节日" });
        let (status, e) = post_json(&client, &csrf, t.url("/api/v1/holidays"), body.clone()).await;
        assert_eq!(status, 204, "{e}");
        let (_, list) = get_json(&client, &t.url("/api/v1/holidays?year=2026")).await;
        assert!(list["days"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["day"] == "2026-03-09" && d["kind"] == "holiday"));
        let body = serde_json::json!({ "day": "2026-03-09" });
        let (status, e) = post_json(
            &client,
            &csrf,
            t.url("/api/v1/holidays/remove"),
            body.clone(),
        )
        .await;
        assert_eq!(status, 204, "{e}");

        // A county official reads the calendar but may not change it.
        let (county, county_csrf) = t.login("heshan").await;
        let body = serde_json::json!({ "day": "2026-03-10", "kind": "holiday", "name": "x" });
        let (status, _) = post_json(
            &county,
            &county_csrf,
            t.url("/api/v1/holidays"),
            body.clone(),
        )
        .await;
        assert_eq!(status, 403);

        let mut conn = t.app.store().read().await.unwrap();
        let actions: Vec<(String,)> = sqlx::query_as(
            "SELECT action FROM audit_log WHERE action LIKE 'holiday.%' ORDER BY id",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let actions: Vec<&str> = actions.iter().map(|a| a.0.as_str()).collect();
        assert_eq!(actions, ["holiday.set", "holiday.remove", "holiday.set"]);
    }
);

/// The length of the list a workbench item links to, read as the user
/// would read that list: through its API where it has one, else by the
/// rows of the page.
async fn list_length(
    client: &reqwest::Client,
    t: &crate::support::TestApp,
    item: &serde_json::Value,
) -> usize {
    let link = item["link"].as_str().unwrap();
    let rows = |v: &serde_json::Value| v.as_array().unwrap().len();
    match item["code"].as_str().unwrap() {
        "visits_due" => rows(&get_json(client, &t.url("/api/v1/visits/due")).await.1["lines"]),
        "visits_raised" => {
            rows(&get_json(client, &t.url("/api/v1/visits/raised")).await.1["lines"])
        }
        "break_glass" => {
            let (_, report) = get_json(client, &t.url("/api/v1/audit/break-glass")).await;
            report["entries"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["reviewed"] == false)
                .count()
        }
        "home_care_flagged" | "home_care_late" => rows(
            &get_json(
                client,
                &t.url(&link.replace("/home-care/", "/api/v1/home-care/")),
            )
            .await
            .1,
        ),
        "modifications_stuck" => {
            let api = link
                .replace("/regions/", "/api/v1/regions/")
                .replace("#stuck", "");
            rows(&get_json(client, &t.url(&api)).await.1["stuck"])
        }
        "construction_delayed" => {
            let (_, list) = get_json(
                client,
                &t.url(&link.replace("/regions/", "/api/v1/regions/")),
            )
            .await;
            list["builds"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|b| b["delayed"] == true)
                .count()
        }
        // The workbench's own lists: one table row per entry.
        _ => {
            let page = get_text(client, &t.url(link)).await;
            let body = page.split("<tbody>").nth(1).unwrap_or("");
            body.matches("<tr id=").count()
        }
    }
}

backend_test!(
    on_the_demo_every_roles_workbench_counts_equal_the_lists_they_link_to,
    |b: Backend| async move {
        let t = start_app(b).await;
        // The shared test password names Gulao, which the demo's gulao
        // account may not have; the demo accounts get their own.
        const DEMO_PASSWORD: &str = "Demo-Workbench-2026";
        kangyang_demo::build(&t.app, DEMO_PASSWORD, 0.01)
            .await
            .unwrap();
        t.user("auditor", Role::Auditor, "44").await;
        let mut seen = std::collections::BTreeSet::new();
        for who in ["heshan", "yunfu", "gulao", "antang", "zhanzhang", "auditor"] {
            let client = if who == "auditor" {
                t.login_with_totp(who).await.0
            } else {
                let client = t.client();
                let res = client
                    .post(t.url("/api/v1/login"))
                    .json(&serde_json::json!({ "username": who, "password": DEMO_PASSWORD }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200, "login of {who}");
                client
            };
            let (status, items) = get_json(&client, &t.url("/api/v1/workbench")).await;
            assert_eq!(status, 200, "{who}: {items}");
            for item in items.as_array().unwrap() {
                let listed = list_length(&client, &t, item).await;
                assert_eq!(
                    item["count"].as_u64().unwrap() as usize,
                    listed,
                    "{who}: {item}"
                );
                seen.insert(item["code"].as_str().unwrap().to_owned());
            }
        }
        // Every kind of item appeared for some role.
        for code in [
            "visits_due",
            "break_glass",
            "home_care_flagged",
            "home_care_late",
            "modifications_stuck",
            "construction_delayed",
            "status_still_open",
            "attendance_missing",
            "meals_held",
            "reassessments_due",
        ] {
            assert!(seen.contains(code), "no role saw {code}: {seen:?}");
        }
    }
);
