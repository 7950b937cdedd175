//! Elder canteens: pricing tiers, modes, menus and meals.

use crate::{Conn, Result, StoreError};

/// Stores the tiers on a database that has none.
pub async fn seed_tiers(conn: &mut Conn, tiers: &[(String, String)], now: i64) -> Result<()> {
    let (n,): (i64,) = sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM price_tiers")
        .fetch_one(&mut *conn)
        .await?;
    if n > 0 {
        return Ok(());
    }
    for (position, (code, body)) in tiers.iter().enumerate() {
        sqlx::query(
            "INSERT INTO price_tiers (code, position, body, updated_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(code)
        .bind(position as i64)
        .bind(body)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The tiers' JSON bodies, most generous first.
pub async fn tiers(conn: &mut Conn) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT body FROM price_tiers ORDER BY position, code")
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(b,)| b).collect())
}

pub async fn set_mode(conn: &mut Conn, facility_id: i64, mode: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO canteen_modes (facility_id, mode) VALUES ($1, $2) \
         ON CONFLICT (facility_id) DO UPDATE SET mode = excluded.mode",
    )
    .bind(facility_id)
    .bind(mode)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn mode(conn: &mut Conn, facility_id: i64) -> Result<Option<String>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT mode FROM canteen_modes WHERE facility_id = $1")
            .bind(facility_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(m,)| m))
}

pub async fn set_menu(
    conn: &mut Conn,
    facility_id: i64,
    day: &str,
    meal: &str,
    dishes: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO canteen_menus (facility_id, day, meal, dishes) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (facility_id, day, meal) DO UPDATE SET dishes = excluded.dishes",
    )
    .bind(facility_id)
    .bind(day)
    .bind(meal)
    .bind(dishes)
    .execute(conn)
    .await?;
    Ok(())
}

/// Menus between two days: (day, meal, dishes).
pub async fn menus(
    conn: &mut Conn,
    facility_id: i64,
    from: &str,
    to: &str,
) -> Result<Vec<(String, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT day, meal, dishes FROM canteen_menus WHERE facility_id = $1 AND day >= $2 \
         AND day <= $3 ORDER BY day, meal",
    )
    .bind(facility_id)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

pub struct NewMeal<'a> {
    pub facility_id: i64,
    pub person_id: i64,
    pub day: &'a str,
    pub meal: &'a str,
    pub service: &'a str,
    pub tier_code: &'a str,
    pub subsidy_fen: i64,
    pub personal_fen: i64,
    pub charity_fen: i64,
    pub by: Option<i64>,
}

const MEAL_COLUMNS: &str = "facility_id, person_id, day, meal, service, tier_code, subsidy_fen, \
    personal_fen, charity_fen, recorded_by, created_at";

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind_meal<'q>(q: AnyQuery<'q>, m: &NewMeal<'q>, now: i64) -> AnyQuery<'q> {
    q.bind(m.facility_id)
        .bind(m.person_id)
        .bind(m.day)
        .bind(m.meal)
        .bind(m.service)
        .bind(m.tier_code)
        .bind(m.subsidy_fen)
        .bind(m.personal_fen)
        .bind(m.charity_fen)
        .bind(m.by)
        .bind(now)
}

/// Records a meal; the same meal twice at one canteen is a duplicate.
pub async fn add_meal(conn: &mut Conn, m: &NewMeal<'_>, now: i64) -> Result<i64> {
    let text = format!(
        "INSERT INTO canteen_meals ({MEAL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
         $10, $11) RETURNING id"
    );
    match bind_meal(sqlx::query(&text), m, now).fetch_one(conn).await {
        Ok(row) => Ok(sqlx::Row::try_get(&row, 0)?),
        Err(e) => Err(StoreError::from(e).unique_as("meal")),
    }
}

/// A meal of a canteen's month, with whether the same person's same meal of
/// the same day was also claimed at another canteen.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MealRow {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    pub day: String,
    pub meal: String,
    pub service: String,
    pub tier_code: String,
    pub subsidy_fen: i64,
    pub personal_fen: i64,
    pub charity_fen: i64,
    /// Claims of the same meal at other canteens.
    pub elsewhere: i64,
    /// The diner's register status and its date: a meal dated after a death
    /// or a move is held (`kangyang_domain::life`).
    pub status: String,
    pub status_date: Option<String>,
}

pub async fn meals_between(
    conn: &mut Conn,
    facility_id: i64,
    from: &str,
    to: &str,
) -> Result<Vec<MealRow>> {
    Ok(sqlx::query_as(
        "SELECT m.id, m.person_id, p.name, m.day, m.meal, m.service, m.tier_code, m.subsidy_fen, \
         m.personal_fen, m.charity_fen, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM canteen_meals o WHERE o.person_id = m.person_id \
            AND o.day = m.day AND o.meal = m.meal AND o.facility_id <> m.facility_id) AS elsewhere, \
         p.status, p.status_date \
         FROM canteen_meals m JOIN persons p ON p.id = m.person_id \
         WHERE m.facility_id = $1 AND m.day >= $2 AND m.day <= $3 \
         ORDER BY m.day, m.meal, p.name, m.id",
    )
    .bind(facility_id)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

/// Removes one meal of a day's menu.
pub async fn clear_menu(conn: &mut Conn, facility_id: i64, day: &str, meal: &str) -> Result<()> {
    sqlx::query("DELETE FROM canteen_menus WHERE facility_id = $1 AND day = $2 AND meal = $3")
        .bind(facility_id)
        .bind(day)
        .bind(meal)
        .execute(conn)
        .await?;
    Ok(())
}

/// A diner enrolled on a day, with the facts that price their meal.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DinerRow {
    pub person_id: i64,
    pub name: String,
    pub birth_date: String,
    pub economic_status: Option<String>,
}

/// The diners enrolled in a canteen on `day`, by name.
pub async fn diners_on(conn: &mut Conn, facility_id: i64, day: &str) -> Result<Vec<DinerRow>> {
    Ok(sqlx::query_as(
        "SELECT DISTINCT e.person_id, p.name, p.birth_date, p.economic_status \
         FROM enrolments e JOIN persons p ON p.id = e.person_id \
         WHERE e.facility_id = $1 AND e.start_date <= $2 AND (e.end_date IS NULL OR e.end_date >= $2) \
         ORDER BY p.name, e.person_id",
    )
    .bind(facility_id)
    .bind(day)
    .fetch_all(conn)
    .await?)
}

/// A meal recorded at a canteen for one day and meal of the day.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DayMealRow {
    pub person_id: i64,
    pub service: String,
    pub tier_code: String,
    pub subsidy_fen: i64,
    pub personal_fen: i64,
    pub charity_fen: i64,
}

pub async fn meals_on(
    conn: &mut Conn,
    facility_id: i64,
    day: &str,
    meal: &str,
) -> Result<Vec<DayMealRow>> {
    Ok(sqlx::query_as(
        "SELECT person_id, service, tier_code, subsidy_fen, personal_fen, charity_fen \
         FROM canteen_meals WHERE facility_id = $1 AND day = $2 AND meal = $3",
    )
    .bind(facility_id)
    .bind(day)
    .bind(meal)
    .fetch_all(conn)
    .await?)
}

/// Takes back a meal recorded by mistake; false when there was none.
pub async fn delete_meal(
    conn: &mut Conn,
    facility_id: i64,
    person_id: i64,
    day: &str,
    meal: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "DELETE FROM canteen_meals WHERE facility_id = $1 AND person_id = $2 AND day = $3 \
         AND meal = $4",
    )
    .bind(facility_id)
    .bind(person_id)
    .bind(day)
    .bind(meal)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Records many meals (the demo's month), several to a statement to save
/// round trips. All are new: a duplicate fails the whole call.
pub async fn add_meals(conn: &mut Conn, meals: &[NewMeal<'_>], now: i64) -> Result<()> {
    let dialect = crate::Dialect::of(conn);
    for chunk in meals.chunks(50) {
        let text = format!(
            "INSERT INTO canteen_meals ({MEAL_COLUMNS}) VALUES {}",
            dialect.value_rows(chunk.len(), 11)
        );
        let mut q = sqlx::query(&text);
        for m in chunk {
            q = bind_meal(q, m, now);
        }
        q.execute(&mut *conn)
            .await
            .map_err(|e| StoreError::from(e).unique_as("meal"))?;
    }
    Ok(())
}
