//! `enroll` and `sync` from the command line, over ayada-client.

use ayada_client::ClientError;
use serde_json::json;

use crate::{Answer, Env, Failure};

impl From<ClientError> for Failure {
    fn from(err: ClientError) -> Self {
        match err {
            ClientError::Core(e) => Failure::Core(e),
            ClientError::Said { en, ar } => Failure::Usage { en, ar },
        }
    }
}

/// Enrolls this machine: the first one seeds the server with its clinic; a machine with an
/// empty data folder joins the clinic the server holds.
pub fn enroll(env: &Env, server: &str, email: &str) -> Result<Answer, Failure> {
    let password = crate::commands::secret("AYADA_PASSWORD")?;
    let done = ayada_client::enroll(&env.data, &env.key, server, email, &password)?;
    let text = if done.seeded {
        format!(
            "This machine is enrolled and its clinic {} now lives on {server}. Run sync.",
            done.clinic_id
        )
    } else {
        format!(
            "This machine is enrolled into clinic {}. Run sync to bring the clinic here.",
            done.clinic_id
        )
    };
    Ok(Answer::new(
        json!({ "clinic_id": done.clinic_id, "node_id": done.node_id, "seeded": done.seeded }),
        text,
    ))
}

/// One round: push what the server lacks, then pull what this machine lacks.
pub fn sync(env: &Env, batch: usize) -> Result<Answer, Failure> {
    let mut clinic = ayada_core::Clinic::open(&env.data, &env.key)?;
    let round = ayada_client::sync(&mut clinic, batch)?;
    let (pushed, pulled, new) = (round.pushed, round.pulled, round.new);
    let note = match env.lang {
        ayada_core::Lang::Ar => format!("أُرسل {pushed} وجُلب {pulled} ({new} جديد)."),
        ayada_core::Lang::En => format!("Sent {pushed}, received {pulled} ({new} new)."),
    };
    let refused: Vec<_> = round
        .refused
        .iter()
        .map(|r| json!({ "hash": r.hash, "reason": r.reason }))
        .collect();
    Ok(Answer::new(
        json!({ "pushed": pushed, "pulled": pulled, "new": new, "refused": refused }),
        note,
    ))
}
