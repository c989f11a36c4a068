//! The Tauri commands: each takes what the screen typed, calls ayada-core with the
//! logged-in session (roles are checked there, never here), and answers JSON or a sentence
//! in the person's language. A command that changed the clinic emits `changed`, so every
//! open screen reloads what it shows.

use ayada_core::appointments::{Booking, Status};
use ayada_core::cashbook::Method;
use ayada_core::patients::{Gender, NewPatient, PatientEdit};
use ayada_core::reports::{Period, ServerCheck};
use ayada_core::schedules::Hours;
use ayada_core::settings::ClinicSettings;
use ayada_core::time::{parse_date, parse_time};
use ayada_core::visits::{VisitInput, VitalsInput};
use ayada_core::{Clinic, CoreError, InitOptions, Lang, Money, Role, Session};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tauri::{AppHandle, Emitter, Manager, State, WebviewWindow};

use crate::state::{AppState, Inner};

/// An error as the screen shows it.
#[derive(Debug, Serialize)]
pub struct UiError {
    /// Stable code, for the screen's logic.
    pub code: String,
    /// The sentence, in the person's language.
    pub message: String,
}

type Answer = Result<Value, UiError>;

fn fail(lang: Lang, err: CoreError) -> UiError {
    UiError {
        code: err.code().to_string(),
        message: err.message(lang),
    }
}

fn said(code: &str, en: &str, ar: &str, lang: Lang) -> UiError {
    UiError {
        code: code.into(),
        message: if lang == Lang::Ar { ar } else { en }.into(),
    }
}

fn to_json<T: Serialize>(value: T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Runs `f` with the open clinic and the logged-in session.
fn session_call<T>(
    state: &State<'_, AppState>,
    f: impl FnOnce(&mut Clinic, &Session) -> Result<T, CoreError>,
) -> Result<T, UiError> {
    let mut inner = state.inner.lock().map_err(|_| poisoned())?;
    let lang = inner.lang;
    let Inner {
        clinic, session, ..
    } = &mut *inner;
    let (Some(clinic), Some(session)) = (clinic.as_mut(), session.as_ref()) else {
        return Err(said(
            "not-logged-in",
            "Log in first.",
            "سجّل الدخول أولًا.",
            lang,
        ));
    };
    f(clinic, session).map_err(|e| fail(lang, e))
}

/// `session_call` answering JSON, for the screens.
fn with_session<T: Serialize>(
    state: &State<'_, AppState>,
    f: impl FnOnce(&mut Clinic, &Session) -> Result<T, CoreError>,
) -> Answer {
    session_call(state, f).map(to_json)
}

/// `with_session` for a command that changes the clinic: tells every screen afterwards.
fn changing<T: Serialize>(
    app: &AppHandle,
    state: &State<'_, AppState>,
    what: &str,
    f: impl FnOnce(&mut Clinic, &Session) -> Result<T, CoreError>,
) -> Answer {
    let answer = with_session(state, f)?;
    changed(app, what);
    Ok(answer)
}

/// Tells every open screen that the clinic changed, and the sync loop that there is
/// something to send.
fn changed(app: &AppHandle, what: &str) {
    let _ = app.emit("changed", what);
    let state = app.state::<AppState>();
    if let Some(sync) = state.sync.lock().ok().and_then(|s| s.clone()) {
        sync.nudge(ayada_client::Nudge::Local);
    }
}

/// The sync loop's way into the open clinic: the app's one lock, held only for each local
/// step of a round, so the window keeps working while the network is slow.
struct Access(AppHandle);

impl ayada_client::ClinicAccess for Access {
    fn with<R>(
        &self,
        f: &mut dyn FnMut(&mut Clinic) -> Result<R, ayada_client::ClientError>,
    ) -> Result<R, ayada_client::ClientError> {
        let state = self.0.state::<AppState>();
        let mut inner = state.inner.lock().unwrap_or_else(|p| p.into_inner());
        match inner.clinic.as_mut() {
            Some(clinic) => f(clinic),
            // Until the clinic is open (first run, or not unlocked yet) there is nothing to sync.
            None => Err(ayada_client::ClientError::Core(CoreError::NoClinic {
                dir: state.data.display().to_string(),
            })),
        }
    }
}

/// Starts the background sync loop: it reports its state to the window (`sync-state`) and
/// tells the screens when a round brought changes from other machines.
pub fn start_sync(app: AppHandle) {
    let reporter = app.clone();
    let sync = ayada_client::sync_loop::spawn(
        std::sync::Arc::new(Access(app.clone())),
        move |state, round| {
            let app_state = reporter.state::<AppState>();
            if let Ok(mut last) = app_state.sync_state.lock() {
                *last = state.clone();
            }
            let lang = app_state.inner.lock().map(|i| i.lang).unwrap_or_default();
            let _ = reporter.emit("sync-state", sync_json(state, lang));
            if round.is_some_and(|r| r.changed_here()) {
                let _ = reporter.emit("changed", "sync");
            }
        },
    );
    if let Ok(mut slot) = app.state::<AppState>().sync.lock() {
        *slot = Some(sync);
    }
}

/// The sync state as the window shows it, its error in the person's language.
fn sync_json(state: &ayada_client::SyncState, lang: Lang) -> Value {
    let error = state
        .error
        .as_ref()
        .map(|(en, ar)| if lang == Lang::Ar { ar } else { en });
    json!({
        "enrolled": state.enrolled,
        "server": state.server,
        "online": state.online,
        "live": state.live,
        "syncing": state.syncing,
        "pending": state.pending,
        "last_sync": state.last_sync,
        "error": error,
        "bootstrap": state.bootstrap,
    })
}

/// The language the person chose.
fn lang_of(state: &AppState) -> Result<Lang, UiError> {
    Ok(state.inner.lock().map_err(|_| poisoned())?.lang)
}

fn poisoned() -> UiError {
    UiError {
        code: "internal".into(),
        message: "The app hit an internal error; restart it.".into(),
    }
}

/// Opens the clinic in the data folder if there is one and it is not open yet.
fn ensure_open(state: &State<'_, AppState>, inner: &mut Inner) -> Result<bool, UiError> {
    if inner.clinic.is_some() {
        return Ok(true);
    }
    match Clinic::open(&state.data, &state.key) {
        Ok(c) => {
            inner.clinic = Some(c);
            // The sync loop found no clinic until now: let it look at once, not in a minute.
            if let Some(sync) = state.sync.lock().ok().and_then(|s| s.clone()) {
                sync.nudge(ayada_client::Nudge::Now);
            }
            Ok(true)
        }
        Err(CoreError::NoClinic { .. }) => Ok(false),
        Err(e) => Err(fail(inner.lang, e)),
    }
}

fn session_json(s: &Session) -> Value {
    json!({ "login": s.login(), "name": s.name(), "role": s.role() })
}

/// Where the app stands: is there a clinic, who is logged in, which language.
#[tauri::command]
pub fn status(state: State<'_, AppState>) -> Answer {
    let mut inner = state.inner.lock().map_err(|_| poisoned())?;
    let has_clinic = ensure_open(&state, &mut inner)?;
    let logins = match &inner.clinic {
        Some(c) => to_json(c.login_names().map_err(|e| fail(inner.lang, e))?),
        None => json!([]),
    };
    let today = inner.clinic.as_ref().map(|c| c.time().today().to_string());
    // Where this machine syncs and how many of its changes the server has not had yet.
    let sync = match &inner.clinic {
        Some(c) => match c.sync_settings().map_err(|e| fail(inner.lang, e))? {
            Some(settings) => {
                let pending = c
                    .own_changes_count(settings.pushed)
                    .map_err(|e| fail(inner.lang, e))?;
                json!({ "server": settings.server, "pending": pending })
            }
            None => Value::Null,
        },
        None => Value::Null,
    };
    Ok(json!({
        "has_clinic": has_clinic,
        "today": today,
        "sync": sync,
        "session": inner.session.as_ref().map(session_json),
        "lang": inner.lang,
        "logins": logins,
        "core_version": ayada_core::VERSION,
        "idle_lock_seconds": state.idle_lock_seconds,
        // The UI reads stored UTC times in the clinic's zone, not the computer's.
        "time_zone": inner.clinic.as_ref().map(|c| c.time().name().to_string()),
    }))
}

/// The person's language alone: the window asks when `status` fails (a clinic that cannot
/// be opened), so the error it shows is laid out in its own direction.
#[tauri::command]
pub fn language(state: State<'_, AppState>) -> Answer {
    Ok(json!({ "lang": lang_of(&state)? }))
}

/// Switches the language of messages (the screen mirrors itself) and remembers it for the
/// next start. A folder that cannot be written does not stop the switch: the answer says
/// whether it was remembered.
#[tauri::command]
pub fn set_language(window: WebviewWindow, state: State<'_, AppState>, lang: Lang) -> Answer {
    state.inner.lock().map_err(|_| poisoned())?.lang = lang;
    crate::locale::apply(&window, lang);
    let remembered = crate::locale::remember(&state.data, lang).is_ok();
    Ok(json!({ "lang": lang, "remembered": remembered }))
}

/// Input of the first-run screen.
#[derive(Debug, Deserialize)]
pub struct NewClinic {
    clinic_name: String,
    owner_name: String,
    owner_login: String,
    owner_password: String,
}

/// Creates the clinic on first run and logs its owner in.
#[tauri::command]
pub fn create_clinic(app: AppHandle, state: State<'_, AppState>, input: NewClinic) -> Answer {
    let mut inner = state.inner.lock().map_err(|_| poisoned())?;
    let lang = inner.lang;
    let (clinic, owner) = Clinic::init(
        &state.data,
        &state.key,
        &InitOptions {
            clinic_name: input.clinic_name,
            owner_login: input.owner_login,
            owner_name: input.owner_name,
            owner_password: input.owner_password,
            time_zone: ayada_core::time::DEFAULT_TZ.into(),
            currency: "EGP".into(),
        },
    )
    .map_err(|e| fail(lang, e))?;
    let answer = session_json(&owner);
    inner.clinic = Some(clinic);
    inner.session = Some(owner);
    drop(inner);
    changed(&app, "clinic");
    Ok(answer)
}

/// Input of "join an existing clinic" on the first-run screen.
#[derive(Debug, Deserialize)]
pub struct JoinClinic {
    server: String,
    email: String,
    password: String,
}

/// Enrolls this machine (empty data folder, its own new key) into the clinic the sync server
/// holds for this owner account; the background loop then loads the clinic. Runs off the UI
/// thread: it talks to the server.
#[tauri::command]
pub async fn join_clinic(app: AppHandle, input: JoinClinic) -> Answer {
    off_the_ui(app, move |app| {
        let state = app.state::<AppState>();
        let lang = lang_of(&state)?;
        let enrolled = ayada_client::enroll(
            &state.data,
            &state.key,
            &input.server,
            input.email.trim(),
            &input.password,
        )
        .map_err(|e| UiError {
            code: "enroll".into(),
            message: e.sentence(lang),
        })?;
        let mut inner = state.inner.lock().map_err(|_| poisoned())?;
        ensure_open(&state, &mut inner)?;
        drop(inner);
        changed(&app, "clinic");
        Ok(to_json(enrolled))
    })
    .await
}

/// Runs a command that waits on the network on a thread of its own: the window stays
/// responsive, and blocking HTTP never runs inside the async runtime.
async fn off_the_ui(
    app: AppHandle,
    f: impl FnOnce(AppHandle) -> Answer + Send + 'static,
) -> Answer {
    tauri::async_runtime::spawn_blocking(move || f(app))
        .await
        .map_err(|_| poisoned())?
}

/// Logs a staff member in (offline, against the clinic's accounts).
#[tauri::command]
pub fn login(state: State<'_, AppState>, login: String, password: String) -> Answer {
    let mut inner = state.inner.lock().map_err(|_| poisoned())?;
    let lang = inner.lang;
    if !ensure_open(&state, &mut inner)? {
        return Err(said(
            "no-clinic",
            "There is no clinic yet.",
            "لا توجد عيادة بعد.",
            lang,
        ));
    }
    let clinic = inner.clinic.as_mut().expect("opened above");
    let session = clinic.login(&login, &password).map_err(|e| fail(lang, e))?;
    let answer = session_json(&session);
    inner.session = Some(session);
    Ok(answer)
}

/// Logs out (quick user switch, or the idle lock).
#[tauri::command]
pub fn logout(state: State<'_, AppState>) -> Answer {
    state.inner.lock().map_err(|_| poisoned())?.session = None;
    Ok(json!({}))
}

/// Staff accounts (owner).
#[tauri::command]
pub fn staff(state: State<'_, AppState>) -> Answer {
    with_session(&state, |c, s| c.staff(s))
}

/// Adds a staff account (owner).
#[tauri::command]
pub fn add_staff(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    login: String,
    role: String,
    password: String,
) -> Answer {
    changing(&app, &state, "staff", |c, s| {
        let role: Role = role.parse()?;
        c.add_staff(s, &name, &login, role, &password)
    })
}

/// Sets a doctor's weekly hours (owner): working days and one range of hours.
#[tauri::command]
pub fn set_schedule(
    app: AppHandle,
    state: State<'_, AppState>,
    doctor: String,
    days: String,
    hours: Vec<Hours>,
    slot_minutes: i64,
) -> Answer {
    changing(&app, &state, "schedules", |c, s| {
        let days = ayada_core::schedules::parse_days(&days)?;
        c.set_schedule(s, &doctor, days, hours, slot_minutes)
    })
}

/// A doctor's schedule (null when none was set).
#[tauri::command]
pub fn schedule(state: State<'_, AppState>, doctor: String) -> Answer {
    with_session(&state, |c, s| c.schedule(s, &doctor))
}

/// Other hours for a doctor on one date; no hours is a day off (owner).
#[tauri::command]
pub fn set_schedule_exception(
    app: AppHandle,
    state: State<'_, AppState>,
    doctor: String,
    date: String,
    hours: Vec<Hours>,
) -> Answer {
    changing(&app, &state, "schedules", |c, s| {
        c.set_schedule_exception(s, &doctor, parse_date(&date)?, hours)
    })
}

/// Patients whose name or phone matches (Arabic variants and digits too).
#[tauri::command]
pub fn search_patients(state: State<'_, AppState>, query: String) -> Answer {
    with_session(&state, |c, s| c.search_patients(s, &query, 20))
}

/// Registers a patient.
#[tauri::command]
pub fn add_patient(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    phone: String,
    gender: Option<String>,
) -> Answer {
    changing(&app, &state, "patients", |c, s| {
        let gender: Option<Gender> = gender
            .filter(|g| !g.is_empty())
            .map(|g| g.parse())
            .transpose()?;
        c.add_patient(
            s,
            &NewPatient {
                name,
                phone,
                gender,
                ..Default::default()
            },
        )
    })
}

/// A patient's file: details, bookings, and the visits or payments the role may see.
#[tauri::command]
pub fn patient_file(state: State<'_, AppState>, id: String) -> Answer {
    with_session(&state, |c, s| c.patient_file(s, id.parse()?))
}

/// Edits a patient's details; a field left out (null) stays as it is.
#[tauri::command]
pub fn update_patient(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
    edit: PatientEdit,
) -> Answer {
    changing(&app, &state, "patients", |c, s| {
        c.update_patient(s, id.parse()?, &edit)
    })
}

/// A visit's photo (a 256-pixel thumbnail, or the stored image), as raw bytes.
#[tauri::command]
pub fn photo(
    state: State<'_, AppState>,
    name: String,
    full: bool,
) -> Result<tauri::ipc::Response, UiError> {
    session_call(&state, |c, s| c.photo(s, &name, !full)).map(tauri::ipc::Response::new)
}

/// The clinic's details (name, address, phones, email, time zone).
#[tauri::command]
pub fn clinic_details(state: State<'_, AppState>) -> Answer {
    with_session(&state, |c, s| c.settings(s))
}

/// Changes the clinic's details (owner).
#[tauri::command]
pub fn update_clinic_details(
    app: AppHandle,
    state: State<'_, AppState>,
    details: ClinicSettings,
) -> Answer {
    changing(&app, &state, "clinic", |c, s| {
        c.update_settings(s, &details)
    })
}

/// The visit types with their prices.
#[tauri::command]
pub fn visit_types(state: State<'_, AppState>) -> Answer {
    with_session(&state, |c, s| c.visit_types(s))
}

/// Sets a visit type's price (and length), creating it if new (owner).
#[tauri::command]
pub fn set_visit_type(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
    price: String,
    minutes: Option<i64>,
) -> Answer {
    changing(&app, &state, "clinic", |c, s| {
        c.set_visit_type(s, &name, Money::parse(&price)?, minutes)
    })
}

/// The insurers the desk can pick.
#[tauri::command]
pub fn insurers(state: State<'_, AppState>) -> Answer {
    with_session(&state, |c, s| c.insurers(s))
}

/// Adds an insurer (owner).
#[tauri::command]
pub fn add_insurer(app: AppHandle, state: State<'_, AppState>, name: String) -> Answer {
    changing(&app, &state, "clinic", |c, s| c.add_insurer(s, &name))
}

/// A doctor's free slots on a day.
#[tauri::command]
pub fn free_slots(state: State<'_, AppState>, doctor: String, date: String) -> Answer {
    with_session(&state, |c, s| c.free_slots(s, &doctor, parse_date(&date)?))
}

/// Books a slot.
#[tauri::command]
pub fn book(
    app: AppHandle,
    state: State<'_, AppState>,
    patient: String,
    doctor: String,
    date: String,
    time: String,
    visit_type: String,
) -> Answer {
    changing(&app, &state, "appointments", |c, s| {
        c.book(
            s,
            &Booking {
                patient: patient.parse()?,
                doctor_login: doctor,
                date: parse_date(&date)?,
                time: parse_time(&time)?,
                visit_type,
            },
        )
    })
}

/// Queues a patient who came without a booking, already arrived.
#[tauri::command]
pub fn walk_in(
    app: AppHandle,
    state: State<'_, AppState>,
    patient: String,
    doctor: String,
    visit_type: String,
) -> Answer {
    changing(&app, &state, "appointments", |c, s| {
        c.walk_in(s, patient.parse()?, &doctor, &visit_type)
    })
}

/// A day's appointments (the queue).
#[tauri::command]
pub fn appointments(state: State<'_, AppState>, date: Option<String>) -> Answer {
    with_session(&state, |c, s| {
        let date = match date {
            Some(d) => parse_date(&d)?,
            None => c.time().today(),
        };
        Ok(json!({ "date": date.to_string(), "rows": c.appointments(s, date)? }))
    })
}

/// Booking requests waiting for the desk, from today on (any day, not only the queue's).
#[tauri::command]
pub fn booking_requests(state: State<'_, AppState>) -> Answer {
    with_session(&state, |c, s| c.booking_requests(s))
}

/// Moves an appointment along (check-in, into the exam room, done, cancelled…).
#[tauri::command]
pub fn set_status(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
    status: String,
    reason: Option<String>,
) -> Answer {
    changing(&app, &state, "appointments", |c, s| {
        let status: Status = status.parse()?;
        c.set_appointment_status(s, id.parse()?, status, reason.as_deref())
    })
}

/// Records a visit (doctors): vitals, a diagnosis, a note and photos as file bytes.
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub fn record_visit(
    app: AppHandle,
    state: State<'_, AppState>,
    appointment: String,
    visit_type: Option<String>,
    vitals: VitalsInput,
    diagnoses: Vec<String>,
    note: Option<String>,
    photos: Vec<Vec<u8>>,
) -> Answer {
    let blank = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    changing(&app, &state, "visits", |c, s| {
        c.record_visit(
            s,
            appointment.parse()?,
            &VisitInput {
                vitals,
                diagnoses,
                note: blank(note),
                photos,
                visit_type: blank(visit_type),
            },
        )
    })
}

/// Opens this machine's drawer.
#[tauri::command]
pub fn open_shift(app: AppHandle, state: State<'_, AppState>, float: String) -> Answer {
    changing(&app, &state, "cash", |c, s| {
        c.open_shift(s, Money::parse(&float)?)
    })
}

/// The shift open on this machine, if any (who opened it and when; no money).
#[tauri::command]
pub fn open_shift_here(state: State<'_, AppState>) -> Answer {
    with_session(&state, |c, s| c.open_shift_here(s))
}

/// Closes this machine's drawer with the counted cash.
#[tauri::command]
pub fn close_shift(
    app: AppHandle,
    state: State<'_, AppState>,
    counted: String,
    note: String,
) -> Answer {
    changing(&app, &state, "cash", |c, s| {
        c.close_shift(s, Money::parse(&counted)?, &note)
    })
}

/// Takes a payment for an appointment.
#[tauri::command]
pub fn pay(
    app: AppHandle,
    state: State<'_, AppState>,
    appointment: String,
    amount: String,
    method: String,
    insurer: Option<String>,
) -> Answer {
    changing(&app, &state, "cash", |c, s| {
        let method: Method = method.parse()?;
        c.pay(
            s,
            appointment.parse()?,
            Money::parse(&amount)?,
            method,
            insurer.as_deref().filter(|i| !i.is_empty()),
        )
    })
}

/// Gives money back against a payment (never more than was paid).
#[tauri::command]
pub fn refund(
    app: AppHandle,
    state: State<'_, AppState>,
    payment: String,
    amount: String,
    reason: String,
) -> Answer {
    changing(&app, &state, "cash", |c, s| {
        c.refund(s, payment.parse()?, Money::parse(&amount)?, &reason)
    })
}

/// Records an expense paid from the drawer.
#[tauri::command]
pub fn add_expense(
    app: AppHandle,
    state: State<'_, AppState>,
    amount: String,
    category: String,
    note: String,
) -> Answer {
    changing(&app, &state, "cash", |c, s| {
        c.add_expense(s, Money::parse(&amount)?, &category, &note)
    })
}

/// What needs a person's decision (overlapping bookings; late payments for the owner).
#[tauri::command]
pub fn conflicts(state: State<'_, AppState>) -> Answer {
    with_session(&state, |c, s| c.conflicts(s))
}

/// Keeps one of the values two machines wrote into a field at once.
#[tauri::command]
pub fn settle_conflict(
    app: AppHandle,
    state: State<'_, AppState>,
    doc_id: String,
    record: String,
    field: String,
    value: String,
) -> Answer {
    changing(&app, &state, "conflicts", |c, s| {
        c.settle_conflict(s, &doc_id, &record, &field, &value)
    })
}

/// A day's report (owner): the Z-report if closed, else a preview.
#[tauri::command]
pub fn day_report(state: State<'_, AppState>, date: String) -> Answer {
    with_session(&state, |c, s| c.day_report(s, parse_date(&date)?))
}

/// The words of the day's report in the person's language, from ayada-core's catalogue (the
/// printed report's `pdf-…` labels and the entry kinds), so the screen and the paper say the
/// same thing. Keyed by the id without its `pdf-` prefix.
#[tauri::command]
pub fn report_words(state: State<'_, AppState>) -> Answer {
    const LABELS: [&str; 24] = [
        "payments",
        "refunds",
        "by-insurer",
        "by-doctor",
        "by-visit-type",
        "expenses",
        "total-payments",
        "total-refunds",
        "total-expenses",
        "net-revenue",
        "shifts",
        "shift-open",
        "float",
        "expected",
        "counted",
        "difference",
        "late-in-shift",
        "activity",
        "late",
        "none",
        "bookings",
        "visits",
        "cancelled",
        "no-shows",
    ];
    let lang = lang_of(&state)?;
    let mut words = serde_json::Map::new();
    for id in LABELS {
        let text = ayada_core::i18n::message(lang, &format!("pdf-{id}"), &[]);
        words.insert(id.to_string(), json!(text));
    }
    for kind in ["payment", "refund", "expense"] {
        let text = ayada_core::i18n::term(lang, "kind", kind);
        words.insert(format!("kind-{kind}"), json!(text));
    }
    Ok(Value::Object(words))
}

/// Closes a day (owner). Runs off the UI thread: it first syncs and asks the server.
#[tauri::command]
pub async fn close_day(app: AppHandle, date: String) -> Answer {
    off_the_ui(app, move |app| {
        let state = app.state::<AppState>();
        changing(&app, &state, "cash", |c, s| {
            let date = parse_date(&date)?;
            s.allow(ayada_core::roles::Action::CloseDay)?;
            let check = match c.sync_settings()? {
                Some(_) => ayada_client::server_check(c),
                None => ServerCheck {
                    asked: false,
                    caught_up: false,
                    detail: "this machine is not enrolled with a sync server".into(),
                },
            };
            c.close_day(s, date, check)
        })
    })
    .await
}

/// Asks the sync loop for a round now, even while it is backing off; the window follows the
/// round through `sync-state` events.
#[tauri::command]
pub fn sync_now(state: State<'_, AppState>) -> Answer {
    if let Some(sync) = state.sync.lock().map_err(|_| poisoned())?.as_ref() {
        sync.nudge(ayada_client::Nudge::Now);
    }
    sync_state(state)
}

/// What the sync loop last reported.
#[tauri::command]
pub fn sync_state(state: State<'_, AppState>) -> Answer {
    let lang = lang_of(&state)?;
    let last = state.sync_state.lock().map_err(|_| poisoned())?.clone();
    Ok(sync_json(&last, lang))
}

/// Writes a printed page into the clinic's reports folder; answers its path.
fn save_pdf(
    state: &State<'_, AppState>,
    name: &str,
    bytes: Result<Vec<u8>, ayada_pdf::PdfError>,
) -> Answer {
    let lang = lang_of(state)?;
    let bytes = bytes.map_err(|e| said("pdf", &e.to_string(), &e.to_string(), lang))?;
    let folder = state.data.join("reports");
    let path = folder.join(name);
    std::fs::create_dir_all(&folder)
        .and_then(|()| std::fs::write(&path, bytes))
        .map_err(|e| {
            said(
                "io",
                &format!("The PDF could not be written: {e}"),
                &format!("تعذرت كتابة ملف PDF: {e}"),
                lang,
            )
        })?;
    Ok(json!({ "path": path.display().to_string() }))
}

/// Saves a day's report (owner) as a PDF: the Z-report if closed, else the preview.
#[tauri::command]
pub fn save_day_pdf(state: State<'_, AppState>, date: String) -> Answer {
    let report = session_call(&state, |c, s| c.day_report(s, parse_date(&date)?))?;
    let name = match report.number {
        Some(n) => format!("Z-{n}-{}.pdf", report.date),
        None => format!("preview-{}.pdf", report.date),
    };
    save_pdf(&state, &name, ayada_pdf::day_report(&report))
}

/// Saves the 80 mm receipt of a payment or refund (front desk and owner) as a PDF.
#[tauri::command]
pub fn save_receipt_pdf(state: State<'_, AppState>, entry: String) -> Answer {
    let receipt = session_call(&state, |c, s| c.receipt(s, entry.parse()?))?;
    let name = format!("receipt-{}.pdf", receipt.entry_id);
    save_pdf(&state, &name, ayada_pdf::receipt(&receipt))
}

/// Revenue and visits per period (owner), for the chart.
#[tauri::command]
pub fn revenue(state: State<'_, AppState>, from: String, to: String, by: String) -> Answer {
    with_session(&state, |c, s| {
        let period: Period = by.parse()?;
        c.revenue(s, parse_date(&from)?, parse_date(&to)?, period)
    })
}

/// A screen is drawn with its data for the first time in this run: the first screen
/// ("first-run" or "login"), or the first one after a login ("session"). With
/// AYADA_BENCH_STARTUP set, prints which and the wall-clock time of this moment (for
/// scripts/bench-desktop.sh, which knows when it launched the app).
#[tauri::command]
pub fn ui_ready(screen: String) -> Answer {
    if std::env::var_os("AYADA_BENCH_STARTUP").is_some() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        println!("{}", json!({ "screen": screen, "ready_unix_ms": now }));
    }
    Ok(json!({}))
}

/// Where the owner's backups and exports go unless they choose another folder: the
/// documents folder, not the clinic's own (a backup on the same disk is no backup).
#[tauri::command]
pub fn default_folder(state: State<'_, AppState>) -> Answer {
    let folder = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(std::path::PathBuf::from)
        .map(|home| home.join("Documents"))
        .filter(|d| d.is_dir())
        .or_else(|| state.data.parent().map(std::path::Path::to_path_buf))
        .unwrap_or_else(|| state.data.clone());
    Ok(json!({ "folder": folder.display().to_string() }))
}

fn stamp() -> String {
    jiff::Zoned::now().strftime("%Y%m%d-%H%M%S").to_string()
}

/// Writes an encrypted backup of the whole clinic into `folder` (owner).
#[tauri::command]
pub fn backup_to(state: State<'_, AppState>, folder: String, passphrase: String) -> Answer {
    with_session(&state, |c, s| {
        let out = std::path::Path::new(folder.trim()).join(format!("ayada-backup-{}.db", stamp()));
        c.backup(s, &out, &passphrase)
    })
}

/// Exports the clinic as CSV and JSON files with its photos into a new folder inside
/// `folder` (owner).
#[tauri::command]
pub fn export_to(state: State<'_, AppState>, folder: String) -> Answer {
    with_session(&state, |c, s| {
        let out = std::path::Path::new(folder.trim()).join(format!("ayada-export-{}", stamp()));
        c.export(s, &out)
    })
}

/// Every machine enrolled into the clinic, as the sync server last saw it (owner).
#[tauri::command]
pub async fn machines(app: AppHandle) -> Answer {
    off_the_ui(app, |app| {
        let state = app.state::<AppState>();
        let lang = lang_of(&state)?;
        let (status, this) = session_call(&state, |c, s| {
            s.allow(ayada_core::roles::Action::ManageStaff)?;
            let status = c.sync_settings()?.map(|_| ayada_client::machines(c));
            Ok((status, c.node().to_string()))
        })?;
        let Some(status) = status else {
            return Err(said(
                "not-enrolled",
                "This machine is not connected to a sync server.",
                "هذا الجهاز غير متصل بخادم مزامنة.",
                lang,
            ));
        };
        let status = status.map_err(|e| UiError {
            code: "sync".into(),
            message: e.sentence(lang),
        })?;
        Ok(json!({ "this": this, "machines": status.machines }))
    })
    .await
}

/// Input of a machine's revocation: the owner's server account, and which machine.
#[derive(Debug, Deserialize)]
pub struct Revoke {
    email: String,
    password: String,
    node: String,
}

/// Revokes a lost or stolen machine with the owner's server account (owner).
#[tauri::command]
pub async fn revoke_machine(app: AppHandle, input: Revoke) -> Answer {
    off_the_ui(app, move |app| {
        let state = app.state::<AppState>();
        let lang = lang_of(&state)?;
        let revoked = session_call(&state, |c, s| {
            s.allow(ayada_core::roles::Action::ManageStaff)?;
            Ok(ayada_client::revoke(
                c,
                input.email.trim(),
                &input.password,
                &input.node,
            ))
        })?
        .map_err(|e| UiError {
            code: "sync".into(),
            message: e.sentence(lang),
        })?;
        Ok(json!({ "revoked": revoked }))
    })
    .await
}
