//! The answering side of a round between two machines of the clinic: what this machine says
//! when another one (on the LAN, or in the test network) asks. The asking side is the same
//! core the sync server is driven with ([`crate::drive`]); the pages follow the rule the
//! server uses ([`PullResponse::page`]), and a push is checked by the same checks as
//! any change from a peer before it is applied.

use ayada_core::replication::IncomingChange;
use ayada_core::{Clinic, Said};
use ayada_sync::messages::{MAX_BOOTSTRAP_PAGE_BYTES, PROTOCOL_VERSION};
use ayada_sync::replica::{Request, Response};
use ayada_sync::{BootstrapResponse, Cursor, PullResponse, PushResponse, Refusal, WireDoc};

use crate::ClientError as Failure;

/// The most changes one page carries, whatever was asked.
const MOST_PER_PAGE: u32 = 1000;

/// Answers `request` from the machine `from` (its node id) of this clinic. The caller has
/// already proved who `from` is; everything it sends is checked here like any peer's.
pub fn answer(clinic: &mut Clinic, from: &str, request: Request) -> Result<Response, Failure> {
    Ok(match request {
        Request::Pull { since, limit } => {
            let limit = limit.clamp(1, MOST_PER_PAGE) as usize;
            let head = clinic.log_head()?.max(0) as u64;
            let rows = clinic
                .changes_after(since.min(i64::MAX as u64) as i64, limit)?
                .into_iter()
                .map(|l| {
                    let wire = ayada_sync::WireChange {
                        doc_id: l.doc_id,
                        hash: l.hash,
                        bytes: l.bytes,
                    };
                    (l.seq as u64, wire)
                })
                .collect();
            Response::Pull(PullResponse::page(since, rows, head))
        }
        Request::Push(push) => {
            push.check()
                .map_err(|e| Failure::said(Said::new("client-unexpected").with("detail", e)))?;
            let mut answer = PushResponse {
                refused: push.oversized(),
                ..PushResponse::default()
            };
            let incoming: Vec<IncomingChange> = push
                .changes
                .into_iter()
                .filter(|c| !answer.refused.iter().any(|r| r.hash == c.hash))
                .map(|c| IncomingChange {
                    doc_id: c.doc_id,
                    hash: c.hash,
                    bytes: c.bytes,
                })
                .collect();
            let report = clinic.apply_changes_from(&incoming, from)?;
            // A change held aside is kept here durably: the sender may count it as delivered.
            answer.accepted = report.accepted;
            answer.accepted.extend(report.deferred);
            answer.refused.extend(
                report
                    .refused
                    .into_iter()
                    .map(|(hash, reason)| Refusal { hash, reason }),
            );
            Response::Push(answer)
        }
        Request::Photo { sha256 } => Response::Photo {
            bytes: if ayada_sync::valid_blob_name(&sha256) {
                clinic.blob(&sha256)?
            } else {
                None
            },
        },
        Request::Bootstrap { after } => {
            let page =
                clinic.docs_page(after.as_deref().unwrap_or(""), MAX_BOOTSTRAP_PAGE_BYTES)?;
            Response::Bootstrap(BootstrapResponse {
                version: PROTOCOL_VERSION,
                as_of: Cursor(page.as_of),
                total: page.total,
                docs: page
                    .docs
                    .into_iter()
                    .map(|(doc_id, bytes)| WireDoc { doc_id, bytes })
                    .collect(),
                next: page.next,
            })
        }
    })
}
