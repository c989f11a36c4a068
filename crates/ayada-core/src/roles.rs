//! Who may do what. Every ayada-core operation asks `Session::allow` before it touches
//! anything, so no interface (desktop, CLI, server) can forget a check.

use crate::error::{CoreError, Result};
use crate::ids::StaffId;

pub use ayada_model::clinic::Role;

/// Something a person may or may not be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Add, change or deactivate staff accounts.
    ManageStaff,
    /// Change clinic details, visit types, prices, insurers, schedules.
    ManageSettings,
    /// Look up patients and their contact details, appointments, schedules.
    ReadFrontDesk,
    /// Register or edit patients.
    WritePatients,
    /// Book, check in, cancel.
    Book,
    /// Read vitals, diagnoses, notes and photos.
    ReadClinical,
    /// Write vitals, diagnoses, notes and photos.
    WriteClinical,
    /// Record payments and refunds.
    TakePayment,
    /// Record expenses paid from the drawer.
    RecordExpense,
    /// Open and close the cash-drawer shift.
    RunShift,
    /// Read cash totals, reports, revenue and expense lists.
    ReadMoney,
    /// Bulk-import patients.
    ImportPatients,
    /// Verify the audit log and read it.
    ReadAudit,
    /// Fill the clinic with generated demo data.
    GenerateDemo,
    /// Close a day into its numbered, immutable Z-report.
    CloseDay,
    /// Print a receipt for a payment.
    PrintReceipt,
    /// Make an encrypted backup, or export the clinic's data (clinical records included).
    BackupExport,
    /// Mark a doctor away for a day or a range (and take it back).
    MarkAbsence,
}

impl Action {
    /// The id of its description in the message catalogues (`action-…`).
    pub fn id(self) -> &'static str {
        match self {
            Action::ManageStaff => "manage-staff",
            Action::ManageSettings => "manage-settings",
            Action::ReadFrontDesk => "read-front-desk",
            Action::WritePatients => "write-patients",
            Action::Book => "book",
            Action::ReadClinical => "read-clinical",
            Action::WriteClinical => "write-clinical",
            Action::TakePayment => "take-payment",
            Action::RecordExpense => "record-expense",
            Action::RunShift => "run-shift",
            Action::ReadMoney => "read-money",
            Action::ImportPatients => "import-patients",
            Action::ReadAudit => "read-audit",
            Action::GenerateDemo => "generate-demo",
            Action::CloseDay => "close-day",
            Action::PrintReceipt => "print-receipt",
            Action::BackupExport => "backup-export",
            Action::MarkAbsence => "mark-absence",
        }
    }
}

/// The permission matrix. Reading money is the owner's alone; clinical records are the
/// doctors'; the front desk records money but cannot read totals back.
pub fn allowed(role: Role, action: Action) -> bool {
    use Action::*;
    match role {
        Role::Owner => !matches!(action, WriteClinical | ReadClinical),
        Role::Doctor => matches!(
            action,
            ReadFrontDesk | WritePatients | Book | ReadClinical | WriteClinical
        ),
        Role::Receptionist => matches!(
            action,
            ReadFrontDesk
                | WritePatients
                | Book
                | TakePayment
                | RecordExpense
                | RunShift
                | ImportPatients
                | PrintReceipt
                | MarkAbsence
        ),
    }
}

/// A logged-in staff member. Only `Clinic::login` (or `init`) makes one, so holding a
/// session proves the password was checked.
#[derive(Debug, Clone)]
pub struct Session {
    pub(crate) staff_id: StaffId,
    pub(crate) login: String,
    pub(crate) name: String,
    pub(crate) role: Role,
}

impl Session {
    /// The staff member's id.
    pub fn staff_id(&self) -> StaffId {
        self.staff_id
    }
    /// Their login.
    pub fn login(&self) -> &str {
        &self.login
    }
    /// Their display name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Their role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Refuses an action this role may not take.
    pub fn allow(&self, action: Action) -> Result<()> {
        if allowed(self.role, action) {
            Ok(())
        } else {
            Err(CoreError::Forbidden {
                action: action.id().to_string(),
                role: self.role.as_str().to_string(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_owner_reads_money_and_only_doctors_write_clinical_records() {
        assert!(allowed(Role::Owner, Action::ReadMoney));
        assert!(!allowed(Role::Receptionist, Action::ReadMoney));
        assert!(!allowed(Role::Doctor, Action::ReadMoney));
        assert!(allowed(Role::Receptionist, Action::TakePayment));
        assert!(allowed(Role::Doctor, Action::WriteClinical));
        assert!(!allowed(Role::Receptionist, Action::WriteClinical));
        assert!(!allowed(Role::Receptionist, Action::ReadClinical));
        assert!(!allowed(Role::Receptionist, Action::ManageStaff));
        assert!(!allowed(Role::Doctor, Action::ManageSettings));
    }
}
