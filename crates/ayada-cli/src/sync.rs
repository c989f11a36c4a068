//! `enroll` and `sync` from the command line, over ayada-client.

use ayada_client::ClientError;
use ayada_core::Said;
use serde_json::json;

use crate::{Answer, Env, Failure};

impl From<ClientError> for Failure {
    fn from(err: ClientError) -> Self {
        match err {
            ClientError::Core(e) => Failure::Core(e),
            ClientError::Said(said) => Failure::Usage(said),
        }
    }
}

/// Enrolls this machine: the first one seeds the server with its clinic; a machine with an
/// empty data folder joins the clinic the server holds.
pub fn enroll(env: &Env, server: &str, email: &str) -> Result<Answer, Failure> {
    let password = crate::commands::secret("AYADA_PASSWORD")?;
    // The owner's authenticator code, when two-step sign-in is on (never an argument).
    let code = std::env::var("AYADA_TOTP").ok();
    let done = ayada_client::enroll_with_code(
        &env.data,
        &env.key,
        server,
        email,
        &password,
        code.as_deref(),
    )?;
    let text = if done.seeded {
        Said::new("cli-enrolled-seeded").with("server", server)
    } else {
        Said::new("cli-enrolled-joined")
    }
    .with("clinic", done.clinic_id)
    .text(env.lang);
    Ok(Answer::new(
        json!({ "clinic_id": done.clinic_id, "node_id": done.node_id, "seeded": done.seeded }),
        text,
    ))
}

/// One round: a new machine's bootstrap (with a progress bar on a terminal), then push what
/// the server lacks and pull what this machine lacks.
pub fn sync(env: &Env, batch: usize) -> Result<Answer, Failure> {
    let mut clinic = ayada_core::Clinic::open(&env.data, &env.key)?;
    let mut bar: Option<indicatif::ProgressBar> = None;
    let label = Said::new("cli-loading-clinic").text(env.lang);
    let mut progress = |done: u64, total: u64| {
        let bar = bar.get_or_insert_with(|| {
            // Drawn on stderr only when it is a terminal; stdout keeps the answer alone.
            let bar = indicatif::ProgressBar::new(total);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:40}] {pos}/{len} documents ({per_sec}, {eta} left)",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_message(label.clone());
            bar
        });
        bar.set_length(total);
        bar.set_position(done);
    };
    let round = ayada_client::sync(&mut clinic, batch, &mut progress);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let round = round?;
    let (pushed, pulled, new, boot) = (round.pushed, round.pulled, round.new, round.bootstrapped);
    let (sent, received) = (round.photos_sent, round.photos_received);
    let held = round.held;
    let mut note = Said::new("cli-synced")
        .with("pushed", pushed)
        .with("pulled", pulled)
        .with("new", new)
        .with("boot", boot)
        .with("sent", sent)
        .with("received", received)
        .text(env.lang);
    if held > 0 {
        note.push(' ');
        note.push_str(&Said::new("cli-held").with("held", held).text(env.lang));
    }
    let refused: Vec<_> = round
        .refused
        .iter()
        .map(|r| json!({ "hash": r.hash, "reason": r.reason }))
        .collect();
    Ok(Answer::new(
        json!({ "pushed": pushed, "pulled": pulled, "new": new, "bootstrapped": boot,
                "photos_sent": sent, "photos_received": received, "refused": refused,
                "held": held }),
        note,
    ))
}

/// `machines list|revoke`.
pub fn machines(env: &Env, cmd: crate::args::MachinesCommand) -> Result<Answer, Failure> {
    let clinic = ayada_core::Clinic::open(&env.data, &env.key)?;
    match cmd {
        crate::args::MachinesCommand::List => {
            let status = ayada_client::machines(&clinic)?;
            let time = clinic.time();
            let when = |s: Option<i64>| {
                s.and_then(|s| jiff::Timestamp::from_second(s).ok())
                    .map(|t| time.format(t))
                    .unwrap_or_else(|| Said::new("cli-never").text(env.lang))
            };
            let text = status
                .machines
                .iter()
                .map(|m| {
                    let this = if m.node_id == clinic.node().to_string() {
                        format!(" ({})", Said::new("cli-this-machine").text(env.lang))
                    } else {
                        String::new()
                    };
                    let state = if m.revoked {
                        "cli-machine-revoked"
                    } else {
                        "cli-machine-active"
                    };
                    let pending = m.pending.map_or("?".to_string(), |p| p.to_string());
                    let line = Said::new(state)
                        .with("last", when(m.last_seen_at))
                        .with("pending", pending);
                    format!("{}{this}  {}", m.node_id, line.text(env.lang))
                })
                .collect::<Vec<_>>()
                .join("\n");
            let text = match status.storage {
                Some(s) => format!(
                    "{text}\n{}",
                    Said::new("cli-storage")
                        .with("used", s.used_bytes.div_ceil(1024 * 1024))
                        .with("quota", s.quota_bytes / (1024 * 1024))
                        .text(env.lang)
                ),
                None => text,
            };
            Ok(Answer::new(
                json!({ "head": status.head, "machines": status.machines, "storage": status.storage }),
                text,
            ))
        }
        crate::args::MachinesCommand::Invite { .. } => unreachable!("crate::lan::invite"),
        crate::args::MachinesCommand::Revoke { email, node } => {
            let password = crate::commands::secret("AYADA_PASSWORD")?;
            let code = std::env::var("AYADA_TOTP").ok();
            let revoked =
                ayada_client::revoke_with_code(&clinic, &email, &password, &node, code.as_deref())?;
            Ok(Answer::new(
                json!({ "node_id": node, "revoked": revoked }),
                Said::new("cli-revoked")
                    .with("node", &node)
                    .with("revoked", revoked)
                    .text(env.lang),
            ))
        }
    }
}
