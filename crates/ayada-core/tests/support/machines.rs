//! Machines of one clinic that work apart and exchange their change logs by hand, the way
//! the sync server would relay them.

use ayada_core::replication::IncomingChange;
use ayada_core::{Clinic, Session};

pub const PW: &str = "owner-pass-1";

pub struct Machine {
    pub clinic: Clinic,
    /// How far this machine has read each other machine's log.
    pub cursors: Vec<i64>,
    pub _tmp: tempfile::TempDir,
}

pub fn first_machine() -> Machine {
    let tmp = tempfile::tempdir().unwrap();
    let (mut clinic, owner) = super::new_clinic(tmp.path(), "عيادة", PW);
    super::add_desk_and_doctor(&mut clinic, &owner, "desk", PW);
    Machine {
        clinic,
        cursors: vec![0; 4],
        _tmp: tmp,
    }
}

pub fn joining_machine(from: &Machine) -> Machine {
    let (clinic, _tmp) = super::joining_in_temp(&from.clinic);
    Machine {
        clinic,
        cursors: vec![0; 4],
        _tmp,
    }
}

/// Pulls everything `from` has that `to` has not read yet, in pages.
pub fn pull(machines: &mut [Machine], to: usize, from: usize) {
    loop {
        let since = machines[to].cursors[from];
        let page = machines[from].clinic.changes_after(since, 50).unwrap();
        let Some(last) = page.last().map(|c| c.seq) else {
            break;
        };
        let incoming: Vec<IncomingChange> = page.into_iter().map(Into::into).collect();
        let report = machines[to].clinic.apply_changes(&incoming).unwrap();
        assert!(
            report.refused.is_empty() && report.deferred.is_empty(),
            "{report:?}"
        );
        machines[to].cursors[from] = last;
    }
}

pub fn login(m: &mut Machine, who: &str) -> Session {
    m.clinic.login(who, PW).unwrap()
}
