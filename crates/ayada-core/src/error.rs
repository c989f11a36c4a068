//! The one error type of ayada-core, and the language-neutral facts each error carries.
//!
//! Errors that reach a person are rendered through Fluent (see `i18n`), in English or Arabic;
//! `Display` gives the English sentence.

use std::fmt;

use crate::i18n::{self, Lang};

/// Everything an ayada-core operation can refuse or fail with.
// The fields are the facts the variant's sentence names; the variant's doc says what they are.
#[allow(missing_docs)]
#[derive(Debug)]
pub enum CoreError {
    /// The database exists but the key does not open it.
    WrongKey,
    /// No clinic has been created in this data folder yet.
    NoClinic { dir: String },
    /// A clinic already exists in this data folder.
    ClinicExists { dir: String },
    /// The OS keyring could not be used; the detail never holds a secret.
    KeyringUnavailable { detail: String },
    /// The key file is missing, unreadable or not 64 hex digits.
    BadKeyFile { path: String, reason: String },
    /// The clinic was created with one key source and opened with another.
    KeySourceMismatch { expected: String, given: String },
    /// The login or password is wrong (deliberately not saying which).
    LoginFailed,
    /// The staff account exists but has been deactivated.
    AccountInactive { login: String },
    /// The account asks for the code from its authenticator app too.
    LoginCodeRequired,
    /// The authenticator code is wrong, or was used already on this machine.
    LoginCodeWrong,
    /// The acting role may not do this.
    Forbidden { action: String, role: String },
    /// Something named by id or name does not exist.
    NotFound { what: String, id: String },
    /// A value a person typed is not acceptable; `field` names it, `reason` says why.
    Invalid { field: String, reason: String },
    /// An amount of money that is not a valid amount ("350.555", "-3", "abc").
    InvalidMoney { input: String },
    /// A phone number that cannot be read as a number we can dial.
    InvalidPhone { input: String },
    /// A vital sign outside the range a living patient can have (probably a typo).
    VitalOutOfRange {
        vital: String,
        value: String,
        min: String,
        max: String,
    },
    /// An appointment status change that makes no sense (done → booked).
    InvalidTransition { from: String, to: String },
    /// The doctor already has a booking that overlaps this time.
    SlotTaken { doctor: String, at: String },
    /// The doctor is away or off on that day.
    DoctorAbsent { doctor: String, date: String },
    /// Two values that must be unique collide (a login, a visit type name).
    Duplicate { what: String, value: String },
    /// A cash operation needs an open shift on this machine.
    NoOpenShift,
    /// This machine already has an open shift.
    ShiftAlreadyOpen,
    /// The day has already been closed into a Z-report, which never changes.
    DayClosed { date: String, number: i64 },
    /// A backup file that this passphrase does not open, or that is not a backup.
    BadBackup { path: String },
    /// A file offered as a photo is not a usable image.
    BadImage { reason: String },
    /// A photo is larger than we accept (in bytes or pixels).
    ImageTooLarge { limit: String },
    /// A CSV import has bad lines; none were imported.
    ImportRejected { bad_lines: usize },
    /// The audit log has been edited or cut.
    AuditTampered { seq: i64 },
    /// The triggers that keep the audit log append-only are gone.
    AuditUnprotected,
    /// The database or the disk failed; the detail is technical.
    Storage { detail: String },
    /// A stored document could not be decoded.
    Document { detail: String },
}

/// ayada-core's result type.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;

impl CoreError {
    /// A stable identifier for the kind of error, for scripts and the UI.
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::WrongKey => "wrong-key",
            CoreError::NoClinic { .. } => "no-clinic",
            CoreError::ClinicExists { .. } => "clinic-exists",
            CoreError::KeyringUnavailable { .. } => "keyring-unavailable",
            CoreError::BadKeyFile { .. } => "bad-key-file",
            CoreError::KeySourceMismatch { .. } => "key-source-mismatch",
            CoreError::LoginFailed => "login-failed",
            CoreError::AccountInactive { .. } => "account-inactive",
            CoreError::LoginCodeRequired => "login-code-required",
            CoreError::LoginCodeWrong => "login-code-wrong",
            CoreError::Forbidden { .. } => "forbidden",
            CoreError::NotFound { .. } => "not-found",
            CoreError::Invalid { .. } => "invalid",
            CoreError::InvalidMoney { .. } => "invalid-money",
            CoreError::InvalidPhone { .. } => "invalid-phone",
            CoreError::VitalOutOfRange { .. } => "vital-out-of-range",
            CoreError::InvalidTransition { .. } => "invalid-transition",
            CoreError::SlotTaken { .. } => "slot-taken",
            CoreError::DoctorAbsent { .. } => "doctor-absent",
            CoreError::Duplicate { .. } => "duplicate",
            CoreError::NoOpenShift => "no-open-shift",
            CoreError::ShiftAlreadyOpen => "shift-already-open",
            CoreError::DayClosed { .. } => "day-closed",
            CoreError::BadBackup { .. } => "bad-backup",
            CoreError::BadImage { .. } => "bad-image",
            CoreError::ImageTooLarge { .. } => "image-too-large",
            CoreError::ImportRejected { .. } => "import-rejected",
            CoreError::AuditTampered { .. } => "audit-tampered",
            CoreError::AuditUnprotected => "audit-unprotected",
            CoreError::Storage { .. } => "storage",
            CoreError::Document { .. } => "document",
        }
    }

    /// The sentence a person reads, in their language.
    pub fn message(&self, lang: Lang) -> String {
        i18n::error_message(lang, self)
    }

    /// An unacceptable value of `field`, for `reason` (a catalogue key or a sentence).
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        CoreError::Invalid {
            field: field.to_string(),
            reason: reason.into(),
        }
    }

    /// Nothing named `id` of kind `what`.
    pub fn not_found(what: &str, id: impl fmt::Display) -> Self {
        CoreError::NotFound {
            what: what.to_string(),
            id: id.to_string(),
        }
    }
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for CoreError {}

impl From<rusqlite::Error> for CoreError {
    fn from(err: rusqlite::Error) -> Self {
        // SQLCipher reports a wrong key as "file is not a database" on the first read.
        if let rusqlite::Error::SqliteFailure(e, _) = &err {
            if e.code == rusqlite::ErrorCode::NotADatabase {
                return CoreError::WrongKey;
            }
        }
        CoreError::Storage {
            detail: err.to_string(),
        }
    }
}

impl From<std::io::Error> for CoreError {
    fn from(err: std::io::Error) -> Self {
        CoreError::Storage {
            detail: err.to_string(),
        }
    }
}

impl From<automerge::AutomergeError> for CoreError {
    fn from(err: automerge::AutomergeError) -> Self {
        CoreError::Document {
            detail: err.to_string(),
        }
    }
}

impl From<serde_json::Error> for CoreError {
    fn from(err: serde_json::Error) -> Self {
        CoreError::Document {
            detail: err.to_string(),
        }
    }
}

impl From<ayada_model::ModelError> for CoreError {
    fn from(err: ayada_model::ModelError) -> Self {
        use ayada_model::ModelError as M;
        match err {
            M::Invalid { field, reason } => CoreError::Invalid { field, reason },
            M::NotFound { what, id } => CoreError::NotFound { what, id },
            M::InvalidMoney { input } => CoreError::InvalidMoney { input },
            M::InvalidPhone { input } => CoreError::InvalidPhone { input },
            M::Document { detail } => CoreError::Document { detail },
        }
    }
}
