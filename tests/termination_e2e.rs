//! A clinic leaves the platform and takes its data with it, with the real binaries: the
//! operator ends it in the console (password and authenticator code, over HTTP), the front
//! desk's sync is refused with the sentence, the owner's email (through a fake Resend that
//! speaks its API) brings the download link, the owner downloads the export with the
//! password and a passphrase, and `ayada-cli export-open` turns it into a machine's folder
//! where the owner signs in and exports the clinic's CSV, the patient there.

mod common;

use common::console::*;
use common::*;

const PASSPHRASE: &str = "cedar tree by the nile";
const WITNESS: &str = "Termination Witness";

#[test]
fn an_ended_clinic_is_downloaded_opened_on_a_new_machine_and_exported_as_csv() {
    let root = tempfile::tempdir().unwrap();
    let (resend, emails) = fake_resend();
    let server = Server::start_with_env(
        &root.path().join("server"),
        &[
            ("AYADA_RESEND_KEY", "re_test_key"),
            ("AYADA_RESEND_URL", &resend),
            ("AYADA_EMAIL_RETRY_SECONDS", "1"),
        ],
    );
    let clinic = server.create_clinic("nour", NOUR, OWNER_PW);
    let desk = enrolled_machine(root.path(), "front-desk", &server, NOUR, OWNER_PW, 1);
    desk.ok(
        DESK,
        &[
            "patient",
            "add",
            "--name",
            WITNESS,
            "--phone",
            "01077788899",
        ],
    );
    desk.ok(None, &["sync"]);
    make_admin(&server);

    // The operator ends the clinic, the slug typed to confirm.
    let session = console_session(&server);
    end_clinic(&server, &session, &clinic, "nour");

    // The front desk keeps everything, and its sync says why it stopped, in its language.
    let refused = desk.run_with(None, &[("AYADA_LANG", "en")], &["sync"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stdout).to_string()
        + &String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("subscription has ended"), "{said}");
    // The server keeps it 30 × 24 hours from the end, and says the clinic's day that falls on.
    let until = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(30 * 24))
        .in_tz("Africa/Cairo")
        .unwrap()
        .date();
    assert!(
        said.contains(&format!("copy until {until}")),
        "the day is said in the machine's words: {said}"
    );

    // The owner's email brings the link.
    let link = export_link(&emails);
    let form = client().get(&link).send().unwrap();
    assert_eq!(form.status(), 200);
    let csrf = cookie(&form, "ayada_csrf");
    let got = post(
        &link,
        &format!("ayada_csrf={csrf}"),
        &[
            ("csrf", &csrf),
            ("password", OWNER_PW),
            ("passphrase", PASSPHRASE),
            ("again", PASSPHRASE),
        ],
    );
    assert_eq!(got.status(), 200);
    let file = root.path().join("nour.ayada-export");
    std::fs::write(&file, got.bytes().unwrap()).unwrap();

    // A wrong passphrase opens nothing and leaves the folder empty.
    let opened = Machine::new(root.path(), "after-the-platform");
    let wrong = opened.run_with(
        None,
        &[("AYADA_EXPORT_PASSPHRASE", "not the passphrase")],
        &["export-open", "--file", file.to_str().unwrap()],
    );
    assert!(!wrong.status.success());
    assert!(!opened.data.join("clinic.db").exists());

    let done = json_of(
        &opened.run_with(
            None,
            &[("AYADA_EXPORT_PASSPHRASE", PASSPHRASE)],
            &["export-open", "--file", file.to_str().unwrap()],
        ),
        "export-open",
    );
    assert!(done["documents"].as_u64().unwrap() > 10, "{done}");
    // The owner signs in on the opened folder as before and exports the clinic.
    let out = root.path().join("csv");
    opened.ok(
        Some(("owner", OWNER_PW)),
        &["export", "--out", out.to_str().unwrap()],
    );
    let mut csv = String::new();
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            csv += &std::fs::read_to_string(&path).unwrap();
        }
    }
    assert!(csv.contains(WITNESS), "the patient is in the CSV export");

    // From a machine of the clinic, the owner's server account gets the same export.
    let from_desk = root.path().join("from-desk.ayada-export");
    let download = |password: &str| {
        desk.run_with(
            None,
            &[
                ("AYADA_PASSWORD", password),
                ("AYADA_EXPORT_PASSPHRASE", PASSPHRASE),
                ("AYADA_LANG", "en"),
            ],
            &[
                "export-download",
                "--email",
                NOUR,
                "--out",
                from_desk.to_str().unwrap(),
            ],
        )
    };
    assert!(!download("not-the-password").status.success());
    assert!(!from_desk.exists(), "nothing is kept of a refused download");
    json_of(&download(OWNER_PW), "export-download");
    let again = Machine::new(root.path(), "second-open");
    let reopened = json_of(
        &again.run_with(
            None,
            &[("AYADA_EXPORT_PASSPHRASE", PASSPHRASE)],
            &["export-open", "--file", from_desk.to_str().unwrap()],
        ),
        "export-open",
    );
    assert_eq!(reopened["documents"], done["documents"]);
}
