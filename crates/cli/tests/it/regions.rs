//! Regions by name: a region field takes a code, a unique name within the
//! user's scope, or what the picker fills in; names are shown relative to
//! the user's own region.

use crate::backend_test;
use crate::register::create_person;
use crate::support::{get_json, start_app, Backend};
use kangyang_domain::Role;

backend_test!(
    a_region_field_takes_a_name_within_ones_scope,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("heshan", Role::Official, "440784").await;
        let (client, csrf) = t.login("heshan").await;
        create_person(&t, &client, &csrf, "440784103202", 1).await;
        create_person(&t, &client, &csrf, "440784101201", 2).await;

        // The picker's suggestions: names below Heshan, with their codes.
        let (status, found) = get_json(&client, &t.url("/api/v1/regions?q=古劳")).await;
        assert_eq!(status, 200, "{found}");
        let found = found.as_array().unwrap();
        let town = found.iter().find(|r| r["code"] == "440784103").unwrap();
        assert_eq!(town["relative_name"], "古劳镇");
        let village = found.iter().find(|r| r["code"] == "440784103201").unwrap();
        assert_eq!(village["relative_name"], "古劳镇 / 古劳村委会");

        // Searching the register by a town's name, by its code, and by what
        // the picker fills in finds the same people.
        let by = |region: &str| {
            let url = t.url(&format!("/api/v1/persons?region={}", urlencode(region)));
            let client = client.clone();
            async move { get_json(&client, &url).await }
        };
        let (_, by_code) = by("440784103").await;
        assert_eq!(by_code["total"], 1, "{by_code}");
        for typed in [
            "古劳镇",
            "古劳镇（440784103）",
            "鹤山市 / 古劳镇",
            "古劳镇麦水村委会",
        ] {
            let (status, by_name) = by(typed).await;
            assert_eq!(status, 200, "{typed}: {by_name}");
            assert_eq!(by_name["total"], 1, "{typed}: {by_name}");
        }

        // A name two regions share is refused with both to choose from;
        // a name outside one's scope is not found (nothing of it is told).
        let (status, e) = by("兴业社区居民委员会").await;
        assert_eq!(status, 422, "{e}");
        assert_eq!(e["field"], "region");
        let message = e["message"].as_str().unwrap();
        assert!(message.contains("可指多个区划"), "{message}");
        assert_eq!(
            message.matches("兴业社区居民委员会（440784").count(),
            2,
            "{message}"
        );
        let (status, e) = by("云城街道").await;
        assert_eq!(status, 422, "{e}");
        assert!(!e["message"].as_str().unwrap().contains("4453"), "{e}");

        // A person is registered in a village typed by name.
        let (status, body) = t
            .post_json(
                &client,
                &csrf,
                "/api/v1/persons",
                serde_json::json!({
                    "id_number": crate::register::id_for("440784103202", 9),
                    "name": "麦水甲",
                    "village": "古劳镇 / 麦水村委会",
                    "hukou_region": "445302",
                }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let id = body["id"].as_i64().unwrap();
        let (_, person) = get_json(&client, &t.url(&format!("/api/v1/persons/{id}"))).await;
        assert_eq!(person["village_code"], "440784103202", "{person}");
        // The page names places, below Heshan relative to it, elsewhere in full.
        let page = crate::support::get_text(&client, &t.url(&format!("/persons/{id}"))).await;
        assert!(
            page.contains("id=\"village\">古劳镇 / 麦水村委会（440784103202）"),
            "{page}"
        );
        assert!(
            page.contains("id=\"hukou\">广东省 / 云浮市 / 云城区<"),
            "{page}"
        );
    }
);

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
