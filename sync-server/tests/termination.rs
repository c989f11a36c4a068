//! A clinic leaves the platform, over loopback HTTP: the operator ends its subscription from
//! the console (the slug typed to confirm, the form's CSRF token checked), its machines are
//! refused with `ended`, its portal closes, its owner gets the download link by email and,
//! with the password and a passphrase, the whole export; after the window the sweep deletes
//! it, and the link, the machines and the owner's password open nothing any more.

mod admin;
mod story;

use admin::*;
use ayada_server::store::{AdminStore, Store, TerminationStore};

/// The download link's path in the termination email.
fn link_in_email(live: &Live) -> String {
    let email = live
        .store
        .emails(20)
        .unwrap()
        .into_iter()
        .find(|e| e.kind == "clinic-ended")
        .expect("the owner is emailed");
    assert_eq!(email.to, OWNER);
    let at = email.body.find("/owner/export/").expect("a link");
    email.body[at..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

fn export_files(bytes: &[u8], passphrase: &str) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    ayada_export::read_export(bytes, passphrase, |name, bytes| {
        files.push((name.to_string(), bytes));
        Ok(())
    })
    .unwrap();
    files
}

#[test]
fn an_ended_clinic_is_refused_its_owner_downloads_everything_then_it_is_deleted_for_good() {
    let live = live(|_| {});
    let clinic = live.store.clinic_by_email(OWNER).unwrap().unwrap();
    let credential = enrolled_machine(&live);
    let edits = story::edits_of(b"\x0a\x0b", 3, "Termination Witness");
    story::push(&*live.store, &clinic.id, "patient/p1", &edits);
    live.store
        .put_blob(&clinic.id, "c0ffee", b"prescription photo", "node-1")
        .unwrap();
    assert_eq!(token(&live, &credential).status(), 200);
    let session = admin_session(&live);
    let page = format!("/admin/clinics/{}", clinic.id);
    let csrf = form_csrf(&live.get(&page, Some(&session)).text().unwrap());
    let terminate = format!("{page}/terminate");

    // A forged form (another token) and a wrong slug end nothing.
    let forged = live.post(
        &terminate,
        Some(&session),
        &[("csrf", "forged-token"), ("note", "x"), ("confirm", "nour")],
    );
    assert_eq!(forged.status(), 403);
    let wrong = live.post(
        &terminate,
        Some(&session),
        &[
            ("csrf", &csrf),
            ("lang", "en"),
            ("note", "moving away"),
            ("confirm", "other"),
        ],
    );
    assert_eq!(wrong.status(), 400);
    let said = wrong.text().unwrap();
    assert!(said.contains("not this clinic"), "{said}");
    assert!(live.store.termination(&clinic.id).unwrap().is_none());
    assert_eq!(token(&live, &credential).status(), 200);

    let ended = live.post(
        &terminate,
        Some(&session),
        &[
            ("csrf", &csrf),
            ("note", "moving to paper"),
            ("confirm", "NOUR"),
        ],
    );
    assert_eq!(ended.status(), 303);
    let shown = live
        .get(&format!("{page}?lang=en"), Some(&session))
        .text()
        .unwrap();
    assert!(shown.contains("Ended") && shown.contains("download its data until"));
    // The clinics page filters by standing.
    let listed = |status: &str| {
        live.get(&format!("/admin?lang=en&status={status}"), Some(&session))
            .text()
            .unwrap()
    };
    assert!(listed("ended").contains("Clinics (1)"));
    assert!(listed("active").contains("Clinics (0)"));
    assert!(listed("").contains("Clinics (1)"));

    // The machines are refused with the sentence; the portal is closed.
    let refused = token(&live, &credential);
    assert_eq!(refused.status(), 403);
    let said: serde_json::Value = refused.json().unwrap();
    assert_eq!(said["code"], "ended", "{said}");
    assert!(said["error"]
        .as_str()
        .unwrap()
        .contains("download its data until"));
    let closed = live.get("/c/nour?lang=en", None);
    assert_eq!(closed.status(), 503);
    assert!(closed
        .text()
        .unwrap()
        .contains("no longer takes bookings online"));

    // The owner's link: a page, then the export with the password and a passphrase.
    let link = link_in_email(&live);
    let form = live.get(&link, None);
    assert_eq!(form.status(), 200);
    let csrf_cookie = cookie_value(&set_cookie(&form, "ayada_csrf").unwrap());
    let body = form.text().unwrap();
    assert!(body.contains("عيادة النور"), "the clinic is named");
    let cookie = format!("ayada_csrf={csrf_cookie}");
    let download = |password: &str, passphrase: &str, csrf: &str| {
        live.post(
            &link,
            Some(&cookie),
            &[
                ("csrf", csrf),
                ("lang", "en"),
                ("password", password),
                ("passphrase", passphrase),
                ("again", passphrase),
            ],
        )
    };
    assert_eq!(
        download(OWNER_PW, "long enough phrase", "forged").status(),
        403
    );
    let weak = download(OWNER_PW, "short", &csrf_cookie);
    assert_eq!(weak.status(), 400);
    let wrong = download("not-the-password", "long enough phrase", &csrf_cookie);
    assert_eq!(wrong.status(), 401);
    assert!(wrong.text().unwrap().contains("not the clinic owner's"));
    let got = download(OWNER_PW, "long enough phrase", &csrf_cookie);
    assert_eq!(got.status(), 200);
    assert!(got.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("ayada-nour-"));
    let bytes = got.bytes().unwrap().to_vec();
    assert!(bytes.starts_with(ayada_export::MARK));
    assert!(
        !bytes.windows(11).any(|w| w == b"Termination"),
        "the file is sealed"
    );
    let files = export_files(&bytes, "long enough phrase");
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "clinic.json",
            "documents/patient/p1",
            "photos/c0ffee",
            "manifest.json"
        ]
    );
    let doc = automerge::Automerge::load(&files[1].1).unwrap();
    assert!(
        automerge::ReadDoc::get(&doc, automerge::ROOT, "Termination Witness")
            .unwrap()
            .is_some()
    );
    assert_eq!(files[2].1, b"prescription photo");
    let card: serde_json::Value = serde_json::from_slice(&files[0].1).unwrap();
    assert_eq!(card["platform_id"], clinic.id.as_str());

    // Thirty days later the sweep deletes it: the link, the machine and the password open
    // nothing; the console shows the tombstone; the audit keeps each step.
    let later = ayada_server::store::unix_now() + 30 * 86_400 + 1;
    assert_eq!(
        ayada_server::export::delete_due(&live.state, later).unwrap(),
        1
    );
    assert_eq!(
        ayada_server::export::delete_due(&live.state, later).unwrap(),
        0
    );
    assert_eq!(live.get(&link, None).status(), 410);
    assert_ne!(token(&live, &credential).status(), 200);
    assert_eq!(enroll(&live).status(), 401, "the owner's password is gone");
    assert!(!live
        .dir
        .path()
        .join("clinics")
        .join(format!("{}.db", clinic.id))
        .exists());
    let shown = live
        .get(&format!("{page}?lang=en"), Some(&session))
        .text()
        .unwrap();
    assert!(shown.contains("Deleted") && shown.contains("its key destroyed"));
    let actions: Vec<String> = live
        .store
        .admin_audit()
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    for action in [
        "clinic-terminated",
        "export-downloaded",
        "clinic-data-deleted",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
    assert!(live
        .store
        .emails(20)
        .unwrap()
        .iter()
        .any(|e| e.kind == "clinic-deleted"));
}
