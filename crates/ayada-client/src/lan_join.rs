//! A new machine joins the clinic through a machine already in it, over the LAN, for when
//! the sync server cannot be reached. The owner opens an invitation on an enrolled machine,
//! which shows a join code; typed on the new machine, the code finds that machine and proves
//! each side to the other:
//!
//! - half of the code is a fingerprint of the inviting machine's key: the new machine talks
//!   only to the machine whose key matches, so nobody else on the LAN can pose as it;
//! - the other half is a one-time secret: the inviting machine lists the new machine's key
//!   (the one it proved in the TLS handshake) in the clinic's document only for it, on the
//!   authority of the owner who opened the invitation ([`Clinic::accept_machine_invite`]).
//!
//! The same connection then carries the new machine's first round: it loads the clinic's
//! documents from the inviting machine, whose key it keeps as vouched for by the code until
//! the clinic's list names it. When the server is back, the new machine enrolls with it like
//! any machine of the clinic.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ayada_core::ids::{ClinicId, NodeId};
use ayada_core::{Clinic, CoreError, KeySource, Said, Session};
use data_encoding::BASE32_NOPAD;
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::drive::{drive, OnBootstrap, Side};
use crate::lan::{
    identity, new_identity, open, provider, public_key, read_frame, tls_failed, write_frame,
    Identity, LanPeer, Verifier,
};
use crate::{ClientError as Failure, ClinicAccess, Round};

/// Bytes of the inviting machine's key fingerprint in a join code.
const FINGERPRINT: usize = 10;
/// Bytes of the one-time secret in a join code.
const SECRET: usize = 10;
/// How long a new machine looks for the inviting machine on the LAN.
const LOOK_FOR: Duration = Duration::from_secs(15);

/// What the new machine types: the inviting machine's key fingerprint and the secret, as 32
/// letters and digits in groups of four.
#[derive(Clone, PartialEq, Eq)]
pub struct JoinCode {
    fingerprint: [u8; FINGERPRINT],
    secret: [u8; SECRET],
}

impl std::fmt::Debug for JoinCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // It holds a secret: never in a log.
        f.write_str("JoinCode(..)")
    }
}

impl std::fmt::Display for JoinCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bytes: Vec<u8> = self
            .fingerprint
            .iter()
            .chain(&self.secret)
            .copied()
            .collect();
        let text = BASE32_NOPAD.encode(&bytes);
        let groups: Vec<&str> = text
            .as_bytes()
            .chunks(4)
            .map(|g| std::str::from_utf8(g).unwrap_or_default())
            .collect();
        f.write_str(&groups.join("-"))
    }
}

impl JoinCode {
    /// Reads a code as a person typed it: any case, with or without dashes and spaces, and
    /// the digits 0, 1 and 8 taken for the letters O, I and B they look like.
    pub fn parse(text: &str) -> Result<JoinCode, Failure> {
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| match c.to_ascii_uppercase() {
                '0' => 'O',
                '1' => 'I',
                '8' => 'B',
                other => other,
            })
            .collect();
        let bytes = BASE32_NOPAD
            .decode(cleaned.as_bytes())
            .ok()
            .filter(|b| b.len() == FINGERPRINT + SECRET)
            .ok_or_else(|| Failure::said(Said::new("client-lan-bad-code")))?;
        let mut code = JoinCode {
            fingerprint: [0; FINGERPRINT],
            secret: [0; SECRET],
        };
        code.fingerprint.copy_from_slice(&bytes[..FINGERPRINT]);
        code.secret.copy_from_slice(&bytes[FINGERPRINT..]);
        Ok(code)
    }

    /// Whether `key` (a DER SubjectPublicKeyInfo) is the inviting machine's.
    fn names(&self, key: &[u8]) -> bool {
        fingerprint(key) == self.fingerprint
    }
}

fn fingerprint(key: &[u8]) -> [u8; FINGERPRINT] {
    let digest = sha2::Sha256::digest(key);
    let mut out = [0; FINGERPRINT];
    out.copy_from_slice(&digest[..FINGERPRINT]);
    out
}

/// An open invitation, as the owner's screen shows it.
#[derive(Clone)]
pub struct Invitation {
    /// The join code to type on the new machine.
    pub code: String,
    /// When it closes if unused.
    pub expires_at: jiff::Timestamp,
}

impl std::fmt::Debug for Invitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invitation")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Opens an invitation on this machine (owner). The new machine will trust this one by the
/// clinic's list once it holds it, so this machine is listed first if it is not yet (a clinic
/// that never had a sync server); a revoked machine invites nobody.
pub fn invite(clinic: &mut Clinic, owner: &Session) -> Result<Invitation, Failure> {
    let me = identity(clinic)?;
    let node = clinic.node().to_string();
    let listed = clinic
        .machine_keys()?
        .into_iter()
        .find(|m| m.node_id == node);
    match listed {
        Some(m) if m.revoked || m.key != me.key_hex => {
            return Err(Failure::said(Said::new("client-lan-invite-revoked")));
        }
        Some(_) => {}
        None => {
            clinic.certify_machine(owner, &node, "", &me.key_hex)?;
        }
    }
    let opened = clinic.invite_machine(owner)?;
    let key = hex::decode(&me.key_hex).map_err(tls_failed)?;
    let code = JoinCode {
        fingerprint: fingerprint(&key),
        secret: opened.secret,
    };
    Ok(Invitation {
        code: code.to_string(),
        expires_at: opened.expires_at,
    })
}

/// What a joining machine says first (and only).
#[derive(Serialize, Deserialize)]
struct Hello {
    /// The code's secret, hex.
    secret: String,
    node: String,
    /// What the machine is called ("exam room").
    name: String,
}

/// The inviting machine's answer.
#[derive(Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "kebab-case")]
enum Welcome {
    Joined {
        clinic: String,
        time_zone: String,
        /// The inviting machine's node id.
        node: String,
    },
    Refused {
        /// Why, as the core's reason code.
        reason: String,
    },
}

/// The inviting side: an unlisted machine got past the handshake (an invitation is open
/// here), and may say nothing but its hello. Answers the node id it is now listed as.
pub(crate) fn welcome<A: ClinicAccess + ?Sized>(
    tls: &mut (impl Read + Write),
    access: &A,
    key: &[u8],
) -> Result<String, Failure> {
    let hello: Hello = read_frame(tls)?.ok_or_else(|| tls_failed("hung up"))?;
    let secret = hex::decode(&hello.secret).unwrap_or_default();
    let done = access.with(&mut |c| match c.accept_machine_invite(
        &secret,
        &hello.node,
        &hello.name,
        &hex::encode(key),
    ) {
        Ok(listed) => Ok(Ok((
            listed.node_id,
            Welcome::Joined {
                clinic: c.id().to_string(),
                time_zone: c.time().name().to_string(),
                node: c.node().to_string(),
            },
        ))),
        Err(CoreError::Invalid { reason, .. }) => Ok(Err(Welcome::Refused { reason })),
        Err(e) => Err(e.into()),
    })?;
    match done {
        Ok((node, joined)) => {
            write_frame(tls, &joined)?;
            Ok(node)
        }
        Err(refused) => {
            write_frame(tls, &refused)?;
            Err(tls_failed("a join code was refused"))
        }
    }
}

/// What joining did.
#[derive(Debug, Clone)]
pub struct Joined {
    /// The clinic this machine now holds.
    pub clinic_id: ClinicId,
    /// This machine's new node id.
    pub node_id: NodeId,
    /// The machine it joined through.
    pub through: String,
    /// Its first round (the clinic's documents loaded).
    pub round: Round,
}

/// Joins the clinic through the machine that showed `code`: found at one of `at`, or by
/// mDNS on the LAN when `at` is empty. The data folder `data` must hold no clinic yet; the
/// new store's key comes from `key`. `name` is what the owner will see the machine called.
pub fn join(
    data: &std::path::Path,
    key: &KeySource,
    code: &str,
    name: &str,
    at: &[SocketAddr],
    on_bootstrap: OnBootstrap<'_>,
) -> Result<Joined, Failure> {
    let code = JoinCode::parse(code)?;
    match Clinic::open(data, key) {
        Err(CoreError::NoClinic { .. }) => {}
        Ok(_) => return Err(Failure::said(Said::new("client-lan-join-not-empty"))),
        Err(e) => return Err(e.into()),
    }
    let node = NodeId::new();
    let (pair, _) = new_identity(&node.to_string())?;
    let me = Identity::of(pair.0.clone(), pair.1.clone())?;
    let mut tls = find(&me, &code, at)?;
    let inviter = tls
        .conn
        .peer_certificates()
        .and_then(|certs| public_key(certs.first()?))
        .ok_or_else(|| tls_failed("no certificate"))?;
    let hello = Hello {
        secret: hex::encode(code.secret),
        node: node.to_string(),
        name: name.trim().to_string(),
    };
    write_frame(&mut tls, &hello)?;
    let (clinic, time_zone, through) = match read_frame(&mut tls)? {
        Some(Welcome::Joined {
            clinic,
            time_zone,
            node,
        }) => (clinic, time_zone, node),
        Some(Welcome::Refused { reason }) => {
            return Err(CoreError::invalid("invitation", reason).into())
        }
        None => return Err(tls_failed("the other machine hung up")),
    };
    let clinic_id: ClinicId = clinic.parse().map_err(CoreError::from)?;
    let mut clinic = Clinic::join(data, key, clinic_id, node, &time_zone)?;
    clinic.set_lan_identity(&pair.0, &pair.1)?;
    clinic.set_lan_pin(&through, &hex::encode(inviter))?;
    let access = Mutex::new(clinic);
    let mut peer = LanPeer::over(tls, through.clone());
    let round = drive(
        &access,
        &mut peer,
        &Side::Machine(through.clone()),
        500,
        on_bootstrap,
    )?;
    Ok(Joined {
        clinic_id,
        node_id: node,
        through,
        round,
    })
}

/// The inviting machine's connection: at one of `at`, or the first machine mDNS finds whose
/// key the code names.
fn find(me: &Identity, code: &JoinCode, at: &[SocketAddr]) -> Result<crate::lan::Tls, Failure> {
    let try_at = |addr: SocketAddr| {
        let code = code.clone();
        let verifier = Verifier {
            admits: Arc::new(move |key| code.names(key)),
            provider: provider(),
        };
        open(me, verifier, addr)
    };
    if !at.is_empty() {
        let mut last = None;
        for addr in at {
            match try_at(*addr) {
                Ok(tls) => return Ok(tls),
                Err(e) => last = Some(e),
            }
        }
        return Err(last.unwrap_or_else(not_found));
    }
    let deadline = Instant::now() + LOOK_FOR;
    let mut tried = std::collections::BTreeSet::new();
    let found = crate::lan_loop::browse(deadline, &mut |addr| {
        if tried.insert(addr) {
            try_at(addr).ok()
        } else {
            None
        }
    })?;
    found.ok_or_else(not_found)
}

fn not_found() -> Failure {
    Failure::said(Said::new("client-lan-join-not-found"))
}
