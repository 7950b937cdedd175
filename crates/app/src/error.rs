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
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// A record with one or more bad fields: each named, with what would be right.
    #[error("{}", .0.iter().map(|e| format!("{}：{}", e.field.header(), e.message)).collect::<Vec<_>>().join("；"))]
    InvalidFields(Vec<kangyang_domain::person::FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error("请求过于频繁，请稍后再试")]
    RateLimited,
    #[error("服务器内部错误")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> AppError {
        AppError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> AppError {
        AppError::Internal(e.to_string())
    }

    /// The message for an operator at the command line: like `Display`, but
    /// an internal error shows its cause (which users of the web never see).
    pub fn operator_message(&self) -> String {
        match self {
            AppError::Internal(cause) => cause.clone(),
            other => other.to_string(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::Duplicate(what) => AppError::Conflict(format!("已存在相同的{what}")),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> AppError {
        AppError::Internal(e.to_string())
    }
}
