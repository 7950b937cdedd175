//! Who is asking: the session cookie, the client address, CSRF.

use crate::error::{ApiError, PageError};
use crate::AppState;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, RawForm, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kangyang_app::{auth, Actor, AppError, Origin};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use std::net::SocketAddr;

pub(crate) const COOKIE: &str = "kangyang_session";
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// The signed-in user, put into the request by [`resolve_actor`].
#[derive(Clone)]
pub(crate) struct Session {
    pub actor: Actor,
    pub token: String,
}

pub(crate) fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub(crate) fn client_origin(
    parts_headers: &HeaderMap,
    peer: Option<SocketAddr>,
    trust_proxy: bool,
) -> Origin {
    // An appending proxy adds the address it saw at the end of
    // X-Forwarded-For; whatever stands before it the client wrote itself. So
    // the rightmost entry (of the last header, when there are several) is the
    // only one to believe.
    let forwarded = trust_proxy
        .then(|| parts_headers.get_all("x-forwarded-for").iter().next_back())
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    let ip = forwarded
        .or_else(|| peer.map(|p| p.ip().to_string()))
        .unwrap_or_else(|| "unknown".to_owned());
    Origin { ip }
}

/// True when the request reached us over TLS, as far as we can tell.
pub(crate) fn is_secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.config.secure_cookies
        || (state.config.trust_proxy
            && headers
                .get("x-forwarded-proto")
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https")))
}

/// The cookie that carries a new session.
pub(crate) fn session_cookie(token: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The login form's CSRF token, set with the form before there is a session
/// (login CSRF: another site must not sign a victim into the attacker's
/// account). The Origin header cannot serve instead: with
/// `Referrer-Policy: no-referrer` browsers send `Origin: null` on form posts.
pub(crate) const LOGIN_CSRF_COOKIE: &str = "kangyang_login_csrf";

pub(crate) fn login_csrf_cookie(token: &str, secure: bool) -> String {
    format!(
        "{LOGIN_CSRF_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// True when the login form carries the token its cookie holds.
pub(crate) fn login_csrf_ok(headers: &HeaderMap, sent: &str) -> bool {
    cookie_value(headers, LOGIN_CSRF_COOKIE)
        .is_some_and(|cookie| !cookie.is_empty() && cookie.as_bytes() == sent.as_bytes())
}

/// The cookie that removes it from the browser.
pub(crate) fn cleared_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Resolves the session cookie to an actor for the handlers, and refuses a
/// state-changing API call that does not carry the session's CSRF token.
pub(crate) async fn resolve_actor(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let origin = client_origin(request.headers(), peer, state.config.trust_proxy);
    let token = cookie_value(request.headers(), COOKIE).map(str::to_owned);
    if let Some(token) = token.filter(|t| !t.is_empty() && t.len() <= 128) {
        match auth::authenticate(&state.app, &token, &origin).await {
            Ok(actor) => {
                let changes_state = !matches!(
                    *request.method(),
                    Method::GET | Method::HEAD | Method::OPTIONS
                );
                if changes_state && request.uri().path().starts_with("/api/") {
                    let sent = request
                        .headers()
                        .get(CSRF_HEADER)
                        .and_then(|v| v.to_str().ok());
                    if sent != Some(actor.csrf_token.as_str()) {
                        return ApiError(AppError::Forbidden)
                            .with_code("csrf")
                            .into_response();
                    }
                }
                request.extensions_mut().insert(Session { actor, token });
            }
            Err(AppError::Unauthenticated) => {}
            Err(e) => return ApiError(e).into_response(),
        }
    }
    request.extensions_mut().insert(origin);
    next.run(request).await
}

/// The signed-in user of an API call; 401 without one.
pub(crate) struct ApiSession(pub Session);

impl<S: Send + Sync> FromRequestParts<S> for ApiSession {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Session>()
            .cloned()
            .map(ApiSession)
            .ok_or(ApiError(AppError::Unauthenticated))
    }
}

/// The signed-in user of a page; without one, the browser goes to the login page.
pub(crate) struct PageSession(pub Session);

impl<S: Send + Sync> FromRequestParts<S> for PageSession {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Session>()
            .cloned()
            .map(PageSession)
            .ok_or(PageError::new(AppError::Unauthenticated))
    }
}

/// The client's address, as audited.
pub(crate) struct ClientOrigin(pub Origin);

impl<S: Send + Sync> FromRequestParts<S> for ClientOrigin {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientOrigin(
            parts.extensions.get::<Origin>().cloned().unwrap_or(Origin {
                ip: "unknown".to_owned(),
            }),
        ))
    }
}

/// Checks a form's CSRF token against the session's.
pub(crate) fn check_form_csrf(session: &Session, sent: &str) -> Result<(), PageError> {
    if sent == session.actor.csrf_token {
        Ok(())
    } else {
        Err(PageError::new(AppError::Forbidden))
    }
}

/// The field of every page form that carries the session's CSRF token.
const CSRF_FIELD: &str = "csrf_token";

/// A page form from the signed-in user, its CSRF token checked: take this
/// instead of `PageSession` + `Form<T>`, and no handler can forget the check.
/// Without a session the browser goes to the login page (as with
/// [`PageSession`]); a wrong or missing token is refused (403) before the
/// form is read; then the body becomes `T` (serde, unknown fields such as
/// the token itself ignored). `CsrfForm` alone (`T` = [`IgnoredAny`]) is a
/// form that carries nothing but the token; `CsrfForm<FormList>` keeps
/// repeated keys.
///
/// ```ignore
/// async fn grant(
///     State(state): State<AppState>,
///     Path(user_id): Path<i64>,
///     CsrfForm { session, form }: CsrfForm<GrantForm>,
/// ) -> Result<Response, PageError>
/// ```
/// It reads the body, so it comes last among the handler's arguments.
pub(crate) struct CsrfForm<T = IgnoredAny> {
    pub session: Session,
    pub form: T,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let PageSession(session) = PageSession::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let RawForm(bytes) = RawForm::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let unreadable = |e: serde_urlencoded::de::Error| {
            // What axum's `Form` answers, so a malformed form reads as before.
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("Failed to deserialize form body: {e}"),
            )
                .into_response()
        };
        let FormList(pairs) = serde_urlencoded::from_bytes(&bytes).map_err(unreadable)?;
        let sent = pairs
            .iter()
            .find(|(k, _)| k == CSRF_FIELD)
            .map_or("", |(_, v)| v.as_str());
        check_form_csrf(&session, sent).map_err(IntoResponse::into_response)?;
        let form = serde_urlencoded::from_bytes(&bytes).map_err(unreadable)?;
        Ok(CsrfForm { session, form })
    }
}

/// A submitted form whose keys may repeat (lists of ticked checkboxes).
#[derive(Deserialize)]
#[serde(transparent)]
pub(crate) struct FormList(pub Vec<(String, String)>);

impl FormList {
    /// The first value of `key`, or "" when the form has none.
    pub(crate) fn get(&self, key: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every value of `key`, in order.
    pub(crate) fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn behind_a_trusted_proxy_the_address_it_saw_counts_not_what_the_client_wrote() {
        let mut headers = HeaderMap::new();
        // The client forged "10.0.0.1"; the proxy appended the address it saw.
        headers.insert("x-forwarded-for", "10.0.0.1, 203.0.113.9".parse().unwrap());
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        assert_eq!(client_origin(&headers, Some(peer), true).ip, "203.0.113.9");
        assert_eq!(client_origin(&headers, Some(peer), false).ip, "127.0.0.1");
        headers.append("x-forwarded-for", "198.51.100.7".parse().unwrap());
        assert_eq!(client_origin(&headers, Some(peer), true).ip, "198.51.100.7");
    }

    #[test]
    fn a_form_list_keeps_every_value_of_a_repeated_key_in_order() {
        let form: FormList =
            serde_urlencoded::from_str("csrf_token=t&item=2&note=%E5%A5%BD&item=1").unwrap();
        assert_eq!(form.all("item"), ["2", "1"]);
        assert_eq!(form.get("note"), "好");
        assert_eq!(form.get("absent"), "");
    }

    #[test]
    fn a_form_of_nothing_but_the_token_reads_as_ignored() {
        let _: IgnoredAny = serde_urlencoded::from_str("csrf_token=t&x=1").unwrap();
    }
}
