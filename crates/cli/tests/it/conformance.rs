//! The store's conformance suite: the same assertions on SQLite and PostgreSQL.

use crate::backend_test;
use crate::support::{start_app, Backend, TestDb};
use kangyang_domain::audit::{AuditFields, ChainFault, ChainKey};
use kangyang_domain::RegionCode;
use kangyang_store::{audit, regions, users, Store, StoreError};

fn fields(n: i64) -> AuditFields {
    AuditFields {
        at: 1_790_000_000 + n,
        user_id: Some(n),
        username: format!("user{n}"),
        ip: "127.0.0.1".into(),
        action: "test".into(),
        object_type: "thing".into(),
        object_id: n.to_string(),
        result: "ok".into(),
        detail: String::new(),
        region: "440784".into(),
    }
}

fn key() -> ChainKey {
    ChainKey::new([3; 32])
}

backend_test!(
    migrations_are_idempotent_and_refuse_a_newer_schema,
    |b: Backend| async move {
        let db = TestDb::new(b).await;
        let store = Store::open(&db.url).await.unwrap();
        store.close().await;
        // Opening again applies nothing and fails nothing.
        let store = Store::open(&db.url).await.unwrap();
        sqlx::query(
            "INSERT INTO kangyang_schema (version, name, applied_at) VALUES (999, 'future', 0)",
        )
        .execute(store.pool())
        .await
        .unwrap();
        store.close().await;
        match Store::open(&db.url).await {
            Err(StoreError::SchemaTooNew {
                database: 999,
                binary,
            }) => {
                assert_eq!(binary, kangyang_store::latest_version())
            }
            Err(other) => panic!("expected SchemaTooNew, got {other}"),
            Ok(_) => panic!("a schema newer than the binary must be refused"),
        }
    }
);

backend_test!(
    the_embedded_region_tree_is_complete,
    |b: Backend| async move {
        let t = start_app(b).await;
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        assert_eq!(
            regions::count(&mut conn).await.unwrap(),
            1 + 21 + 124 + 1_757 + 26_842
        );
        let gulao = regions::children(&mut conn, Some("440784103"))
            .await
            .unwrap();
        assert_eq!(gulao.len(), 13);
        let maishui = gulao.iter().find(|r| r.code == "440784103202").unwrap();
        assert_eq!(maishui.name, "麦水村委会");
        assert_eq!(maishui.urban_rural.as_deref(), Some("rural"));
        let dongning = gulao.iter().find(|r| r.code == "440784103002").unwrap();
        assert_eq!(dongning.urban_rural.as_deref(), Some("urban"));
        assert_eq!(regions::children(&mut conn, None).await.unwrap().len(), 1);
    }
);

backend_test!(
    subtree_ranges_sort_bytewise_on_both_engines,
    |b: Backend| async move {
        let t = start_app(b).await;
        let mut conn = t.app.store().pool().acquire().await.unwrap();
        let jiangmen = RegionCode::parse("4407").unwrap();
        let yunfu = RegionCode::parse("4453").unwrap();
        let found = regions::search(&mut conn, "古劳", &jiangmen, 50)
            .await
            .unwrap();
        assert!(found.iter().any(|r| r.code == "440784103"));
        assert!(regions::search(&mut conn, "古劳", &yunfu, 50)
            .await
            .unwrap()
            .is_empty());
        // A code ending in 9 has ':' in its upper bound; under a locale collation
        // PostgreSQL could sort ':' among the digits and lose or add rows.
        let county = RegionCode::parse("440309").unwrap(); // 深圳市龙华区
        let (lo, hi) = county.subtree_range();
        let (n,): (i64,) = sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM regions WHERE code >= $1 AND code < $2",
        )
        .bind(&lo)
        .bind(&hi)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        let (expected,): (i64,) = sqlx::query_as(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM regions WHERE substr(code, 1, 6) = '440309'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert!(expected > 1);
        assert_eq!(n, expected);
        let counts = regions::child_counts(&mut conn, &RegionCode::parse("440784").unwrap(), 9)
            .await
            .unwrap();
        assert_eq!(counts.get("440784103").copied(), Some((13, 13)));
    }
);

backend_test!(region_upsert_adds_and_renames, |b: Backend| async move {
    let t = start_app(b).await;
    let mut conn = t.app.store().pool().acquire().await.unwrap();
    let rows = vec![
        regions::NewRegion {
            code: RegionCode::parse("45").unwrap(),
            name: "广西壮族自治区".into(),
        },
        regions::NewRegion {
            code: RegionCode::parse("4501").unwrap(),
            name: "南宁市".into(),
        },
        regions::NewRegion {
            code: RegionCode::parse("440784103202").unwrap(),
            name: "麦水村".into(),
        },
    ];
    assert_eq!(regions::upsert(&mut conn, &rows).await.unwrap(), 2);
    assert_eq!(
        regions::get(&mut conn, "4501")
            .await
            .unwrap()
            .unwrap()
            .parent_code
            .as_deref(),
        Some("45")
    );
    assert_eq!(
        regions::get(&mut conn, "440784103202")
            .await
            .unwrap()
            .unwrap()
            .name,
        "麦水村"
    );
    assert_eq!(regions::upsert(&mut conn, &rows).await.unwrap(), 0);
});

backend_test!(usernames_are_unique, |b: Backend| async move {
    let t = start_app(b).await;
    let mut conn = t.app.store().pool().acquire().await.unwrap();
    let new = users::NewUser {
        username: "heshan",
        display_name: "鹤山",
        password_hash: "x",
        role: "official",
        region_code: "440784",
        facility_id: None,
        must_change_password: false,
        now: 1,
    };
    users::insert(&mut conn, &new).await.unwrap();
    match users::insert(&mut conn, &new).await {
        Err(StoreError::Duplicate("username")) => {}
        other => panic!(
            "expected a duplicate username, got {:?}",
            other.map_err(|e| e.to_string())
        ),
    }
});

backend_test!(
    concurrent_audit_appends_keep_one_chain,
    |b: Backend| async move {
        let db = TestDb::new(b).await;
        let store = Store::open(&db.url).await.unwrap();
        audit::start_keyed_chain(&store, &key()).await.unwrap();
        let mut tasks = Vec::new();
        for n in 0..40 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let (mut tx, _guard) = store.begin_audited().await.unwrap();
                audit::append(&mut tx, &key(), &fields(n)).await.unwrap();
                tx.commit().await.unwrap();
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let mut conn = store.pool().acquire().await.unwrap();
        let (head_id, head_hash) = audit::head(&mut conn).await.unwrap();
        let keyed_from = audit::keyed_from(&mut conn).await.unwrap();
        let rows: Vec<_> = audit::page(&mut conn, 0, 1000)
            .await
            .unwrap()
            .into_iter()
            .map(Into::into)
            .collect();
        assert_eq!(
            kangyang_domain::audit::verify(&key(), &keyed_from, rows, head_id, &head_hash),
            Ok(40)
        );

        // Tampering with one row is caught and named.
        sqlx::query("UPDATE audit_log SET result = 'denied' WHERE id = 7")
            .execute(&mut *conn)
            .await
            .unwrap();
        let rows: Vec<_> = audit::page(&mut conn, 0, 1000)
            .await
            .unwrap()
            .into_iter()
            .map(Into::into)
            .collect();
        assert_eq!(
            kangyang_domain::audit::verify(&key(), &keyed_from, rows, head_id, &head_hash),
            Err(ChainFault::Altered { id: 7 })
        );
    }
);

backend_test!(audit_search_filters_and_counts, |b: Backend| async move {
    let db = TestDb::new(b).await;
    let store = Store::open(&db.url).await.unwrap();
    for n in 0..5 {
        let (mut tx, _guard) = store.begin_audited().await.unwrap();
        let mut f = fields(n);
        f.username = if n % 2 == 0 {
            "heshan".into()
        } else {
            "yunfu".into()
        };
        audit::append(&mut tx, &key(), &f).await.unwrap();
        tx.commit().await.unwrap();
    }
    let mut conn = store.pool().acquire().await.unwrap();
    let filter = audit::AuditFilter {
        username: Some("heshan".into()),
        ..Default::default()
    };
    let (rows, total) = audit::search(&mut conn, &filter, 2, 0).await.unwrap();
    assert_eq!(total, 3);
    assert_eq!(rows.len(), 2);
    assert!(rows[0].id > rows[1].id, "newest first");
    let (_, all) = audit::search(&mut conn, &audit::AuditFilter::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!(all, 5);
});
