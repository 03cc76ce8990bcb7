//! Token authentication at the WebSocket handshake.
//!
//! A client presents the token as `Authorization: Bearer TOKEN` or, for
//! browsers that cannot set headers, as the `token` query parameter. Without
//! a valid token the handshake is rejected with HTTP 401 before any message
//! is read.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request};
use tokio_tungstenite::tungstenite::http::StatusCode;

/// The token file's name inside the store directory.
pub const TOKEN_FILE: &str = "token";

/// Reads the token from `STORE/token`, creating the file (mode 0600) with
/// a new random token when it does not exist. Returns the token and the
/// file's path.
pub fn load_or_create_token(store_dir: &Path) -> io::Result<(String, PathBuf)> {
    let path = store_dir.join(TOKEN_FILE);
    match fs::read_to_string(&path) {
        Ok(token) if !token.trim().is_empty() => return Ok((token.trim().to_owned(), path)),
        Ok(_) => {}
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        Err(err) => return Err(err),
    }

    let token = hex::encode(rand::random::<[u8; 24]>());
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)?;
    file.write_all(token.as_bytes())?;
    file.sync_all()?;
    Ok((token, path))
}

/// Checks a handshake request's token; returns the 401 response when it is
/// missing or wrong.
#[allow(clippy::result_large_err)]
pub fn check_request(request: &Request, token: &str) -> Result<(), ErrorResponse> {
    let from_header = request
        .headers()
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let from_query = request.uri().query().and_then(|query| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("token="))
    });

    let presented = from_header.or(from_query);
    if presented.is_some_and(|presented| constant_time_eq(presented.as_bytes(), token.as_bytes())) {
        return Ok(());
    }
    let reason = if presented.is_some() {
        "invalid token"
    } else {
        "missing token: send Authorization: Bearer TOKEN or ?token=TOKEN"
    };
    tracing::warn!(reason, "rejected a handshake");
    let mut response = ErrorResponse::new(Some(format!("{reason}\n")));
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    Err(response)
}

/// Compares without an early exit, so the time taken does not reveal how
/// much of a guessed token was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    fn request(url: &str, header: Option<&str>) -> Request {
        let mut request = url.into_client_request().expect("valid test URL");
        if let Some(value) = header {
            request
                .headers_mut()
                .insert("authorization", value.parse().expect("valid header"));
        }
        request.map(|_| ())
    }

    #[test]
    fn bearer_header_accepted() {
        assert!(
            check_request(&request("ws://127.0.0.1/", Some("Bearer s3cret")), "s3cret").is_ok()
        );
    }

    #[test]
    fn query_token_accepted() {
        assert!(check_request(&request("ws://127.0.0.1/?token=s3cret", None), "s3cret").is_ok());
    }

    #[test]
    fn wrong_token_is_401() {
        let response = check_request(&request("ws://127.0.0.1/", Some("Bearer nope")), "s3cret")
            .expect_err("wrong token");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn missing_token_is_401() {
        let response =
            check_request(&request("ws://127.0.0.1/", None), "s3cret").expect_err("no token");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn token_file_is_private_and_stable() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (first, path) = load_or_create_token(dir.path()).expect("create");
        let mode = fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let (second, _) = load_or_create_token(dir.path()).expect("read");
        assert_eq!(first, second);
    }
}
