//! The clinic's LAN from a terminal: the owner lets a new machine join through this one, and
//! the new machine joins with the code, while the sync server cannot be reached.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ayada_client::lan_loop::LanLoop;
use ayada_core::Said;
use serde_json::json;

use crate::commands::{logged_in, Out};
use crate::Env;

/// `machines invite`: opens the invitation, shows the code (on stderr, so that `--json` keeps
/// stdout to its one object), answers on the LAN and waits for the join.
pub fn invite(env: &Env, bind: SocketAddr) -> Out {
    let (mut clinic, owner) = logged_in(env)?;
    let opened = ayada_client::lan_join::invite(&mut clinic, &owner)?;
    // After the invitation: opening it may have listed this machine itself.
    let before: Vec<String> = clinic
        .machine_keys()?
        .into_iter()
        .map(|m| m.node_id)
        .collect();
    let until = clinic.time().format(opened.expires_at);
    let clinic = Arc::new(Mutex::new(clinic));
    let lan = LanLoop::spawn(clinic.clone(), bind, |_, _| {})?;
    let addr = lan.addr().map(|a| a.to_string()).unwrap_or_default();
    eprintln!(
        "{}",
        Said::new("cli-lan-invite")
            .with("code", &opened.code)
            .with("until", until)
            .with("addr", &addr)
            .text(env.lang)
    );
    // Until the invitation is used or closes.
    while clinic
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .machine_invite_open()?
    {
        std::thread::sleep(Duration::from_millis(200));
    }
    // The new machine's first round rides on the joining connection: let it finish.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while lan.answering() > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let joined = clinic
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .machine_keys()?
        .into_iter()
        .find(|m| !before.contains(&m.node_id));
    drop(lan);
    match joined {
        Some(m) => Ok(crate::Answer::new(
            json!({ "node_id": m.node_id, "name": m.name }),
            Said::new("cli-lan-joined-here")
                .with("node", &m.node_id)
                .with("name", &m.name)
                .text(env.lang),
        )),
        None => Err(crate::Failure::usage(Said::new("cli-lan-invite-closed"))),
    }
}

/// `join-lan`: joins through the machine that showed the code, and loads the clinic from it.
pub fn join(env: &Env, code: &str, name: &str, at: Option<SocketAddr>) -> Out {
    let at: Vec<SocketAddr> = at.into_iter().collect();
    let joined =
        ayada_client::lan_join::join(&env.data, &env.key, code, name, &at, &mut |_, _| {})?;
    Ok(crate::Answer::new(
        json!({
            "clinic_id": joined.clinic_id,
            "node_id": joined.node_id,
            "through": joined.through,
            "documents": joined.round.bootstrapped,
        }),
        Said::new("cli-lan-joined")
            .with("clinic", joined.clinic_id)
            .with("through", &joined.through)
            .with("documents", joined.round.bootstrapped)
            .text(env.lang),
    ))
}
