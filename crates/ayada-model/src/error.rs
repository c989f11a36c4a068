//! What reading or checking a record can refuse. ayada-core turns each into its own error
//! (the same facts), which it renders in the person's language.

use std::fmt;

/// A refusal of the document model.
// The fields are the facts the variant's sentence names; the variant's doc says what they are.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelError {
    /// A value a person typed is not acceptable; `field` names it, `reason` says why.
    Invalid { field: String, reason: String },
    /// Something named by id or name does not exist.
    NotFound { what: String, id: String },
    /// An amount of money that is not a valid amount.
    InvalidMoney { input: String },
    /// A phone number that cannot be read as a number we can dial.
    InvalidPhone { input: String },
    /// A stored document could not be decoded.
    Document { detail: String },
}

/// The document model's result type.
pub type Result<T, E = ModelError> = std::result::Result<T, E>;

impl ModelError {
    /// An unacceptable value of `field`, for `reason` (a catalogue key or a sentence).
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        ModelError::Invalid {
            field: field.to_string(),
            reason: reason.into(),
        }
    }

    /// Nothing named `id` of kind `what`.
    pub fn not_found(what: &str, id: impl fmt::Display) -> Self {
        ModelError::NotFound {
            what: what.to_string(),
            id: id.to_string(),
        }
    }

    /// A document that does not hold what it should.
    pub fn document(detail: impl Into<String>) -> Self {
        ModelError::Document {
            detail: detail.into(),
        }
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::Invalid { field, reason } => write!(f, "{field}: {reason}"),
            ModelError::NotFound { what, id } => write!(f, "no {what} {id}"),
            ModelError::InvalidMoney { input } => write!(f, "\"{input}\" is not an amount"),
            ModelError::InvalidPhone { input } => write!(f, "\"{input}\" is not a phone number"),
            ModelError::Document { detail } => write!(f, "a document is damaged: {detail}"),
        }
    }
}

impl std::error::Error for ModelError {}

impl From<automerge::AutomergeError> for ModelError {
    fn from(err: automerge::AutomergeError) -> Self {
        ModelError::document(err.to_string())
    }
}

impl From<serde_json::Error> for ModelError {
    fn from(err: serde_json::Error) -> Self {
        ModelError::document(err.to_string())
    }
}
