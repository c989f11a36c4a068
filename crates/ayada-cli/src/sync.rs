//! `enroll` and `sync`: this machine and the clinic's sync server.

use std::time::Duration;

use ayada_core::ids::{ClinicId, NodeId};
use ayada_core::replication::{IncomingChange, SyncSettings};
use ayada_core::{Clinic, Lang};
use ayada_sync::messages::PROTOCOL_VERSION;
use ayada_sync::{
    EnrollRequest, EnrollResponse, PullResponse, PushRequest, PushResponse, TokenRequest,
    TokenResponse, WireChange,
};
use serde_json::json;

use crate::{Answer, Env, Failure};

fn client() -> Result<reqwest::blocking::Client, Failure> {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| {
            Failure::usage(
                format!("Cannot start the HTTP client: {e}."),
                format!("تعذر تشغيل عميل HTTP: {e}."),
            )
        })
}

fn unreachable(server: &str, err: reqwest::Error) -> Failure {
    // The error text names the address and the cause, never a credential or a token.
    let cause = err.without_url().to_string();
    Failure::usage(
        format!("The sync server at {server} cannot be reached ({cause}). Your work is kept on this machine; sync again later."),
        format!("تعذر الوصول إلى خادم المزامنة {server} ({cause}). عملك محفوظ على هذا الجهاز؛ زامن لاحقًا."),
    )
}

fn refused(status: reqwest::StatusCode, body: &str) -> Failure {
    let said = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string))
        .unwrap_or_else(|| status.to_string());
    Failure::usage(
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
    Failure::usage(
        format!("The sync server answered something unexpected: {e}."),
        format!("أجاب خادم المزامنة بما لم يُتوقع: {e}."),
    )
}

/// Enrolls this machine: the first one seeds the server with its clinic; a machine with an
/// empty data folder joins the clinic the server holds.
pub fn enroll(env: &Env, server: &str, email: &str) -> Result<Answer, Failure> {
    let server = server.trim_end_matches('/').to_string();
    let password = crate::commands::secret("AYADA_PASSWORD")?;
    let existing = match Clinic::open(&env.data, &env.key) {
        Ok(c) => Some(c),
        Err(ayada_core::CoreError::NoClinic { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    if let Some(c) = &existing {
        if c.sync_settings()?.is_some() {
            return Err(Failure::usage(
                "This machine is already enrolled; run sync.",
                "هذا الجهاز مسجل بالفعل؛ شغّل المزامنة.",
            ));
        }
    }
    let node = existing.as_ref().map_or_else(NodeId::new, Clinic::node);
    let http = client()?;
    let request = EnrollRequest {
        email: email.to_string(),
        password,
        node_id: node.to_string(),
        local_clinic_id: existing.as_ref().map(|c| c.id().to_string()),
    };
    let response: EnrollResponse = post(&http, &server, "/v1/enroll", None, &request)?;
    let mut clinic = match existing {
        Some(c) => c,
        None => {
            let id: ClinicId = response.clinic_id.parse()?;
            Clinic::join(&env.data, &env.key, id, node, &response.time_zone)?
        }
    };
    clinic.set_sync_settings(&SyncSettings {
        server: server.clone(),
        device_credential: response.device_credential,
        pushed: 0,
        pulled: 0,
    })?;
    let text = if response.seeded {
        format!(
            "This machine is enrolled and its clinic {} now lives on {server}. Run sync.",
            clinic.id()
        )
    } else {
        format!(
            "This machine is enrolled into clinic {}. Run sync to bring the clinic here.",
            clinic.id()
        )
    };
    Ok(Answer::new(
        json!({ "clinic_id": clinic.id(), "node_id": clinic.node(), "seeded": response.seeded }),
        text,
    ))
}

/// One round: push what the server lacks, then pull what this machine lacks.
pub fn sync(env: &Env, batch: usize) -> Result<Answer, Failure> {
    let mut clinic = Clinic::open(&env.data, &env.key)?;
    let mut settings = clinic.sync_settings()?.ok_or_else(|| {
        Failure::usage(
            "This machine is not enrolled yet: run enroll first.",
            "هذا الجهاز غير مسجل بعد: شغّل enroll أولًا.",
        )
    })?;
    let server = settings.server.clone();
    let http = client()?;
    let token: TokenResponse = post(
        &http,
        &server,
        "/v1/token",
        None,
        &TokenRequest {
            device_credential: settings.device_credential.clone(),
        },
    )?;
    let mut pushed = 0usize;
    let mut refused_changes = Vec::new();
    loop {
        let changes = clinic.changes_after(settings.pushed, batch)?;
        let Some(last) = changes.last().map(|c| c.seq) else {
            break;
        };
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
        };
        let response: PushResponse =
            post(&http, &server, "/v1/changes", Some(&token.token), &request)?;
        pushed += response.accepted.len();
        refused_changes.extend(response.refused);
        // Only now is the batch durable on the server: move the cursor and remember it.
        settings.pushed = last;
        clinic.set_sync_settings(&settings)?;
    }
    let mut pulled = 0usize;
    let mut new = 0usize;
    loop {
        let resp = http
            .get(format!(
                "{server}/v1/changes?since={}&limit=500",
                settings.pulled
            ))
            .bearer_auth(&token.token)
            .send()
            .map_err(|e| unreachable(&server, e))?;
        let status = resp.status();
        let text = resp.text().map_err(|e| unreachable(&server, e))?;
        if !status.is_success() {
            return Err(refused(status, &text));
        }
        let page: PullResponse = serde_json::from_str(&text).map_err(unexpected)?;
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
        pulled += incoming.len();
        let report = clinic.apply_changes(&incoming)?;
        new += report.new;
        if !report.deferred.is_empty() {
            // The server's log is in causal order, so this means a change it holds was never
            // complete; stop here rather than skip past it.
            return Err(Failure::usage(
                format!("{} changes from the server wait for changes it does not have; sync stopped at position {}.", report.deferred.len(), settings.pulled),
                format!("{} تغييرًا من الخادم تنتظر تغييرات غير موجودة لديه؛ توقفت المزامنة عند الموضع {}.", report.deferred.len(), settings.pulled),
            ));
        }
        settings.pulled = page.next.0;
        clinic.set_sync_settings(&settings)?;
        if !page.more {
            break;
        }
    }
    let lang_note = match env.lang {
        Lang::Ar => format!("أُرسل {pushed} وجُلب {pulled} ({new} جديد)."),
        Lang::En => format!("Sent {pushed}, received {pulled} ({new} new)."),
    };
    let refused_json: Vec<_> = refused_changes
        .iter()
        .map(|r| json!({ "hash": r.hash, "reason": r.reason }))
        .collect();
    Ok(Answer::new(
        json!({ "pushed": pushed, "pulled": pulled, "new": new, "refused": refused_json }),
        lang_note,
    ))
}
