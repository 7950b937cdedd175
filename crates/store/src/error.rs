use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the database schema is version {database}, newer than this kangyang binary knows ({binary}); upgrade kangyang before starting it on this database")]
    SchemaTooNew { database: i64, binary: i64 },
    #[error("unsupported database URL: expected a SQLite file path or postgres://…")]
    UnsupportedUrl,
    #[error("a record with the same {0} already exists")]
    Duplicate(&'static str),
    /// Copying a database: what stops it, for the operator.
    #[error("{0}")]
    Transfer(String),
}

impl StoreError {
    /// Turns a unique-constraint violation into `Duplicate(what)`; other errors pass.
    pub fn unique_as(self, what: &'static str) -> StoreError {
        match &self {
            StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                StoreError::Duplicate(what)
            }
            _ => self,
        }
    }
}
