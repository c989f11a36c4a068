//! ayada-client: this machine and the clinic's sync server over HTTP. Enrollment, one sync
//! round (bootstrap, push, photos, pull — each cursor moved only once the other side holds
//! the batch), the background loop the desktop app runs (live through the server's
//! WebSocket, with back-off), and the server's word on whether every machine is caught up.
//! Used by `ayada-cli` and the desktop app alike; blocking, so call it off any UI thread.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod answer;
pub mod drive;
pub mod export_open;
mod http;
pub use http::IDLE_REUSE;
pub mod lan;
pub mod lan_join;
pub mod lan_loop;
mod round;
pub mod sync_loop;
mod watch;

use std::cell::RefCell;

use ayada_core::ids::{ClinicId, NodeId};
use ayada_core::replication::SyncSettings;
use ayada_core::reports::ServerCheck;
use ayada_core::{Clinic, Lang, Said};
use ayada_sync::{
    EnrollRequest, EnrollResponse, MachineStatus, RevokeRequest, RevokeResponse, StatusResponse,
};

pub use crate::drive::OnBootstrap;
use crate::http::{client, not_enrolled, post, Link};
pub use crate::round::{Round, ServerLink};
pub use crate::sync_loop::{Nudge, SyncLoop, SyncState};

/// What went wrong talking to the server, or in the clinic while syncing.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The clinic refused or failed (its own, localised message).
    #[error("{0}")]
    Core(#[from] ayada_core::CoreError),
    /// The server could not be reached, refused, or answered oddly (a sentence of the core's
    /// catalogue).
    #[error("{0}")]
    Said(Said),
}

impl ClientError {
    pub(crate) fn said(said: Said) -> ClientError {
        ClientError::Said(said)
    }

    /// The sentence a person reads, in their language.
    pub fn sentence(&self, lang: Lang) -> String {
        match (self, lang) {
            (ClientError::Core(e), _) => e.message(lang),
            (ClientError::Said(said), _) => said.text(lang),
        }
    }
}

type Failure = ClientError;

/// How the sync code reaches the clinic: briefly, between network calls, so a slow server
/// never holds it (the desktop app's window keeps working during a round).
pub trait ClinicAccess {
    /// Runs `f` on the clinic.
    fn with<R>(
        &self,
        f: &mut dyn FnMut(&mut Clinic) -> Result<R, ClientError>,
    ) -> Result<R, ClientError>;
}

/// A clinic the caller holds exclusively (the CLI).
struct Only<'a>(RefCell<&'a mut Clinic>);

impl ClinicAccess for Only<'_> {
    fn with<R>(
        &self,
        f: &mut dyn FnMut(&mut Clinic) -> Result<R, ClientError>,
    ) -> Result<R, ClientError> {
        f(&mut self.0.borrow_mut())
    }
}

impl ClinicAccess for std::sync::Mutex<Clinic> {
    fn with<R>(
        &self,
        f: &mut dyn FnMut(&mut Clinic) -> Result<R, ClientError>,
    ) -> Result<R, ClientError> {
        f(&mut self.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// A server address as people type it (`192.168.1.10:8787`, `https://sync.example/`):
/// without a scheme it is plain HTTP on the clinic's network; no trailing slash.
pub fn server_address(typed: &str) -> String {
    let typed = typed.trim().trim_end_matches('/');
    if typed.contains("://") {
        typed.to_string()
    } else {
        format!("http://{typed}")
    }
}

/// Refuses to send the owner's password to `server` in clear: over plain `http://` only to
/// this machine itself (loopback), or where the person said so with
/// `AYADA_ALLOW_PLAIN_HTTP=1` (a network that is theirs alone).
pub fn check_password_transport(server: &str) -> Result<(), Failure> {
    let url = reqwest::Url::parse(server)
        .map_err(|_| Failure::said(Said::new("client-bad-address").with("server", server)))?;
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let allowed = std::env::var("AYADA_ALLOW_PLAIN_HTTP").is_ok_and(|v| v == "1");
    if url.scheme() == "https" || loopback || allowed {
        return Ok(());
    }
    Err(Failure::said(
        Said::new("client-plain-http").with("server", server),
    ))
}

/// What enrolling did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Enrolled {
    /// The clinic this machine now holds (or will, after its first sync).
    pub clinic_id: ClinicId,
    /// This machine's node id.
    pub node_id: NodeId,
    /// Whether this machine's clinic seeded the server (the first machine).
    pub seeded: bool,
}

/// Enrolls the machine whose data folder is `data`: the first one seeds the server with its
/// clinic; a machine with an empty data folder joins the clinic the server holds, under its
/// own new key from `key`.
pub fn enroll(
    data: &std::path::Path,
    key: &ayada_core::KeySource,
    server: &str,
    email: &str,
    password: &str,
) -> Result<Enrolled, Failure> {
    enroll_with_code(data, key, server, email, password, None)
}

/// [`enroll`], with the owner's authenticator code when two-step sign-in is on.
pub fn enroll_with_code(
    data: &std::path::Path,
    key: &ayada_core::KeySource,
    server: &str,
    email: &str,
    password: &str,
    code: Option<&str>,
) -> Result<Enrolled, Failure> {
    let server = server_address(server);
    check_password_transport(&server)?;
    let mut existing = match Clinic::open(data, key) {
        Ok(c) => Some(c),
        Err(ayada_core::CoreError::NoClinic { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    if let Some(c) = &existing {
        if c.sync_settings()?.is_some() {
            return Err(Failure::said(Said::new("client-already-enrolled")));
        }
    }
    let node = existing.as_ref().map_or_else(NodeId::new, Clinic::node);
    // The machine's LAN key goes with the enrollment: the server lists it in the clinic's
    // document, where the clinic's other machines find it.
    let (mut made, lan_key) = match existing.as_mut().map(lan::identity).transpose()? {
        Some(identity) => (None, identity.key_hex),
        None => {
            let (pair, key_hex) = lan::new_identity(&node.to_string())?;
            (Some(pair), key_hex)
        }
    };
    let http = client()?;
    let request = EnrollRequest {
        email: email.to_string(),
        password: password.to_string(),
        node_id: node.to_string(),
        local_clinic_id: existing.as_ref().map(|c| c.id().to_string()),
        lan_key: Some(lan_key),
        totp: code.map(str::to_string),
    };
    let response: EnrollResponse = post(&http, &server, "/v1/enroll", None, &request)?;
    let mut clinic = match existing {
        Some(c) => c,
        None => {
            let id: ClinicId = response
                .clinic_id
                .parse()
                .map_err(ayada_core::CoreError::from)?;
            Clinic::join(data, key, id, node, &response.time_zone)?
        }
    };
    if let Some((cert, key)) = made.take() {
        clinic.set_lan_identity(&cert, &key)?;
    }
    clinic.set_sync_settings(&SyncSettings {
        server,
        device_credential: response.device_credential,
        pushed: 0,
        pulled: 0,
    })?;
    Ok(Enrolled {
        clinic_id: clinic.id(),
        node_id: clinic.node(),
        seeded: response.seeded,
    })
}

/// One sync round of an enrolled clinic; `on_bootstrap` hears the progress of a new
/// machine's first round.
pub fn sync(
    clinic: &mut Clinic,
    batch: usize,
    on_bootstrap: OnBootstrap<'_>,
) -> Result<Round, Failure> {
    let settings = clinic.sync_settings()?.ok_or_else(not_enrolled)?;
    let mut link = Link::connect(settings)?;
    round::round(&Only(RefCell::new(clinic)), &mut link, batch, on_bootstrap)
}

/// Every machine enrolled into this machine's clinic, as the server last saw it.
pub fn machines(clinic: &Clinic) -> Result<StatusResponse, Failure> {
    let settings = clinic.sync_settings()?.ok_or_else(not_enrolled)?;
    Link::connect(settings)?.get("/v1/status")
}

/// The server's latest messages to this clinic's patients (kind and state, never the text),
/// for the owner: the role is checked here, before the request.
pub fn portal_messages(
    clinic: &mut Clinic,
    session: &ayada_core::Session,
) -> Result<ayada_sync::OutboxList, Failure> {
    clinic.may(session, ayada_core::roles::Action::ManageSettings)?;
    let settings = clinic.sync_settings()?.ok_or_else(not_enrolled)?;
    Link::connect(settings)?.get("/v1/messages")
}

/// Every audit head this machine has sent the server (rows, hash), for `audit verify` to
/// compare the local chain with.
pub fn audit_anchors(clinic: &Clinic) -> Result<Vec<(u64, String)>, Failure> {
    let settings = clinic.sync_settings()?.ok_or_else(not_enrolled)?;
    let answer: ayada_sync::AuditAnchors = Link::connect(settings)?.get("/v1/audit")?;
    Ok(answer
        .anchors
        .into_iter()
        .map(|a| (a.head.count, a.head.hash))
        .collect())
}

/// Revokes a machine of this clinic with the owner's email and password; answers how many
/// of its credentials were still active.
pub fn revoke(clinic: &Clinic, email: &str, password: &str, node: &str) -> Result<u32, Failure> {
    revoke_with_code(clinic, email, password, node, None)
}

/// [`revoke`], with the owner's authenticator code when two-step sign-in is on.
pub fn revoke_with_code(
    clinic: &Clinic,
    email: &str,
    password: &str,
    node: &str,
    code: Option<&str>,
) -> Result<u32, Failure> {
    let settings = clinic.sync_settings()?.ok_or_else(not_enrolled)?;
    check_password_transport(&settings.server)?;
    let http = client()?;
    let request = RevokeRequest {
        email: email.to_string(),
        password: password.to_string(),
        node_id: node.trim().to_string(),
        totp: code.map(str::to_string),
    };
    let answer: RevokeResponse = post(
        &http,
        &settings.server,
        "/v1/machines/revoke",
        None,
        &request,
    )?;
    Ok(answer.revoked)
}

/// Before a day is closed: one sync round, then the server's word on whether it holds every
/// machine's changes. Never fails: what could not be asked is said on the report instead.
pub fn server_check(clinic: &mut Clinic) -> ServerCheck {
    let mut attempt = || -> Result<ServerCheck, Failure> {
        let Some(settings) = clinic.sync_settings()? else {
            return Ok(ServerCheck {
                asked: false,
                caught_up: false,
                detail: "this machine is not enrolled with a sync server".into(),
            });
        };
        let mut link = Link::connect(settings)?;
        round::round(
            &Only(RefCell::new(&mut *clinic)),
            &mut link,
            500,
            &mut |_, _| {},
        )?;
        let status: StatusResponse = link.get("/v1/status")?;
        Ok(judge(clinic, &link.settings, &status))
    };
    attempt().unwrap_or_else(|failure| ServerCheck {
        asked: false,
        caught_up: false,
        detail: failure.sentence(Lang::En),
    })
}

/// Whether the server's view shows every machine caught up, and a sentence saying so.
fn judge(clinic: &Clinic, settings: &SyncSettings, status: &StatusResponse) -> ServerCheck {
    let time = clinic.time();
    let when = |secs: i64| time.format(jiff::Timestamp::from_second(secs).unwrap_or_default());
    // Node ids are UUIDv7: the first characters are the enrolment time, alike for machines
    // set up the same day; the last ones tell them apart.
    let short = |node: &str| {
        let tail: String = node.chars().rev().take(8).collect();
        format!("ending in {}", tail.chars().rev().collect::<String>())
    };
    let active: Vec<&MachineStatus> = status.machines.iter().filter(|m| !m.revoked).collect();
    let mut behind = Vec::new();
    for m in &active {
        match (m.last_seen_at, m.pending) {
            (None, _) => behind.push(format!(
                "the machine {} has never synced",
                short(&m.node_id)
            )),
            (Some(_), Some(0)) => {}
            (Some(at), Some(n)) => behind.push(format!(
                "the machine {} still held {n} unsent changes at {}",
                short(&m.node_id),
                when(at)
            )),
            (Some(at), None) => behind.push(format!(
                "the machine {} has not sent its changes since {}",
                short(&m.node_id),
                when(at)
            )),
        }
    }
    if settings.pulled < status.head {
        behind.push(format!(
            "this machine has {} changes of the server still to receive",
            status.head - settings.pulled
        ));
    }
    if behind.is_empty() {
        let oldest = active.iter().filter_map(|m| m.last_seen_at).min();
        ServerCheck {
            asked: true,
            caught_up: true,
            detail: format!(
                "{} machines had sent all their changes at their last sync (the oldest at {})",
                active.len(),
                oldest.map(when).unwrap_or_default()
            ),
        }
    } else {
        ServerCheck {
            asked: true,
            caught_up: false,
            detail: behind.join("; "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{check_password_transport, server_address};

    #[test]
    fn the_owners_password_goes_in_clear_only_to_this_machine_itself() {
        for ok in [
            "https://sync.example",
            "http://127.0.0.1:8787",
            "http://localhost:8787",
            "http://[::1]:8787",
        ] {
            assert!(check_password_transport(ok).is_ok(), "{ok}");
        }
        // AYADA_ALLOW_PLAIN_HTTP is not set in the test run.
        let refused = check_password_transport("http://192.168.1.10:8787").unwrap_err();
        assert!(refused.to_string().contains("https://"), "{refused}");
    }

    #[test]
    fn a_suspended_clinics_refusal_is_said_in_both_languages_with_the_servers_reason() {
        let body = r#"{"error": "The clinic's subscription is suspended by the platform: cheque bounced.", "code": "suspended"}"#;
        let refused = crate::http::refused(reqwest::StatusCode::FORBIDDEN, body);
        let en = refused.sentence(ayada_core::Lang::En);
        assert!(
            en.contains("suspended") && en.contains("cheque bounced"),
            "{en}"
        );
        assert!(en.contains("keeps working"), "{en}");
        let ar = refused.sentence(ayada_core::Lang::Ar);
        assert!(ar.contains("اشتراك العيادة موقوف"), "{ar}");
    }

    #[test]
    fn an_ended_clinics_refusal_says_until_when_its_data_is_kept_in_both_languages() {
        let body = r#"{"error": "The clinic's subscription has ended.", "code": "ended", "until": "2026-12-29"}"#;
        let refused = crate::http::refused(reqwest::StatusCode::FORBIDDEN, body);
        assert!(refused
            .sentence(ayada_core::Lang::En)
            .contains("until 2026-12-29"));
        let ar = refused.sentence(ayada_core::Lang::Ar);
        assert!(ar.contains("انتهى اشتراك العيادة"), "{ar}");
        assert!(
            ar.contains("2026") || ar.contains("٢٠٢٦"),
            "the day, in Arabic too: {ar}"
        );
        let gone = r#"{"error": "… deleted …", "code": "ended"}"#;
        let gone = crate::http::refused(reqwest::StatusCode::FORBIDDEN, gone);
        assert!(gone
            .sentence(ayada_core::Lang::En)
            .contains("deleted its copy"));
    }

    #[test]
    fn a_typed_server_address_gets_a_scheme_and_loses_its_trailing_slash() {
        assert_eq!(
            server_address(" 192.168.1.10:8787 "),
            "http://192.168.1.10:8787"
        );
        assert_eq!(
            server_address("https://sync.example/"),
            "https://sync.example"
        );
        assert_eq!(server_address("http://127.0.0.1:9/"), "http://127.0.0.1:9");
    }
}
