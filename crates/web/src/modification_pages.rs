//! Age-friendly home modification (适老化改造): the progress of a region
//! against its annual target, the case page (items, steps, photos), opening
//! a case from the person page, and their JSON API. Photos are uploaded as
//! multipart forms and served back only to users who may see the case.

use crate::error::{ApiError, PageError};
use crate::pages::{html, Nav};
use crate::session::{check_form_csrf, ApiSession, FormList, PageSession, Session};
use crate::AppState;
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use kangyang_app::home_modification::{
    self as hm, CaseView, CatalogueItem, ItemInput, ModificationProgress, MoveInput, OpenCaseInput,
    PersonCases, PhotoInput, PhotoStored, TargetInput,
};
use kangyang_app::AppError;
use kangyang_domain::home_modification::MAX_PHOTO_BYTES;
use kangyang_domain::{Action, RegionCode};
use serde::Deserialize;

/// The body limit of the photo routes: the photo limit and room for the
/// form's other fields, so a photo a little too big reaches the use case and
/// is refused with its message rather than cut off.
pub(crate) const PHOTO_BODY_LIMIT: usize = MAX_PHOTO_BYTES + 1024 * 1024;

fn region_param(code: &str) -> Result<RegionCode, AppError> {
    // An unparseable code names nothing: not found, like an unknown one.
    RegionCode::parse(code).map_err(|_| AppError::NotFound)
}

/// "2026" → Some(2026); blank → this year; anything else → 0, which the use
/// case refuses with a message naming the year.
fn year_param(s: &str) -> Option<i64> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.parse().unwrap_or(0))
}

fn number(s: &str) -> Option<i64> {
    let s = s.trim();
    // Not a number: -1, out of every allowed range, refused with its field's message.
    (!s.is_empty()).then(|| s.parse().unwrap_or(-1))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub(crate) struct YearParam {
    /// The year (e.g. 2026); this year when left out.
    year: String,
}

// ---- reading a multipart photo upload ----

/// What a photo form sent. A body that is not a multipart form reads as an
/// empty upload, so the use case still checks the case's scope first (and
/// answers 404 outside it) before it refuses the missing photo.
#[derive(Default)]
struct Upload {
    csrf: String,
    input: PhotoInput,
    broken: bool,
}

async fn read_upload(multipart: Result<Multipart, MultipartRejection>) -> Upload {
    let mut upload = Upload::default();
    let Ok(mut multipart) = multipart else {
        return upload;
    };
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                upload.broken = true;
                break;
            }
        };
        match field.name().unwrap_or("") {
            "csrf_token" => upload.csrf = field.text().await.unwrap_or_default(),
            "phase" => upload.input.phase = field.text().await.unwrap_or_default(),
            "photo" | "file" => loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        // Keep one byte past the limit: enough to refuse it.
                        let room = (MAX_PHOTO_BYTES + 1).saturating_sub(upload.input.bytes.len());
                        upload
                            .input
                            .bytes
                            .extend_from_slice(&chunk[..chunk.len().min(room)]);
                    }
                    Ok(None) => break,
                    Err(_) => {
                        upload.broken = true;
                        break;
                    }
                }
            },
            _ => {}
        }
        if upload.broken {
            break;
        }
    }
    upload
}

/// An upload cut off by the body limit or the network: refused as too big
/// or broken, with nothing stored.
fn broken_upload() -> AppError {
    AppError::invalid(
        "photo",
        format!(
            "照片上传中断或超过 {} MB，请重试",
            MAX_PHOTO_BYTES / 1024 / 1024
        ),
    )
}

async fn store_upload(
    state: &AppState,
    session: &Session,
    case: i64,
    upload: &Upload,
) -> Result<PhotoStored, AppError> {
    if upload.broken {
        // Still scope-checked first: outside it the case does not exist. An
        // empty upload is never stored.
        return match hm::add_photo(&state.app, &session.actor, case, &PhotoInput::default()).await {
            Err(AppError::Invalid { .. }) | Ok(_) => Err(broken_upload()),
            Err(e) => Err(e),
        };
    }
    hm::add_photo(&state.app, &session.actor, case, &upload.input).await
}

// ---- JSON API ----

/// The Ministry of Civil Affairs' 2020 recommended list: 30 items in 7 groups, 7 of them basic.
#[utoipa::path(get, path = "/api/v1/modification-items",
    responses((status = 200, body = [CatalogueItem]), (status = 401, body = crate::api::ErrorBody)))]
pub(crate) async fn api_items(ApiSession(_session): ApiSession) -> Json<Vec<CatalogueItem>> {
    Json(hm::catalogue())
}

/// Open a home-modification case for an elderly person (one live case a person a year).
#[utoipa::path(post, path = "/api/v1/modifications", request_body = OpenCaseInput,
    responses((status = 201, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_open(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(input): Json<OpenCaseInput>,
) -> Result<impl IntoResponse, ApiError> {
    let id = hm::open_case(&state.app, &session.actor, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// A case: the person (masked), items with costs and totals, steps, photos.
#[utoipa::path(get, path = "/api/v1/modifications/{case}", params(("case" = i64, Path)),
    responses((status = 200, body = CaseView), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_case(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(case): Path<i64>,
) -> Result<Json<CaseView>, ApiError> {
    Ok(Json(hm::case(&state.app, &session.actor, case).await?))
}

/// Move a case to its next step, or withdraw it (with a reason).
#[utoipa::path(post, path = "/api/v1/modifications/{case}/state", params(("case" = i64, Path)), request_body = MoveInput,
    responses((status = 200, body = Object), (status = 404, body = crate::api::ErrorBody), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_move(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(case): Path<i64>,
    Json(input): Json<MoveInput>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let to = hm::move_case(&state.app, &session.actor, case, &input).await?;
    Ok(Json(
        serde_json::json!({ "state": to.as_str(), "state_label": to.label() }),
    ))
}

/// Set an item of the case's design: add it, change quantity or unit cost, or remove it with quantity 0.
#[utoipa::path(post, path = "/api/v1/modifications/{case}/items", params(("case" = i64, Path)), request_body = ItemInput,
    responses((status = 204), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_set_item(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(case): Path<i64>,
    Json(input): Json<ItemInput>,
) -> Result<StatusCode, ApiError> {
    hm::set_item(&state.app, &session.actor, case, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A photo upload: `phase` (before or after) and the image in `photo`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(crate) struct PhotoUpload {
    /// before or after
    phase: String,
    /// A JPEG, PNG or WebP image of at most 5 MiB, recognised by its content.
    #[schema(format = Binary, value_type = String)]
    photo: Vec<u8>,
}

/// Upload a before or after photo (multipart form: `phase`, `photo`).
#[utoipa::path(post, path = "/api/v1/modifications/{case}/photos", params(("case" = i64, Path)),
    request_body(content = PhotoUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = PhotoStored), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_add_photo(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(case): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<PhotoStored>), ApiError> {
    let upload = read_upload(multipart).await;
    let stored = store_upload(&state, &session, case, &upload).await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// A person's home-modification cases, newest first.
#[utoipa::path(get, path = "/api/v1/persons/{id}/modifications", params(("id" = i64, Path)),
    responses((status = 200, body = PersonCases), (status = 404, body = crate::api::ErrorBody)))]
pub(crate) async fn api_person_cases(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(id): Path<i64>,
) -> Result<Json<PersonCases>, ApiError> {
    Ok(Json(
        hm::cases_of_person(&state.app, &session.actor, id).await?,
    ))
}

/// A region's progress for a year: target, cases done (accepted or paid), by
/// child region (a city's counties) and by step, and the cases stuck.
#[utoipa::path(get, path = "/api/v1/regions/{code}/modifications", params(("code" = String, Path), YearParam),
    responses((status = 200, body = ModificationProgress), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_progress(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Path(code): Path<String>,
    Query(p): Query<YearParam>,
) -> Result<Json<ModificationProgress>, ApiError> {
    let region = region_param(&code)?;
    Ok(Json(
        hm::progress(&state.app, &session.actor, &region, year_param(&p.year)).await?,
    ))
}

/// Set a region's annual target (households to modify).
#[utoipa::path(post, path = "/api/v1/modification-targets", request_body = TargetInput,
    responses((status = 204), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
pub(crate) async fn api_set_target(
    State(state): State<AppState>,
    ApiSession(session): ApiSession,
    Json(input): Json<TargetInput>,
) -> Result<StatusCode, ApiError> {
    hm::set_target(&state.app, &session.actor, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- the progress page ----

#[derive(Template)]
#[template(path = "modifications.html")]
struct ProgressPage {
    nav: Nav,
    p: ModificationProgress,
    can_set_target: bool,
    /// The regions a target may be set for here: this one and its children.
    target_regions: Vec<(String, String)>,
    error: Option<String>,
}

async fn progress_page(
    state: &AppState,
    session: &Session,
    region: &RegionCode,
    year: Option<i64>,
    error: Option<String>,
) -> Result<ProgressPage, AppError> {
    let actor = &session.actor;
    let p = hm::progress(&state.app, actor, region, year).await?;
    let mut target_regions = vec![(p.region_code.clone(), p.region_name.clone())];
    target_regions.extend(p.lines.iter().map(|l| (l.code.clone(), l.name.clone())));
    Ok(ProgressPage {
        nav: Nav::of(actor),
        can_set_target: actor.can(Action::FacilityManage),
        target_regions,
        p,
        error,
    })
}

pub(crate) async fn progress(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(code): Path<String>,
    Query(p): Query<YearParam>,
) -> Result<Response, PageError> {
    let region = region_param(&code)?;
    html(progress_page(&state, &session, &region, year_param(&p.year), None).await?)
}

/// The target form of the progress page.
pub(crate) async fn target_submit(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(code): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormList(form);
    check_form_csrf(&session, &form.get("csrf_token"))?;
    let region = region_param(&code)?;
    hm::check_region(&state.app, &session.actor, &region, "home_mod.target").await?;
    let chosen = form.get("region");
    let input = TargetInput {
        region: if chosen.trim().is_empty() {
            code.clone()
        } else {
            chosen
        },
        year: year_param(&form.get("year")),
        households: number(&form.get("households")),
    };
    match hm::set_target(&state.app, &session.actor, &input).await {
        Ok(()) => {
            let year = input.year.map(|y| format!("?year={y}")).unwrap_or_default();
            Ok(Redirect::to(&format!("/regions/{region}/modifications{year}")).into_response())
        }
        Err(e) => {
            let (status, message) = refusal(e)?;
            let page = progress_page(&state, &session, &region, None, Some(message)).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

// ---- opening a case ----

#[derive(Template)]
#[template(path = "modification_new.html")]
struct NewCasePage {
    nav: Nav,
    person: Option<PersonCases>,
    today: String,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PersonParam {
    person: String,
}

async fn new_page(
    state: &AppState,
    session: &Session,
    person: Option<i64>,
    error: Option<String>,
) -> Result<NewCasePage, AppError> {
    let person = match person {
        Some(id) => Some(hm::cases_of_person(&state.app, &session.actor, id).await?),
        None => None,
    };
    Ok(NewCasePage {
        nav: Nav::of(&session.actor),
        person,
        today: state.app.today().to_string(),
        error,
    })
}

pub(crate) async fn new_form(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Query(p): Query<PersonParam>,
) -> Result<Response, PageError> {
    let person = p.person.trim().parse().ok();
    html(new_page(&state, &session, person, None).await?)
}

pub(crate) async fn open_submit(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormList(form);
    check_form_csrf(&session, &form.get("csrf_token"))?;
    let input = OpenCaseInput {
        person_id: form.get("person_id").trim().parse().unwrap_or(0),
        applied_on: form.get("applied_on"),
        note: form.get("note"),
    };
    match hm::open_case(&state.app, &session.actor, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/modifications/{id}")).into_response()),
        Err(e) => {
            let (status, message) = refusal(e)?;
            let person = Some(input.person_id).filter(|id| *id > 0);
            let page = new_page(&state, &session, person, Some(message)).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

/// A refusal a form shows on its page (bad input, a conflict) as its status
/// and message (the message names the field); any other error is the page's
/// error.
fn refusal(e: AppError) -> Result<(StatusCode, String), PageError> {
    match e {
        AppError::Invalid { message, .. } => Ok((StatusCode::UNPROCESSABLE_ENTITY, message)),
        AppError::Conflict(message) => Ok((StatusCode::CONFLICT, message)),
        e => Err(e.into()),
    }
}

// ---- the case page ----

#[derive(Template)]
#[template(path = "modification.html")]
struct CasePage {
    nav: Nav,
    c: CaseView,
    catalogue: Vec<CatalogueItem>,
    can_write: bool,
    error: Option<String>,
}

async fn case_page(
    state: &AppState,
    session: &Session,
    case: i64,
    error: Option<String>,
) -> Result<CasePage, AppError> {
    let c = hm::case(&state.app, &session.actor, case).await?;
    Ok(CasePage {
        nav: Nav::of(&session.actor),
        c,
        catalogue: hm::catalogue(),
        can_write: session.actor.can(Action::PersonWrite),
        error,
    })
}

pub(crate) async fn case(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(case): Path<i64>,
) -> Result<Response, PageError> {
    html(case_page(&state, &session, case, None).await?)
}

/// After a case form: back to the case, or the case page with the refusal.
async fn after_case_form(
    state: &AppState,
    session: &Session,
    case: i64,
    done: Result<(), AppError>,
) -> Result<Response, PageError> {
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/modifications/{case}")).into_response()),
        Err(e) => {
            let (status, message) = refusal(e)?;
            let page = case_page(state, session, case, Some(message)).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

pub(crate) async fn move_submit(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(case): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormList(form);
    check_form_csrf(&session, &form.get("csrf_token"))?;
    let input = MoveInput {
        to: form.get("to"),
        day: form.get("day"),
        note: form.get("note"),
    };
    let done = hm::move_case(&state.app, &session.actor, case, &input)
        .await
        .map(|_| ());
    after_case_form(&state, &session, case, done).await
}

pub(crate) async fn item_submit(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(case): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form = FormList(form);
    check_form_csrf(&session, &form.get("csrf_token"))?;
    let input = ItemInput {
        item: form.get("item"),
        quantity: number(&form.get("quantity")),
        unit_cost: form.get("unit_cost"),
    };
    let done = hm::set_item(&state.app, &session.actor, case, &input).await;
    after_case_form(&state, &session, case, done).await
}

pub(crate) async fn photo_submit(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path(case): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let is_form = multipart.is_ok();
    let upload = read_upload(multipart).await;
    // A multipart form carries the CSRF token; any other body is refused as
    // an empty upload (after the scope check) and changes nothing.
    if is_form && !upload.broken {
        check_form_csrf(&session, &upload.csrf)?;
    }
    let done = store_upload(&state, &session, case, &upload)
        .await
        .map(|_| ());
    after_case_form(&state, &session, case, done).await
}

/// A photo of a case, as stored; never cached, never sniffed as another type.
pub(crate) async fn photo(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Path((case, photo)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let (content_type, bytes) = hm::photo(&state.app, &session.actor, case, photo).await?;
    let content_type = HeaderValue::from_str(&content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        bytes,
    )
        .into_response())
}
