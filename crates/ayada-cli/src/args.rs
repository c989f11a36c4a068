//! The command line: the public headless contract that scripts and tests depend on.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use crate::args_settings::{
    ImportCommand, InsurerCommand, PortalCommand, ScheduleCommand, VisitTypeCommand,
};

/// Ayada's headless companion: run a clinic from scripts and terminals.
#[derive(Debug, Parser)]
#[command(name = "ayada-cli", version, about)]
pub struct Cli {
    /// The clinic's data folder (default: the platform's data folder, or AYADA_DATA).
    #[arg(long, global = true, env = "AYADA_DATA")]
    pub data: Option<PathBuf>,
    /// Unlock the clinic with a key file (64 hex digits; `init` creates it if missing).
    /// Without it: AYADA_DB_PASSPHRASE if set, else the system keyring.
    #[arg(long, global = true)]
    pub key_file: Option<PathBuf>,
    /// Act as this staff login (password from AYADA_PASSWORD).
    #[arg(long, global = true)]
    pub user: Option<String>,
    /// Print one JSON object on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// Language of messages: en or ar (default: AYADA_LANG, then LANG).
    #[arg(long, global = true)]
    pub lang: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new clinic in an empty data folder, with its owner (password: AYADA_PASSWORD).
    Init {
        #[arg(long)]
        clinic: String,
        #[arg(long)]
        owner_login: String,
        #[arg(long, default_value = "")]
        owner_name: String,
        #[arg(long, default_value = ayada_core::time::DEFAULT_TZ)]
        tz: String,
        #[arg(long, default_value = "EGP")]
        currency: String,
    },
    /// Staff accounts (owner).
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Patients.
    #[command(subcommand)]
    Patient(PatientCommand),
    /// Book an appointment.
    Book {
        #[arg(long)]
        patient: String,
        #[arg(long)]
        doctor: String,
        /// "YYYY-MM-DD HH:MM", clinic time.
        #[arg(long)]
        at: String,
        #[arg(long = "type", default_value = "examination")]
        visit_type: String,
        /// Record it as a request (status `requested`) that holds the slot until the desk
        /// confirms or declines it, as a booking from the online portal does.
        #[arg(long)]
        request: bool,
    },
    /// Queue a patient who came without a booking for a doctor now, already waiting.
    WalkIn {
        #[arg(long)]
        patient: String,
        #[arg(long)]
        doctor: String,
        #[arg(long = "type", default_value = "examination")]
        visit_type: String,
    },
    /// Appointments.
    #[command(subcommand)]
    Appointment(AppointmentCommand),
    /// Follow-ups asked for at visits.
    #[command(subcommand)]
    FollowUp(FollowUpCommand),
    /// Visits (doctors).
    #[command(subcommand)]
    Visit(VisitCommand),
    /// Take a payment for an appointment.
    Pay {
        #[arg(long)]
        appointment: String,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        method: String,
        #[arg(long)]
        insurer: Option<String>,
    },
    /// Give money back against a payment.
    Refund {
        #[arg(long)]
        payment: String,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        reason: String,
    },
    /// Expenses.
    #[command(subcommand)]
    Expense(ExpenseCommand),
    /// The cash-drawer shift of this machine.
    #[command(subcommand)]
    Shift(ShiftCommand),
    /// Cash totals (owner).
    #[command(subcommand)]
    Cash(CashCommand),
    /// Doctors' schedules.
    #[command(subcommand)]
    Schedule(ScheduleCommand),
    /// Visit types and prices (owner).
    #[command(subcommand, name = "visit-type")]
    VisitType(VisitTypeCommand),
    /// Insurance providers (owner).
    #[command(subcommand)]
    Insurer(InsurerCommand),
    /// Online booking: what patients may book on the clinic's page (owner).
    #[command(subcommand)]
    Portal(PortalCommand),
    /// What needs a person's decision: overlapping bookings, late payments, fields two
    /// machines set to different values at once (`conflicts settle` chooses one).
    Conflicts {
        #[command(subcommand)]
        action: Option<ConflictsCommand>,
    },
    /// Bulk import.
    #[command(subcommand)]
    Import(ImportCommand),
    /// The audit log (owner).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Fill the clinic with the reference demo data (owner; staff get AYADA_NEW_PASSWORD or
    /// the owner's password). Run again on a later day, it adds only the days since.
    Demo(DemoArgs),
    /// Enroll this machine with the clinic owner's account on a sync server (password:
    /// AYADA_PASSWORD). A machine holding a clinic seeds the server with it; an empty data
    /// folder joins the clinic the server holds.
    Enroll {
        #[arg(long)]
        server: String,
        #[arg(long)]
        email: String,
    },
    /// Join the clinic through one of its machines on this network, with the join code its
    /// owner opened there (`machines invite`), when the sync server cannot be reached. The
    /// data folder must be empty; the machine is found by mDNS unless `--at` names it.
    JoinLan {
        /// The join code, as the inviting machine shows it.
        #[arg(long)]
        code: String,
        /// What the owner will see this machine called ("exam room").
        #[arg(long, default_value = "")]
        name: String,
        /// The inviting machine's LAN address (host:port), where mDNS cannot be used.
        #[arg(long)]
        at: Option<std::net::SocketAddr>,
    },
    /// Download the sync server's export of this machine's clinic once its subscription has
    /// ended (the owner's server account: password in AYADA_PASSWORD, code in AYADA_TOTP;
    /// the file is locked with AYADA_EXPORT_PASSPHRASE).
    ExportDownload {
        #[arg(long)]
        email: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Open the export of a clinic that left the sync server's service (downloaded from the
    /// link its owner was emailed) into this empty data folder: the whole clinic as a machine
    /// holds it, to sign in to and `export` from (passphrase from AYADA_EXPORT_PASSPHRASE).
    ExportOpen {
        /// The downloaded export file.
        #[arg(long)]
        file: PathBuf,
    },
    /// One sync round with the server: push, then pull.
    Sync {
        /// Changes per request (smaller suits a slow link).
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=1000))]
        batch: u32,
    },
    /// Rebuild every SQL projection from the documents.
    RebuildProjections,
    /// The clinic's machines on the sync server.
    #[command(subcommand)]
    Machines(MachinesCommand),
    /// The owner's reports: the day (Z-report), closing it, the month, revenue trends.
    #[command(subcommand)]
    Report(ReportCommand),
    /// The 80 mm receipt of a payment or refund, as a PDF.
    Receipt {
        /// The payment's (or refund's) id.
        #[arg(long)]
        payment: String,
        #[arg(long)]
        pdf: PathBuf,
    },
    /// The owner's login code on the clinic's machines (an authenticator app's code asked at
    /// every login of the owner, offline too; AYADA_LOGIN_CODE gives it to `--user`).
    #[command(subcommand)]
    LoginCode(LoginCodeCommand),
    /// Write an encrypted backup of the whole clinic (owner; passphrase from
    /// AYADA_BACKUP_PASSPHRASE).
    Backup {
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a backup into an empty data folder (passphrase from AYADA_BACKUP_PASSPHRASE).
    /// The restored clinic is a new machine: enroll it again to sync.
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
    /// Export the clinic as CSV and JSON files with its photos (owner).
    Export {
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConflictsCommand {
    /// Keep one of the values two machines wrote into a field (listed by `conflicts`).
    Settle {
        #[arg(long)]
        doc: String,
        #[arg(long)]
        record: String,
        #[arg(long)]
        field: String,
        #[arg(long)]
        value: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MachinesCommand {
    /// Every enrolled machine: last contact, unsent changes, revoked.
    List,
    /// Let one new machine join through this one over the LAN (owner, with --as): prints a
    /// join code on stderr, answers on the LAN and waits until the machine has joined or the
    /// invitation closed (15 minutes).
    Invite {
        /// Where to answer (default: every interface, any free port).
        #[arg(long, default_value = "0.0.0.0:0")]
        bind: std::net::SocketAddr,
    },
    /// Revoke a machine (a lost or stolen laptop) with the owner's account (password:
    /// AYADA_PASSWORD).
    Revoke {
        #[arg(long)]
        email: String,
        /// Its node id (see `machines list`).
        #[arg(long)]
        node: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum LoginCodeCommand {
    /// A new secret for the authenticator app (its key and otpauth address are printed).
    Start,
    /// Turns it on with a first code from the app.
    Confirm {
        #[arg(long)]
        code: String,
    },
    /// Turns it off, with a code from the app.
    Off {
        #[arg(long)]
        code: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// A day's report: the closed Z-report, or a preview of a day not closed yet.
    Day {
        /// YYYY-MM-DD, clinic time (default today).
        #[arg(long)]
        date: Option<String>,
        /// Also write it as a PDF.
        #[arg(long)]
        pdf: Option<PathBuf>,
    },
    /// Close a day into its numbered Z-report, which never changes afterwards. First syncs
    /// and asks the server whether it holds every machine's changes, and prints the answer.
    Close {
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        pdf: Option<PathBuf>,
    },
    /// Every closed day.
    Closes,
    /// A month's summary.
    Month {
        /// YYYY-MM (default this month).
        #[arg(long)]
        month: Option<String>,
        #[arg(long)]
        pdf: Option<PathBuf>,
    },
    /// Revenue and visits per day, week or month, by doctor and by method.
    Revenue {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long, default_value = "day")]
        by: String,
    },
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct DemoArgs {
    #[arg(long)]
    pub days: Option<u32>,
    #[arg(long)]
    pub years: Option<u32>,
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Add an account (password: AYADA_NEW_PASSWORD).
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        login: String,
        #[arg(long)]
        role: String,
    },
    /// List accounts.
    List,
    /// Deactivate an account.
    Deactivate {
        #[arg(long)]
        login: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PatientCommand {
    /// Register a patient.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        phone: String,
        #[arg(long)]
        gender: Option<String>,
        #[arg(long)]
        dob: Option<String>,
    },
    /// Search by name or phone (Arabic variants and digits match).
    Search { query: String },
    /// A patient's file.
    Show { id: String },
}

#[derive(Debug, Subcommand)]
pub enum AppointmentCommand {
    /// Move an appointment along: booked|arrived|in-exam|done|cancelled|no-show.
    SetStatus {
        id: String,
        status: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// A day's appointments (default today).
    List {
        #[arg(long)]
        date: Option<String>,
    },
    /// Move a booking to another time or day, or another doctor; it keeps its id.
    Move {
        id: String,
        /// "YYYY-MM-DD HH:MM", clinic time.
        #[arg(long)]
        at: String,
        /// Another doctor's login.
        #[arg(long)]
        doctor: Option<String>,
    },
    /// Cancel several bookings with one reason, all or none.
    CancelMany {
        #[arg(required = true)]
        ids: Vec<String>,
        #[arg(long)]
        reason: String,
    },
    /// Move several bookings to another doctor at the same times, all or none.
    MoveMany {
        #[arg(required = true)]
        ids: Vec<String>,
        #[arg(long)]
        doctor: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum FollowUpCommand {
    /// The follow-ups doctors asked for that are not booked yet, with a proposed slot.
    List,
    /// Book the follow-up a visit asked for (at the proposed slot unless --at is given).
    Book {
        visit: String,
        /// "YYYY-MM-DD HH:MM", clinic time.
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum VisitCommand {
    /// Record (or add to) the visit of an appointment.
    Record {
        #[arg(long)]
        appointment: String,
        /// °C, e.g. 37.5
        #[arg(long)]
        temp: Option<String>,
        /// SYS/DIA, e.g. 120/80
        #[arg(long)]
        bp: Option<String>,
        #[arg(long)]
        pulse: Option<String>,
        /// kg
        #[arg(long)]
        weight: Option<String>,
        /// cm
        #[arg(long)]
        height: Option<String>,
        #[arg(long)]
        spo2: Option<String>,
        #[arg(long)]
        diagnosis: Vec<String>,
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        photo: Vec<PathBuf>,
        /// What the visit was, if not the booking's visit type.
        #[arg(long = "type")]
        visit_type: Option<String>,
        /// Ask to see the patient again: "14" or "14d" days, "2w" weeks; 0 takes it back.
        #[arg(long = "follow-up")]
        follow_up: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExpenseCommand {
    /// Record an expense paid from the drawer.
    Add {
        #[arg(long)]
        amount: String,
        #[arg(long)]
        category: String,
        #[arg(long, default_value = "")]
        note: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ShiftCommand {
    /// Open this machine's shift.
    Open {
        #[arg(long, default_value = "0")]
        float: String,
    },
    /// Close it with the counted cash.
    Close {
        #[arg(long)]
        counted: String,
        #[arg(long, default_value = "")]
        note: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum CashCommand {
    /// A day's totals per method (default today).
    Summary {
        #[arg(long)]
        date: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the whole chain.
    Verify,
    /// The newest entries.
    Log {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}
