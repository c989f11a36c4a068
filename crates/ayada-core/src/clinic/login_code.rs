//! The owner's second factor at the clinic's own machines: once turned on, the owner's login
//! on every machine of the clinic asks for the code of an authenticator app too. It works
//! offline (a code needs only the clock). The secret lives in the owner's account in the
//! clinic document, so it reaches every machine as the account does; a code serves once on
//! each machine (the step it belongs to is kept there).

use ayada_model::docs::DocId;
use ayada_model::ids::StaffId;
use ayada_model::totp;

use crate::audit::Outcome;
use crate::roles::{Action, Role, Session};
use crate::settings::put_in;
use crate::staff::{self, Staff, STAFF};
use crate::store;
use crate::{Clinic, CoreError, Result};

/// What the owner's authenticator app needs to add the code: the secret (to type by hand)
/// and the QR code (a PNG data URL).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LoginCodeSetup {
    /// Base32.
    pub secret: String,
    /// The otpauth address (what the QR code holds).
    pub uri: String,
    /// The otpauth QR code, as a data URL for an image.
    pub qr: String,
}

fn pending_key(id: StaffId) -> String {
    format!("login_code_pending:{id}")
}

fn step_key(id: StaffId) -> String {
    format!("login_code_step:{id}")
}

fn now() -> u64 {
    jiff::Timestamp::now().as_second().max(0) as u64
}

impl Clinic {
    /// The owner's own account only: the code guards the owner's login.
    fn own_owner_account(&self, session: &Session) -> Result<()> {
        session.allow(Action::ManageStaff)?;
        if session.role != Role::Owner {
            return Err(CoreError::Forbidden {
                action: "login-code".into(),
                role: session.role.as_str().into(),
            });
        }
        Ok(())
    }

    /// The secret the login of account `id` asks a code of, if it is on.
    fn login_code_of(&self, id: StaffId) -> Result<Option<String>> {
        let Some(doc) = store::load_doc(&self.conn, &DocId::clinic())? else {
            return Ok(None);
        };
        let accounts: Vec<Staff> = ayada_model::clinic::list_in(&doc, STAFF)?;
        Ok(accounts
            .into_iter()
            .find(|s| s.id == id)
            .and_then(|s| s.login_code))
    }

    /// Takes `code` for the secret of account `id` on this machine: the step it belongs to
    /// must be later than any taken here before.
    fn take_code(&self, id: StaffId, login: &str, secret: &str, code: &str) -> Result<()> {
        let step = totp::step_of(secret, login, code, now()).ok_or(CoreError::LoginCodeWrong)?;
        let last: i64 = store::meta(&self.conn, &step_key(id))?
            .and_then(|v| v.parse().ok())
            .unwrap_or(i64::MIN);
        if step <= last {
            return Err(CoreError::LoginCodeWrong);
        }
        store::set_meta(&self.conn, &step_key(id), &step.to_string())
    }

    /// After the password: the code, when the account asks for one. Audited.
    pub(super) fn check_login_code(
        &mut self,
        id: StaffId,
        login: &str,
        code: Option<&str>,
    ) -> Result<()> {
        let Some(secret) = self.login_code_of(id)? else {
            return Ok(());
        };
        let result = match code.map(str::trim).filter(|c| !c.is_empty()) {
            None => Err(CoreError::LoginCodeRequired),
            Some(code) => self.take_code(id, login, &secret, code),
        };
        if let Err(e) = &result {
            self.audit_now(login, "login", e.code(), Outcome::Failed)?;
        }
        result
    }

    /// Starts turning the code on for the owner's login: a new secret, kept on this machine
    /// until a first code from the app confirms it ([`Clinic::confirm_login_code`]).
    pub fn start_login_code(&mut self, session: &Session) -> Result<LoginCodeSetup> {
        self.own_owner_account(session)?;
        let secret = totp::new_secret();
        let qr = totp::qr_data_url(&secret, &session.login)
            .ok_or_else(|| CoreError::invalid("code", "qr"))?;
        let uri = totp::otpauth_url(&secret, &session.login)
            .ok_or_else(|| CoreError::invalid("code", "qr"))?;
        store::set_meta(&self.conn, &pending_key(session.staff_id), &secret)?;
        Ok(LoginCodeSetup { secret, uri, qr })
    }

    /// Turns the code on with a first code from the app: from then on the owner's login asks
    /// for one on every machine of the clinic (once the clinic's document reached it).
    pub fn confirm_login_code(&mut self, session: &Session, code: &str) -> Result<()> {
        self.own_owner_account(session)?;
        let secret = store::meta(&self.conn, &pending_key(session.staff_id))?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| CoreError::invalid("code", "login-code-not-started"))?;
        self.take_code(session.staff_id, &session.login, &secret, code)?;
        self.write(session, |w| {
            let mut account = staff::by_login(w, &session.login)?;
            account.login_code = Some(secret.clone());
            put_in(w, STAFF, &account.id.to_string(), &account)?;
            w.audit("login-code-on", session.login.clone());
            Ok(())
        })?;
        store::set_meta(&self.conn, &pending_key(session.staff_id), "")
    }

    /// Turns the code off, with a code from the app (a lost phone: the clinic's backup, or a
    /// restore, is the way back).
    pub fn remove_login_code(&mut self, session: &Session, code: &str) -> Result<()> {
        self.own_owner_account(session)?;
        let secret = self
            .login_code_of(session.staff_id)?
            .ok_or_else(|| CoreError::invalid("code", "login-code-off"))?;
        self.take_code(session.staff_id, &session.login, &secret, code)?;
        self.write(session, |w| {
            let mut account = staff::by_login(w, &session.login)?;
            account.login_code = None;
            put_in(w, STAFF, &account.id.to_string(), &account)?;
            w.audit("login-code-off", session.login.clone());
            Ok(())
        })
    }

    /// Whether the logged-in account's login asks for a code.
    pub fn login_code_on(&self, session: &Session) -> Result<bool> {
        Ok(self.login_code_of(session.staff_id)?.is_some())
    }
}
