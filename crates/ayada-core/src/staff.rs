//! Staff accounts: roles, Argon2id password hashes, deactivation, and login. Accounts live
//! in the clinic document so that anyone can log in on any of the clinic's machines offline.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use crate::error::{CoreError, Result};
use crate::ids::StaffId;
use crate::roles::{Action, Role};
use crate::settings::{list, put_in};
use crate::store::Writer;

const MIN_PASSWORD_CHARS: usize = 8;

pub use ayada_model::clinic::{Staff, STAFF};

/// What the owner sees of an account (no hash).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StaffMember {
    /// The id.
    pub id: StaffId,
    /// Display name.
    pub name: String,
    /// Login.
    pub login: String,
    /// Role.
    pub role: Role,
    /// Still allowed to log in.
    pub active: bool,
}

impl From<&Staff> for StaffMember {
    fn from(s: &Staff) -> Self {
        StaffMember {
            id: s.id,
            name: s.name.clone(),
            login: s.login.clone(),
            role: s.role,
            active: s.active,
        }
    }
}

/// Hashes a password with Argon2id and a fresh salt.
pub(crate) fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(CoreError::invalid("password", "password-too-short"));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CoreError::Storage {
            detail: format!("password hashing failed: {e}"),
        })
}

/// Checks a password against a stored hash.
pub(crate) fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

pub(crate) fn normalise_login(login: &str) -> Result<String> {
    let login = login.trim().to_lowercase();
    let ok = !login.is_empty()
        && login.len() <= 64
        && login
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(login)
    } else {
        Err(CoreError::invalid("login", "login-chars"))
    }
}

/// Every account.
pub(crate) fn all(w: &mut Writer<'_>) -> Result<Vec<Staff>> {
    list(w, STAFF)
}

/// Creates an account. `check_role` is false only for the owner made by `init`.
pub(crate) fn add(
    w: &mut Writer<'_>,
    id: StaffId,
    name: &str,
    login: &str,
    role: Role,
    password: &str,
    check_role: bool,
) -> Result<Staff> {
    if check_role {
        w.allow(Action::ManageStaff)?;
    }
    let login = normalise_login(login)?;
    let name = name.trim();
    if name.is_empty() {
        return Err(CoreError::invalid("name", "required"));
    }
    if all(w)?.iter().any(|s| s.login == login) {
        return Err(CoreError::Duplicate {
            what: "login".into(),
            value: login,
        });
    }
    let staff = Staff {
        id,
        name: name.to_string(),
        login,
        role,
        password_hash: hash_password(password)?,
        active: true,
        login_code: None,
    };
    put_in(w, STAFF, &staff.id.to_string(), &staff)?;
    w.audit("staff-add", format!("{} {}", staff.login, staff.role));
    Ok(staff)
}

/// Deactivates (or re-activates) an account; the owner cannot lock themselves out.
pub(crate) fn set_active(w: &mut Writer<'_>, login: &str, active: bool) -> Result<Staff> {
    w.allow(Action::ManageStaff)?;
    let login = normalise_login(login)?;
    let mut staff = by_login(w, &login)?;
    if !active && staff.id == w.session.staff_id {
        return Err(CoreError::invalid("login", "self-deactivate"));
    }
    staff.active = active;
    put_in(w, STAFF, &staff.id.to_string(), &staff)?;
    w.audit(
        if active {
            "staff-activate"
        } else {
            "staff-deactivate"
        },
        login,
    );
    Ok(staff)
}

/// Sets a new password for an account (the owner for anyone, anyone for themselves).
pub(crate) fn set_password(w: &mut Writer<'_>, login: &str, password: &str) -> Result<()> {
    let login = normalise_login(login)?;
    if login != w.session.login {
        w.allow(Action::ManageStaff)?;
    }
    let mut staff = by_login(w, &login)?;
    staff.password_hash = hash_password(password)?;
    put_in(w, STAFF, &staff.id.to_string(), &staff)?;
    w.audit("password-change", login);
    Ok(())
}

/// Finds an account by login.
pub(crate) fn by_login(w: &mut Writer<'_>, login: &str) -> Result<Staff> {
    let login = normalise_login(login)?;
    all(w)?
        .into_iter()
        .find(|s| s.login == login)
        .ok_or_else(|| CoreError::not_found("staff-member", login))
}

/// Finds an active doctor by login.
pub(crate) fn doctor(w: &mut Writer<'_>, login: &str) -> Result<Staff> {
    let staff = by_login(w, login)?;
    active_doctor(staff, login)
}

/// Finds an active doctor by id (the doctor a booking already has).
pub(crate) fn doctor_by_id(w: &mut Writer<'_>, id: StaffId) -> Result<Staff> {
    let staff = all(w)?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| CoreError::not_found("doctor", id))?;
    active_doctor(staff, &id.to_string())
}

fn active_doctor(staff: Staff, named: &str) -> Result<Staff> {
    if staff.role != Role::Doctor || !staff.active {
        return Err(CoreError::not_found("doctor", named));
    }
    Ok(staff)
}

// ---- the staff table (the projection of the staff document) ----

/// An account as login checks it: the projection's row, hash included.
pub(crate) struct Account {
    pub id: StaffId,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub password_hash: String,
}

/// The account with this (normalised) login, if any.
pub(crate) fn account(conn: &Connection, login: &str) -> Result<Option<Account>> {
    let row: Option<(String, String, String, bool, String)> = conn
        .query_row(
            "SELECT id, name, role, active, password_hash FROM staff WHERE login = ?1",
            [login],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    row.map(|(id, name, role, active, password_hash)| {
        Ok(Account {
            id: id.parse()?,
            name,
            role: role.parse()?,
            active,
            password_hash,
        })
    })
    .transpose()
}

/// Every account by name (no hashes); only the active ones when `active_only`.
pub(crate) fn rows(conn: &Connection, active_only: bool) -> Result<Vec<StaffMember>> {
    let filter = if active_only { "WHERE active = 1" } else { "" };
    let mut stmt = conn.prepare(&format!(
        "SELECT id, name, login, role, active FROM staff {filter} ORDER BY name"
    ))?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get::<_, String>(3)?,
            r.get(4)?,
        ))
    })?;
    rows.map(|row| {
        let (id, name, login, role, active) = row?;
        Ok(StaffMember {
            id: id.parse()?,
            name,
            login,
            role: role.parse()?,
            active,
        })
    })
    .collect()
}

/// The id of the active doctor with this login.
pub(crate) fn doctor_id(conn: &Connection, login: &str) -> Result<StaffId> {
    let login = normalise_login(login)?;
    let id: Option<String> = conn
        .query_row(
            "SELECT id FROM staff WHERE login = ?1 AND role = 'doctor' AND active = 1",
            [&login],
            |r| r.get(0),
        )
        .optional()?;
    Ok(id
        .ok_or_else(|| CoreError::not_found("doctor", &login))?
        .parse()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains("correct horse"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
        assert!(hash_password("short").is_err());
    }
}
