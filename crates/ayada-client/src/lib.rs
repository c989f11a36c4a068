//! ayada-client: this machine and the clinic's sync server over HTTP. Enrollment, one sync
//! round (push, then pull, each cursor moved only once the other side holds the batch), and
//! the server's word on whether every machine is caught up. Used by `ayada-cli` and the
//! desktop app alike; blocking, so call it off any UI thread.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::time::Duration;

use ayada_core::ids::{ClinicId, NodeId};
use ayada_core::replication::{IncomingChange, SyncSettings};
use ayada_core::reports::ServerCheck;
use ayada_core::{Clinic, Lang};
use ayada_sync::messages::PROTOCOL_VERSION;
use ayada_sync::{
    EnrollRequest, EnrollResponse, MachineStatus, PullResponse, PushRequest, PushResponse,
    RevokeRequest, RevokeResponse, StatusResponse, TokenRequest, TokenResponse, WireChange,
};

/// What went wrong talking to the server, or in the clinic while syncing.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The clinic refused or failed (its own, localised message).
    #[error("{0}")]
    Core(#[from] ayada_core::CoreError),
    /// The server could not be reached, refused, or answered oddly.
    #[error("{en}")]
    Said {
        /// The sentence in English.
        en: String,
        /// The sentence in Arabic.
        ar: String,
    },
}

impl ClientError {
    fn said(en: impl Into<String>, ar: impl Into<String>) -> ClientError {
        ClientError::Said {
            en: en.into(),
            ar: ar.into(),
        }
    }

    /// The sentence a person reads, in their language.
    pub fn sentence(&self, lang: Lang) -> String {
        match (self, lang) {
            (ClientError::Core(e), _) => e.message(lang),
            (ClientError::Said { en, .. }, Lang::En) => en.clone(),
            (ClientError::Said { ar, .. }, Lang::Ar) => ar.clone(),
        }
    }
}

type Failure = ClientError;

fn client() -> Result<reqwest::blocking::Client, Failure> {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| {
            Failure::said(
                format!("Cannot start the HTTP client: {e}."),
                format!("تعذر تشغيل عميل HTTP: {e}."),
            )
        })
}

fn unreachable(server: &str, err: reqwest::Error) -> Failure {
    // The error text names the address and the cause, never a credential or a token.
    let cause = err.without_url().to_string();
    Failure::said(
        format!("The sync server at {server} cannot be reached ({cause}). Your work is kept on this machine; sync again later."),
        format!("تعذر الوصول إلى خادم المزامنة {server} ({cause}). عملك محفوظ على هذا الجهاز؛ زامن لاحقًا."),
    )
}

fn refused(status: reqwest::StatusCode, body: &str) -> Failure {
    let said = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string))
        .unwrap_or_else(|| status.to_string());
    Failure::said(
        format!("The sync server refused: {said}"),
        format!("رفض خادم المزامنة: {said}"),
    )
}

fn post<T: serde::Serialize, R: serde::de::DeserializeOwned>(
    http: &reqwest::blocking::Client,
    server: &str,
    path: &str,
    token: Option<&str>,
    body: &T,
) -> Result<R, Failure> {
    let mut req = http.post(format!("{server}{path}")).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().map_err(|e| unreachable(server, e))?;
    let status = resp.status();
    let text = resp.text().map_err(|e| unreachable(server, e))?;
    if !status.is_success() {
        return Err(refused(status, &text));
    }
    serde_json::from_str(&text).map_err(unexpected)
}

fn unexpected(e: serde_json::Error) -> Failure {
    Failure::said(
        format!("The sync server answered something unexpected: {e}."),
        format!("أجاب خادم المزامنة بما لم يُتوقع: {e}."),
    )
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
    let server = server.trim_end_matches('/').to_string();
    let existing = match Clinic::open(data, key) {
        Ok(c) => Some(c),
        Err(ayada_core::CoreError::NoClinic { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    if let Some(c) = &existing {
        if c.sync_settings()?.is_some() {
            return Err(Failure::said(
                "This machine is already enrolled; run sync.",
                "هذا الجهاز مسجل بالفعل؛ شغّل المزامنة.",
            ));
        }
    }
    let node = existing.as_ref().map_or_else(NodeId::new, Clinic::node);
    let http = client()?;
    let request = EnrollRequest {
        email: email.to_string(),
        password: password.to_string(),
        node_id: node.to_string(),
        local_clinic_id: existing.as_ref().map(|c| c.id().to_string()),
    };
    let response: EnrollResponse = post(&http, &server, "/v1/enroll", None, &request)?;
    let mut clinic = match existing {
        Some(c) => c,
        None => {
            let id: ClinicId = response.clinic_id.parse()?;
            Clinic::join(data, key, id, node, &response.time_zone)?
        }
    };
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

/// A connection to the clinic's server: where, and a fresh token.
struct Link {
    settings: SyncSettings,
    http: reqwest::blocking::Client,
    token: String,
}

fn not_enrolled() -> Failure {
    Failure::said(
        "This machine is not enrolled yet: run enroll first.",
        "هذا الجهاز غير مسجل بعد: شغّل enroll أولًا.",
    )
}

fn connect(settings: SyncSettings) -> Result<Link, Failure> {
    let http = client()?;
    let token: TokenResponse = post(
        &http,
        &settings.server,
        "/v1/token",
        None,
        &TokenRequest {
            device_credential: settings.device_credential.clone(),
        },
    )?;
    Ok(Link {
        settings,
        http,
        token: token.token,
    })
}

fn get<R: serde::de::DeserializeOwned>(link: &Link, path: &str) -> Result<R, Failure> {
    let server = &link.settings.server;
    let resp = link
        .http
        .get(format!("{server}{path}"))
        .bearer_auth(&link.token)
        .send()
        .map_err(|e| unreachable(server, e))?;
    let status = resp.status();
    let text = resp.text().map_err(|e| unreachable(server, e))?;
    if !status.is_success() {
        return Err(refused(status, &text));
    }
    serde_json::from_str(&text).map_err(unexpected)
}

/// What one round moved.
#[derive(Debug, Clone, Default)]
pub struct Round {
    /// Changes the server accepted (new or already known).
    pub pushed: usize,
    /// Changes received from the server.
    pub pulled: usize,
    /// Of those, changes this machine did not have.
    pub new: usize,
    /// Changes the server refused, with its reasons.
    pub refused: Vec<ayada_sync::Refusal>,
}

/// Pushes what the server lacks, then pulls what this machine lacks, moving each cursor
/// only once the other side holds the batch.
fn round(clinic: &mut Clinic, link: &mut Link, batch: usize) -> Result<Round, Failure> {
    let server = link.settings.server.clone();
    let mut done = Round::default();
    let mut first = true;
    loop {
        let changes = clinic.changes_after(link.settings.pushed, batch)?;
        // An empty queue is still worth one (empty) push: it tells the server this machine
        // has sent everything, which is what a day close asks.
        let last = match changes.last() {
            Some(c) => c.seq,
            None if first => link.settings.pushed,
            None => break,
        };
        first = false;
        let request_was_empty = changes.is_empty();
        let request = PushRequest {
            version: PROTOCOL_VERSION,
            changes: changes
                .into_iter()
                .map(|c| WireChange {
                    doc_id: c.doc_id,
                    hash: c.hash,
                    bytes: c.bytes,
                })
                .collect(),
            pending: Some(clinic.log_head()?.saturating_sub(last) as u64),
        };
        let response: PushResponse = post(
            &link.http,
            &server,
            "/v1/changes",
            Some(&link.token),
            &request,
        )?;
        done.pushed += response.accepted.len();
        done.refused.extend(response.refused);
        // Only now is the batch durable on the server: move the cursor and remember it.
        link.settings.pushed = last;
        clinic.set_sync_settings(&link.settings)?;
        if request_was_empty {
            break;
        }
    }
    loop {
        let page: PullResponse = get(
            link,
            &format!("/v1/changes?since={}&limit=500", link.settings.pulled),
        )?;
        if page.changes.is_empty() {
            break;
        }
        let incoming: Vec<IncomingChange> = page
            .changes
            .into_iter()
            .map(|c| IncomingChange {
                doc_id: c.doc_id,
                hash: c.hash,
                bytes: c.bytes,
            })
            .collect();
        done.pulled += incoming.len();
        let report = clinic.apply_changes(&incoming)?;
        done.new += report.new;
        if !report.deferred.is_empty() {
            // The server's log is in causal order, so this means a change it holds was never
            // complete; stop here rather than skip past it.
            return Err(Failure::said(
                format!("{} changes from the server wait for changes it does not have; sync stopped at position {}.", report.deferred.len(), link.settings.pulled),
                format!("{} تغييرًا من الخادم تنتظر تغييرات غير موجودة لديه؛ توقفت المزامنة عند الموضع {}.", report.deferred.len(), link.settings.pulled),
            ));
        }
        link.settings.pulled = page.next.0;
        clinic.set_sync_settings(&link.settings)?;
        if !page.more {
            break;
        }
    }
    Ok(done)
}

/// One sync round of an enrolled clinic.
pub fn sync(clinic: &mut Clinic, batch: usize) -> Result<Round, Failure> {
    let settings = clinic.sync_settings()?.ok_or_else(not_enrolled)?;
    let mut link = connect(settings)?;
    round(clinic, &mut link, batch)
}

/// Every machine enrolled into this machine's clinic, as the server last saw it.
pub fn machines(clinic: &Clinic) -> Result<StatusResponse, Failure> {
    let settings = clinic.sync_settings()?.ok_or_else(not_enrolled)?;
    let link = connect(settings)?;
    get(&link, "/v1/status")
}

/// Revokes a machine of this clinic with the owner's email and password; answers how many
/// of its credentials were still active.
pub fn revoke(clinic: &Clinic, email: &str, password: &str, node: &str) -> Result<u32, Failure> {
    let settings = clinic.sync_settings()?.ok_or_else(not_enrolled)?;
    let http = client()?;
    let request = RevokeRequest {
        email: email.to_string(),
        password: password.to_string(),
        node_id: node.trim().to_string(),
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
        let mut link = connect(settings)?;
        round(clinic, &mut link, 500)?;
        let status: StatusResponse = get(&link, "/v1/status")?;
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
    let short = |node: &str| node.chars().take(8).collect::<String>();
    let active: Vec<&MachineStatus> = status.machines.iter().filter(|m| !m.revoked).collect();
    let mut behind = Vec::new();
    for m in &active {
        match (m.last_seen_at, m.pending) {
            (None, _) => behind.push(format!("machine {} has never synced", short(&m.node_id))),
            (Some(_), Some(0)) => {}
            (Some(at), Some(n)) => behind.push(format!(
                "machine {} still held {n} unsent changes at {}",
                short(&m.node_id),
                when(at)
            )),
            (Some(at), None) => behind.push(format!(
                "machine {} has not sent its changes since {}",
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
