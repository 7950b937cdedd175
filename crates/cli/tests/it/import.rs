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
    assert_eq!(map.columns.len(), kangyang_domain::person::Field::ALL.len());
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
