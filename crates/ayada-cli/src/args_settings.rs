//! The subcommands that set the clinic up: schedules, the portal, visit types, insurers and
//! imports.

use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// Set a doctor's weekly hours; repeat --from/--to for a split day.
    Set {
        #[arg(long)]
        doctor: String,
        #[arg(long)]
        days: String,
        #[arg(long, required = true)]
        from: Vec<String>,
        #[arg(long, required = true)]
        to: Vec<String>,
        #[arg(long, default_value_t = 15)]
        slot: i64,
    },
    /// A day's free slots.
    Free {
        #[arg(long)]
        doctor: String,
        #[arg(long)]
        date: String,
    },
    /// Mark a doctor away from --from to --to (dates) with a reason; lists the bookings on
    /// those days to move or cancel.
    Absent {
        #[arg(long)]
        doctor: String,
        #[arg(long)]
        from: String,
        /// The last day away (default: --from).
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        reason: String,
    },
    /// Take back an absence from --from to --to.
    Back {
        #[arg(long)]
        doctor: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: Option<String>,
    },
    /// Mark a date as a day off (or give it other hours with --from/--to).
    Off {
        #[arg(long)]
        doctor: String,
        #[arg(long)]
        date: String,
        #[arg(long)]
        from: Vec<String>,
        #[arg(long)]
        to: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PortalCommand {
    /// What patients may book online now.
    Show,
    /// The server's latest WhatsApp messages to patients: kind and state (owner).
    Messages,
    /// Turn online booking on or off and choose what may be booked; options left out keep
    /// their value. Lists are comma-separated (doctors' logins, visit type names, hours).
    Set {
        #[arg(long)]
        enabled: Option<bool>,
        #[arg(long)]
        doctors: Option<String>,
        #[arg(long)]
        visit_types: Option<String>,
        #[arg(long)]
        days_ahead: Option<i64>,
        #[arg(long)]
        cutoff_hours: Option<i64>,
        #[arg(long)]
        reminders: Option<String>,
        #[arg(long)]
        review_link: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum VisitTypeCommand {
    /// Create or re-price a visit type.
    Set {
        #[arg(long)]
        name: String,
        #[arg(long)]
        price: String,
        #[arg(long)]
        minutes: Option<i64>,
    },
    /// List visit types and prices.
    List,
}

#[derive(Debug, Subcommand)]
pub enum InsurerCommand {
    /// Accept an insurance provider.
    Add {
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import patients from an .xlsx workbook or a CSV (any encoding and separator Excel
    /// writes); columns by their Arabic or English headings: name, phone, [gender, dob,
    /// medical history, allergies].
    Patients {
        /// The workbook or CSV file.
        #[arg(long, alias = "csv")]
        file: PathBuf,
        /// Check and report only.
        #[arg(long)]
        dry_run: bool,
        /// Import the good lines even if some are bad.
        #[arg(long)]
        skip_bad_lines: bool,
        /// A row that is a known patient fills in what their file lacks, instead of being
        /// skipped.
        #[arg(long)]
        merge_duplicates: bool,
        /// What a column holds, where its heading is not known: NUMBER=FIELD (columns from
        /// 1; name, phone, gender, dob, medical-history, allergies, ignore). Repeatable.
        #[arg(long = "column", value_name = "NUMBER=FIELD")]
        columns: Vec<String>,
    },
    /// Import future appointments from an .xlsx workbook or a CSV: the patient's name and
    /// phone (a patient the clinic does not know is registered), day, time, doctor (name or
    /// login) and visit type (examination when empty).
    Appointments {
        /// The workbook or CSV file.
        #[arg(long)]
        file: PathBuf,
        /// Check and report only.
        #[arg(long)]
        dry_run: bool,
        /// Import the good lines even if some are bad.
        #[arg(long)]
        skip_bad_lines: bool,
        /// What a column holds, where its heading is not known: NUMBER=FIELD (columns from
        /// 1; name, phone, date, time, doctor, visit-type, ignore). Repeatable.
        #[arg(long = "column", value_name = "NUMBER=FIELD")]
        columns: Vec<String>,
    },
}
