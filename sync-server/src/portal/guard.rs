//! What keeps a stranger in bounds on the portal: one-time codes (from the OS's CSPRNG, kept
//! only as a keyed hash), unguessable status tokens (also kept hashed), the CSRF token every
//! form carries, and the security headers of every page.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use base64::Engine;
use hmac::{Mac, SimpleHmac};
use sha2::Sha256;

type Keyed = SimpleHmac<Sha256>;

/// The name of the CSRF cookie.
pub const CSRF_COOKIE: &str = "ayada_csrf";

fn random(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("the OS's random source");
    bytes
}

fn url_safe(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A fresh 6-digit code: uniform (rejection sampling, no modulo bias).
pub fn new_code() -> String {
    loop {
        let bytes = random(4);
        let n = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        // The largest multiple of 10^6 below 2^32: values above it would favour low codes.
        if n < 4_294_000_000 {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

/// An unguessable id or token (256 bits), safe in a URL.
pub fn new_token() -> String {
    url_safe(&random(32))
}

/// The status link's token of a booking: a keyed hash of its id, so the server can put the
/// link in any later message without keeping the token (only its hash is stored, to find the
/// booking by it), and nobody without the key can make one.
pub fn status_token(key: &[u8], appointment_id: &str) -> String {
    let mut mac = Keyed::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"ayada-status-link\0");
    mac.update(appointment_id.as_bytes());
    url_safe(&mac.finalize().into_bytes())
}

/// The keyed hash kept of a secret (a code bound to its request, or a status token): a copy
/// of the database alone does not let anyone try the million codes offline.
pub fn keyed_hash(key: &[u8], parts: &[&str]) -> String {
    let mut mac = Keyed::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part.as_bytes());
        mac.update(&[0]);
    }
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `secret` hashes to `stored`, compared in constant time.
pub fn matches(key: &[u8], parts: &[&str], stored: &str) -> bool {
    let Ok(expected) = hex::decode(stored) else {
        return false;
    };
    let mut mac = Keyed::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part.as_bytes());
        mac.update(&[0]);
    }
    mac.verify_slice(&expected).is_ok()
}

/// The CSRF token of this browser (from its cookie), or a new one with the cookie to set.
pub fn csrf(headers: &HeaderMap, secure: bool) -> (String, Option<HeaderValue>) {
    if let Some(token) = cookie(headers, CSRF_COOKIE).filter(|t| t.len() == 43) {
        return (token, None);
    }
    let token = new_token();
    let cookie = format!(
        "{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    );
    let value = HeaderValue::from_str(&cookie).ok();
    (token, value)
}

/// Whether a form's CSRF token is this browser's (double submit: a page of another site can
/// neither read the cookie nor, with SameSite=Strict, have it sent).
pub fn csrf_ok(headers: &HeaderMap, form_token: &str) -> bool {
    cookie(headers, CSRF_COOKIE).is_some_and(|cookie| same(&cookie, form_token))
}

/// Whether two tokens are equal, compared in constant time (the time taken says nothing of
/// how much of a guess was right).
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The value of cookie `name` the browser sent.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Adds the portal's security headers to a page: no script at all, styles only the page's
/// own (by hash), forms only to this server, never framed, no referrer (a status page's
/// address is its token), and never cached.
pub fn secure_headers(mut response: Response, style_hash: &str) -> Response {
    let headers = response.headers_mut();
    let csp = format!(
        "default-src 'none'; style-src '{style_hash}'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: std::collections::HashSet<String> = (0..200).map(|_| new_code()).collect();
        assert!(codes
            .iter()
            .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
        assert!(codes.len() > 190, "random, not a sequence");
    }

    #[test]
    fn a_code_matches_only_its_own_request_and_key() {
        let key = b"k".repeat(32);
        let stored = keyed_hash(&key, &["request-1", "123456"]);
        assert!(matches(&key, &["request-1", "123456"], &stored));
        assert!(
            !matches(&key, &["request-2", "123456"], &stored),
            "bound to its request"
        );
        assert!(!matches(&key, &["request-1", "123457"], &stored));
        assert!(!matches(
            b"another key, not the server's....",
            &["request-1", "123456"],
            &stored
        ));
        assert!(!stored.contains("123456"));
    }

    #[test]
    fn a_status_link_is_made_again_from_its_booking_and_only_with_the_key() {
        let key = b"k".repeat(32);
        let token = status_token(&key, "0190a1b2-0000-7000-8000-000000000001");
        assert_eq!(token.len(), 43, "256 bits, URL-safe");
        assert_eq!(
            token,
            status_token(&key, "0190a1b2-0000-7000-8000-000000000001")
        );
        assert_ne!(
            token,
            status_token(&key, "0190a1b2-0000-7000-8000-000000000002")
        );
        assert_ne!(
            token,
            status_token(b"another key", "0190a1b2-0000-7000-8000-000000000001")
        );
    }

    #[test]
    fn a_form_passes_only_with_the_browsers_own_csrf_cookie() {
        let (token, cookie) = csrf(&HeaderMap::new(), false);
        let cookie = cookie.unwrap();
        assert!(cookie.to_str().unwrap().contains("SameSite=Strict"));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("{CSRF_COOKIE}={token}")).unwrap(),
        );
        assert!(csrf_ok(&headers, &token));
        assert!(!csrf_ok(&headers, &new_token()));
        assert!(!csrf_ok(&HeaderMap::new(), &token), "no cookie, no form");
    }
}
