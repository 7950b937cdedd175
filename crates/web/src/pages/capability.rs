//! The GB/T 42195-2022 capability assessment (能力评估) form of a person
//! (the API is `api/capability.rs`).

use crate::error::PageError;
use crate::pages::{html, Nav};
use crate::routes::{Access, Routes};
use crate::session::{CsrfForm, PageSession};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kangyang_app::capability::{self, CapabilityInput, CapabilityView};
use kangyang_app::{register, AppError};
use kangyang_domain::capability::capability_template;
use std::collections::BTreeMap;

pub(crate) fn routes() -> Routes {
    use Access::*;
    Routes::new()
        .get("/persons/{id}/capability", SignedIn, form)
        .post("/persons/{id}/capability", SignedIn, submit)
}

struct Item {
    code: String,
    text: String,
    max: u32,
    value: String,
}

struct Group {
    name: String,
    items: Vec<Item>,
}

#[derive(Template)]
#[template(path = "capability/form.html")]
struct CapabilityPage {
    nav: Nav,
    person_id: i64,
    person_name: String,
    groups: Vec<Group>,
    history: Vec<CapabilityView>,
    today: String,
    error: Option<String>,
}

async fn page(
    state: &AppState,
    session: &crate::session::Session,
    id: i64,
    values: &BTreeMap<String, String>,
    error: Option<String>,
) -> Result<CapabilityPage, AppError> {
    let person = register::get(&state.app, &session.actor, id).await?;
    let history = capability::history(&state.app, &session.actor, id).await?;
    let groups = capability_template()
        .groups
        .into_iter()
        .map(|g| Group {
            name: g.name,
            items: g
                .criteria
                .into_iter()
                .map(|c| Item {
                    value: values.get(&c.code).cloned().unwrap_or_default(),
                    code: c.code,
                    text: c.text,
                    max: c.max_score,
                })
                .collect(),
        })
        .collect();
    Ok(CapabilityPage {
        nav: crate::pages::Nav::of(&session.actor),
        person_id: id,
        person_name: person.name,
        groups,
        history,
        today: state.app.today().to_string(),
        error,
    })
}

pub(crate) async fn form(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    html(page(&state, &session, id, &BTreeMap::new(), None).await?)
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    // A map: one field per item of the standard's form, keyed by the item's
    // code (`capability_template`), besides the few fixed ones read below.
    CsrfForm {
        session,
        form: values,
    }: CsrfForm<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    let field = |k: &str| values.get(k).cloned().unwrap_or_default();
    let mut scores = BTreeMap::new();
    let mut unreadable = Vec::new();
    for c in capability_template().criteria() {
        match values.get(&c.code).map(|v| v.trim()) {
            None | Some("") => {}
            Some(v) => match v.parse::<u32>() {
                Ok(n) => {
                    scores.insert(c.code.clone(), n);
                }
                Err(_) => unreadable.push(c.text.clone()),
            },
        }
    }
    let input = CapabilityInput {
        scores,
        coma: field("coma") == "1",
        dementia_or_mental_disorder: field("dementia_or_mental_disorder") == "1",
        risk_events_30_days: match field("risk_events_30_days").trim() {
            "" => 0,
            v => match v.parse() {
                Ok(n) => n,
                Err(_) => {
                    unreadable.push("风险事件次数".to_owned());
                    0
                }
            },
        },
        assessed_on: field("assessed_on"),
        assessor: field("assessor"),
    };
    let result = if unreadable.is_empty() {
        capability::assess(&state.app, &session.actor, id, &input).await
    } else {
        // Scope first: the person must be reachable before the form is judged.
        register::get(&state.app, &session.actor, id).await?;
        Err(AppError::invalid_field(
            "scores",
            "评估表",
            format!("分数应为整数：{}", unreadable.join("、")),
        ))
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/persons/{id}")).into_response()),
        Err(e @ AppError::Invalid { .. }) => {
            let p = page(&state, &session, id, &values, Some(e.to_string())).await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::response::Html(p.render()?),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}
