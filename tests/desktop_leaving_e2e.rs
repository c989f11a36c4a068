//! The real desktop app (Tauri in WebKitGTK, under Xvfb, through WebDriver) of a clinic whose
//! subscription the operator ended: its header says why it no longer syncs, in both
//! languages, and the owner downloads the server's copy of the clinic from Settings, which
//! `ayada-cli export-open` then opens. Screenshots in target/test-artifacts/desktop.

#![cfg(unix)]

mod common;
mod window;

use std::time::Duration;

use common::console::*;
use serde_json::json;
use window::*;

#[test]
fn an_ended_clinics_window_says_so_and_its_owner_downloads_the_servers_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let (resend, _emails) = fake_resend();
    let server = common::Server::start_with_env(
        &tmp.path().join("server"),
        &[
            ("AYADA_RESEND_KEY", "re_test_key"),
            ("AYADA_RESEND_URL", &resend),
        ],
    );
    let clinic = server.create_clinic("nour", common::NOUR, OWNER_PW);
    let desk =
        common::enrolled_machine(tmp.path(), "front-desk", &server, common::NOUR, OWNER_PW, 1);
    desk.ok(None, &["sync"]);
    make_admin(&server);
    end_clinic(&server, &console_session(&server), &clinic, "nour");

    let driver = start_driver(
        tmp.path(),
        &[("AYADA_DATA", &desk.data), ("AYADA_KEY_FILE", &desk.key)],
    );
    let s = Session::new(&driver, &common::bin("ayada"));
    s.log_in("owner", OWNER_PW);
    s.click("[data-test=sync-now]");
    s.wait_text_for(
        "[data-test=sync-error]",
        "subscription has ended",
        Duration::from_secs(30),
    );
    s.screenshot("23-ended-header");

    // Settings: the owner's server account and a passphrase bring the server's copy.
    s.click("[data-test=nav-settings]");
    let folder = tmp.path().join("downloads");
    std::fs::create_dir_all(&folder).unwrap();
    s.type_into("[data-test=backup-folder]", folder.to_str().unwrap());
    s.type_into("[data-test=server-export-email]", common::NOUR);
    s.type_into("[data-test=server-export-password]", "not-the-password");
    s.type_into(
        "[data-test=server-export-passphrase]",
        "olive grove at dawn",
    );
    s.click("[data-test=server-export]");
    s.wait_text_for("[data-test=error]", "wrong", Duration::from_secs(20));
    s.type_into("[data-test=server-export-password]", OWNER_PW);
    s.type_into(
        "[data-test=server-export-passphrase]",
        "olive grove at dawn",
    );
    s.click("[data-test=server-export]");
    s.wait_text_for(
        "[data-test=server-export-path]",
        ".ayada-export",
        Duration::from_secs(30),
    );
    s.script(
        "document.querySelector('[data-test=server-export]').scrollIntoView({block: 'center'})",
        json!([]),
    );
    s.screenshot("24-server-export-saved");
    s.click("[data-test=language]");
    s.wait_text_for(
        "[data-test=sync-error]",
        "انتهى اشتراك العيادة",
        Duration::from_secs(30),
    );
    s.script(
        "document.querySelector('[data-test=server-export]').scrollIntoView({block: 'center'})",
        json!([]),
    );
    s.screenshot("25-server-export-arabic");

    let file = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "ayada-export"))
        .expect("the export file");
    let opened = common::Machine::new(tmp.path(), "opened");
    let done = common::json_of(
        &opened.run_with(
            None,
            &[("AYADA_EXPORT_PASSPHRASE", "olive grove at dawn")],
            &["export-open", "--file", file.to_str().unwrap()],
        ),
        "export-open",
    );
    assert!(done["documents"].as_u64().unwrap() > 10, "{done}");
}
