use crate::{AppError, Result};
use kangyang_domain::{Action, Role, Scope};

/// Where a request came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub ip: String,
}

impl Origin {
    /// The local operator at the command line.
    pub fn cli() -> Origin {
        Origin {
            ip: "local".to_owned(),
        }
    }
}

/// The signed-in user on whose behalf a use case runs.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub scope: Scope,
    pub permissions: Vec<Action>,
    pub origin: Origin,
    /// The token a state-changing request must echo (see the web crate's CSRF check).
    pub csrf_token: String,
    /// The password has expired or was set by an administrator: until it is
    /// changed, nothing but changing it and logging out is allowed.
    pub must_change_password: bool,
    /// An administrator without a confirmed second factor: until one is set
    /// up, nothing but that (and logging out) is allowed.
    pub must_enroll_totp: bool,
    /// Whether the user has a confirmed second factor.
    pub totp_enabled: bool,
}

impl Actor {
    pub fn can(&self, action: Action) -> bool {
        self.permissions.contains(&action)
    }

    /// Fails unless the actor may take `action` now. Use cases call this
    /// through [`crate::App::require`], which also audits a refusal.
    pub(crate) fn check(&self, action: Action) -> Result<()> {
        if self.must_change_password {
            return Err(AppError::PasswordChangeRequired);
        }
        if self.must_enroll_totp {
            return Err(AppError::TotpEnrollmentRequired);
        }
        if !self.can(action) {
            return Err(AppError::Forbidden);
        }
        Ok(())
    }
}

/// Who an audit row names: a signed-in user, or the command-line operator.
#[derive(Debug, Clone)]
pub(crate) struct Who {
    pub user_id: Option<i64>,
    pub username: String,
    pub ip: String,
    /// The region the actor is bound to: an audit row about no object in
    /// particular is read by the auditors of this region. Empty for the
    /// command line and for unknown sign-in names (province auditors only).
    pub region: String,
}

impl Who {
    pub fn cli() -> Who {
        Who {
            user_id: None,
            username: "(命令行)".to_owned(),
            ip: Origin::cli().ip,
            region: String::new(),
        }
    }

    pub fn anonymous(username: &str, origin: &Origin) -> Who {
        Who {
            user_id: None,
            username: username.to_owned(),
            ip: origin.ip.clone(),
            region: String::new(),
        }
    }
}

impl From<&Actor> for Who {
    fn from(a: &Actor) -> Who {
        Who {
            user_id: Some(a.user_id),
            username: a.username.clone(),
            ip: a.origin.ip.clone(),
            region: a.scope.region().as_str().to_owned(),
        }
    }
}
