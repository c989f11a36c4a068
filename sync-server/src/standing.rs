//! A clinic's standing with the platform, computed from what the operator recorded: paid
//! through a day (or in its first free month), then a grace of a few days, then suspended;
//! or suspended by hand with a note. A suspended clinic's machines keep working offline and
//! keep everything; the server refuses their sync with a sentence that says why, and the
//! portal says online booking is paused. Paying (or lifting the hold) resumes it all.

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};

use crate::store::ClinicAccount;

/// Where a clinic stands on a given day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// The platform bills nobody (it has no tiers): only a hold suspends.
    Unbilled,
    /// Paid (or in its trial) through this day.
    Active {
        /// The last day covered.
        paid_through: Date,
        /// Whether that is the free first month.
        trial: bool,
    },
    /// Past its paid days, within the grace.
    Grace {
        /// The last day covered.
        paid_through: Date,
        /// The day sync stops unless paid.
        suspends_on: Date,
    },
    /// Suspended: why.
    Suspended(Why),
    /// Its subscription ended: its data is kept for its owner to download until this day,
    /// or deleted already.
    Ended {
        /// The last day its data is kept.
        data_until: Date,
        /// Whether it is deleted already.
        deleted: bool,
    },
}

/// Why a clinic's machines are refused, as the doors say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Its subscription ended (not suspended).
    pub ended: bool,
    /// The sentence (English; the app says it in its person's language from the code).
    pub sentence: String,
    /// An ended clinic's last day of kept data (None: suspended, or deleted).
    pub until: Option<String>,
}

impl From<Refusal> for crate::error::ApiError {
    fn from(r: Refusal) -> Self {
        if r.ended {
            crate::error::ApiError::Ended {
                sentence: r.sentence,
                until: r.until,
            }
        } else {
            crate::error::ApiError::Suspended(r.sentence)
        }
    }
}

/// Why a clinic is suspended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The operator suspended it, with this note.
    Held(String),
    /// Its grace ended with nothing paid since this day.
    Unpaid {
        /// The last day covered.
        paid_through: Date,
    },
}

/// The platform's billing rules (`ayada-server serve --grace-days`, `--trial-days`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Billing {
    /// Days after the paid-through day before sync stops.
    pub grace_days: i64,
    /// Days a new clinic works before its first payment is due.
    pub trial_days: i64,
}

impl Default for Billing {
    fn default() -> Self {
        Billing {
            grace_days: 14,
            trial_days: 30,
        }
    }
}

impl Standing {
    /// Where `account` stands on the clinic's day `today`.
    pub fn of(account: &ClinicAccount, today: Date, rules: Billing) -> Standing {
        if let Some((until, deleted)) = account.ended {
            let data_until = Timestamp::from_second(until)
                .unwrap_or(Timestamp::UNIX_EPOCH)
                .to_zoned(zone(&account.time_zone))
                .date();
            return Standing::Ended {
                data_until,
                deleted,
            };
        }
        if let Some(note) = &account.held {
            return Standing::Suspended(Why::Held(note.clone()));
        }
        if !account.billed {
            return Standing::Unbilled;
        }
        let paid = account
            .paid_through
            .as_deref()
            .and_then(|d| d.parse::<Date>().ok());
        let (paid_through, trial) = match paid {
            Some(day) => (day, false),
            None => {
                let created = Timestamp::from_second(account.created_at)
                    .unwrap_or(Timestamp::UNIX_EPOCH)
                    .to_zoned(zone(&account.time_zone))
                    .date();
                (created.saturating_add((rules.trial_days - 1).days()), true)
            }
        };
        if today <= paid_through {
            return Standing::Active {
                paid_through,
                trial,
            };
        }
        let suspends_on = paid_through.saturating_add((rules.grace_days + 1).days());
        if today < suspends_on {
            Standing::Grace {
                paid_through,
                suspends_on,
            }
        } else {
            Standing::Suspended(Why::Unpaid { paid_through })
        }
    }

    /// The clinic's standing now, on its own calendar.
    pub fn now(account: &ClinicAccount, rules: Billing) -> Standing {
        let today = Timestamp::now().to_zoned(zone(&account.time_zone)).date();
        Standing::of(account, today, rules)
    }

    /// Which of the console's filters it falls under: "active" (billed or not, trial or
    /// paid), "grace", "suspended" or "ended".
    pub fn kind(&self) -> &'static str {
        match self {
            Standing::Unbilled | Standing::Active { .. } => "active",
            Standing::Grace { .. } => "grace",
            Standing::Suspended(_) => "suspended",
            Standing::Ended { .. } => "ended",
        }
    }

    /// Whether sync and online booking are refused.
    pub fn suspended(&self) -> bool {
        matches!(self, Standing::Suspended(_) | Standing::Ended { .. })
    }

    /// The refusal a suspended or ended clinic's machines get (English; the app says it in
    /// its person's language from the code, with this as the detail); None if it may sync.
    pub fn refusal(&self) -> Option<Refusal> {
        let until = match self {
            Standing::Ended {
                data_until,
                deleted: false,
            } => Some(data_until.to_string()),
            _ => None,
        };
        let (ended, sentence) = match self {
            Standing::Suspended(Why::Held(note)) => (
                false,
                format!("The clinic's subscription is suspended by the platform: {note}."),
            ),
            Standing::Suspended(Why::Unpaid { paid_through }) => (
                false,
                format!(
                    "The clinic's subscription is suspended: nothing has been paid since {paid_through}."
                ),
            ),
            Standing::Ended { deleted: true, .. } => (
                true,
                "The clinic's subscription has ended, and its data has been deleted from the server.".into(),
            ),
            Standing::Ended { data_until, .. } => (
                true,
                format!(
                    "The clinic's subscription has ended: the server no longer syncs it. Its owner can download its data until {data_until}."
                ),
            ),
            _ => return None,
        };
        Some(Refusal {
            ended,
            sentence,
            until,
        })
    }
}

/// The refusal for clinic `clinic`'s machines if it is suspended now, from the store.
pub fn refusal_of<S: crate::store::Store + ?Sized>(
    store: &S,
    clinic: &str,
    rules: Billing,
) -> Result<Option<Refusal>, crate::store::StoreError> {
    Ok(store
        .clinic_account(clinic)?
        .and_then(|account| Standing::now(&account, rules).refusal()))
}

/// [`refusal_of`] as `memo` read it a moment ago, or from the store (and then kept): what
/// the machines' doors and the portal ask, many times a minute, the store answers a few.
pub fn refusal<S: crate::store::Store + ?Sized>(
    store: &S,
    memo: &crate::memo::Standings,
    clinic: &str,
    rules: Billing,
) -> Result<Option<Refusal>, crate::store::StoreError> {
    if let Some(refusal) = memo.cached(clinic) {
        return Ok(refusal);
    }
    let refusal = refusal_of(store, clinic, rules)?;
    memo.keep(clinic, refusal.clone());
    Ok(refusal)
}

fn zone(name: &str) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(name).unwrap_or(jiff::tz::TimeZone::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(paid_through: Option<&str>, held: Option<&str>) -> ClinicAccount {
        ClinicAccount {
            // 2026-11-01 10:00 in Cairo.
            created_at: 1_793_520_000,
            time_zone: "Africa/Cairo".into(),
            paid_through: paid_through.map(str::to_string),
            held: held.map(str::to_string),
            billed: true,
            ended: None,
        }
    }

    fn on(day: &str, a: &ClinicAccount) -> Standing {
        Standing::of(a, day.parse().unwrap(), Billing::default())
    }

    #[test]
    fn a_clinic_goes_from_active_to_grace_to_suspended_and_paying_brings_it_back() {
        let paid = account(Some("2026-12-31"), None);
        assert!(matches!(
            on("2026-12-31", &paid),
            Standing::Active { trial: false, .. }
        ));
        assert_eq!(
            on("2027-01-01", &paid),
            Standing::Grace {
                paid_through: "2026-12-31".parse().unwrap(),
                suspends_on: "2027-01-15".parse().unwrap(),
            }
        );
        assert!(matches!(on("2027-01-14", &paid), Standing::Grace { .. }));
        let late = on("2027-01-15", &paid);
        assert!(late.suspended());
        let refusal = late.refusal().unwrap();
        assert!(!refusal.ended);
        assert!(
            refusal.sentence.contains("since 2026-12-31"),
            "{}",
            refusal.sentence
        );
        assert_eq!(on("2027-01-14", &paid).refusal(), None);
        let renewed = account(Some("2027-01-31"), None);
        assert!(!on("2027-01-15", &renewed).suspended());
    }

    #[test]
    fn a_server_that_bills_nobody_never_suspends_for_want_of_payment_only_by_hand() {
        let own = ClinicAccount {
            billed: false,
            ..account(None, None)
        };
        assert_eq!(on("2030-01-01", &own), Standing::Unbilled);
        let held = ClinicAccount {
            billed: false,
            ..account(None, Some("the owner asked"))
        };
        assert!(on("2030-01-01", &held).suspended());
    }

    #[test]
    fn a_new_clinic_has_its_first_month_and_a_hold_suspends_whatever_was_paid() {
        let new = account(None, None);
        assert!(matches!(
            on("2026-11-30", &new),
            Standing::Active { trial: true, .. }
        ));
        assert!(matches!(on("2026-12-01", &new), Standing::Grace { .. }));
        let held = account(Some("2027-12-31"), Some("chargeback"));
        assert_eq!(
            on("2026-12-01", &held),
            Standing::Suspended(Why::Held("chargeback".into()))
        );
        assert!(held.paid_through.is_some());
    }

    #[test]
    fn an_ended_clinic_is_refused_whatever_it_paid_and_says_until_when_its_data_is_kept() {
        // Kept until 2027-02-01 00:30 in Cairo (2027-01-31 22:30 UTC): its own day counts.
        let ended = ClinicAccount {
            ended: Some((1_801_434_600, false)),
            ..account(Some("2030-12-31"), Some("also held"))
        };
        let standing = on("2027-01-10", &ended);
        assert_eq!(
            standing,
            Standing::Ended {
                data_until: "2027-02-01".parse().unwrap(),
                deleted: false
            }
        );
        let refusal = standing.refusal().unwrap();
        assert!(refusal.ended && refusal.sentence.contains("until 2027-02-01"));
        assert_eq!(refusal.until.as_deref(), Some("2027-02-01"));
        let deleted = ClinicAccount {
            ended: Some((1_801_434_600, true)),
            ..ended
        };
        let refusal = on("2027-03-01", &deleted).refusal().unwrap();
        assert!(refusal.sentence.contains("deleted"), "{}", refusal.sentence);
    }
}
