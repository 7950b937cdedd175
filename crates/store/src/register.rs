//! The person register. Every read takes a [`PersonScope`]: the acting user's
//! region subtree and, for facility users, their facility. There is no
//! unscoped read of a person's record here except the blind-index look-up
//! that keeps one person per ID number.

use crate::sql::{escape_like, Sql};
use crate::{Conn, Result, StoreError};
use kangyang_domain::{RegionCode, Scope};

/// The rows a user may touch, as SQL bounds.
#[derive(Debug, Clone)]
pub struct PersonScope {
    lo: String,
    hi: String,
    facility_id: Option<i64>,
}

impl From<&Scope> for PersonScope {
    fn from(scope: &Scope) -> PersonScope {
        let (lo, hi) = scope.region().subtree_range();
        PersonScope {
            lo,
            hi,
            facility_id: scope.facility_id(),
        }
    }
}

impl PersonScope {
    /// Appends the scope condition for the persons table aliased `p`.
    pub(crate) fn apply(&self, sql: &mut Sql) {
        self.apply_within(sql, None);
    }

    /// The scope condition narrowed to `within`'s subtree when given: one
    /// range on the village code, the intersection of both. SQLite uses a
    /// single range of an index and filters by any other row by row, so
    /// "scope AND town" as two ranges read the whole city to find a town's
    /// people (a million index entries: 100-170 ms instead of 1 ms).
    pub(crate) fn apply_within(&self, sql: &mut Sql, within: Option<&RegionCode>) {
        let (mut lo, mut hi) = (self.lo.clone(), self.hi.clone());
        if let Some(region) = within {
            let (w_lo, w_hi) = region.subtree_range();
            lo = lo.max(w_lo);
            hi = hi.min(w_hi);
        }
        sql.push(" p.village_code >= ")
            .bind(lo)
            .push(" AND p.village_code < ")
            .bind(hi);
        if let Some(facility) = self.facility_id {
            // A facility user reaches the people enrolled in their facility;
            // a social work station's users reach the people living in the
            // villages the station serves.
            sql.push(
                " AND (EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = p.id AND e.end_date IS NULL AND e.facility_id = ",
            )
            .bind(facility)
            .push(
                ") OR EXISTS (SELECT 1 FROM facility_villages fv JOIN facilities f ON f.id = fv.facility_id \
                 WHERE f.kind = 'social_work_station' AND fv.village_code = p.village_code AND fv.facility_id = ",
            )
            .bind(facility)
            .push("))");
        }
    }
}

/// A stored person, sensitive values still sealed: its id and times around
/// the values written on insert and update.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonRow {
    pub id: i64,
    #[sqlx(flatten)]
    pub values: StoredPerson,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Reading a row's values reads through to them (`row.name`).
impl std::ops::Deref for PersonRow {
    type Target = StoredPerson;
    fn deref(&self) -> &StoredPerson {
        &self.values
    }
}

/// The columns written on insert and update, in order.
pub(crate) const WRITE_COLUMNS: [&str; 34] = [
    "id_index",
    "id_cipher",
    "id_masked",
    "id_tail_index",
    "name",
    "sex",
    "birth_date",
    "phone_cipher",
    "phone_index",
    "phone_masked",
    "hukou_region",
    "village_code",
    "urban_rural",
    "address",
    "status",
    "status_date",
    "living_situation",
    "economic_status",
    "capability_level",
    "disability_category",
    "disability_grade",
    "disability_cert_cipher",
    "disability_cert_masked",
    "child_category",
    "guardian_name",
    "guardian_phone_cipher",
    "guardian_phone_masked",
    "household_no",
    "emergency_contact_name",
    "emergency_phone_cipher",
    "emergency_phone_masked",
    "tags",
    "content_mac",
    "updated_at",
];

const ALL_COLUMNS: &str =
    "p.id, p.id_index, p.id_cipher, p.id_masked, p.id_tail_index, p.name, p.sex, \
    p.birth_date, p.phone_cipher, p.phone_index, p.phone_masked, p.hukou_region, p.village_code, \
    p.urban_rural, p.address, p.status, p.status_date, p.living_situation, p.economic_status, \
    p.capability_level, p.disability_category, p.disability_grade, p.disability_cert_cipher, \
    p.disability_cert_masked, p.child_category, p.guardian_name, p.guardian_phone_cipher, \
    p.guardian_phone_masked, p.household_no, p.emergency_contact_name, p.emergency_phone_cipher, \
    p.emergency_phone_masked, p.tags, p.content_mac, p.created_at, p.updated_at";

/// What is written for a person: everything but the id and creation time.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct StoredPerson {
    pub id_index: String,
    pub id_cipher: Vec<u8>,
    pub id_masked: String,
    pub id_tail_index: String,
    pub name: String,
    pub sex: String,
    pub birth_date: String,
    pub phone_cipher: Option<Vec<u8>>,
    pub phone_index: Option<String>,
    pub phone_masked: Option<String>,
    pub hukou_region: Option<String>,
    pub village_code: String,
    pub urban_rural: Option<String>,
    pub address: String,
    pub status: String,
    pub status_date: Option<String>,
    pub living_situation: Option<String>,
    pub economic_status: Option<String>,
    pub capability_level: Option<String>,
    pub disability_category: Option<String>,
    pub disability_grade: Option<i64>,
    pub disability_cert_cipher: Option<Vec<u8>>,
    pub disability_cert_masked: Option<String>,
    pub child_category: Option<String>,
    pub guardian_name: Option<String>,
    pub guardian_phone_cipher: Option<Vec<u8>>,
    pub guardian_phone_masked: Option<String>,
    pub household_no: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_phone_cipher: Option<Vec<u8>>,
    pub emergency_phone_masked: Option<String>,
    pub tags: String,
    pub content_mac: String,
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind_person<'q>(q: AnyQuery<'q>, p: &'q StoredPerson, now: i64) -> AnyQuery<'q> {
    q.bind(&p.id_index)
        .bind(p.id_cipher.clone())
        .bind(&p.id_masked)
        .bind(&p.id_tail_index)
        .bind(&p.name)
        .bind(&p.sex)
        .bind(&p.birth_date)
        .bind(p.phone_cipher.clone())
        .bind(&p.phone_index)
        .bind(&p.phone_masked)
        .bind(&p.hukou_region)
        .bind(&p.village_code)
        .bind(&p.urban_rural)
        .bind(&p.address)
        .bind(&p.status)
        .bind(&p.status_date)
        .bind(&p.living_situation)
        .bind(&p.economic_status)
        .bind(&p.capability_level)
        .bind(&p.disability_category)
        .bind(p.disability_grade)
        .bind(p.disability_cert_cipher.clone())
        .bind(&p.disability_cert_masked)
        .bind(&p.child_category)
        .bind(&p.guardian_name)
        .bind(p.guardian_phone_cipher.clone())
        .bind(&p.guardian_phone_masked)
        .bind(&p.household_no)
        .bind(&p.emergency_contact_name)
        .bind(p.emergency_phone_cipher.clone())
        .bind(&p.emergency_phone_masked)
        .bind(&p.tags)
        .bind(&p.content_mac)
        .bind(now)
}

// The text of `insert` and `update` depends only on the constant column
// list, and `bind_person` binds bytes and numbers the `Sql` builder does not
// carry, so they stay plain queries.
pub async fn insert(conn: &mut Conn, p: &StoredPerson, now: i64) -> Result<i64> {
    let placeholders: Vec<String> = (1..=WRITE_COLUMNS.len() + 1)
        .map(|i| format!("${i}"))
        .collect();
    let sql = format!(
        "INSERT INTO persons ({}, created_at) VALUES ({}) RETURNING id",
        WRITE_COLUMNS.join(", "),
        placeholders.join(", ")
    );
    let q = bind_person(sqlx::query(&sql), p, now).bind(now);
    let row = q
        .fetch_one(conn)
        .await
        .map_err(|e| StoreError::from(e).unique_as("身份证号"))?;
    use sqlx::Row;
    Ok(row.try_get::<i64, _>(0)?)
}

pub async fn update(conn: &mut Conn, id: i64, p: &StoredPerson, now: i64) -> Result<()> {
    let sets: Vec<String> = WRITE_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ${}", i + 1))
        .collect();
    let sql = format!(
        "UPDATE persons SET {} WHERE id = ${}",
        sets.join(", "),
        WRITE_COLUMNS.len() + 1
    );
    bind_person(sqlx::query(&sql), p, now)
        .bind(id)
        .execute(conn)
        .await
        .map_err(|e| StoreError::from(e).unique_as("身份证号"))?;
    Ok(())
}

/// The person with this ID number's blind index, anywhere: only the id, the
/// village and the content MAC, for duplicate checks and re-imports.
pub async fn find_by_id_index(
    conn: &mut Conn,
    id_index: &str,
) -> Result<Option<(i64, String, String)>> {
    Ok(
        sqlx::query_as("SELECT id, village_code, content_mac FROM persons WHERE id_index = $1")
            .bind(id_index)
            .fetch_optional(conn)
            .await?,
    )
}

/// One person, if inside the scope.
pub async fn get(conn: &mut Conn, scope: &PersonScope, id: i64) -> Result<Option<PersonRow>> {
    let mut sql = Sql::new(&format!(
        "SELECT {ALL_COLUMNS} FROM persons p WHERE p.id = "
    ));
    sql.bind(id).push(" AND");
    scope.apply(&mut sql);
    Ok(sql.query_as().fetch_optional(conn).await?)
}

/// Which people a search asks for, inside the scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonFilter {
    /// Part of the name.
    pub name: Option<String>,
    /// Blind index of the ID number's last four characters.
    pub id_tail_index: Option<String>,
    /// A region inside the scope (a town, a village…).
    pub within: Option<RegionCode>,
    /// Born on or before this date ('YYYY-MM-DD'): the elderly.
    pub born_on_or_before: Option<String>,
    /// Born after this date: the young.
    pub born_after: Option<String>,
    pub disabled: bool,
    pub child_in_need: bool,
    pub status: Option<String>,
    pub living_situation: Option<String>,
    pub economic_status: Option<String>,
    pub disability_category: Option<String>,
    pub child_category: Option<String>,
    pub urban_rural: Option<String>,
    /// GB/T 42195-2022 level code (intact, mild, …).
    pub capability_level: Option<String>,
    /// GB/T 26341-2010 grade, 1 (most severe) to 4.
    pub disability_grade: Option<i64>,
}

fn where_clause(sql: &mut Sql, scope: &PersonScope, f: &PersonFilter) {
    sql.push(" WHERE");
    scope.apply_within(sql, f.within.as_ref());
    if let Some(name) = &f.name {
        sql.push(" AND p.name LIKE ")
            .bind(format!("%{}%", escape_like(name)))
            .push(" ESCAPE '\\'");
    }
    if let Some(tail) = &f.id_tail_index {
        sql.push(" AND p.id_tail_index = ").bind(tail.as_str());
    }
    if let Some(d) = &f.born_on_or_before {
        sql.push(" AND p.birth_date <= ").bind(d.as_str());
    }
    if let Some(d) = &f.born_after {
        sql.push(" AND p.birth_date > ").bind(d.as_str());
    }
    if f.disabled {
        sql.push(" AND p.disability_category IS NOT NULL");
    }
    if f.child_in_need {
        sql.push(" AND p.child_category IS NOT NULL");
    }
    for (column, value) in [
        ("status", &f.status),
        ("living_situation", &f.living_situation),
        ("economic_status", &f.economic_status),
        ("disability_category", &f.disability_category),
        ("child_category", &f.child_category),
        ("urban_rural", &f.urban_rural),
        ("capability_level", &f.capability_level),
    ] {
        if let Some(v) = value {
            sql.push(&format!(" AND p.{column} = ")).bind(v.as_str());
        }
    }
    if let Some(grade) = f.disability_grade {
        sql.push(" AND p.disability_grade = ").bind(grade);
    }
}

/// How many people a search matches: counted, or estimated past the
/// caller's count limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchCount {
    pub total: i64,
    /// `total` is an estimate (shown as 约), not a count.
    pub estimated: bool,
}

/// A page of matching people, by village and id, and how many match in
/// all: counted exactly up to `count_limit`, estimated past it.
///
/// The count reads at most `count_limit` + 1 index entries or rows, so its
/// cost is bounded whatever the region. An unfiltered region is counted
/// the same way rather than from the dashboards' tallies: the tallies are
/// as of the morning, and a list whose total misses the person registered
/// a minute ago, shown just above that person, is a count nobody trusts.
pub async fn search(
    conn: &mut Conn,
    scope: &PersonScope,
    f: &PersonFilter,
    limit: i64,
    offset: i64,
    count_limit: i64,
) -> Result<(Vec<PersonRow>, MatchCount)> {
    let count_limit = count_limit.max(0);
    let mut count = Sql::new("SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT 1 FROM persons p");
    where_clause(&mut count, scope, f);
    count
        .push(" LIMIT ")
        .bind(count_limit + 1)
        .push(") matched");
    let (counted,): (i64,) = count.query_as().fetch_one(&mut *conn).await?;
    let total = if counted <= count_limit {
        MatchCount {
            total: counted,
            estimated: false,
        }
    } else {
        estimate(conn, scope, f, count_limit).await?
    };
    let mut sql = Sql::new(&format!("SELECT {ALL_COLUMNS} FROM persons p"));
    where_clause(&mut sql, scope, f);
    // Village by village, in the order people were registered. Not by id
    // alone: on a province's register PostgreSQL would walk the whole
    // primary key to find a city's first page (its people were loaded
    // together, far from id 1: 3 s measured); the village index yields a
    // region's people already in this order.
    sql.push(" ORDER BY p.village_code, p.id LIMIT ")
        .bind(limit)
        .push(" OFFSET ")
        .bind(offset);
    Ok((sql.query_as().fetch_all(conn).await?, total))
}

/// How many match a search that matched more than `count_limit`: at least
/// `count_limit` + 1, since that many were counted.
async fn estimate(
    conn: &mut Conn,
    scope: &PersonScope,
    f: &PersonFilter,
    count_limit: i64,
) -> Result<MatchCount> {
    let at_least = count_limit + 1;
    match crate::Dialect::of(conn) {
        crate::Dialect::Postgres => {
            let mut sql = Sql::new("SELECT 1 FROM persons p");
            where_clause(&mut sql, scope, f);
            let planned = crate::db::planned_rows(conn, &sql).await?;
            Ok(MatchCount {
                total: planned.max(at_least),
                estimated: true,
            })
        }
        crate::Dialect::Sqlite => extrapolate(conn, scope, f, count_limit).await,
    }
}

/// SQLite keeps no row estimates a query can read, so the estimate is an
/// extrapolation from what was counted. In village order (the
/// `persons_village` index), the first `count_limit` + 1 matches end at
/// some person; if the people of the region up to that one are a share s
/// of all the region's people, the matches are about (`count_limit` + 1) / s.
/// Both counts of the region's people read only the village index (a few
/// tens of nanoseconds an entry), never the rows. The estimate leans on
/// the first villages in code order being like the rest; a filter that
/// picks out one end of the region (a county's name, say) is where it errs.
///
/// A search with no filter but the region is counted exactly this way:
/// the share is then the region itself.
async fn extrapolate(
    conn: &mut Conn,
    scope: &PersonScope,
    f: &PersonFilter,
    count_limit: i64,
) -> Result<MatchCount> {
    let region_only = PersonFilter {
        within: f.within.clone(),
        ..PersonFilter::default()
    };
    let mut region = Sql::new("SELECT CAST(COUNT(*) AS BIGINT) FROM persons p");
    where_clause(&mut region, scope, &region_only);
    let (in_region,): (i64,) = region.query_as().fetch_one(&mut *conn).await?;
    if *f == region_only {
        return Ok(MatchCount {
            total: in_region,
            estimated: false,
        });
    }
    let mut last = Sql::new("SELECT p.village_code, p.id FROM persons p");
    where_clause(&mut last, scope, f);
    last.push(" ORDER BY p.village_code, p.id LIMIT 1 OFFSET ")
        .bind(count_limit);
    let at_least = count_limit + 1;
    let Some((village, id)): Option<(String, i64)> =
        last.query_as().fetch_optional(&mut *conn).await?
    else {
        // Fewer than counted a moment ago: people were just removed.
        return Ok(MatchCount {
            total: count_limit,
            estimated: true,
        });
    };
    let mut covered = Sql::new("SELECT CAST(COUNT(*) AS BIGINT) FROM persons p");
    where_clause(&mut covered, scope, &region_only);
    covered
        .push(" AND (p.village_code < ")
        .bind(village.as_str())
        .push(" OR (p.village_code = ")
        .bind(village)
        .push(" AND p.id <= ")
        .bind(id)
        .push("))");
    let (covered,): (i64,) = covered.query_as().fetch_one(&mut *conn).await?;
    // i128: the product of two register sizes.
    let total = (i128::from(at_least) * i128::from(in_region) / i128::from(covered.max(1)))
        .clamp(i128::from(at_least), i128::from(in_region.max(at_least)));
    Ok(MatchCount {
        total: i64::try_from(total).unwrap_or(i64::MAX),
        estimated: true,
    })
}

/// The next `limit` matching people after id `after`: keyset paging, so an
/// export of a million rows reads them in bounded memory.
pub async fn search_after(
    conn: &mut Conn,
    scope: &PersonScope,
    f: &PersonFilter,
    after: i64,
    limit: i64,
) -> Result<Vec<PersonRow>> {
    let mut sql = Sql::new(&format!("SELECT {ALL_COLUMNS} FROM persons p"));
    where_clause(&mut sql, scope, f);
    sql.push(" AND p.id > ")
        .bind(after)
        .push(" ORDER BY p.id LIMIT ")
        .bind(limit);
    Ok(sql.query_as().fetch_all(conn).await?)
}

/// Ids of people in scope; used by the scope tests to find a person to probe.
pub async fn count(conn: &mut Conn, scope: &PersonScope) -> Result<i64> {
    let mut sql = Sql::new("SELECT CAST(COUNT(*) AS BIGINT) FROM persons p WHERE");
    scope.apply(&mut sql);
    let (n,): (i64,) = sql.query_as().fetch_one(conn).await?;
    Ok(n)
}

/// Several people by ID-number blind index, anywhere: (index, id, village, content MAC).
pub async fn find_many_by_id_index(
    conn: &mut Conn,
    indexes: &[String],
) -> Result<Vec<(String, i64, String, String)>> {
    let mut found = Vec::new();
    // Positional placeholders (see `Dialect::placeholder`).
    let dialect = crate::Dialect::of(conn);
    for chunk in indexes.chunks(500) {
        let list: Vec<String> = (1..=chunk.len()).map(|i| dialect.placeholder(i)).collect();
        let text = format!(
            "SELECT id_index, id, village_code, content_mac FROM persons WHERE id_index IN ({})",
            list.join(", ")
        );
        let mut query = sqlx::query_as(&text);
        for index in chunk {
            query = query.bind(index.as_str());
        }
        found.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(found)
}

/// Inserts many people, 8 to a statement: multi-row statements save round
/// trips, but SQLite's by-name parameter look-up makes binding cost grow with
/// the square of a statement's parameters (measured: 200 rows a statement was
/// 3× slower than 8).
pub async fn insert_many(conn: &mut Conn, people: &[StoredPerson], now: i64) -> Result<()> {
    let per_row = WRITE_COLUMNS.len() + 1;
    let dialect = crate::Dialect::of(conn);
    for chunk in people.chunks(100) {
        let mut sql = format!(
            "INSERT INTO persons ({}, created_at) VALUES ",
            WRITE_COLUMNS.join(", ")
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            let placeholders: Vec<String> = (1..=per_row)
                .map(|j| dialect.placeholder(i * per_row + j))
                .collect();
            sql.push('(');
            sql.push_str(&placeholders.join(", "));
            sql.push(')');
        }
        let mut q = sqlx::query(&sql);
        for p in chunk {
            q = bind_person(q, p, now).bind(now);
        }
        q.execute(&mut *conn)
            .await
            .map_err(|e| StoreError::from(e).unique_as("身份证号"))?;
    }
    Ok(())
}

/// A person with a disability, as an eligibility check needs them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DisabledPerson {
    pub id: i64,
    pub village_code: String,
    pub birth_date: String,
    pub status: String,
    pub disability_category: String,
    pub disability_grade: i64,
}

/// People with a disability inside the scope, born in `[born_after, born_on_or_before]`,
/// in id order. The caller applies the eligibility rule.
pub async fn disabled_between(
    conn: &mut Conn,
    scope: &PersonScope,
    born_after: &str,
    born_on_or_before: &str,
) -> Result<Vec<DisabledPerson>> {
    let mut sql = Sql::new(
        "SELECT p.id, p.village_code, p.birth_date, p.status, p.disability_category, \
         p.disability_grade FROM persons p WHERE p.disability_category IS NOT NULL \
         AND p.disability_grade IS NOT NULL AND p.birth_date > ",
    );
    sql.bind(born_after)
        .push(" AND p.birth_date <= ")
        .bind(born_on_or_before)
        .push(" AND");
    scope.apply(&mut sql);
    sql.push(" ORDER BY p.id");
    Ok(sql.query_as().fetch_all(conn).await?)
}

/// Sets a person's capability level (GB/T 42195-2022), the result of their
/// latest assessment; the assessments themselves are the history.
pub async fn set_capability_level(conn: &mut Conn, id: i64, level: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE persons SET capability_level = $1, updated_at = $2 WHERE id = $3")
        .bind(level)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// An elderly person as the demo's assessments and canteens need them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ElderRow {
    pub id: i64,
    pub village_code: String,
    pub birth_date: String,
    pub status: String,
    pub tags: String,
    pub capability_level: Option<String>,
    pub economic_status: Option<String>,
}

/// People inside the scope born on or before a date, in id order.
pub async fn born_by(
    conn: &mut Conn,
    scope: &PersonScope,
    born_on_or_before: &str,
) -> Result<Vec<ElderRow>> {
    let mut sql = Sql::new(
        "SELECT p.id, p.village_code, p.birth_date, p.status, p.tags, p.capability_level, \
         p.economic_status FROM persons p WHERE p.birth_date <= ",
    );
    sql.bind(born_on_or_before).push(" AND");
    scope.apply(&mut sql);
    sql.push(" ORDER BY p.id");
    Ok(sql.query_as().fetch_all(conn).await?)
}

/// Sets one capability level on many people at once (the demo's assessments).
pub async fn set_capability_levels(
    conn: &mut Conn,
    level: &str,
    ids: &[i64],
    now: i64,
) -> Result<()> {
    let dialect = crate::Dialect::of(conn);
    for chunk in ids.chunks(500) {
        let list: Vec<String> = (3..chunk.len() + 3)
            .map(|i| dialect.placeholder(i))
            .collect();
        let text = format!(
            "UPDATE persons SET capability_level = {}, updated_at = {} WHERE id IN ({})",
            dialect.placeholder(1),
            dialect.placeholder(2),
            list.join(", ")
        );
        let mut q = sqlx::query(&text).bind(level).bind(now);
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The smallest and largest person id in scope (None when there is nobody):
/// for benchmarks that pick people at random.
pub async fn id_range(conn: &mut Conn, scope: &PersonScope) -> Result<Option<(i64, i64)>> {
    let mut sql = Sql::new("SELECT MIN(p.id), MAX(p.id) FROM persons p WHERE");
    scope.apply(&mut sql);
    let (lo, hi): (Option<i64>, Option<i64>) = sql.query_as().fetch_one(conn).await?;
    Ok(lo.zip(hi))
}
