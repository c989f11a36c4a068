//! The CLI as a new user types it: the real binary on a real data folder, and the clinic
//! the contract tests start from.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

pub const OWNER_PW: &str = "owner-pass-1";
pub const STAFF_PW: &str = "staff-pass-1";

pub struct Shell {
    _tmp: tempfile::TempDir,
    pub data: PathBuf,
    pub key: PathBuf,
}

impl Shell {
    pub fn new() -> Shell {
        let tmp = tempfile::tempdir().unwrap();
        Shell {
            data: tmp.path().join("data"),
            key: tmp.path().join("clinic.key"),
            _tmp: tmp,
        }
    }

    pub fn run(&self, user: Option<(&str, &str)>, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ayada-cli"));
        cmd.arg("--data")
            .arg(&self.data)
            .arg("--key-file")
            .arg(&self.key)
            .arg("--json");
        cmd.env_remove("AYADA_DB_PASSPHRASE")
            .env_remove("AYADA_LANG")
            .env("LANG", "C");
        cmd.env("AYADA_NEW_PASSWORD", STAFF_PW);
        if let Some((login, pw)) = user {
            cmd.arg("--user").arg(login).env("AYADA_PASSWORD", pw);
        } else {
            cmd.env("AYADA_PASSWORD", OWNER_PW);
        }
        cmd.args(args).output().unwrap()
    }

    pub fn ok(&self, user: Option<(&str, &str)>, args: &[&str]) -> Value {
        let out = self.run(user, args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(stdout.lines().count(), 1, "one JSON object: {stdout}");
        serde_json::from_str(&stdout).unwrap()
    }

    pub fn fails(&self, user: Option<(&str, &str)>, args: &[&str]) -> String {
        let out = self.run(user, args);
        assert!(!out.status.success(), "{args:?} succeeded");
        let err: Value = serde_json::from_slice(&out.stderr)
            .unwrap_or_else(|_| panic!("stderr: {}", String::from_utf8_lossy(&out.stderr)));
        err["error"]["message"].as_str().unwrap().to_string()
    }
}

pub const OWNER: Option<(&str, &str)> = Some(("owner", OWNER_PW));
pub const DESK: Option<(&str, &str)> = Some(("desk", STAFF_PW));
pub const DOCTOR: Option<(&str, &str)> = Some(("dr.sara", STAFF_PW));

pub fn id(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {v}"))
        .to_string()
}

pub fn set_up(sh: &Shell) {
    let init = sh.ok(
        None,
        &[
            "init",
            "--clinic",
            "عيادة النور",
            "--owner-login",
            "owner",
            "--owner-name",
            "Dr. Hala",
        ],
    );
    assert!(init["clinic_id"].is_string());
    sh.ok(
        OWNER,
        &[
            "staff",
            "add",
            "--name",
            "منى",
            "--login",
            "desk",
            "--role",
            "receptionist",
        ],
    );
    sh.ok(
        OWNER,
        &[
            "staff",
            "add",
            "--name",
            "د. سارة",
            "--login",
            "dr.sara",
            "--role",
            "doctor",
        ],
    );
    sh.ok(
        OWNER,
        &[
            "schedule",
            "set",
            "--doctor",
            "dr.sara",
            "--days",
            "sat,sun,mon,tue,wed,thu",
            "--from",
            "10:00",
            "--to",
            "14:00",
            "--slot",
            "20",
        ],
    );
    sh.ok(
        OWNER,
        &[
            "visit-type",
            "set",
            "--name",
            "examination",
            "--price",
            "350.50",
            "--minutes",
            "20",
        ],
    );
    sh.ok(OWNER, &["insurer", "add", "--name", "AXA Egypt"]);
}
