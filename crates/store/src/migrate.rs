//! Embedded, ordered, transactional schema migrations with a version table.
//!
//! The binary refuses a database whose schema is newer than it knows: an older
//! binary writing to a newer schema could silently lose what it cannot see.

use crate::{Dialect, Result, Store, StoreError};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sql: include_str!("../migrations/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "person register",
        sql: include_str!("../migrations/0002_person_register.sql"),
    },
    Migration {
        version: 3,
        name: "facilities",
        sql: include_str!("../migrations/0003_facilities.sql"),
    },
    Migration {
        version: 4,
        name: "visits",
        sql: include_str!("../migrations/0004_visits.sql"),
    },
    Migration {
        version: 5,
        name: "canteens",
        sql: include_str!("../migrations/0005_canteens.sql"),
    },
    Migration {
        version: 6,
        name: "home modification",
        sql: include_str!("../migrations/0006_home_modification.sql"),
    },
    Migration {
        version: 7,
        name: "care work",
        sql: include_str!("../migrations/0007_care_work.sql"),
    },
    Migration {
        version: 8,
        name: "children in care",
        sql: include_str!("../migrations/0008_children.sql"),
    },
    Migration {
        version: 9,
        name: "construction projects",
        sql: include_str!("../migrations/0009_construction.sql"),
    },
    Migration {
        version: 10,
        name: "home care orders",
        sql: include_str!("../migrations/0010_home_care.sql"),
    },
    Migration {
        version: 11,
        name: "person tallies",
        sql: include_str!("../migrations/0011_person_tallies.sql"),
    },
    Migration {
        version: 12,
        name: "name search",
        sql: include_str!("../migrations/0012_name_search.sql"),
    },
    Migration {
        version: 13,
        name: "audit scope and key",
        sql: include_str!("../migrations/0013_audit_scope_and_key.sql"),
    },
    Migration {
        version: 14,
        name: "transfer requests",
        sql: include_str!("../migrations/0014_transfer_requests.sql"),
    },
    Migration {
        version: 15,
        name: "life events",
        sql: include_str!("../migrations/0015_life_events.sql"),
    },
    Migration {
        version: 16,
        name: "working days",
        sql: include_str!("../migrations/0016_working_days.sql"),
    },
];

/// Statements a migration runs on PostgreSQL only, after its SQL file's.
/// PL/pgSQL blocks live here because the file splitter cuts at `;` + newline.
const POSTGRES_ONLY: &[(i64, &[&str])] = &[(
    12,
    &[
        // pg_trgm ships with PostgreSQL (contrib) and is a trusted extension,
        // so a database owner may create it; where it is missing or not
        // allowed, name searches read the register as before.
        "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm; \
         EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'pg_trgm is not available: name searches read the register'; END $$",
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN \
         CREATE INDEX persons_name_trgm ON persons USING gin (name gin_trgm_ops); END IF; END $$",
    ],
)];

pub fn latest_version() -> i64 {
    MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

impl Dialect {
    /// The migration's statements with this dialect's placeholders filled in.
    fn render(self, sql: &str) -> Vec<String> {
        let body: String = sql
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        body.split(";\n")
            .map(|s| s.trim().trim_end_matches(';').trim())
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.replace("{id}", self.id_column())
                    .replace("{code}", self.code_column())
                    .replace("{blob}", self.blob_column())
            })
            .collect()
    }
}

pub(crate) async fn migrate(store: &Store) -> Result<()> {
    let pool = store.pool();
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS kangyang_schema (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at BIGINT NOT NULL
        )",
    )
    .execute(pool)
    .await?;
    let (current,): (i64,) =
        sqlx::query_as("SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM kangyang_schema")
            .fetch_one(pool)
            .await?;
    let latest = latest_version();
    if current > latest {
        return Err(StoreError::SchemaTooNew {
            database: current,
            binary: latest,
        });
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
        let mut tx = store.begin().await?;
        for statement in store.dialect().render(migration.sql) {
            sqlx::query(&statement).execute(&mut *tx).await?;
        }
        if store.dialect() == Dialect::Postgres {
            let extra = POSTGRES_ONLY
                .iter()
                .filter(|(version, _)| *version == migration.version)
                .flat_map(|(_, statements)| statements.iter());
            for statement in extra {
                sqlx::query(statement).execute(&mut *tx).await?;
            }
        }
        sqlx::query("INSERT INTO kangyang_schema (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(migration.version)
            .bind(migration.name)
            .bind(unix_now())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied migration"
        );
    }
    Ok(())
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_placeholders_per_dialect() {
        let sql = "-- a comment; with a semicolon\nCREATE TABLE t (id {id}, c {code}, b {blob});\nCREATE INDEX i ON t (c);\n";
        let pg = Dialect::Postgres.render(sql);
        assert_eq!(pg.len(), 2);
        assert!(pg[0].contains("GENERATED BY DEFAULT AS IDENTITY"));
        assert!(pg[0].contains("COLLATE \"C\""));
        assert!(pg[0].contains("BYTEA"));
        let lite = Dialect::Sqlite.render(sql);
        assert!(lite[0].contains("INTEGER PRIMARY KEY AUTOINCREMENT"));
        assert!(!lite.iter().any(|s| s.contains('{')));
    }
}
