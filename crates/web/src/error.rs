//! Turning a use case's error into a response: JSON for the API, a page (or a
//! redirect to the login page) for the browser. Server errors are logged with
//! their cause and shown to users only as "服务器内部错误".

use crate::pages::ErrorPage;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use kangyang_app::AppError;

fn status(e: &AppError) -> StatusCode {
    match e {
        AppError::Unauthenticated | AppError::LoginFailed => StatusCode::UNAUTHORIZED,
        AppError::Forbidden
        | AppError::ReasonRequired
        | AppError::PasswordChangeRequired
        | AppError::TotpEnrollmentRequired => StatusCode::FORBIDDEN,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Invalid { .. } | AppError::InvalidFields(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn code(e: &AppError) -> &'static str {
    match e {
        AppError::Unauthenticated => "unauthenticated",
        AppError::LoginFailed => "login_failed",
        AppError::Forbidden => "forbidden",
        AppError::ReasonRequired => "reason_required",
        AppError::PasswordChangeRequired => "password_change_required",
        AppError::TotpEnrollmentRequired => "totp_enrollment_required",
        AppError::NotFound => "not_found",
        AppError::Invalid { .. } | AppError::InvalidFields(_) => "invalid",
        AppError::Conflict(_) => "conflict",
        AppError::RateLimited => "rate_limited",
        AppError::Internal(_) => "internal",
    }
}

fn log_if_internal(e: &AppError) {
    if let Some(cause) = e.internal_cause() {
        // Causes are store and system errors: SQL text and I/O, never bound values.
        tracing::error!(%cause, "request failed");
    }
}

/// An error answered as JSON: `{"error": code, "message": 中文说明, "field": key, "label": 中文名}`.
pub(crate) struct ApiError(pub AppError);

impl ApiError {
    /// Answers with a more specific code than the error's own.
    pub(crate) fn with_code(self, code: &'static str) -> CodedApiError {
        CodedApiError(self.0, code)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = code(&self.0);
        CodedApiError(self.0, code).into_response()
    }
}

pub(crate) struct CodedApiError(AppError, &'static str);

impl IntoResponse for CodedApiError {
    fn into_response(self) -> Response {
        log_if_internal(&self.0);
        (status(&self.0), Json(json_body(&self.0, self.1))).into_response()
    }
}

fn json_body(e: &AppError, code: &str) -> serde_json::Value {
    let mut body = serde_json::json!({ "error": code, "message": e.to_string() });
    if let AppError::Invalid {
        field,
        label,
        message,
    } = e
    {
        body["field"] = field.clone().into();
        body["message"] = message.clone().into();
        // The Chinese name beside the key, for a client to show; a field
        // still named by its label (no key given) is its own label.
        let label = label
            .as_deref()
            .or_else(|| (!field.is_ascii()).then_some(field.as_str()));
        if let Some(label) = label {
            body["label"] = label.into();
        }
    }
    if let AppError::InvalidFields(errors) = e {
        body["errors"] = errors
            .iter()
            .map(|e| {
                serde_json::json!({
                    "field": e.field.key(),
                    "label": e.field.header(),
                    "header": e.field.header(),
                    "message": e.message,
                })
            })
            .collect();
    }
    body
}

/// An error answered as a page.
pub(crate) struct PageError(AppError);

impl PageError {
    pub(crate) fn new(e: AppError) -> PageError {
        PageError(e)
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(e)
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError(AppError::internal(e))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self.0 {
            AppError::Unauthenticated => Redirect::to("/login").into_response(),
            AppError::PasswordChangeRequired => Redirect::to("/password").into_response(),
            AppError::TotpEnrollmentRequired => Redirect::to("/account/totp").into_response(),
            e => {
                log_if_internal(&e);
                let page = ErrorPage {
                    status: status(&e).as_u16(),
                    message: e.to_string(),
                };
                match page.render() {
                    Ok(html) => (status(&e), Html(html)).into_response(),
                    Err(_) => status(&e).into_response(),
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_field_is_answered_by_key_with_its_label_beside() {
        let e = AppError::invalid_field("meal", "餐次", "应为早餐、午餐或晚餐");
        assert_eq!(
            json_body(&e, "invalid"),
            serde_json::json!({
                "error": "invalid", "field": "meal", "label": "餐次",
                "message": "应为早餐、午餐或晚餐",
            })
        );
        let keyed = AppError::invalid("日期", "日期应为 YYYY-MM-DD").keyed("day");
        assert_eq!(json_body(&keyed, "invalid")["field"], "day");
        assert_eq!(json_body(&keyed, "invalid")["label"], "日期");
    }

    #[test]
    fn a_field_named_only_by_key_or_only_by_label_keeps_its_name() {
        let by_key = json_body(&AppError::invalid("reason", "必填"), "invalid");
        assert_eq!(by_key["field"], "reason");
        assert!(by_key.get("label").is_none());
        let by_label = json_body(&AppError::invalid("审核说明", "必填"), "invalid");
        assert_eq!(by_label["field"], "审核说明");
        assert_eq!(by_label["label"], "审核说明");
    }
}
