//! The console's and the owners' second factor: the codes of `ayada_model::totp`, shared with
//! the machines' own login.

pub use ayada_model::totp::{code_at, new_secret, qr_data_url, step_of};
