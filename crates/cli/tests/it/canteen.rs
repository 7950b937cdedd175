//! Elder canteens: meals priced by tier, the monthly settlement, and the
//! same meal claimed at two canteens flagged.

use crate::backend_test;
use crate::register::name_for;
use crate::support::{get_json, start_app, Backend, TestApp};
use kangyang_domain::{CivilDate, IdNumber, Role};

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
    let (status, body) = t.post_json(client, csrf, "/api/v1/persons", serde_json::json!({
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
                let (status, body) = t
                    .post_json(
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
            let (status, body) = t
                .post_json(
                    &client,
                    &csrf,
                    &format!("/api/v1/facilities/{first}/enrolments"),
                    serde_json::json!({ "person_id": person }),
                )
                .await;
            assert_eq!(status, 201, "{body}");
        }
        let (status, _) = t
            .post_json(
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
        let (status, _) = t.post_json(&client,
            &csrf,
            &format!("/api/v1/facilities/{first}/menus"),
            serde_json::json!({ "day": today, "meal": "lunch", "dishes": "蒸鱼、炒青菜、冬瓜汤" }),
        )
        .await;
        assert_eq!(status, 204);

        let meal = |facility: i64, person: i64, service: &'static str| {
            let (t, client, csrf, today) = (&t, &client, &csrf, today.clone());
            async move {
                t.post_json(client, csrf, &format!("/api/v1/facilities/{facility}/meals"),
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

async fn new_canteen(t: &TestApp, client: &reqwest::Client, csrf: &str, name: &str) -> i64 {
    let (status, body) = t
        .post_json(
            client,
            csrf,
            "/api/v1/facilities",
            serde_json::json!({ "name": name, "kind": "elder_canteen", "region": "445302004" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

/// Registers a diner from before this month began.
async fn enrol(t: &TestApp, client: &reqwest::Client, csrf: &str, canteen: i64, person: i64) {
    let today = t.app.today();
    let start = today.add_days(-i64::from(today.day()) - 1).unwrap();
    let (status, body) = t
        .post_json(
            client,
            csrf,
            &format!("/api/v1/facilities/{canteen}/enrolments"),
            serde_json::json!({ "person_id": person, "start_date": start.to_string() }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

/// The text of the element with `id` in a page (up to its first tag).
fn text_by_id(page: &str, id: &str) -> String {
    let start = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} on the page"));
    let rest = &page[start..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest[open..].find('<').unwrap();
    rest[open..open + close].trim().to_owned()
}

async fn page(client: &reqwest::Client, url: &str) -> (u16, String) {
    let res = client.get(url).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

fn yuan(fen: i64) -> String {
    kangyang_domain::money::Fen(fen).yuan_string()
}

backend_test!(
    the_settlement_page_adds_up_the_meals_three_ways_and_flags_a_double_claim,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("yunfu", Role::Official, "4453").await;
        let (client, csrf) = t.login("yunfu").await;
        let first = new_canteen(&t, &client, &csrf, "安塘社区长者饭堂").await;
        let second = new_canteen(&t, &client, &csrf, "安塘村邻里互助餐点").await;
        let people = [
            diner(&t, &client, &csrf, 1, 82, "").await,
            diner(&t, &client, &csrf, 2, 70, "低保").await,
            diner(&t, &client, &csrf, 3, 66, "特困").await,
            diner(&t, &client, &csrf, 4, 64, "").await,
        ];
        for p in people {
            enrol(&t, &client, &csrf, first, p).await;
        }
        enrol(&t, &client, &csrf, second, people[0]).await;
        // Three days of this month (or of last month's end early in a month).
        let today = t.app.today();
        let days: Vec<String> = (0..3)
            .map(|n| today.add_days(-n).unwrap())
            .filter(|d| d.month() == today.month())
            .map(|d| d.to_string())
            .collect();
        let month = &days[0][..7];
        let (mut subsidy, mut personal, mut charity, mut meals) = (0, 0, 0, 0);
        let fen = |v: &serde_json::Value| {
            kangyang_domain::money::Fen::parse_yuan(v.as_str().unwrap())
                .unwrap()
                .0
        };
        let mut held = 0;
        for (n, day) in days.iter().enumerate() {
            for (i, p) in people.iter().enumerate() {
                let service = if (n + i) % 3 == 0 {
                    "delivered"
                } else {
                    "dine_in"
                };
                for meal in ["lunch", "dinner"].iter().take(1 + (i % 2)) {
                    let (status, priced) = t.post_json(&client,
                        &csrf,
                        &format!("/api/v1/facilities/{first}/meals"),
                        serde_json::json!({ "person_id": p, "day": day, "meal": meal, "service": service }),
                    )
                    .await;
                    assert_eq!(status, 201, "{priced}");
                    subsidy += fen(&priced["subsidy"]);
                    personal += fen(&priced["personal"]);
                    charity += fen(&priced["charity"]);
                    meals += 1;
                    if n == 0 && i == 0 && *meal == "lunch" {
                        held = fen(&priced["subsidy"]);
                    }
                }
            }
        }
        // The first diner's lunch of the first day, claimed again elsewhere.
        let (status, _) = t.post_json(&client,
            &csrf,
            &format!("/api/v1/facilities/{second}/meals"),
            serde_json::json!({ "person_id": people[0], "day": days[0], "meal": "lunch", "service": "dine_in" }),
        )
        .await;
        assert_eq!(status, 201);
        // A wrong tap taken back leaves no trace in the sums.
        let (status, _) = t.post_json(&client,
            &csrf,
            &format!("/api/v1/facilities/{first}/meals"),
            serde_json::json!({ "person_id": people[3], "day": days[0], "meal": "breakfast", "service": "dine_in" }),
        )
        .await;
        assert_eq!(status, 201);
        let (status, _) = t
            .post_json(
                &client,
                &csrf,
                &format!("/api/v1/facilities/{first}/meals/cancel"),
                serde_json::json!({ "person_id": people[3], "day": days[0], "meal": "breakfast" }),
            )
            .await;
        assert_eq!(status, 204);
        assert!(subsidy > 0 && personal > 0 && charity > 0);

        let (status, html) = page(
            &client,
            &t.url(&format!("/facilities/{first}/settlement?month={month}")),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(text_by_id(&html, "total-meals"), meals.to_string());
        assert_eq!(text_by_id(&html, "total-subsidy"), yuan(subsidy));
        assert_eq!(text_by_id(&html, "total-personal"), yuan(personal));
        assert_eq!(text_by_id(&html, "total-charity"), yuan(charity));
        assert_eq!(
            text_by_id(&html, "total-all"),
            yuan(subsidy + personal + charity)
        );
        assert_eq!(text_by_id(&html, "held"), yuan(held));
        assert_eq!(text_by_id(&html, "claimed"), yuan(subsidy - held));
        assert_eq!(text_by_id(&html, "flagged-count"), "1");
        let flagged_table = &html[html.find("id=\"flagged\"").unwrap()..];
        let flagged_table = &flagged_table[..flagged_table.find("</table>").unwrap()];
        assert!(flagged_table.contains(&name_for(1)), "{flagged_table}");
        assert!(flagged_table.contains(&days[0]), "{flagged_table}");
        assert!(
            html.contains(&format!("<tr id=\"s{}\" class=\"is-flagged\">", people[0])),
            "the diner claimed twice is highlighted"
        );
        assert!(
            !html.contains(&format!("<tr id=\"s{}\" class=\"is-flagged\">", people[1])),
            "the others are not"
        );
        assert!(html.contains(&format!(
            "href=\"/facilities/{first}/settlement.xlsx?month={month}\""
        )));
        // Its JSON: the diners' lines add up to the totals too.
        let (_, s) = get_json(
            &client,
            &t.url(&format!(
                "/api/v1/facilities/{first}/settlement?month={month}"
            )),
        )
        .await;
        let lines = s["diners"].as_array().unwrap();
        assert_eq!(lines.len(), people.len());
        for (part, total) in [
            ("subsidy_fen", subsidy),
            ("personal_fen", personal),
            ("charity_fen", charity),
        ] {
            let sum: i64 = lines.iter().map(|l| l[part].as_i64().unwrap()).sum();
            assert_eq!(sum, total, "{part}");
        }
        // The other canteen's settlement flags the same lunch.
        let (_, html) = page(
            &client,
            &t.url(&format!("/facilities/{second}/settlement?month={month}")),
        )
        .await;
        assert_eq!(text_by_id(&html, "flagged-count"), "1");
        assert_eq!(text_by_id(&html, "claimed"), yuan(0));
    }
);

backend_test!(
    a_canteens_staff_reach_their_own_canteen_and_not_another,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("yunfu", Role::Official, "4453").await;
        let (official, csrf) = t.login("yunfu").await;
        let own = new_canteen(&t, &official, &csrf, "安塘社区长者饭堂").await;
        let other = new_canteen(&t, &official, &csrf, "安塘村邻里互助餐点").await;
        let person = diner(&t, &official, &csrf, 1, 75, "").await;
        enrol(&t, &official, &csrf, own, person).await;
        enrol(&t, &official, &csrf, other, person).await;
        kangyang_app::users::create_from_cli(
            &t.app,
            &kangyang_app::users::NewAccount {
                username: "canteen".into(),
                display_name: "饭堂工作人员".into(),
                password: kangyang_app::auth::Password(crate::support::PASSWORD.to_owned()),
                role: Role::FacilityStaff,
                region: kangyang_domain::RegionCode::parse("445302004").unwrap(),
                facility_id: Some(own),
                must_change_password: false,
            },
        )
        .await
        .unwrap();
        let (staff, staff_csrf) = t.login("canteen").await;
        let month = &t.app.today().to_string()[..7];
        for path in [
            "/facilities/{}/meals".to_owned(),
            "/facilities/{}/menus".to_owned(),
            format!("/facilities/{{}}/settlement?month={month}"),
            format!("/facilities/{{}}/settlement.xlsx?month={month}"),
            "/api/v1/facilities/{}/meals".to_owned(),
            "/api/v1/facilities/{}/menus".to_owned(),
            "/api/v1/facilities/{}/settlement".to_owned(),
        ] {
            let (status, _) = page(&staff, &t.url(&path.replace("{}", &own.to_string()))).await;
            assert_eq!(status, 200, "{path} of their own canteen");
            let (status, _) = page(&staff, &t.url(&path.replace("{}", &other.to_string()))).await;
            assert_eq!(status, 404, "{path} of another canteen");
        }
        // A tap on the other canteen's counter is not found either, and records nothing.
        let today = t.app.today().to_string();
        let form = [
            ("csrf_token", staff_csrf.as_str()),
            ("person_id", &person.to_string()),
            ("day", &today),
            ("meal", "lunch"),
            ("service", "dine_in"),
        ];
        let res = staff
            .post(t.url(&format!("/facilities/{other}/meals")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
        let (status, _) = t.post_json(&staff,
            &staff_csrf,
            &format!("/api/v1/facilities/{other}/meals"),
            serde_json::json!({ "person_id": person, "day": today, "meal": "lunch", "service": "dine_in" }),
        )
        .await;
        assert_eq!(status, 404);
        let (_, s) = get_json(
            &official,
            &t.url(&format!("/api/v1/facilities/{other}/settlement")),
        )
        .await;
        assert_eq!(s["meals"], 0, "nothing recorded at the other canteen");
        // At their own counter the tap is saved and leads back to the diner's line.
        let res = staff
            .post(t.url(&format!("/facilities/{own}/meals")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(
            res.headers()["location"],
            format!("/facilities/{own}/meals?day={today}&meal=lunch#d{person}")
        );
        // The mode is an official's to set.
        let res = staff
            .post(t.url(&format!("/facilities/{own}/canteen-mode")))
            .form(&[("csrf_token", staff_csrf.as_str()), ("mode", "charity")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        let res = official
            .post(t.url(&format!("/facilities/{own}/canteen-mode")))
            .form(&[("csrf_token", csrf.as_str()), ("mode", "charity")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let (_, html) = page(&official, &t.url(&format!("/facilities/{own}"))).await;
        assert_eq!(text_by_id(&html, "canteen-mode"), "慈善助餐");
        let res = official
            .post(t.url(&format!("/facilities/{own}/canteen-mode")))
            .form(&[("csrf_token", csrf.as_str()), ("mode", "外卖")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "an unknown mode is refused");
    }
);

backend_test!(
    a_days_menu_is_set_from_the_form_and_shown_in_its_week,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("yunfu", Role::Official, "4453").await;
        let (client, csrf) = t.login("yunfu").await;
        let canteen = new_canteen(&t, &client, &csrf, "安塘社区长者饭堂").await;
        // Next Wednesday: menus are planned ahead.
        let today = t.app.today();
        let wednesday = today
            .add_days(7 + 3 - i64::from(today.iso_weekday()))
            .unwrap()
            .to_string();
        // The day's form sent with a lunch and a supper; the answer's status and page.
        let save = |lunch: String, dinner: &'static str| {
            let req = client
                .post(t.url(&format!("/facilities/{canteen}/menus")))
                .form(&[
                    ("csrf_token", csrf.as_str()),
                    ("day", wednesday.as_str()),
                    ("breakfast", ""),
                    ("lunch", lunch.as_str()),
                    ("dinner", dinner),
                ]);
            async move {
                let res = req.send().await.unwrap();
                (res.status().as_u16(), res.text().await.unwrap())
            }
        };
        // Wednesday as the week's JSON has it.
        let wednesday_menu = || {
            let url = t.url(&format!(
                "/api/v1/facilities/{canteen}/menus?day={wednesday}"
            ));
            let client = &client;
            async move {
                let (status, week) = get_json(client, &url).await;
                assert_eq!(status, 200, "{week}");
                let days = week["days"].as_array().unwrap();
                assert_eq!(days.len(), 7);
                assert_eq!(days[0]["weekday"], "星期一");
                days[2].clone()
            }
        };
        let lunch = "白切鸡、蒜蓉菜心、冬瓜汤";
        assert_eq!(save(lunch.into(), "蒸肉饼、白粥").await.0, 303);
        let day = wednesday_menu().await;
        assert_eq!(day["day"], wednesday.as_str());
        assert_eq!(day["lunch"], lunch);
        assert_eq!(day["dinner"], "蒸肉饼、白粥");
        assert_eq!(day["breakfast"], "");
        let (_, html) = page(
            &client,
            &t.url(&format!("/facilities/{canteen}/menus?day={wednesday}")),
        )
        .await;
        assert!(html.contains(lunch));
        // A too long lunch is refused and nothing changes.
        let (status, html) = save("菜".repeat(201), "").await;
        assert_eq!(status, 422);
        assert!(html.contains("午餐菜式"));
        assert_eq!(wednesday_menu().await["dinner"], "蒸肉饼、白粥");
        // Supper taken off the menu.
        assert_eq!(save(lunch.into(), "").await.0, 303);
        let day = wednesday_menu().await;
        assert_eq!(day["dinner"], "");
        assert_eq!(day["lunch"], lunch);
    }
);

backend_test!(
    a_bad_field_is_answered_by_its_api_key_with_the_chinese_label_beside,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("yunfu", Role::Official, "4453").await;
        let (client, csrf) = t.login("yunfu").await;
        let canteen = new_canteen(&t, &client, &csrf, "安塘社区长者饭堂").await;
        let menus = format!("/api/v1/facilities/{canteen}/menus");
        let today = t.app.today().to_string();

        let (status, body) = t
            .post_json(
                &client,
                &csrf,
                &menus,
                serde_json::json!({ "day": today, "meal": "brunch", "dishes": "粥" }),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            (&body["field"], &body["label"], &body["message"]),
            (
                &serde_json::json!("meal"),
                &serde_json::json!("餐次"),
                &serde_json::json!("应为早餐、午餐或晚餐")
            ),
            "{body}"
        );

        // A date read by the parser the services share is named the same way.
        let (status, body) = t
            .post_json(
                &client,
                &csrf,
                &format!("/api/v1/facilities/{canteen}/meals"),
                serde_json::json!({ "person_id": 1, "day": "2024-02-30", "meal": "lunch", "service": "dine_in" }),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            (body["field"].as_str(), body["label"].as_str()),
            (Some("day"), Some("日期")),
            "{body}"
        );

        // Nothing was stored.
        let (_, week) = get_json(&client, &t.url(&format!("{menus}?day={today}"))).await;
        for day in week["days"].as_array().unwrap() {
            for meal in ["breakfast", "lunch", "dinner"] {
                assert_eq!(day[meal], "", "{week}");
            }
        }
    }
);
