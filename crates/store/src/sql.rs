//! Statements assembled at run time (search filters), with numbered `$n`
//! placeholders that both engines accept. Values are always bound, never
//! spliced into the text.
//!
//! The one style of dynamic SQL in this crate: a statement whose text or
//! binds depend on what is asked is built here. Two shapes stay outside,
//! because this builder cannot express them: a fixed statement that only
//! interpolates a constant (a column list, a table name from a fixed list,
//! which no placeholder can stand for), and a multi-row insert, whose
//! placeholders come from [`crate::Dialect::value_rows`] (bare `?` on SQLite,
//! see [`crate::Dialect::placeholder`]).

use sqlx::any::AnyArguments;
use sqlx::query::QueryAs;
use sqlx::{Any, FromRow};

#[derive(Debug, Clone)]
pub(crate) enum Value {
    Text(Option<String>),
    Int(Option<i64>),
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(Some(s.to_owned()))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(Some(s))
    }
}

impl From<Option<String>> for Value {
    fn from(s: Option<String>) -> Value {
        Value::Text(s)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(Some(n))
    }
}

impl From<Option<i64>> for Value {
    fn from(n: Option<i64>) -> Value {
        Value::Int(n)
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_owned(),
            values: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends the next placeholder and remembers its value.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Sql {
        self.values.push(value.into());
        self.text.push_str(&format!("${}", self.values.len()));
        self
    }

    /// The same statement with `text` before it (an EXPLAIN).
    pub fn prefixed(&self, text: &str) -> Sql {
        Sql {
            text: format!("{text}{}", self.text),
            values: self.values.clone(),
        }
    }

    pub fn query_as<'q, T>(&'q self) -> QueryAs<'q, Any, T, AnyArguments<'q>>
    where
        T: for<'r> FromRow<'r, sqlx::any::AnyRow>,
    {
        let mut q = sqlx::query_as::<Any, T>(&self.text);
        for v in &self.values {
            q = match v {
                Value::Text(s) => q.bind(s.clone()),
                Value::Int(n) => q.bind(*n),
            };
        }
        q
    }
}

/// Escapes the LIKE wildcards (percent, underscore) and the backslash, for a pattern used with ESCAPE backslash.
pub(crate) fn escape_like(q: &str) -> String {
    let mut s = String::with_capacity(q.len());
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s
}
