//! Elder canteens in the browser: the meal counter canteen staff tap on a
//! phone, the week's menu and its form, the canteen's mode (set by an
//! official on the facility page), and the monthly settlement with its
//! sheet. The API is `api/canteen.rs`.
//!
//! The counter follows the sign-in sheet (`pages::kangyuan::attendance`): each
//! tap is a small form, saved at once, answered with a redirect back to the
//! diner's line.

use crate::error::PageError;
use crate::pages::facility::page_with_error;
use crate::pages::{html, month_or_this, xlsx, Nav};
use crate::routes::{Access, Routes};
use crate::session::{CsrfForm, PageSession};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kangyang_app::canteen::{self, CanteenSettlement, Counter, DayMenuInput, MealInput, WeekMenu};
use kangyang_app::AppError;
use kangyang_domain::money::Fen;
use kangyang_domain::Action;
use serde::Deserialize;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get(
            "/facilities/{facility}/settlement.xlsx",
            SignedIn,
            settlement_xlsx,
        )
        .get("/facilities/{facility}/settlement", SignedIn, settlement)
        .get("/facilities/{facility}/meals", SignedIn, counter)
        .post("/facilities/{facility}/meals", SignedIn, tap)
        .get("/facilities/{facility}/menus", SignedIn, menus)
        .post("/facilities/{facility}/menus", SignedIn, set_menu)
        .post("/facilities/{facility}/canteen-mode", SignedIn, set_mode)
}

fn encode(s: &str) -> String {
    crate::pages::percent_encode(s)
}

/// The status a form's own mistake is answered with; anything else is an error page.
fn form_status(e: &AppError) -> Option<StatusCode> {
    match e {
        AppError::Invalid { .. } => Some(StatusCode::UNPROCESSABLE_ENTITY),
        AppError::Conflict(_) => Some(StatusCode::CONFLICT),
        _ => None,
    }
}

/// The page again, showing the form's error, with the error's status.
fn with_status(status: StatusCode, page: impl Template) -> Result<Response, PageError> {
    Ok((status, axum::response::Html(page.render()?)).into_response())
}

// ---- the counter ----

#[derive(Template)]
#[template(path = "canteen/counter.html")]
struct CounterPage {
    nav: Nav,
    c: Counter,
    today: String,
    month: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct CounterParams {
    day: Option<String>,
    meal: Option<String>,
}

async fn counter_page(
    state: &AppState,
    session: &crate::session::Session,
    facility: i64,
    day: Option<&str>,
    meal: Option<&str>,
    error: Option<String>,
) -> Result<CounterPage, PageError> {
    let actor = &session.actor;
    let (c, error) = match canteen::counter(&state.app, actor, facility, day, meal).await {
        Ok(c) => (c, error),
        // A bad day or meal in the address: today's lunch, with the reason.
        Err(e @ AppError::Invalid { .. }) => (
            canteen::counter(&state.app, actor, facility, None, None).await?,
            Some(error.unwrap_or_else(|| e.to_string())),
        ),
        Err(e) => return Err(e.into()),
    };
    Ok(CounterPage {
        nav: Nav::of(actor),
        today: state.app.today().to_string(),
        month: c.day.get(..7).unwrap_or("").to_owned(),
        c,
        error,
    })
}

pub(crate) async fn counter(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Query(p): Query<CounterParams>,
) -> Result<Response, PageError> {
    html(
        counter_page(
            &state,
            &session,
            facility,
            p.day.as_deref(),
            p.meal.as_deref(),
            None,
        )
        .await?,
    )
}

/// One tap: a meal dine-in or delivered, or taken back; saved at once, then
/// back to the same diner's line.
/// One tap at the counter: a diner's meal of a day, and how it was served
/// (`clear` takes it back).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct TapForm {
    person_id: String,
    day: String,
    meal: String,
    service: String,
}

pub(crate) async fn tap(
    State(state): State<AppState>,
    Path(facility): Path<i64>,
    CsrfForm { session, form }: CsrfForm<TapForm>,
) -> Result<Response, PageError> {
    let person_id = form.person_id.trim().parse().unwrap_or(0);
    let service = form.service;
    let input = MealInput {
        person_id,
        day: form.day,
        meal: form.meal,
        service: service.clone(),
    };
    let done = if service == "clear" {
        canteen::cancel_meal(&state.app, &session.actor, facility, &input).await
    } else {
        canteen::record_meal(&state.app, &session.actor, facility, &input)
            .await
            .map(|_| ())
    };
    match done {
        Ok(()) => Ok(Redirect::to(&format!(
            "/facilities/{facility}/meals?day={}&meal={}#d{person_id}",
            encode(&input.day),
            encode(&input.meal)
        ))
        .into_response()),
        Err(e) => {
            let Some(status) = form_status(&e) else {
                return Err(e.into());
            };
            let page = counter_page(
                &state,
                &session,
                facility,
                Some(&input.day),
                Some(&input.meal),
                Some(e.to_string()),
            )
            .await?;
            with_status(status, page)
        }
    }
}

// ---- the week's menu ----

#[derive(Template)]
#[template(path = "canteen/menus.html")]
struct MenusPage {
    nav: Nav,
    w: WeekMenu,
    can_record: bool,
    /// The day the form sets, and its dishes as they stand (or as typed).
    edit: DayMenuInput,
    message: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct MenuParams {
    day: Option<String>,
    ok: Option<String>,
}

async fn menus_page(
    state: &AppState,
    session: &crate::session::Session,
    facility: i64,
    day: Option<&str>,
    typed: Option<DayMenuInput>,
    error: Option<String>,
) -> Result<MenusPage, PageError> {
    let actor = &session.actor;
    let (w, error) = match canteen::week_menu(&state.app, actor, facility, day).await {
        Ok(w) => (w, error),
        Err(e @ AppError::Invalid { .. }) => (
            canteen::week_menu(&state.app, actor, facility, None).await?,
            Some(error.unwrap_or_else(|| e.to_string())),
        ),
        Err(e) => return Err(e.into()),
    };
    let edit = typed.unwrap_or_else(|| {
        let wanted = day
            .filter(|d| w.days.iter().any(|x| x.day == d.trim()))
            .map(|d| d.trim().to_owned())
            .unwrap_or_else(|| {
                // This week: today; another week: its Monday.
                w.days
                    .iter()
                    .find(|d| d.is_today)
                    .map(|d| d.day.clone())
                    .unwrap_or_else(|| w.monday.clone())
            });
        let d = w.days.iter().find(|d| d.day == wanted);
        DayMenuInput {
            breakfast: d.map(|d| d.breakfast.clone()).unwrap_or_default(),
            lunch: d.map(|d| d.lunch.clone()).unwrap_or_default(),
            dinner: d.map(|d| d.dinner.clone()).unwrap_or_default(),
            day: wanted,
        }
    });
    Ok(MenusPage {
        nav: Nav::of(actor),
        can_record: actor.can(Action::ServiceRecord),
        w,
        edit,
        message: None,
        error,
    })
}

pub(crate) async fn menus(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Query(p): Query<MenuParams>,
) -> Result<Response, PageError> {
    let mut page = menus_page(&state, &session, facility, p.day.as_deref(), None, None).await?;
    if p.ok.is_some() {
        page.message = Some(format!("{} 的菜单已保存", page.edit.day));
    }
    html(page)
}

pub(crate) async fn set_menu(
    State(state): State<AppState>,
    Path(facility): Path<i64>,
    CsrfForm {
        session,
        form: input,
    }: CsrfForm<DayMenuInput>,
) -> Result<Response, PageError> {
    match canteen::set_day_menu(&state.app, &session.actor, facility, &input).await {
        Ok(()) => {
            let day = encode(input.day.trim());
            Ok(Redirect::to(&format!(
                "/facilities/{facility}/menus?day={day}&ok=1#m{day}"
            ))
            .into_response())
        }
        Err(e) => {
            let Some(status) = form_status(&e) else {
                return Err(e.into());
            };
            let day = input.day.clone();
            let page = menus_page(
                &state,
                &session,
                facility,
                Some(&day),
                Some(input),
                Some(e.to_string()),
            )
            .await?;
            with_status(status, page)
        }
    }
}

// ---- the mode ----

/// The mode form: own_kitchen, delivery, charity or neighbour_help.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ModeForm {
    mode: String,
}

/// An official sets how the canteen works, from the facility page.
pub(crate) async fn set_mode(
    State(state): State<AppState>,
    Path(facility): Path<i64>,
    CsrfForm { session, form }: CsrfForm<ModeForm>,
) -> Result<Response, PageError> {
    match canteen::set_mode(&state.app, &session.actor, facility, &form.mode).await {
        Ok(()) => Ok(Redirect::to(&format!("/facilities/{facility}?ok=mode")).into_response()),
        Err(e) => page_with_error(&state, &session, facility, e).await,
    }
}

// ---- the settlement ----

#[derive(Template)]
#[template(path = "canteen/settlement.html")]
struct SettlementPage {
    nav: Nav,
    facility_id: i64,
    s: CanteenSettlement,
    previous_month: String,
    next_month: String,
    error: Option<String>,
}

impl SettlementPage {
    /// Fen shown as yuan: "1,234.50".
    fn yuan(&self, fen: &i64) -> String {
        Fen(*fen).yuan_string()
    }

    fn total(&self) -> String {
        let s = &self.s;
        s.subsidy_fen
            .checked_add(s.personal_fen)
            .and_then(|t| t.checked_add(s.charity_fen))
            .map(|t| Fen(t).yuan_string())
            .unwrap_or_default()
    }
}

/// The month before or after "YYYY-MM".
pub(crate) fn month_step(month: &str, forward: bool) -> String {
    let (y, m) = month
        .split_once('-')
        .and_then(|(y, m)| Some((y.parse::<u16>().ok()?, m.parse::<u8>().ok()?)))
        .unwrap_or((2000, 1));
    let (y, m) = match (forward, m) {
        (true, 12) => (y + 1, 1),
        (true, m) => (y, m + 1),
        (false, 1) => (y.saturating_sub(1), 12),
        (false, m) => (y, m - 1),
    };
    format!("{y:04}-{m:02}")
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct MonthParam {
    month: String,
}

pub(crate) async fn settlement(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Query(p): Query<MonthParam>,
) -> Result<Response, PageError> {
    let actor = &session.actor;
    let month = month_or_this(&state, &p.month);
    let (s, error) = match canteen::settlement(&state.app, actor, facility, &month).await {
        Ok(s) => (s, None),
        Err(e @ AppError::Invalid { .. }) => {
            let this = month_or_this(&state, "");
            (
                canteen::settlement(&state.app, actor, facility, &this).await?,
                Some(e.to_string()),
            )
        }
        Err(e) => return Err(e.into()),
    };
    html(SettlementPage {
        nav: Nav::of(actor),
        facility_id: facility,
        previous_month: month_step(&s.month, false),
        next_month: month_step(&s.month, true),
        s,
        error,
    })
}

/// The settlement sheet (xlsx).
pub(crate) async fn settlement_xlsx(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(facility): Path<i64>,
    Query(p): Query<MonthParam>,
) -> Result<Response, PageError> {
    let month = month_or_this(&state, &p.month);
    let bytes = canteen::settlement_xlsx(&state.app, &session.actor, facility, &month).await?;
    Ok(xlsx(&format!("settlement-{facility}-{month}.xlsx"), bytes))
}

#[cfg(test)]
mod tests {
    use super::month_step;

    #[test]
    fn months_step_over_the_year_end() {
        assert_eq!(month_step("2026-12", true), "2027-01");
        assert_eq!(month_step("2026-01", false), "2025-12");
        assert_eq!(month_step("2026-05", true), "2026-06");
        assert_eq!(month_step("2026-05", false), "2026-04");
    }
}
