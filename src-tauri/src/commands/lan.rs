//! The clinic's LAN in the window: the owner lets a new machine join through this one while
//! the sync server cannot be reached (a join code to type on the new machine), sees the
//! machines the clinic's list names, and a new machine joins with the code on first run.

use ayada_client::lan_join;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, State};

use super::{changed, ensure_open, lang_of, off_the_ui, poisoned, with_session, Answer, UiError};
use crate::state::AppState;

fn client_failed(lang: ayada_core::Lang) -> impl Fn(ayada_client::ClientError) -> UiError {
    move |e| UiError {
        code: "lan".into(),
        message: e.sentence(lang),
    }
}

/// An open invitation, as the owner's screen shows it.
#[derive(Debug, Serialize, specta::Type)]
pub struct InvitationView {
    /// The join code to type on the new machine.
    pub code: String,
    /// When it closes, on the clinic's clock ("2026-11-29 14:05").
    pub until: String,
}

/// Opens an invitation for one new machine to join through this one (owner).
#[tauri::command]
#[specta::specta]
pub fn invite_machine(state: State<'_, AppState>) -> Answer<InvitationView> {
    let lang = lang_of(&state)?;
    with_session(&state, |c, s| {
        Ok(lan_join::invite(c, s).map(|opened| InvitationView {
            code: opened.code,
            until: c.time().format(opened.expires_at),
        }))
    })?
    .map_err(client_failed(lang))
}

/// A machine the clinic's list names, with the key it proves itself with on the LAN.
#[derive(Debug, Serialize, specta::Type)]
pub struct ListedMachine {
    pub node_id: String,
    /// What the owner called it when it joined ("exam room"); may be empty.
    pub name: String,
    pub revoked: bool,
    /// Whether it is this machine.
    pub this: bool,
}

/// The clinic's list of machines, and whether an invitation is open here.
#[derive(Debug, Serialize, specta::Type)]
pub struct LanList {
    pub machines: Vec<ListedMachine>,
    /// False once the code shown was used, closed by wrong tries, or expired.
    pub invitation_open: bool,
}

/// Every machine the clinic's list names (owner).
#[tauri::command]
#[specta::specta]
pub fn listed_machines(state: State<'_, AppState>) -> Answer<LanList> {
    with_session(&state, |c, s| {
        s.allow(ayada_core::roles::Action::ManageStaff)?;
        let me = c.node().to_string();
        let machines = c
            .machine_keys()?
            .into_iter()
            .map(|m| ListedMachine {
                this: m.node_id == me,
                node_id: m.node_id,
                name: m.name,
                revoked: m.revoked,
            })
            .collect();
        Ok(LanList {
            machines,
            invitation_open: c.machine_invite_open()?,
        })
    })
}

/// Input of "join through a machine on this network" on the first-run screen.
#[derive(Debug, Deserialize, specta::Type)]
pub struct JoinOverLan {
    code: String,
    /// What the owner will see this machine called.
    name: String,
}

/// What joining over the LAN did.
#[derive(Debug, Serialize, specta::Type)]
pub struct JoinedOverLan {
    pub clinic_id: String,
    pub node_id: String,
    /// Documents loaded from the machine joined through.
    pub documents: u64,
}

/// Joins the clinic through the machine that showed the code, found by mDNS (or at
/// `AYADA_LAN_JOIN_AT`, host:port, where a network forbids it), and loads the clinic from it.
/// Runs off the UI thread: it looks for the machine and talks to it.
#[tauri::command]
#[specta::specta]
pub async fn join_over_lan(app: AppHandle, input: JoinOverLan) -> Answer<JoinedOverLan> {
    off_the_ui(app, move |app| {
        let state = app.state::<AppState>();
        let lang = lang_of(&state)?;
        let at: Vec<std::net::SocketAddr> = std::env::var("AYADA_LAN_JOIN_AT")
            .ok()
            .and_then(|a| a.parse().ok())
            .into_iter()
            .collect();
        let joined = lan_join::join(
            &state.data,
            &state.key,
            &input.code,
            &input.name,
            &at,
            &mut |_, _| {},
        )
        .map_err(client_failed(lang))?;
        let mut inner = state.inner.lock().map_err(|_| poisoned())?;
        ensure_open(&state, &mut inner)?;
        drop(inner);
        changed(&app, "clinic");
        Ok(JoinedOverLan {
            clinic_id: joined.clinic_id.to_string(),
            node_id: joined.node_id.to_string(),
            documents: joined.round.bootstrapped,
        })
    })
    .await
}
