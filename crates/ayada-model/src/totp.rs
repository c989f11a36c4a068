//! The second factor wherever a person types one: RFC 6238 codes (SHA-1, 6 digits, 30 s, as
//! every authenticator app reads them) from a 160-bit secret. The server's admins and owners
//! use it, and the owner's login on the clinic's own machines (it needs only the clock, so it
//! works offline). A code is taken once: whoever checks it records the step it belongs to
//! and refuses that step or an earlier one.

use totp_rs::{Algorithm, Secret, TOTP};

/// The issuer an authenticator app shows beside the account.
const ISSUER: &str = "Ayada";
/// Seconds per code.
const STEP: u64 = 30;

/// A new secret, base32 (what the database keeps and the page shows for typing by hand).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).expect("the OS's random source");
    Secret::Raw(bytes.to_vec()).to_encoded().to_string()
}

fn totp(secret: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret.to_string()).to_bytes().ok()?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP,
        bytes,
        Some(ISSUER.to_string()),
        account.to_string(),
    )
    .ok()
}

/// The time step a code belongs to, if it is the secret's code for the step of `now` or the
/// one either side of it (a phone's clock a little off).
pub fn step_of(secret: &str, email: &str, code: &str, now: u64) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret, email)?;
    let current = now / STEP;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| totp.generate(step * STEP) == code)
        .map(|step| step as i64)
}

/// The code of the step of `now` (for the tests and the bench that log in as an app would).
pub fn code_at(secret: &str, email: &str, now: u64) -> Option<String> {
    Some(totp(secret, email)?.generate(now))
}

/// The otpauth address an authenticator app takes (what the QR code holds).
pub fn otpauth_url(secret: &str, account: &str) -> Option<String> {
    Some(totp(secret, account)?.get_url())
}

/// The enrollment QR code (the otpauth URL) as a PNG data URL for an `img`.
pub fn qr_data_url(secret: &str, email: &str) -> Option<String> {
    let png = totp(secret, email)?.get_qr_base64().ok()?;
    Some(format!("data:image/png;base64,{png}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_good_for_its_step_and_the_ones_beside_it_only() {
        let secret = new_secret();
        let now = 1_700_000_000;
        let code = code_at(&secret, "a@x", now).unwrap();
        let step = (now / STEP) as i64;
        assert_eq!(step_of(&secret, "a@x", &code, now), Some(step));
        assert_eq!(step_of(&secret, "a@x", &code, now + STEP), Some(step));
        assert_eq!(step_of(&secret, "a@x", &code, now + 3 * STEP), None);
        assert_eq!(step_of(&new_secret(), "a@x", &code, now), None);
        assert_eq!(step_of(&secret, "a@x", "12345", now), None);
        assert!(qr_data_url(&secret, "a@x")
            .unwrap()
            .starts_with("data:image/png;base64,"));
    }
}
