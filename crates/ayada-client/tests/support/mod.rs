//! What the test files share: the real sync server on loopback.
#![allow(dead_code)]

use std::sync::Arc;

use ayada_server::auth::Tokens;
use ayada_server::limits::MachineLimits;
use ayada_server::store::{ClinicRecord, SqliteStore, Store};

/// Every password of the tests' clinics.
pub const PW: &str = "owner-pass-1";

/// A new clinic named `name` in `dir` (key file beside its data), with its owner ("owner")
/// and a receptionist ("desk"), both with `PW`.
pub fn clinic_with_desk(
    dir: &std::path::Path,
    name: &str,
) -> (ayada_core::Clinic, ayada_core::Session) {
    let (mut clinic, owner) = ayada_core::Clinic::init(
        &dir.join("data"),
        &ayada_core::KeySource::KeyFile(dir.join("k")),
        &ayada_core::InitOptions::in_egypt(name, "owner", "Dr. Hala", PW),
    )
    .unwrap();
    clinic
        .add_staff(&owner, "منى", "desk", ayada_core::Role::Receptionist, PW)
        .unwrap();
    (clinic, owner)
}

/// The real sync server on loopback, over a SQLite store in a temporary folder.
pub struct Server {
    pub url: String,
    pub store: Arc<SqliteStore>,
    pub clinic: String,
    app: axum::Router,
    rt: tokio::runtime::Runtime,
}

pub const OWNER_EMAIL: &str = "owner@net.example";

impl Server {
    pub fn start(dir: &std::path::Path) -> Server {
        let store = Arc::new(SqliteStore::open(dir).unwrap());
        let tokens = Arc::new(Tokens::load_or_create(dir).unwrap());
        let clinic = uuid::Uuid::now_v7().to_string();
        store
            .create_clinic(&ClinicRecord {
                id: clinic.clone(),
                slug: "net".into(),
                name: "Net".into(),
                owner_email: OWNER_EMAIL.into(),
                password_hash: ayada_server::hash_password(PW).unwrap(),
                data_clinic_id: None,
                time_zone: "Africa/Cairo".into(),
            })
            .unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let mut state = ayada_server::AppState::new(store.clone(), tokens);
        // A test network makes many small rounds in a burst; the limit is tested elsewhere.
        let many = std::num::NonZeroU32::new(100_000).unwrap();
        state.limits = Arc::new(MachineLimits::new(many, many));
        let app = ayada_server::router(state);
        let serving = app.clone();
        rt.spawn(async move { axum::serve(listener, serving).await });
        Server {
            url,
            store,
            clinic,
            app,
            rt,
        }
    }

    /// Serves the same server on `listener` too (a socket bound in another network namespace).
    pub fn also_on(&self, listener: std::net::TcpListener) {
        listener.set_nonblocking(true).unwrap();
        let _entered = self.rt.enter();
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        let app = self.app.clone();
        self.rt
            .spawn(async move { axum::serve(listener, app).await });
    }

    /// Every change hash the server's log holds, in log order.
    pub fn hashes(&self) -> Vec<String> {
        let mut all = Vec::new();
        let mut since = 0;
        loop {
            let (rows, _) = self.store.after(&self.clinic, since, 1000).unwrap();
            let Some((last, _)) = rows.last() else {
                return all;
            };
            since = *last;
            all.extend(rows.into_iter().map(|(_, c)| c.hash));
        }
    }
}
