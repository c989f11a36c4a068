//! The operator's console at `/admin` (and the owners' few pages under `/owner`): platform
//! admins log in with a password and a TOTP code
//! (enrolled with a QR code at the first login, mandatory), work in a session kept in a
//! Secure, HttpOnly, SameSite=Strict cookie that ends after an idle spell, and see the
//! clinics' counts and metadata, never a patient's data. Every admin action goes into the
//! hash-chained admin audit log, which the console shows and checks.
//!
//! - [`session`]: the cookie, its idle and absolute limits, the CSRF token of its forms;
//! - [`totp`]: secrets, codes (each taken once), the enrollment QR code;
//! - [`doors`]: login, the second factor, logout;
//! - [`console`]: the clinics and the audit log;
//! - [`billing`]: tiers, payments, a clinic's standing and its suspension by hand;
//! - [`invite`]: a clinic made from the console, its owner invited by email;
//! - [`owner_totp`]: the owner's second factor on their server account;
//! - [`pages`] and [`owner_pages`]: the server-rendered pages, Arabic and English, with no
//!   script;
//! - [`respond`]: what the handlers answer with, and the guard each runs behind.

pub mod billing;
pub mod console;
pub mod doors;
pub mod export_pages;
pub mod invite;
pub mod owner_pages;
pub mod owner_totp;
pub mod owner_totp_off;
pub mod pages;
pub mod respond;
pub mod session;
pub mod termination;
pub mod totp;

use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;

use crate::store::Store;
use crate::AppState;

/// The console's limits (docs/OPERATIONS.md).
#[derive(Debug, Clone)]
pub struct AdminConfig {
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after its login, used or not.
    pub absolute: Duration,
    /// When a clinic's unpaid days suspend it.
    pub billing: crate::standing::Billing,
    /// Days a terminated clinic's owner may download its data before it is deleted.
    pub export_days: i64,
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            idle: Duration::from_secs(15 * 60),
            absolute: Duration::from_secs(12 * 3600),
            billing: crate::standing::Billing::default(),
            export_days: 30,
        }
    }
}

/// The console's routes.
pub fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new()
        .route("/admin", get(console::home::<S>))
        .route("/admin/audit", get(console::audit::<S>))
        .route(
            "/admin/login",
            get(doors::login_form::<S>).post(doors::login::<S>),
        )
        .route(
            "/admin/totp",
            get(doors::totp_form::<S>).post(doors::totp::<S>),
        )
        .route("/admin/logout", post(doors::logout::<S>))
        .route("/admin/clinics", post(invite::create::<S>))
        .route("/admin/emails", get(invite::emails::<S>))
        .route(
            "/owner/password/{token}",
            get(invite::owner_form::<S>).post(invite::owner_set::<S>),
        )
        .route(
            "/owner/security",
            get(owner_totp::form::<S>).post(owner_totp::password::<S>),
        )
        .route("/owner/security/code", post(owner_totp::code::<S>))
        .route(
            "/owner/reset",
            get(invite::reset_form::<S>).post(invite::reset::<S>),
        )
        .route("/admin/clinics/{id}", get(billing::clinic::<S>))
        .route(
            "/admin/clinics/{id}/payments",
            post(billing::add_payment::<S>),
        )
        .route("/admin/clinics/{id}/hold", post(billing::hold::<S>))
        .route(
            "/admin/clinics/{id}/terminate",
            post(termination::terminate::<S>),
        )
        .route("/owner/export", post(termination::export_for_app::<S>))
        .route(
            "/owner/security/off",
            get(owner_totp_off::form::<S>).post(owner_totp_off::off::<S>),
        )
        .route(
            "/admin/clinics/{id}/owner-totp-reset",
            post(owner_totp_off::reset::<S>),
        )
        .route(
            "/owner/export/{token}",
            get(termination::export_form::<S>).post(termination::export::<S>),
        )
        .route("/admin/clinics/{id}/resume", post(billing::resume::<S>))
        .route(
            "/admin/tiers",
            get(billing::tiers::<S>).post(billing::add_tier::<S>),
        )
        .route("/admin/tiers/{id}/delete", post(billing::delete_tier::<S>))
}
