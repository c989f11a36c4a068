//! The drawer's money through the public API: exact sums that balance, the desk seeing its
//! open shift but not its money, and a receptionist's denied read audited.

use ayada_core::cashbook::Method;
use ayada_core::time::{parse_date, parse_time};
use ayada_core::{CoreError, Money, Role};

mod support;

use support::fixture::*;
use support::patient;

#[test]
fn a_receptionist_is_denied_the_money_and_the_denial_is_audited() {
    let f = fixture();
    let (mut clinic, owner, reception, doctor) = staffed(&f);
    let today = clinic.time().today();
    let err = clinic.cash_summary(&reception, today).unwrap_err();
    assert!(matches!(err, CoreError::Forbidden { .. }));
    assert_eq!(err.to_string(), "A receptionist may not read the money (cash totals, reports, revenue). Ask the clinic owner if you need this.");
    assert!(clinic.cash_summary(&doctor, today).is_err());
    assert!(clinic
        .add_staff(&reception, "x", "x", Role::Owner, STAFF_PASSWORD)
        .is_err());
    assert!(clinic
        .set_visit_type(&reception, "examination", Money(1), None)
        .is_err());
    let log = clinic.audit_log(&owner, 50).unwrap();
    let denied: Vec<_> = log
        .iter()
        .filter(|r| r.outcome == "denied")
        .map(|r| (r.actor.as_str(), r.action.as_str()))
        .collect();
    assert!(denied.contains(&("reception", "read-money")), "{denied:?}");
    assert!(denied.contains(&("dr.sara", "read-money")), "{denied:?}");
    assert!(
        denied.contains(&("reception", "manage-staff")),
        "{denied:?}"
    );
    assert!(
        denied.contains(&("reception", "manage-settings")),
        "{denied:?}"
    );
    assert!(clinic.audit_log(&reception, 5).is_err());
    // A failed login is audited under the login tried, never with the password.
    assert!(matches!(
        clinic.login("reception", "wrong-password"),
        Err(CoreError::LoginFailed)
    ));
    let log = clinic.audit_log(&owner, 5).unwrap();
    assert!(log
        .iter()
        .any(|r| r.action == "login" && r.outcome == "failed" && r.actor == "reception"));
    assert!(!log.iter().any(|r| r.subject.contains("wrong-password")));
}

#[test]
fn money_sums_are_exact_and_the_drawer_balances() {
    let f = fixture();
    let (mut clinic, owner, reception, doctor) = staffed(&f);
    assert!(matches!(
        clinic.pay(
            &reception,
            ayada_core::ids::AppointmentId::new(),
            Money(1),
            Method::Cash,
            None
        ),
        Err(CoreError::NotFound { .. })
    ));
    let today = clinic.time().today();
    let mut amounts = Vec::new();
    let p = patient(&mut clinic, &reception, "Omar", "01011111111");
    let first = book(&mut clinic, &reception, p, "2030-01-05 10:00").unwrap();
    let err = clinic
        .pay(&reception, first.id, Money(100), Method::Cash, None)
        .unwrap_err();
    assert!(
        matches!(err, CoreError::NoOpenShift),
        "cash needs an open drawer: {err:?}"
    );
    clinic
        .open_shift(&reception, Money::parse("500").unwrap())
        .unwrap();
    assert!(matches!(
        clinic.open_shift(&reception, Money(0)),
        Err(CoreError::ShiftAlreadyOpen)
    ));
    let mut cash = 0;
    for (i, text) in ["350.50", "0.10", "0.20", "1234.55", "0.01", "99.99"]
        .iter()
        .enumerate()
    {
        let a = if i == 0 {
            first.clone()
        } else {
            book(
                &mut clinic,
                &reception,
                p,
                &format!("2030-01-05 1{}:00", i.min(3)),
            )
            .unwrap_or_else(|_| {
                book(
                    &mut clinic,
                    &reception,
                    p,
                    &format!("2030-01-06 1{}:20", i - 2),
                )
                .unwrap()
            })
        };
        let amount = Money::parse(text).unwrap();
        let method = if i % 3 == 2 {
            Method::Card
        } else {
            Method::Cash
        };
        let entry = clinic.pay(&reception, a.id, amount, method, None).unwrap();
        if method == Method::Cash {
            cash += amount.minor();
        }
        amounts.push((entry.id, amount, method));
    }
    let insured = book(&mut clinic, &reception, p, "2030-01-07 10:00").unwrap();
    assert!(
        clinic
            .pay(&reception, insured.id, Money(100), Method::Insurance, None)
            .is_err(),
        "insurer required"
    );
    assert!(clinic
        .pay(
            &reception,
            insured.id,
            Money(100),
            Method::Insurance,
            Some("Unknown Co")
        )
        .is_err());
    clinic
        .pay(
            &reception,
            insured.id,
            Money(30_000),
            Method::Insurance,
            Some("axa egypt"),
        )
        .unwrap();
    let (paid_id, _, _) = amounts[0];
    assert!(
        clinic
            .refund(
                &reception,
                paid_id,
                Money::parse("350.51").unwrap(),
                "overcharged"
            )
            .is_err(),
        "refund above the payment"
    );
    clinic
        .refund(
            &reception,
            paid_id,
            Money::parse("50.50").unwrap(),
            "discount",
        )
        .unwrap();
    clinic
        .add_expense(
            &reception,
            Money::parse("75.25").unwrap(),
            "supplies",
            "gauze",
        )
        .unwrap();
    let summary = clinic.cash_summary(&owner, today).unwrap();
    let total: i64 = amounts.iter().map(|(_, m, _)| m.minor()).sum::<i64>() + 30_000;
    assert_eq!(summary.net_revenue.minor(), total - 5_050);
    assert_eq!(summary.payments["insurance"], Money(30_000));
    assert_eq!(summary.by_insurer["AXA Egypt"], Money(30_000));
    assert_eq!(summary.net_cash.minor(), cash - 5_050 - 7_525);
    assert_eq!(summary.expenses["supplies"], Money(7_525));
    // The receptionist counts blind; the owner reads expected and difference afterwards.
    let closed = clinic
        .close_shift(
            &reception,
            Money(50_000 + cash - 5_050 - 7_525 - 100),
            "one pound short",
        )
        .unwrap();
    assert_eq!(closed.expected, None);
    let _ = doctor;
    let shift_rows = clinic
        .projection_snapshot()
        .unwrap()
        .into_iter()
        .filter(|r| r.starts_with("shifts:"))
        .collect::<Vec<_>>();
    assert_eq!(shift_rows.len(), 1);
    assert!(shift_rows[0].contains("Integer(-100)"), "{shift_rows:?}");
}

#[test]
fn the_desk_sees_whether_its_drawer_is_open_and_since_when_but_not_its_money() {
    let f = fixture();
    let (mut clinic, owner, reception, doctor) = staffed(&f);
    assert_eq!(clinic.open_shift_here(&reception).unwrap(), None);
    let nine = clinic
        .time()
        .instant(
            parse_date("2026-11-23").unwrap(),
            parse_time("09:45").unwrap(),
        )
        .unwrap();
    clinic.set_clock(Some(nine));
    let opened = clinic.open_shift(&reception, Money(50_000)).unwrap();
    let open = clinic.open_shift_here(&reception).unwrap().unwrap();
    assert_eq!(open.id, opened.id);
    assert_eq!(open.opened_by, "reception");
    assert_eq!(open.opened_by_name, "منى");
    assert_eq!(open.opened_at, "2026-11-23 09:45", "on the clinic's clock");
    let shown = serde_json::to_string(&open).unwrap();
    assert!(
        !shown.contains("500"),
        "no float in what the desk reads: {shown}"
    );
    assert_eq!(clinic.open_shift_here(&owner).unwrap(), Some(open));
    assert!(matches!(
        clinic.open_shift_here(&doctor),
        Err(CoreError::Forbidden { .. })
    ));
    clinic.close_shift(&reception, Money(50_000), "").unwrap();
    assert_eq!(clinic.open_shift_here(&reception).unwrap(), None);
}
