//! Life events reaching every service: a death or a move, recorded from a
//! department's status list, the person's page or the command line, ends the
//! person's places, refuses what is dated after it, and holds what was
//! entered after it before the news arrived.

use crate::backend_test;
use crate::register::name_for;
use crate::support::{get_json, get_text, kangyang, start_app, Backend, TestApp, TestDb};
use kangyang_app::import::{ImportOptions, Importer};
use kangyang_app::sheet::SheetFormat;
use kangyang_domain::{CivilDate, IdNumber, RegionCode, Role};

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

/// A person of 安塘 aged `age`, optionally with a disability; (id, ID number).
async fn person(
    t: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    n: u16,
    age: u16,
    disability: Option<(&str, &str)>,
) -> (i64, String) {
    let today = t.app.today();
    let birth = CivilDate::new(today.year() - age - 1, 6, 1 + (n % 28) as u8).unwrap();
    let number = IdNumber::from_parts("445302", birth, 600 + n)
        .unwrap()
        .as_str()
        .to_owned();
    let mut body = serde_json::json!({
        "id_number": number, "name": name_for(n), "village": "445302004001", "address": "安塘路8号",
    });
    if let Some((category, grade)) = disability {
        body["disability_category"] = category.into();
        body["disability_grade"] = grade.into();
    }
    let (status, body) = post(t, client, csrf, "/api/v1/persons", body).await;
    assert_eq!(status, 201, "{body}");
    (body["id"].as_i64().unwrap(), number)
}

async fn facility(
    t: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    name: &str,
    kind: &str,
) -> i64 {
    let (status, body) = post(
        t,
        client,
        csrf,
        "/api/v1/facilities",
        serde_json::json!({ "name": name, "kind": kind, "region": "445302004" }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

async fn enrol(
    t: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    facility: i64,
    person: i64,
    start: CivilDate,
) {
    let (status, body) = post(
        t,
        client,
        csrf,
        &format!("/api/v1/facilities/{facility}/enrolments"),
        serde_json::json!({ "person_id": person, "start_date": start.to_string() }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

async fn meal(
    t: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    canteen: i64,
    person: i64,
    day: CivilDate,
) -> (u16, serde_json::Value) {
    post(
        t,
        client,
        csrf,
        &format!("/api/v1/facilities/{canteen}/meals"),
        serde_json::json!({ "person_id": person, "day": day.to_string(), "meal": "lunch", "service": "dine_in" }),
    )
    .await
}

async fn current_people(client: &reqwest::Client, t: &TestApp, facility: i64) -> Vec<i64> {
    let (status, body) = get_json(
        client,
        &t.url(&format!("/api/v1/facilities/{facility}/enrolments")),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .map(|t| t["person_id"].as_i64().unwrap())
        .collect()
}

backend_test!(
    a_status_list_of_three_deaths_ends_their_places_refuses_later_services_and_holds_a_late_meal,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("yunfu", Role::Official, "4453").await;
        let (client, csrf) = t.login("yunfu").await;
        let today = t.app.today();
        let day = |n: i64| today.add_days(-n).unwrap();
        let (died, after) = (day(2), day(1));
        let canteen = facility(&t, &client, &csrf, "安塘社区长者饭堂", "elder_canteen").await;
        let centre = facility(&t, &client, &csrf, "安塘康园中心", "kangyuan_centre").await;
        let (a, a_id) = person(&t, &client, &csrf, 1, 82, None).await;
        let (bb, b_id) = person(&t, &client, &csrf, 2, 74, None).await;
        let (c, c_id) = person(&t, &client, &csrf, 3, 30, Some(("智力", "二级"))).await;
        let (d, _) = person(&t, &client, &csrf, 4, 77, None).await;
        for p in [a, bb, d] {
            enrol(&t, &client, &csrf, canteen, p, day(10)).await;
        }
        enrol(&t, &client, &csrf, centre, c, day(10)).await;

        // A lunch claimed for the day after the death, before the list came.
        let (status, late) = meal(&t, &client, &csrf, canteen, a, after).await;
        assert_eq!(status, 201, "{late}");

        // The list of 殡葬: three deaths and one person not in the register.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("死亡名单.csv");
        let stranger =
            IdNumber::from_parts("445302", CivilDate::new(1940, 1, 1).unwrap(), 999).unwrap();
        let rows = [
            "身份证号,姓名,状态,日期".to_owned(),
            format!("{a_id},甲,死亡,{died}"),
            format!("{b_id},乙,死亡,{died}"),
            format!("{c_id},丙,死亡,{died}"),
            format!("{},丁,死亡,{died}", stranger.as_str()),
        ];
        std::fs::write(&file, rows.join("\n")).unwrap();
        let report = kangyang_app::life::import_status_file(
            &t.app,
            &Importer::Cli {
                region: RegionCode::parse("4453").unwrap(),
            },
            &file,
            SheetFormat::Csv,
            ImportOptions::default(),
        )
        .await
        .unwrap();
        assert_eq!(
            report.summary(),
            "matched 3, unchanged 0, unmatched 1, rejected 0"
        );
        assert!(report.committed);
        assert_eq!(report.enrolments_ended, 3);
        assert_eq!(report.held, 1, "the late lunch");

        // Their places ended on the date; the living diner keeps hers.
        assert_eq!(current_people(&client, &t, canteen).await, vec![d]);
        assert!(current_people(&client, &t, centre).await.is_empty());

        // A meal and an attendance tap dated after the death are refused, saying why.
        let (status, body) = meal(&t, &client, &csrf, canteen, bb, after).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            body["message"],
            format!("该人员已于 {died} 死亡，不能记录此后的助餐").as_str()
        );
        let (status, body) = post(
            &t,
            &client,
            &csrf,
            &format!("/api/v1/facilities/{centre}/attendance"),
            serde_json::json!({ "person_id": c, "day": after.to_string(), "mark": "present" }),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            body["message"],
            format!("该人员已于 {died} 死亡，不能记录此后的签到").as_str()
        );
        // The day of the death itself still counts; the living are served as before.
        assert_eq!(meal(&t, &client, &csrf, canteen, bb, died).await.0, 201);
        assert_eq!(meal(&t, &client, &csrf, canteen, d, after).await.0, 201);

        // The late lunch is held in the canteen's settlement until reviewed.
        let month = &after.to_string()[..7];
        let (status, s) = get_json(
            &client,
            &t.url(&format!(
                "/api/v1/facilities/{canteen}/settlement?month={month}"
            )),
        )
        .await;
        assert_eq!(status, 200, "{s}");
        let flagged = s["flagged"].as_array().unwrap();
        assert_eq!(flagged.len(), 1, "{s}");
        assert_eq!(flagged[0]["day"], after.to_string().as_str());
        assert!(
            flagged[0]["reason"].as_str().unwrap().contains("应退/待核"),
            "{s}"
        );
        let late_subsidy = flagged[0]["subsidy_fen"].as_i64().unwrap();
        assert!(late_subsidy > 0);
        assert_eq!(s["held_fen"].as_i64().unwrap(), late_subsidy);
        assert_eq!(
            s["claimed_fen"].as_i64().unwrap(),
            s["subsidy_fen"].as_i64().unwrap() - late_subsidy
        );

        // The person's page shows the death, the place it ended and the held meal.
        let page = get_text(&client, &t.url(&format!("/persons/{a}"))).await;
        assert!(page.contains(&format!("{died} 死亡")), "{page}");
        assert!(
            page.contains("安塘社区长者饭堂") && page.contains("ended-enrolment"),
            "{page}"
        );
        assert!(
            page.contains(&format!("自 {} 入托，至 {died} 结束", day(10))),
            "{page}"
        );
        assert!(page.contains("应退或待核"), "{page}");
        // One audited event per person.
        let (_, hist) = get_json(&client, &t.url(&format!("/api/v1/persons/{a}/history"))).await;
        let events = hist
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["action"] == "person.life_event")
            .count();
        assert_eq!(events, 1, "{hist}");

        // The same list again changes nothing.
        let again = kangyang_app::life::import_status_file(
            &t.app,
            &Importer::Cli {
                region: RegionCode::parse("4453").unwrap(),
            },
            &file,
            SheetFormat::Csv,
            ImportOptions::default(),
        )
        .await
        .unwrap();
        assert_eq!(
            again.summary(),
            "matched 0, unchanged 3, unmatched 1, rejected 0"
        );
    }
);

backend_test!(
    a_move_recorded_on_the_page_ends_places_and_refuses_a_later_visit,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("yunfu", Role::Official, "4453").await;
        let (client, csrf) = t.login("yunfu").await;
        let today = t.app.today();
        let moved = today.add_days(-3).unwrap();
        let canteen = facility(&t, &client, &csrf, "安塘村长者饭堂", "elder_canteen").await;
        let (p, _) = person(&t, &client, &csrf, 5, 80, None).await;
        enrol(&t, &client, &csrf, canteen, p, today.add_days(-20).unwrap()).await;

        // A bath booked for tomorrow, before the news of the move.
        let tomorrow = today.add_days(1).unwrap();
        let book = || {
            post(
                &t,
                &client,
                &csrf,
                "/api/v1/home-care/orders",
                serde_json::json!({ "person_id": p, "item": "bathing", "scheduled_at": format!("{tomorrow} 09:30"), "channel": "hotline" }),
            )
        };
        let (status, booked) = book().await;
        assert_eq!(status, 201, "{booked}");
        let booked = booked["id"].as_i64().unwrap();
        // And a monthly care plan: two baths a month.
        let res = client
            .put(t.url(&format!("/api/v1/persons/{p}/home-care")))
            .header("x-csrf-token", &csrf)
            .json(&serde_json::json!({ "plan": [{ "item": "bathing", "times_per_month": 2, "quantity": 1 }] }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
        let plan_of = || async {
            let (status, c) =
                get_json(&client, &t.url(&format!("/api/v1/persons/{p}/home-care"))).await;
            assert_eq!(status, 200, "{c}");
            c["plan"].as_array().unwrap().len()
        };
        assert_eq!(plan_of().await, 1);
        // And a carer assigned (as a child's carer is, by the children's desk).
        let carers = || async {
            let mut conn = t.app.store().pool().acquire().await.unwrap();
            let (n,): (i64,) = sqlx::query_as(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM child_assignments WHERE person_id = $1",
            )
            .bind(p)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
            n
        };
        {
            let mut conn = t.app.store().pool().acquire().await.unwrap();
            sqlx::query(
                "INSERT INTO child_assignments (person_id, user_id, assigned_at) \
                 SELECT $1, id, 0 FROM users WHERE username = 'yunfu'",
            )
            .bind(p)
            .execute(&mut *conn)
            .await
            .unwrap();
        }
        assert_eq!(carers().await, 1);

        // The page offers the form to those who may change the register.
        let page = get_text(&client, &t.url(&format!("/persons/{p}"))).await;
        assert!(
            page.contains("id=\"status-form\"")
                && page.contains(
                    "/persons/{p}/status"
                        .replace("{p}", &p.to_string())
                        .as_str()
                ),
            "{page}"
        );

        // A date in the future is refused, naming the field; nothing changes.
        let res = client
            .post(t.url(&format!("/persons/{p}/status")))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("status", "moved_away"),
                ("date", &today.add_days(1).unwrap().to_string()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
        assert!(res.text().await.unwrap().contains("日期：不能晚于今天"));
        assert_eq!(current_people(&client, &t, canteen).await, vec![p]);

        let res = client
            .post(t.url(&format!("/persons/{p}/status")))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("status", "moved_away"),
                ("date", &moved.to_string()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let page = get_text(&client, &t.url(&format!("/persons/{p}"))).await;
        assert!(
            page.contains(&format!("{moved} 迁出")) && page.contains("安塘村长者饭堂"),
            "{page}"
        );
        assert!(current_people(&client, &t, canteen).await.is_empty());
        // The care plan stops; the booked bath is cancelled and shown so; a
        // new booking is refused.
        assert_eq!(plan_of().await, 0);
        assert_eq!(carers().await, 0);
        assert!(page.contains("已解除 1 名"), "{page}");
        assert!(page.contains("居家养老照护计划已停止"), "{page}");
        assert!(page.contains("已取消居家服务工单"), "{page}");
        let (_, order) = get_json(
            &client,
            &t.url(&format!("/api/v1/home-care/orders/{booked}")),
        )
        .await;
        assert_eq!(order["order"]["state"], "cancelled", "{order}");
        let (status, body) = book().await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            body["message"],
            format!("该人员已于 {moved} 迁出，不能记录此后的居家上门服务").as_str()
        );

        let (status, body) = post(
            &t,
            &client,
            &csrf,
            &format!("/api/v1/persons/{p}/visits"),
            serde_json::json!({ "day": today.to_string(), "mode": "phone" }),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            body["message"],
            format!("该人员已于 {moved} 迁出，不能记录此后的探访").as_str()
        );
        let (status, body) = post(
            &t,
            &client,
            &csrf,
            &format!("/api/v1/persons/{p}/visits"),
            serde_json::json!({ "day": moved.to_string(), "mode": "phone" }),
        )
        .await;
        assert_eq!(
            status, 201,
            "a visit on the day of the move still counts: {body}"
        );
    }
);

fn status_list(dir: &std::path::Path, name: &str, rows: &[String]) -> std::path::PathBuf {
    let file = dir.join(name);
    let mut text = String::from("公民身份号码,变更类型,变更日期\n");
    text.push_str(&rows.join("\n"));
    std::fs::write(&file, text).unwrap();
    file
}

#[tokio::test]
async fn kangyang_import_status_is_all_or_nothing_and_reports_matches() {
    let db = TestDb::new(Backend::Sqlite).await;
    assert!(kangyang(&db, &["migrate"]).status.success());
    let dir = tempfile::tempdir().unwrap();
    let id = |serial: u16| {
        IdNumber::from_parts("440784", CivilDate::new(1941, 3, 9).unwrap(), serial)
            .unwrap()
            .as_str()
            .to_owned()
    };
    let register = dir.path().join("花名册.csv");
    std::fs::write(
        &register,
        format!(
            "身份证号,姓名,居住村（社区）代码\n{},陈伯,440784103202\n{},李桂芳,440784103202\n",
            id(11),
            id(13)
        ),
    )
    .unwrap();
    assert!(
        kangyang(&db, &["import", "persons", register.to_str().unwrap()])
            .status
            .success()
    );

    // One bad row (an unknown status): nothing changes, the error workbook says why.
    let bad = status_list(
        dir.path(),
        "名单.csv",
        &[
            format!("{},死亡,2024-05-01", id(11)),
            format!("{},出差,2024-05-02", id(13)),
        ],
    );
    let out = kangyang(&db, &["import", "status", bad.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert_eq!(
        stdout.trim(),
        "matched 0, unchanged 0, unmatched 0, rejected 1",
        "{stderr}"
    );
    assert!(
        stderr.contains("第 3 行：状态：应为死亡、迁出或户籍迁出"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert!(dir.path().join("名单.csv.errors.xlsx").exists());

    // A good list: two matched, one not in the register.
    let good = status_list(
        dir.path(),
        "名单2.csv",
        &[
            format!("{},死亡,2024-05-01", id(11)),
            format!("{},户籍迁出,2024-05-02", id(13)),
            format!("{},死亡,2024-05-03", id(15)),
        ],
    );
    let out = kangyang(&db, &["import", "status", good.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.trim(),
        "matched 2, unchanged 0, unmatched 1, rejected 0"
    );
    // Run again: already recorded.
    let out = kangyang(&db, &["import", "status", good.to_str().unwrap()]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "matched 0, unchanged 2, unmatched 1, rejected 0"
    );
    // --accept-valid takes the valid rows of a list with a bad one.
    let mixed = status_list(
        dir.path(),
        "名单3.csv",
        &[
            format!("{},迁出,2024-06-01", id(11)),
            "123,死亡,2024-06-01".to_owned(),
        ],
    );
    let out = kangyang(
        &db,
        &[
            "import",
            "status",
            mixed.to_str().unwrap(),
            "--accept-valid",
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "matched 1, unchanged 0, unmatched 0, rejected 1"
    );
}

backend_test!(
    a_status_list_uploaded_on_its_page_reports_each_kind_of_row,
    |b: Backend| async move {
        let t = start_app(b).await;
        t.user("yunfu", Role::Official, "4453").await;
        let (client, csrf) = t.login("yunfu").await;
        let died = t.app.today().add_days(-1).unwrap();
        let (p, p_id) = person(&t, &client, &csrf, 7, 88, None).await;
        let (q, q_id) = person(&t, &client, &csrf, 8, 71, None).await;
        let upload = |text: String, accept: bool| {
            let mut form = reqwest::multipart::Form::new()
                .text("csrf_token", csrf.clone())
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(text.into_bytes()).file_name("卫健名单.csv"),
                );
            if accept {
                form = form.text("accept_valid", "on");
            }
            let req = client.post(t.url("/imports/status")).multipart(form);
            async move {
                let res = req.send().await.unwrap();
                (res.status().as_u16(), res.text().await.unwrap())
            }
        };
        // Reached from the import page by a link.
        let page = get_text(&client, &t.url("/imports/new")).await;
        assert!(page.contains("href=\"/imports/status\""), "{page}");
        let list = format!("身份证号,状态,日期\n{p_id},死亡,{died}\n{q_id},去火星,{died}\n");
        let (status, page) = upload(list.clone(), false).await;
        assert_eq!(status, 200, "{page}");
        assert!(
            page.contains("未导入") && page.contains("<b id=\"rejected\">1</b>"),
            "{page}"
        );
        assert!(page.contains("状态：应为死亡、迁出或户籍迁出"), "{page}");
        let (_, shown) = get_json(&client, &t.url(&format!("/api/v1/persons/{p}"))).await;
        assert_eq!(shown["status"], "alive", "all or nothing: {shown}");

        let (status, page) = upload(list, true).await;
        assert_eq!(status, 200, "{page}");
        assert!(
            page.contains("已导入") && page.contains("<b id=\"matched\">1</b>"),
            "{page}"
        );
        let (_, shown) = get_json(&client, &t.url(&format!("/api/v1/persons/{p}"))).await;
        assert_eq!(shown["status"], "deceased", "{shown}");
        assert_eq!(shown["status_date"], died.to_string().as_str());
        let (_, other) = get_json(&client, &t.url(&format!("/api/v1/persons/{q}"))).await;
        assert_eq!(other["status"], "alive");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_death_is_recorded_by_clicking_on_the_persons_page() {
    let t = start_app(Backend::Sqlite).await;
    t.user("yunfu", Role::Official, "4453").await;
    let (client, csrf) = t.login("yunfu").await;
    let (p, _) = person(&t, &client, &csrf, 9, 90, None).await;
    let died = t.app.today().add_days(-1).unwrap();
    let b = crate::browser::Browser::start(390, 844).await;
    b.login(&t, "yunfu").await;
    b.goto(&t.url(&format!("/persons/{p}"))).await;
    assert_eq!(b.text("#no-life-events").await, "没有死亡、迁出登记。");
    // A date input types differently by locale: set its value as a picker would.
    b.eval(&format!(
        "document.querySelector('#status-date').value = '{died}'; return null;"
    ))
    .await;
    b.click("#status-submit").await;
    b.wait_for_url(&format!("/persons/{p}#life-events")).await;
    assert_eq!(
        b.wait_for_text(".life-event b", &format!("{died} 死亡"))
            .await,
        format!("{died} 死亡")
    );
    let (_, shown) = get_json(&client, &t.url(&format!("/api/v1/persons/{p}"))).await;
    assert_eq!(shown["status"], "deceased");
}
