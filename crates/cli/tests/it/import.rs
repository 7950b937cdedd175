//! `kangyang import persons`: every error real sheets carry, all-or-nothing,
//! --accept-valid, re-import, and a kill in the middle.

use crate::support::{kangyang, Backend, TestDb};
use kangyang_domain::{CivilDate, IdNumber};
use std::process::{Command, Stdio};

fn id(n: u16, birth: (u16, u8, u8)) -> String {
    IdNumber::from_parts(
        "440784",
        CivilDate::new(birth.0, birth.1, birth.2).unwrap(),
        n,
    )
    .unwrap()
    .as_str()
    .to_owned()
}

async fn person_count(db: &TestDb) -> i64 {
    let store = kangyang_store::Store::connect(&db.binary_url())
        .await
        .unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM persons")
        .fetch_one(store.pool())
        .await
        .unwrap();
    store.close().await;
    n
}

crate::backend_test!(
    a_mixed_sheet_names_every_bad_row_and_imports_all_or_nothing,
    |b: Backend| async move {
        let db = TestDb::new(b).await;
        assert!(kangyang(&db, &["migrate"]).status.success());
        // Retire one village so a row can point at a retired code.
        let store = kangyang_store::Store::connect(&db.binary_url())
            .await
            .unwrap();
        sqlx::query("UPDATE regions SET retired_on = '2024-06-30' WHERE code = '440784103212'")
            .execute(store.pool())
            .await
            .unwrap();
        store.close().await;

        let good1 = id(101, (1950, 3, 1));
        let good2 = id(103, (1948, 7, 9));
        let good3 = id(105, (1985, 5, 5));
        let with_x = (1..999)
            .map(|n| id(n, (1960, 2, 2)))
            .find(|i| i.ends_with('X'))
            .unwrap();
        let fullwidth: String = good2
            .chars()
            .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
            .collect();
        let zeroed = format!("{}000", &id(107, (1951, 1, 1))[..15]);
        let mut wrong_check = id(109, (1952, 2, 2));
        let last = wrong_check.pop().unwrap();
        wrong_check.push(if last == '1' { '2' } else { '1' });
        let cert_of_other = format!("{}42", id(111, (1970, 1, 1)));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("花名册.csv");
        // Headers in another order than the template, as towns' sheets have them.
        let rows = [
            "姓名,居住村（社区）代码,身份证号码,出生日期,残疾类别,残疾等级,残疾证号,居住状况"
                .to_owned(),
            format!("李桂芳,440784103202,{good1},,,,,独居"),
            format!("陈伯,440784103201,{fullwidth},,,,,空巢"),
            format!("黄亚妹,440784103203,{},,,,,", with_x.to_lowercase()),
            format!("张强,440784103204,{good3},,肢体,二级,{good3}42,"),
            "梁一,440784103202,4.40784E+17,,,,,".to_owned(),
            format!("梁二,440784103202,{zeroed},,,,,"),
            format!("梁三,440784103202,{wrong_check},,,,,"),
            format!("梁四,440784103202,{},1950-01-01,,,,", id(113, (1953, 3, 3))),
            format!("梁五,440784103999,{},,,,,", id(115, (1954, 4, 4))),
            format!("梁六,440784103212,{},,,,,", id(117, (1955, 5, 5))),
            format!(
                "梁七,440784103202,{},,肢体,二级,{cert_of_other},",
                id(119, (1956, 6, 6))
            ),
            format!("李桂芳,440784103202,{good1},,,,,独居"),
        ];
        std::fs::write(&file, rows.join("\n")).unwrap();
        let out = kangyang(&db, &["import", "persons", file.to_str().unwrap()]);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
        assert_eq!(
            stdout.trim(),
            "imported 0, updated 0, unchanged 0, rejected 8",
            "{stderr}"
        );
        for (row, expect) in [
            (6, "数字"),
            (7, "Excel"),
            (8, "校验码"),
            (9, "出生日期与身份证号不符"),
            (10, "不存在"),
            (11, "撤销"),
            (12, "残疾证号"),
            (13, "与第 2 行"),
        ] {
            let line = stderr
                .lines()
                .find(|l| l.starts_with(&format!("第 {row} 行")))
                .unwrap_or_else(|| panic!("no message for row {row}: {stderr}"));
            assert!(line.contains(expect), "row {row}: {line}");
        }
        for secret in [&good1, &zeroed, &wrong_check] {
            assert!(
                !stderr.contains(secret.as_str()),
                "a message repeats an ID number"
            );
        }
        assert!(
            stderr.contains("warning:"),
            "repairs are reported: {stderr}"
        );
        assert_eq!(person_count(&db).await, 0, "all or nothing");

        // The error workbook: the original rows plus what is wrong.
        let errors = dir.path().join("花名册.csv.errors.xlsx");
        let mut reader = kangyang_app::sheet::SheetReader::open(
            std::fs::read(&errors).unwrap(),
            kangyang_app::sheet::SheetFormat::Xlsx,
        )
        .unwrap();
        assert!(reader.headers().iter().any(|h| h == "错误说明"));
        assert_eq!(reader.by_ref().count(), 8);

        let out = kangyang(
            &db,
            &[
                "import",
                "persons",
                "--accept-valid",
                file.to_str().unwrap(),
            ],
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "imported 4, updated 0, unchanged 0, rejected 8"
        );
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(person_count(&db).await, 4);
        let out = kangyang(
            &db,
            &[
                "import",
                "persons",
                "--accept-valid",
                file.to_str().unwrap(),
            ],
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "imported 0, updated 0, unchanged 4, rejected 8"
        );

        // A corrected sheet: one change, the rest as before.
        let fixed = dir.path().join("fixed.csv");
        std::fs::write(
            &fixed,
            format!(
                "{}\n{}\n{}\n",
                rows[0],
                rows[1].replace("独居", "空巢"),
                rows[4]
            ),
        )
        .unwrap();
        let out = kangyang(&db, &["import", "persons", fixed.to_str().unwrap()]);
        assert!(out.status.success());
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "imported 0, updated 1, unchanged 1, rejected 0"
        );
    }
);

#[tokio::test]
async fn the_template_carries_every_column() {
    let db = TestDb::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("template.xlsx");
    let out = kangyang(
        &db,
        &[
            "import",
            "persons",
            "--template",
            out_file.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reader = kangyang_app::sheet::SheetReader::open(
        std::fs::read(&out_file).unwrap(),
        kangyang_app::sheet::SheetFormat::Xlsx,
    )
    .unwrap();
    let map = kangyang_app::sheet::map_headers(reader.headers());
    assert_eq!(
        map.columns.len(),
        kangyang_domain::register::Field::ALL.len()
    );
}

#[tokio::test]
async fn killing_an_import_midway_leaves_the_register_as_it_was() {
    let db = TestDb::new(Backend::Sqlite).await;
    assert!(kangyang(&db, &["migrate"]).status.success());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.csv");
    let mut text = String::from("身份证号,姓名,居住村（社区）代码\n");
    let rows = 30_000u32;
    for n in 0..rows {
        let birth = CivilDate::new(
            1930 + (n % 60) as u16,
            1 + (n % 12) as u8,
            1 + (n % 28) as u8,
        )
        .unwrap();
        let id = IdNumber::from_parts("440784", birth, (n / 420) as u16).unwrap();
        text.push_str(&format!(
            "{},测试{},440784103202\n",
            id.as_str(),
            ["甲", "乙", "丙"][(n % 3) as usize]
        ));
    }
    std::fs::write(&file, &text).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kangyang"))
        .args(["import", "persons", file.to_str().unwrap(), "--data-dir"])
        .arg(db.dir.as_ref().unwrap().path())
        .env("KANGYANG_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until it is writing, then kill it without warning.
    let stderr = child.stderr.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stderr));
    let writing = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.starts_with("写入 10000"));
    assert!(writing.is_some(), "the import reached its writing phase");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        person_count(&db).await,
        0,
        "a killed import leaves nothing half-written"
    );

    let out = kangyang(&db, &["import", "persons", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("imported {rows}, updated 0, unchanged 0, rejected 0")
    );
    assert_eq!(person_count(&db).await, i64::from(rows));
}

/// Headers in A1:C1 and one cell at XFD1048576: under 2 KB, and a dense
/// range of the whole sheet (hundreds of GB) to a reader that trusts it.
fn hostile_workbook() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (col, header) in ["身份证号", "姓名", "居住村（社区）代码"]
        .into_iter()
        .enumerate()
    {
        sheet.write_string(0, col as u16, header).unwrap();
    }
    sheet.write_string(1_048_575, 16_383, "x").unwrap();
    book.save_to_buffer().unwrap()
}

crate::backend_test!(
    a_tiny_workbook_claiming_the_whole_sheet_ends_with_a_message,
    |b: Backend| async move {
        let db = TestDb::new(b).await;
        assert!(kangyang(&db, &["migrate"]).status.success());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("花名册.xlsx");
        let bytes = hostile_workbook();
        assert!(bytes.len() < 8 * 1024, "{} bytes", bytes.len());
        std::fs::write(&file, bytes).unwrap();
        let out = kangyang(&db, &["import", "persons", file.to_str().unwrap()]);
        // Ended by itself (not killed by the allocator), with a reason.
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("第 1048576 行 XFD 列有内容") && stderr.contains("最多 256 列"),
            "{stderr}"
        );
        assert_eq!(person_count(&db).await, 0);
    }
);

/// Uploads a file through the import page and returns the finished job's page.
async fn upload_file(
    t: &crate::support::TestApp,
    client: &reqwest::Client,
    csrf: &str,
    bytes: Vec<u8>,
    name: &str,
) -> String {
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
    let res = client
        .post(t.url("/imports"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    for _ in 0..400 {
        let page = crate::support::get_text(client, &t.url(&location)).await;
        if !page.contains("id=\"import-progress\"") {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import did not finish");
}

crate::backend_test!(
    hostile_uploads_are_refused_and_the_server_keeps_answering,
    |b: Backend| async move {
        let t = crate::support::start_app(b).await;
        t.user("heshan", kangyang_domain::Role::Official, "440784")
            .await;
        let (c, csrf) = t.login("heshan").await;

        let page = upload_file(&t, &c, &csrf, hostile_workbook(), "花名册.xlsx").await;
        assert!(page.contains("id=\"import-failed\""), "{page}");
        assert!(page.contains("第 1048576 行 XFD 列有内容"), "{page}");

        let mut wide = "身份证号,姓名,居住村（社区）代码\n".to_owned();
        wide.push_str(&format!("{},李桂芳,440784103202", id(101, (1950, 3, 1))));
        wide.push_str(&",".repeat(100_000));
        wide.push('\n');
        let page = upload_file(&t, &c, &csrf, wide.into_bytes(), "名单.csv").await;
        assert!(page.contains("id=\"import-failed\""), "{page}");
        assert!(
            page.contains("CSV 第 2 行有 100003 列，超过可导入的上限 256 列"),
            "{page}"
        );

        // Still answering, and still importing.
        let health = c.get(t.url("/healthz")).send().await.unwrap();
        assert_eq!(health.status(), 200);
        let csv = format!(
            "身份证号,姓名,居住村（社区）代码\n{},李桂芳,440784103202\n",
            id(101, (1950, 3, 1))
        );
        let page = upload_file(&t, &c, &csrf, csv.into_bytes(), "名单.csv").await;
        assert!(
            page.contains("imported 1, updated 0, unchanged 0, rejected 0"),
            "{page}"
        );
    }
);

crate::backend_test!(
    an_id_number_typed_in_groups_is_joined_with_a_warning,
    |b: Backend| async move {
        let t = crate::support::start_app(b).await;
        t.user("heshan", kangyang_domain::Role::Official, "440784")
            .await;
        let (c, csrf) = t.login("heshan").await;
        let first = id(101, (1950, 3, 1));
        let second = id(103, (1948, 7, 9));
        let grouped =
            |n: &str, sep: &str| format!("{}{sep}{}{sep}{}", &n[..6], &n[6..14], &n[14..]);
        let csv = format!(
            "身份证号,姓名,居住村（社区）代码\n{},李桂芳,440784103202\n{},陈伯,440784103202\n",
            grouped(&first, " "),
            grouped(&second, "\u{3000}"),
        );
        let page = upload_file(&t, &c, &csrf, csv.into_bytes(), "名单.csv").await;
        assert!(
            page.contains("imported 2, updated 0, unchanged 0, rejected 0"),
            "{page}"
        );
        assert!(
            page.contains("第 2 行 身份证号：已自动修正：删除了号码中间的空格"),
            "{page}"
        );
        assert!(
            page.contains("第 3 行 身份证号：已自动修正：删除了号码中间的空格"),
            "{page}"
        );

        // The form takes it too (a no-break space between the groups).
        let third = id(105, (1951, 1, 1));
        let res = c
            .post(t.url("/api/v1/persons"))
            .header("x-csrf-token", &csrf)
            .json(&serde_json::json!({
                "id_number": grouped(&third, "\u{a0}"), "name": "黄亚妹", "village": "440784103202" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        // And finding by the number typed in groups finds the same person.
        let res = c
            .post(t.url("/api/v1/persons/find"))
            .header("x-csrf-token", &csrf)
            .json(&serde_json::json!({ "id_number": grouped(&first, " ") }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
);

crate::backend_test!(
    a_facility_users_import_refuses_a_person_outside_the_facility,
    |b: Backend| async move {
        let t = crate::support::start_app(b).await;
        t.user("heshan", kangyang_domain::Role::Official, "440784")
            .await;
        let (official, csrf) = t.login("heshan").await;
        let res = official
            .post(t.url("/api/v1/facilities"))
            .header("x-csrf-token", &csrf)
            .json(&serde_json::json!({ "name": "古劳长者饭堂", "kind": "elder_canteen", "region": "440784103" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let facility = res.json::<serde_json::Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap();
        let enrolled =
            crate::register::create_person(&t, &official, &csrf, "440784103202", 1).await;
        crate::register::create_person(&t, &official, &csrf, "440784103202", 2).await;
        let res = official
            .post(t.url(&format!("/api/v1/facilities/{facility}/enrolments")))
            .header("x-csrf-token", &csrf)
            .json(&serde_json::json!({ "person_id": enrolled, "start_date": t.app.today().to_string() }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        kangyang_app::users::create_from_cli(
            &t.app,
            &kangyang_app::users::NewAccount {
                username: "canteen".into(),
                display_name: "饭堂工作人员".into(),
                password: kangyang_app::auth::Password(crate::support::PASSWORD.to_owned()),
                role: kangyang_domain::Role::FacilityStaff,
                region: kangyang_domain::RegionCode::parse("440784103").unwrap(),
                facility_id: Some(facility),
                must_change_password: false,
            },
        )
        .await
        .unwrap();
        let (staff, staff_csrf) = t.login("canteen").await;
        // Both rows change the name; only the facility's own person may change.
        let csv = format!(
            "身份证号,姓名,居住村（社区）代码\n{},改名甲,440784103202\n{},改名乙,440784103202\n",
            crate::register::id_for("440784103202", 1),
            crate::register::id_for("440784103202", 2),
        );
        let page = upload_file(
            &t,
            &staff,
            &staff_csrf,
            csv.clone().into_bytes(),
            "名单.csv",
        )
        .await;
        assert!(
            page.contains("imported 0, updated 0, unchanged 0, rejected 1"),
            "{page}"
        );
        assert!(page.contains("此人不能在本辖区登记或修改"), "{page}");
        // Nothing was written (all or nothing); with --accept-valid only
        // the facility's own person changes.
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", staff_csrf.clone())
            .text("accept_valid", "on")
            .part(
                "file",
                reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("名单.csv"),
            );
        let res = staff
            .post(t.url("/imports"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        let mut page = String::new();
        for _ in 0..400 {
            page = crate::support::get_text(&staff, &t.url(&location)).await;
            if !page.contains("id=\"import-progress\"") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(
            page.contains("imported 0, updated 1, unchanged 0, rejected 1"),
            "{page}"
        );
        let (_, p) =
            crate::support::get_json(&official, &t.url(&format!("/api/v1/persons/{enrolled}")))
                .await;
        assert_eq!(p["name"], "改名甲");
    }
);

/// Finished reports stay in memory for their owner: only the newest are
/// kept, so many uploads cannot fill the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_newest_import_reports_are_kept() {
    let t = crate::support::start_app(Backend::Sqlite).await;
    t.user("heshan", kangyang_domain::Role::Official, "440784")
        .await;
    let (c, csrf) = t.login("heshan").await;
    let csv = "身份证号,姓名,居住村（社区）代码\n".as_bytes().to_vec();
    let mut first = None;
    for _ in 0..17 {
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", csrf.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(csv.clone()).file_name("空表.csv"),
            );
        let res = c
            .post(t.url("/imports"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        for _ in 0..400 {
            let page = crate::support::get_text(&c, &t.url(&location)).await;
            if !page.contains("id=\"import-progress\"") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        first.get_or_insert(location);
    }
    let res = c.get(t.url(&first.unwrap())).send().await.unwrap();
    assert_eq!(res.status(), 404);
}
