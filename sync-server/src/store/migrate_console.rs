//! The console's rows in a move to PostgreSQL (`migrate`). Each clinic's own (its payments,
//! its hold, its termination, its owner's invitations and second factor) always move with
//! it. The platform's own (admins, tiers, the admin audit log, the emails) move only into a
//! database whose console has none yet: a hash-chained log cannot be merged into another,
//! and two sets of tiers would bill twice. Console sessions never move (admins log in again).

use r2d2_postgres::postgres::Transaction;
use rusqlite::Connection;

use super::migrate::{copy, Kind, Reseal, Table};
use super::StoreError;
use Kind::*;

/// What became of the console's rows.
#[derive(Debug, Default, serde::Serialize)]
pub struct ConsoleMoved {
    /// The clinics' rows moved (payments, holds, terminations, invitations, second factors).
    pub clinic_rows: u64,
    /// The platform's rows moved (admins, tiers, audit rows, emails); None when the target's
    /// console had its own, which were kept.
    pub platform_rows: Option<u64>,
}

/// Each clinic's own.
const CLINICS: &[Table] = &[
    Table {
        name: "payments",
        columns: &[
            ("clinic_id", Text),
            ("amount_piastres", Int),
            ("paid_on", Text),
            ("method", Text),
            ("reference", Text),
            ("period_from", Text),
            ("period_to", Text),
            ("tier", Text),
            ("recorded_by", Text),
            ("recorded_at", Int),
        ],
        identity: false,
    },
    Table {
        name: "clinic_holds",
        columns: &[("clinic_id", Text), ("note", Text), ("since", Int)],
        identity: false,
    },
    Table {
        name: "terminations",
        columns: &[
            ("clinic_id", Text),
            ("at", Int),
            ("delete_after", Int),
            ("by_admin", Text),
            ("note", Text),
            ("link_hash", Text),
            ("deleted_at", Int),
        ],
        identity: false,
    },
    Table {
        name: "owner_invites",
        columns: &[
            ("token_hash", Text),
            ("clinic_id", Text),
            ("email", Text),
            ("expires_at", Int),
            ("used_at", Int),
        ],
        identity: false,
    },
    // Sealed with the clinic's key, which moves with the clinic.
    Table {
        name: "owner_totp",
        columns: &[
            ("clinic_id", Text),
            ("secret", Text),
            ("enrolled", Bool),
            ("last_step", Int),
        ],
        identity: false,
    },
];

/// The platform's own.
const PLATFORM: &[Table] = &[
    Table {
        name: "admins",
        columns: &[
            ("email", Text),
            ("password_hash", Text),
            (
                "totp_secret",
                PlatformSealed {
                    prefix: "admins/",
                    key: 0,
                    suffix: "/totp",
                },
            ),
            ("totp_enrolled", Bool),
            ("last_totp_step", Int),
            ("created_at", Int),
        ],
        identity: false,
    },
    Table {
        name: "tiers",
        columns: &[
            ("name", Text),
            ("min_staff", Int),
            ("max_staff", Int),
            ("monthly_piastres", Int),
        ],
        identity: false,
    },
    Table {
        name: "admin_audit",
        columns: &[
            ("seq", Int),
            ("at", Int),
            ("admin", Text),
            ("action", Text),
            ("subject", Text),
            ("address", Text),
            ("prev", Text),
            ("hash", Text),
        ],
        identity: false,
    },
    Table {
        name: "emails",
        columns: &[
            ("idem_key", Text),
            ("to_addr", Text),
            ("subject", Text),
            (
                "body",
                PlatformSealed {
                    prefix: "emails/",
                    key: 0,
                    suffix: "",
                },
            ),
            ("kind", Text),
            ("state", Text),
            ("attempts", Int),
            ("next_at", Int),
            ("last_error", Text),
            ("resend_id", Text),
            ("created_at", Int),
        ],
        identity: false,
    },
];

/// Moves the console's rows from the SQLite platform database into PostgreSQL's.
pub(super) fn copy_console(
    src: &Connection,
    tx: &mut Transaction<'_>,
    reseal: &Reseal,
) -> Result<ConsoleMoved, StoreError> {
    let mut moved = ConsoleMoved::default();
    for t in CLINICS {
        moved.clinic_rows += copy(src, tx, "platform", t, reseal)?;
    }
    let own: i64 = tx
        .query_one(
            "SELECT (SELECT COUNT(*) FROM platform.admins) + (SELECT COUNT(*) FROM platform.tiers)
                  + (SELECT COUNT(*) FROM platform.admin_audit)",
            &[],
        )?
        .get(0);
    if own == 0 {
        let mut rows = 0;
        for t in PLATFORM {
            rows += copy(src, tx, "platform", t, reseal)?;
        }
        moved.platform_rows = Some(rows);
    }
    Ok(moved)
}
