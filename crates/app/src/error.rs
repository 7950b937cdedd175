use kangyang_store::StoreError;
use thiserror::Error;

/// What can go wrong in a use case, in terms a handler can turn into a
/// response. Messages are shown to users, so they are Chinese and never carry
/// a person-level value.
#[derive(Debug, Error)]
pub enum AppError {
    #[error("请先登录")]
    Unauthenticated,
    /// One message for every failed login, so the reply does not tell which
    /// accounts exist or are locked.
    #[error("用户名或密码错误，或账号已被锁定")]
    LoginFailed,
    #[error("没有执行此操作的权限")]
    Forbidden,
    /// A child's file opened by someone not assigned to the child: they
    /// must say why first (break-glass).
    #[error("你不负责这名儿童，查看其档案须先说明理由")]
    ReasonRequired,
    #[error("密码已过期或需要修改，请先修改密码")]
    PasswordChangeRequired,
    #[error("管理员账号须先绑定动态口令（双因素认证）")]
    TotpEnrollmentRequired,
    /// Also what an out-of-scope record gives: no hint that it exists.
    #[error("找不到该记录")]
    NotFound,
    /// A bad value in one field. `field` is what the caller sent it under
    /// (the API key, for use cases the API reaches); `label` is its Chinese
    /// name when that differs, and is what users read.
    #[error("{}: {message}", .label.as_deref().unwrap_or(field))]
    Invalid {
        field: String,
        label: Option<String>,
        message: String,
    },
    /// A record with one or more bad fields: each named, with what would be right.
    #[error("{}", .0.iter().map(|e| format!("{}：{}", e.field.header(), e.message)).collect::<Vec<_>>().join("；"))]
    InvalidFields(Vec<kangyang_domain::register::FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error("请求过于频繁，请稍后再试")]
    RateLimited,
    /// Users see only that something failed; the cause is kept whole (its
    /// `source()` chain included) for the log and the operator.
    #[error("服务器内部错误")]
    Internal(#[source] Cause),
}

/// The underlying error of [`AppError::Internal`].
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

impl AppError {
    /// A bad field named only by its Chinese name. Going: what remains of
    /// it is for `web` and `home_care` until they name their fields by key
    /// (clippy's `disallowed-methods` in `crates/app/clippy.toml` keeps the
    /// rest of this crate off it); then it is removed.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> AppError {
        AppError::Invalid {
            field: field.into(),
            label: None,
            message: message.into(),
        }
    }

    /// A bad field from a parser shared by several fields, which knows only
    /// the field's Chinese name: every caller names it by its API key with
    /// [`AppError::keyed`].
    pub(crate) fn unkeyed(label: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid {
            field: label.to_owned(),
            label: None,
            message: message.into(),
        }
    }

    /// A bad field named by its API key, with the Chinese label users read
    /// (in the message, on pages, and beside `field` in the API's answer).
    pub fn invalid_field(
        key: impl Into<String>,
        label: impl Into<String>,
        message: impl Into<String>,
    ) -> AppError {
        AppError::Invalid {
            field: key.into(),
            label: Some(label.into()),
            message: message.into(),
        }
    }

    /// Names a field error from a shared parser (which is given the field's
    /// Chinese name) by the API key it came under; the name becomes the label.
    pub fn keyed(self, key: &str) -> AppError {
        match self {
            AppError::Invalid {
                field,
                label: None,
                message,
            } => AppError::Invalid {
                field: key.to_owned(),
                label: Some(field),
                message,
            },
            other => other,
        }
    }

    /// An internal error from an error value (kept with its chain) or a
    /// plain description (`&str`, `String`).
    pub fn internal(e: impl Into<Cause>) -> AppError {
        AppError::Internal(e.into())
    }

    /// An internal error's cause with every `source()` beneath it, for the
    /// log (`None` for errors users are meant to see).
    pub fn internal_cause(&self) -> Option<String> {
        match self {
            AppError::Internal(cause) => Some(chain(cause.as_ref())),
            _ => None,
        }
    }

    /// The message for an operator at the command line: like `Display`, but
    /// an internal error shows its cause (which users of the web never see).
    pub fn operator_message(&self) -> String {
        self.internal_cause().unwrap_or_else(|| self.to_string())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::Duplicate(what) => AppError::Conflict(format!("已存在相同的{what}")),
            other => AppError::Internal(Box::new(other)),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> AppError {
        AppError::Internal(Box::new(e))
    }
}

/// "outer: inner: innermost". A source whose text its wrapper already ends
/// with (thiserror's `"…: {0}"` with `#[from]`) is not said twice.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut next = e.source();
    while let Some(source) = next {
        let said = source.to_string();
        if !text.ends_with(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        next = source.source();
    }
    text
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[derive(Debug, Error)]
    #[error("reading the key file")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn an_internal_error_keeps_its_chain_for_the_operator_only() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied");
        let e = AppError::internal(Outer(io));
        assert_eq!(e.to_string(), "服务器内部错误");
        assert_eq!(
            e.operator_message(),
            "reading the key file: permission denied"
        );
        assert!(std::error::Error::source(&e).is_some());
    }

    #[test]
    fn a_wrapper_that_already_says_its_source_is_not_repeated() {
        let e = AppError::from(StoreError::Database(sqlx::Error::RowNotFound));
        let said = e.operator_message();
        assert_eq!(
            said,
            StoreError::Database(sqlx::Error::RowNotFound).to_string()
        );
        assert_eq!(
            AppError::internal("bad TOTP secret").operator_message(),
            "bad TOTP secret"
        );
        assert_eq!(AppError::NotFound.operator_message(), "找不到该记录");
    }

    #[test]
    fn a_labelled_field_is_shown_by_its_label() {
        let e = AppError::invalid_field("meal", "餐次", "应为早餐、午餐或晚餐");
        assert_eq!(e.to_string(), "餐次: 应为早餐、午餐或晚餐");
        let keyed = AppError::unkeyed("日期", "日期应为 YYYY-MM-DD").keyed("day");
        assert_eq!(keyed.to_string(), "日期: 日期应为 YYYY-MM-DD");
        assert!(matches!(
            keyed,
            AppError::Invalid { ref field, label: Some(ref label), .. } if field == "day" && label == "日期"
        ));
    }
}
