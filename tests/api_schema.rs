//! The server's API as it describes itself (`/v1/openapi.json`, made from the code) and as
//! it answers: schemathesis (PyPI) sends a live server thousands of requests made from the
//! description, good and bad, with a machine's token and without, and fails on any 5xx and
//! any answer (status, content type, headers, body) its own description does not allow.
//!
//! Needs schemathesis: `scripts/test.sh` installs it into target/tools/schemathesis (a
//! Python venv); `AYADA_SCHEMATHESIS` names another one.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::{enrolled_machine, token, Server};

const EMAIL: &str = "owner@schema.example";
const PASSWORD: &str = "owner-pass-1";

fn schemathesis() -> PathBuf {
    let path = std::env::var_os("AYADA_SCHEMATHESIS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("target/tools/schemathesis/bin/schemathesis")
        });
    assert!(
        path.exists(),
        "schemathesis is missing at {}: `bash scripts/test.sh` installs it (python3 -m venv target/tools/schemathesis && target/tools/schemathesis/bin/pip install schemathesis)",
        path.display()
    );
    path
}

/// A server whose machine rate limit is out of schemathesis's way (its refusals, 429, are
/// in the description too, but a run answered 429 throughout would test nothing else).
fn server(data: &std::path::Path) -> Server {
    let child = Command::new(common::bin("ayada-server"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .env("AYADA_MACHINE_RATE", "100000")
        .env("AYADA_MACHINE_BURST", "100000")
        // Likewise the login limits, so enrolments and revocations reach their logic.
        .env("AYADA_LOGIN_FAILS_PER_EMAIL", "100000")
        .env("AYADA_LOGIN_FAILS_PER_ADDRESS", "100000")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Server::attach(child, data).expect("the server did not start")
}

#[test]
fn the_served_description_names_every_route_and_the_refusals_each_can_give() {
    let tmp = tempfile::tempdir().unwrap();
    let server = server(&tmp.path().join("server"));
    let spec: serde_json::Value = reqwest::blocking::get(format!("{}/v1/openapi.json", server.url))
        .unwrap()
        .json()
        .unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    let mut routes: Vec<String> = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            routes.push(format!("{} {path}", method.to_uppercase()));
            let responses = op["responses"].as_object().unwrap();
            for code in ["200", "408", "500"] {
                assert!(responses.contains_key(code), "{method} {path} lacks {code}");
            }
            if op.get("security").is_some() {
                assert!(responses.contains_key("401"), "{method} {path} lacks 401");
            }
            if op.get("requestBody").is_some() {
                assert!(responses.contains_key("413"), "{method} {path} lacks 413");
            }
        }
    }
    routes.sort();
    assert_eq!(
        routes,
        [
            "GET /v1/audit",
            "GET /v1/blobs/{sha256}",
            "GET /v1/bootstrap",
            "GET /v1/changes",
            "GET /v1/health",
            "GET /v1/messages",
            "GET /v1/openapi.json",
            "GET /v1/status",
            "POST /v1/changes",
            "POST /v1/enroll",
            "POST /v1/machines/revoke",
            "POST /v1/token",
            "PUT /v1/blobs/{sha256}",
        ]
    );
}

#[test]
fn schemathesis_finds_no_server_error_and_no_answer_outside_the_description() {
    let tmp = tempfile::tempdir().unwrap();
    let server = server(&tmp.path().join("server"));
    server.create_clinic("schema", EMAIL, PASSWORD);
    // A clinic with a day of work on the server, so pulls, bootstraps and status have
    // something to answer with.
    let m = enrolled_machine(tmp.path(), "desk", &server, EMAIL, PASSWORD, 1);
    m.ok(None, &["sync"]);
    let token = token(&server, &m);
    let report = tmp.path().join("report");
    let out = Command::new(schemathesis())
        .arg("run")
        .arg(format!("{}/v1/openapi.json", server.url))
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance",
            "--header",
            &format!("Authorization: Bearer {token}"),
            "--max-examples",
            "25",
            "--seed",
            "20261128",
            // One worker: under Python 3.11's ast module, hypothesis's lambda descriptions
            // race across threads ("AST constructor recursion depth mismatch", CPython
            // gh-106905), which failed a CI run with two.
            "--workers",
            "1",
            // Bounded (CI's budget, and well inside the token's ten minutes).
            "--max-time",
            "100",
            "--request-timeout",
            "30",
            "--report",
            "junit",
            "--report-dir",
        ])
        .arg(&report)
        .env("SCHEMATHESIS_HOOKS", "")
        // It keeps a cache (.schemathesis/) in its working folder: not in the checkout.
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    // Its summary (and warnings) in the test's output, for whoever reads a CI log.
    eprintln!("{text}");
    assert!(
        out.status.success(),
        "schemathesis found failures:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // It really ran every operation, not just read the description.
    let junit = std::fs::read_dir(&report)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect::<String>();
    for op in [
        "POST /v1/changes",
        "GET /v1/changes",
        "POST /v1/enroll",
        "PUT /v1/blobs/{sha256}",
    ] {
        assert!(
            junit.contains(&format!("name=\"{op}\"")),
            "{op} was not tested:\n{junit}"
        );
    }
    assert!(!junit.contains("<failure"), "{junit}");
    assert!(text.contains("passed"), "{text}");
    let health = reqwest::blocking::get(format!("{}/v1/health", server.url)).unwrap();
    assert_eq!(health.status(), 200, "the server is still up");
}
