//! Counting for dashboards, demand mining and coverage: every figure is one
//! GROUP BY over a region's code range, keyed by the first digits of the
//! village code (the child region a record lies in). Only counts leave
//! here, except [`unmet_people`], which reads people through the scope.

use crate::register::PersonScope;
use crate::sql::Sql;
use crate::{Conn, Result};
use kangyang_domain::stats::{NeedGroup, UnmetNeed};

/// A region's subtree and how many digits name its children. The length is
/// a region level's digit count (2-12), never user input; it is written into
/// the SQL text because PostgreSQL's SUBSTR takes an INTEGER and a bound
/// value arrives as BIGINT.
#[derive(Debug, Clone)]
pub struct Breakdown {
    pub lo: String,
    pub hi: String,
    pub prefix_len: usize,
}

impl Breakdown {
    fn child(&self, column: &str) -> String {
        format!("SUBSTR({column}, 1, {})", self.prefix_len.clamp(1, 12))
    }

    /// `column >= lo AND column < hi`, bound.
    fn range(&self, sql: &mut Sql, column: &str) {
        sql.push(&format!(" {column} >= "))
            .bind(self.lo.as_str())
            .push(&format!(" AND {column} < "))
            .bind(self.hi.as_str());
    }
}

/// People living in the register: alive and not moved away.
const LIVING: &str = "p.status = 'alive'";

/// Registered people per child region: everyone, the elderly, the disabled
/// and children in need (the categories overlap).
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct CategoryRow {
    pub child: String,
    pub total: i64,
    pub elderly: i64,
    pub disabled: i64,
    pub children: i64,
}

/// `elderly_born_by`: the latest birth date of a person aged 60 today.
pub async fn categories(
    conn: &mut Conn,
    b: &Breakdown,
    elderly_born_by: &str,
) -> Result<Vec<CategoryRow>> {
    let child = b.child("p.village_code");
    let mut sql = Sql::new(&format!(
        "SELECT {child} AS child, CAST(COUNT(*) AS BIGINT) AS total, \
         CAST(SUM(CASE WHEN p.birth_date <= "
    ));
    sql.bind(elderly_born_by).push(&format!(
        " THEN 1 ELSE 0 END) AS BIGINT) AS elderly, \
         CAST(SUM(CASE WHEN p.disability_category IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS disabled, \
         CAST(SUM(CASE WHEN p.child_category IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS children \
         FROM persons p WHERE {LIVING} AND"
    ));
    b.range(&mut sql, "p.village_code");
    sql.push(&format!(" GROUP BY {child}"));
    Ok(sql.query_as().fetch_all(conn).await?)
}

/// A property of a person the dashboards count by.
#[derive(Debug, Clone)]
pub enum PersonDim {
    UrbanRural,
    /// The age band, from four birth-date cut-offs: the latest birth dates
    /// of people aged 18, 60, 70 and 80 today.
    AgeBand([String; 4]),
    Capability,
    DisabilityCategory,
    DisabilityGrade,
    ChildCategory,
}

/// Living people per child region and value of `dim`: (child, value, count).
/// A person without a value (no disability, not assessed…) is left out,
/// except for urban/rural, where a missing value is a count of its own.
pub async fn counts_by(
    conn: &mut Conn,
    b: &Breakdown,
    dim: &PersonDim,
) -> Result<Vec<(String, Option<String>, i64)>> {
    let child = b.child("p.village_code");
    let mut sql = Sql::new(&format!("SELECT {child}, "));
    let (value, keep_null) = match dim {
        PersonDim::UrbanRural => ("p.urban_rural".to_owned(), true),
        PersonDim::AgeBand(cuts) => {
            let mut sql_case = String::from("CASE");
            for (cut, band) in cuts.iter().zip(["0_17", "18_59", "60_69", "70_79"]) {
                // Born after the cut-off: younger than its age.
                sql_case.push_str(&format!(
                    " WHEN p.birth_date > '{}' THEN '{band}'",
                    sql_date(cut)
                ));
            }
            sql_case.push_str(" ELSE '80_plus' END");
            (sql_case, false)
        }
        PersonDim::Capability => ("p.capability_level".to_owned(), false),
        PersonDim::DisabilityCategory => ("p.disability_category".to_owned(), false),
        PersonDim::DisabilityGrade => ("CAST(p.disability_grade AS TEXT)".to_owned(), false),
        PersonDim::ChildCategory => ("p.child_category".to_owned(), false),
    };
    sql.push(&format!(
        "{value}, CAST(COUNT(*) AS BIGINT) FROM persons p WHERE {LIVING} AND"
    ));
    b.range(&mut sql, "p.village_code");
    if !keep_null {
        sql.push(&format!(" AND {value} IS NOT NULL"));
    }
    sql.push(&format!(" GROUP BY {child}, {value}"));
    Ok(sql.query_as().fetch_all(conn).await?)
}

/// A civil date for the SQL text: only 'YYYY-MM-DD' digits and dashes pass
/// (the cut-offs are computed, never typed; this keeps it so). Written into
/// the text because PostgreSQL cannot GROUP BY an expression holding bound
/// parameters: each placeholder is a different expression to it.
fn sql_date(d: &str) -> String {
    d.chars()
        .filter(|c| c.is_ascii_digit() || *c == '-')
        .collect()
}

/// A service the dashboards count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceCount {
    /// Enrolments in force now (any facility).
    CurrentEnrolments,
    /// Days marked present in `[from, to]`.
    AttendanceDays,
    /// Visits made in `[from, to]`.
    Visits,
    /// Meals served in `[from, to]`.
    Meals,
}

/// A service per child region of the person served: (child, count).
pub async fn services(
    conn: &mut Conn,
    b: &Breakdown,
    what: ServiceCount,
    from: &str,
    to: &str,
) -> Result<Vec<(String, i64)>> {
    let child = b.child("p.village_code");
    let (table, day) = match what {
        ServiceCount::CurrentEnrolments => ("enrolments x", None),
        ServiceCount::AttendanceDays => ("attendance x", Some("x.day")),
        ServiceCount::Visits => ("visits x", Some("x.day")),
        ServiceCount::Meals => ("canteen_meals x", Some("x.day")),
    };
    // CROSS JOIN: SQLite then reads the service records first and finds
    // each one's person by id. Left to itself, with no statistics, it walked
    // every person of the region looking for their records (a county of a
    // million people: 60 ms a figure, for usually far fewer records).
    // PostgreSQL plans a CROSS JOIN with its WHERE as any inner join.
    let mut sql = Sql::new(&format!(
        "SELECT {child}, CAST(COUNT(*) AS BIGINT) FROM {table} CROSS JOIN persons p \
         WHERE p.id = x.person_id AND"
    ));
    b.range(&mut sql, "p.village_code");
    match what {
        ServiceCount::CurrentEnrolments => {
            sql.push(" AND x.end_date IS NULL");
        }
        ServiceCount::AttendanceDays => {
            sql.push(" AND x.present = 1");
        }
        ServiceCount::Visits | ServiceCount::Meals => {}
    }
    if let Some(day) = day {
        sql.push(&format!(" AND {day} >= "))
            .bind(from)
            .push(&format!(" AND {day} <= "))
            .bind(to);
    }
    sql.push(&format!(" GROUP BY {child}"));
    Ok(sql.query_as().fetch_all(conn).await?)
}

// ---- demand ----

/// The day an unmet need is judged on, and the dates that follow from it.
#[derive(Debug, Clone)]
pub struct NeedDay {
    /// 'YYYY-MM-DD'
    pub day: String,
    /// The latest birth dates of people aged 18 and 60 on that day.
    pub born_by_18: String,
    pub born_by_60: String,
    /// The first day of the day's month.
    pub month_start: String,
    /// Visits after this day count as recent.
    pub visits_after: String,
}

/// Appends the condition that the person (aliased `p`) has `need` on `at`.
/// Whom a person is (disability, living alone, capability, child category)
/// and which villages stations serve is read as it stands now; what was
/// done for them (enrolments, visits, meals) and their age and life status
/// are read as of the day.
fn unmet_condition(sql: &mut Sql, need: UnmetNeed, at: &NeedDay) {
    // Alive on the day: alive now, or died or moved away after it.
    sql.push(" (p.status = 'alive' OR p.status_date > ")
        .bind(at.day.as_str())
        .push(")");
    match need {
        UnmetNeed::DisabledNotEnrolled => {
            sql.push(" AND p.disability_category IS NOT NULL AND p.birth_date <= ")
                .bind(at.born_by_18.as_str())
                .push(" AND p.birth_date > ")
                .bind(at.born_by_60.as_str())
                .push(
                    " AND NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = p.id \
                     AND e.start_date <= ",
                )
                .bind(at.day.as_str())
                .push(" AND (e.end_date IS NULL OR e.end_date > ")
                .bind(at.day.as_str())
                .push("))");
        }
        UnmetNeed::ElderlyAloneUnserved => {
            sql.push(
                " AND p.living_situation = 'alone' \
                 AND p.capability_level IN ('mild', 'moderate', 'severe', 'lost') \
                 AND p.birth_date <= ",
            )
            .bind(at.born_by_60.as_str())
            .push(" AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.person_id = p.id AND v.day > ")
            .bind(at.visits_after.as_str())
            .push(" AND v.day <= ")
            .bind(at.day.as_str())
            .push(
                ") AND NOT EXISTS (SELECT 1 FROM canteen_meals m WHERE m.person_id = p.id \
                 AND m.day >= ",
            )
            .bind(at.month_start.as_str())
            .push(" AND m.day <= ")
            .bind(at.day.as_str())
            .push(")");
        }
        UnmetNeed::ChildWithoutSocialWorker => {
            sql.push(" AND p.child_category IS NOT NULL AND p.birth_date > ")
                .bind(at.born_by_18.as_str())
                .push(
                    " AND NOT EXISTS (SELECT 1 FROM facility_villages fv \
                     JOIN facilities f ON f.id = fv.facility_id \
                     WHERE f.kind = 'social_work_station' AND fv.village_code = p.village_code)",
                );
        }
    }
}

/// `WHERE` the person is in scope, lives in `[lo, hi)` and has `need` on the day.
fn unmet_where(
    sql: &mut Sql,
    scope: &PersonScope,
    lo: &str,
    hi: &str,
    need: UnmetNeed,
    at: &NeedDay,
) {
    sql.push(" WHERE");
    scope.apply(sql);
    sql.push(" AND p.village_code >= ")
        .bind(lo)
        .push(" AND p.village_code < ")
        .bind(hi)
        .push(" AND");
    unmet_condition(sql, need, at);
}

/// People with `need` on the day, per village: (village, urban/rural, count).
pub async fn unmet_by_village(
    conn: &mut Conn,
    scope: &PersonScope,
    lo: &str,
    hi: &str,
    need: UnmetNeed,
    at: &NeedDay,
) -> Result<Vec<(String, Option<String>, i64)>> {
    let mut sql =
        Sql::new("SELECT p.village_code, p.urban_rural, CAST(COUNT(*) AS BIGINT) FROM persons p");
    unmet_where(&mut sql, scope, lo, hi, need, at);
    sql.push(" GROUP BY p.village_code, p.urban_rural");
    Ok(sql.query_as().fetch_all(conn).await?)
}

/// How many have `need` on the day, urban and rural apart: (urban/rural, count).
pub async fn unmet_totals(
    conn: &mut Conn,
    scope: &PersonScope,
    lo: &str,
    hi: &str,
    need: UnmetNeed,
    at: &NeedDay,
) -> Result<Vec<(Option<String>, i64)>> {
    let mut sql = Sql::new("SELECT p.urban_rural, CAST(COUNT(*) AS BIGINT) FROM persons p");
    unmet_where(&mut sql, scope, lo, hi, need, at);
    sql.push(" GROUP BY p.urban_rural");
    Ok(sql.query_as().fetch_all(conn).await?)
}

/// A person with an unmet need, as the list shows them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnmetPerson {
    pub id: i64,
    pub name: String,
    pub village_code: String,
    pub birth_date: String,
}

/// The first `limit` people with `need` on the day, by village then id.
pub async fn unmet_people(
    conn: &mut Conn,
    scope: &PersonScope,
    lo: &str,
    hi: &str,
    need: UnmetNeed,
    at: &NeedDay,
    limit: i64,
) -> Result<Vec<UnmetPerson>> {
    let mut sql = Sql::new("SELECT p.id, p.name, p.village_code, p.birth_date FROM persons p");
    unmet_where(&mut sql, scope, lo, hi, need, at);
    sql.push(" ORDER BY p.village_code, p.id LIMIT ")
        .bind(limit);
    Ok(sql.query_as().fetch_all(conn).await?)
}

// ---- coverage ----

/// Living people of `group` per village in `[lo, hi)`: (village, count).
/// `born_by_18` and `born_by_60`: the latest birth dates of people aged 18
/// and 60 today.
pub async fn need_by_village(
    conn: &mut Conn,
    lo: &str,
    hi: &str,
    group: NeedGroup,
    born_by_18: &str,
    born_by_60: &str,
) -> Result<Vec<(String, i64)>> {
    let mut sql = Sql::new(&format!(
        "SELECT p.village_code, CAST(COUNT(*) AS BIGINT) FROM persons p WHERE {LIVING} AND \
         p.village_code >= "
    ));
    sql.bind(lo).push(" AND p.village_code < ").bind(hi);
    match group {
        NeedGroup::Elderly => {
            sql.push(" AND p.birth_date <= ").bind(born_by_60);
        }
        NeedGroup::DisabledAdults => {
            sql.push(" AND p.disability_category IS NOT NULL AND p.birth_date <= ")
                .bind(born_by_18)
                .push(" AND p.birth_date > ")
                .bind(born_by_60);
        }
        NeedGroup::ChildrenInNeed => {
            sql.push(" AND p.child_category IS NOT NULL AND p.birth_date > ")
                .bind(born_by_18);
        }
        NeedGroup::VisitedBySocialWorkers => {
            sql.push(" AND ((p.living_situation = 'alone' AND p.birth_date <= ")
                .bind(born_by_60)
                .push(") OR (p.child_category IS NOT NULL AND p.birth_date > ")
                .bind(born_by_18)
                .push("))");
        }
        NeedGroup::ElderlyOrDisabled => {
            sql.push(" AND (p.birth_date <= ")
                .bind(born_by_60)
                .push(" OR p.disability_category IS NOT NULL)");
        }
    }
    sql.push(" GROUP BY p.village_code");
    Ok(sql.query_as().fetch_all(conn).await?)
}

/// A facility with coordinates, as a map or a distance needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FacilityPoint {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub region_code: String,
    pub longitude_e6: i64,
    pub latitude_e6: i64,
}

/// Every facility that has coordinates, optionally of one kind. Where a
/// facility stands is public (the portal shows it), so this is not scoped:
/// the nearest canteen may lie across a county line.
pub async fn facility_points(conn: &mut Conn, kind: Option<&str>) -> Result<Vec<FacilityPoint>> {
    let mut sql = Sql::new(
        "SELECT id, name, kind, region_code, longitude_e6, latitude_e6 FROM facilities \
         WHERE longitude_e6 IS NOT NULL AND latitude_e6 IS NOT NULL",
    );
    if let Some(kind) = kind {
        sql.push(" AND kind = ").bind(kind);
    }
    sql.push(" ORDER BY id");
    Ok(sql.query_as().fetch_all(conn).await?)
}

/// Facilities per child region and kind: (child, kind, count).
pub async fn facilities_by_kind(
    conn: &mut Conn,
    b: &Breakdown,
) -> Result<Vec<(String, String, i64)>> {
    let child = b.child("f.region_code");
    let mut sql = Sql::new(&format!(
        "SELECT {child}, f.kind, CAST(COUNT(*) AS BIGINT) FROM facilities f WHERE"
    ));
    b.range(&mut sql, "f.region_code");
    sql.push(&format!(" GROUP BY {child}, f.kind"));
    Ok(sql.query_as().fetch_all(conn).await?)
}

/// Facilities of a kind in `[lo, hi)` that have no coordinates.
pub async fn facilities_without_coordinates(
    conn: &mut Conn,
    kind: &str,
    lo: &str,
    hi: &str,
) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM facilities WHERE kind = $1 AND region_code >= $2 \
         AND region_code < $3 AND (longitude_e6 IS NULL OR latitude_e6 IS NULL)",
    )
    .bind(kind)
    .bind(lo)
    .bind(hi)
    .fetch_one(conn)
    .await?;
    Ok(n)
}

/// A pre-counted figure: living people of `child` (a child region of
/// `parent`) with `value` of dimension `dim`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Tally {
    pub parent_code: String,
    pub child_code: String,
    pub dim: String,
    pub value: String,
    pub n: i64,
}

/// Settings names of the tallies' day and time of counting.
const TALLIES_AS_OF: &str = "person_tallies_as_of";
const TALLIES_COUNTED_AT: &str = "person_tallies_counted_at";

/// Replaces every tally with `tallies`, counted on `as_of` at `counted_at`,
/// in one transaction: a dashboard reads the old set or the new one, never
/// half of each.
pub async fn replace_tallies(
    conn: &mut Conn,
    tallies: &[Tally],
    as_of: &str,
    counted_at: i64,
) -> Result<()> {
    use sqlx::Connection;
    let mut tx = conn.begin().await?;
    sqlx::query("DELETE FROM person_tallies")
        .execute(&mut *tx)
        .await?;
    // Positional placeholders, 5 columns a row (see `Dialect::placeholder`).
    let dialect = crate::Dialect::of(&tx);
    for chunk in tallies.chunks(100) {
        let mut text = String::from(
            "INSERT INTO person_tallies (parent_code, child_code, dim, value, n) VALUES ",
        );
        for i in 0..chunk.len() {
            let row: Vec<String> = (1..=5).map(|j| dialect.placeholder(i * 5 + j)).collect();
            if i > 0 {
                text.push(',');
            }
            text.push('(');
            text.push_str(&row.join(", "));
            text.push(')');
        }
        let mut q = sqlx::query(&text);
        for t in chunk {
            q = q
                .bind(t.parent_code.as_str())
                .bind(t.child_code.as_str())
                .bind(t.dim.as_str())
                .bind(t.value.as_str())
                .bind(t.n);
        }
        q.execute(&mut *tx).await?;
    }
    crate::settings::set(&mut tx, TALLIES_AS_OF, as_of).await?;
    crate::settings::set(&mut tx, TALLIES_COUNTED_AT, &counted_at.to_string()).await?;
    tx.commit().await?;
    Ok(())
}

/// The day and the time the tallies were counted, if they ever were.
pub async fn tallies_counted(conn: &mut Conn) -> Result<Option<(String, i64)>> {
    let day = crate::settings::get(conn, TALLIES_AS_OF).await?;
    let at = crate::settings::get(conn, TALLIES_COUNTED_AT).await?;
    Ok(day.zip(at.and_then(|a| a.parse().ok())))
}

/// A region's tallies of one dimension: (child, value, count), the value
/// `None` where '' was stored, as [`counts_by`] gives them.
pub async fn tallies(
    conn: &mut Conn,
    parent: &str,
    dim: &str,
) -> Result<Vec<(String, Option<String>, i64)>> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT child_code, value, n FROM person_tallies WHERE parent_code = $1 AND dim = $2",
    )
    .bind(parent)
    .bind(dim)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(child, value, n)| (child, Some(value).filter(|v| !v.is_empty()), n))
        .collect())
}
