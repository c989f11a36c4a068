//! Visits: what the doctor records for an appointment. Vitals are integers in fixed units
//! (tenths of °C, grams) so a CRDT never merges floats; notes are Automerge text.

use automerge::ROOT;
use jiff::Timestamp;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

use crate::appointments::{self, Status};
use crate::docs::{get_root_record, put_record, DocId};
use crate::error::{CoreError, Result};
use crate::ids::{AppointmentId, PatientId, StaffId, VisitId};
use crate::money::{format_fixed, parse_fixed};
use crate::photos;
use crate::roles::Action;
use crate::store::Writer;
use crate::text::ascii_digits;

const TEXT_FIELDS: &[&str] = &["notes"];

/// Vital signs, each optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Vitals {
    /// Temperature in tenths of a degree Celsius (375 = 37.5 °C).
    pub temperature_dc: Option<i64>,
    /// Systolic blood pressure, mmHg.
    pub bp_systolic: Option<i64>,
    /// Diastolic blood pressure, mmHg.
    pub bp_diastolic: Option<i64>,
    /// Pulse, beats per minute.
    pub pulse: Option<i64>,
    /// Weight in grams.
    pub weight_g: Option<i64>,
    /// Height in centimetres.
    pub height_cm: Option<i64>,
    /// Oxygen saturation, percent.
    pub spo2: Option<i64>,
}

/// Vitals as typed ("37.5", "120/80", "72.5"); each is range-checked.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct VitalsInput {
    /// °C, e.g. "37.5".
    pub temperature: Option<String>,
    /// "SYS/DIA", e.g. "120/80".
    pub blood_pressure: Option<String>,
    /// Beats per minute.
    pub pulse: Option<String>,
    /// Kilograms, e.g. "72.5".
    pub weight: Option<String>,
    /// Centimetres.
    pub height: Option<String>,
    /// Percent.
    pub spo2: Option<String>,
}

fn ranged(vital: &str, text: &str, decimals: u32, min: i64, max: i64) -> Result<i64> {
    let cleaned = ascii_digits(text.trim()).replace('\u{066B}', ".");
    let value =
        parse_fixed(&cleaned, decimals).ok_or_else(|| CoreError::invalid(vital, "not-a-number"))?;
    if value < min || value > max {
        return Err(CoreError::VitalOutOfRange {
            vital: vital.to_string(),
            value: text.trim().to_string(),
            min: format_fixed(min, decimals),
            max: format_fixed(max, decimals),
        });
    }
    Ok(value)
}

impl VitalsInput {
    /// Checks every given vital against the range a living patient can have; one left
    /// blank (a form's empty field) is not given.
    pub fn parse(&self) -> Result<Vitals> {
        fn given(field: &Option<String>) -> Option<&str> {
            field.as_deref().filter(|s| !s.trim().is_empty())
        }
        let mut v = Vitals::default();
        if let Some(t) = given(&self.temperature) {
            v.temperature_dc = Some(ranged("temperature", t, 1, 300, 450)?);
        }
        if let Some(bp) = given(&self.blood_pressure) {
            let (sys, dia) = bp
                .split_once('/')
                .ok_or_else(|| CoreError::invalid("blood pressure", "bp-format"))?;
            let sys = ranged("systolic pressure", sys, 0, 50, 260)?;
            let dia = ranged("diastolic pressure", dia, 0, 30, 160)?;
            if dia >= sys {
                return Err(CoreError::invalid("blood pressure", "bp-order"));
            }
            v.bp_systolic = Some(sys);
            v.bp_diastolic = Some(dia);
        }
        if let Some(p) = given(&self.pulse) {
            v.pulse = Some(ranged("pulse", p, 0, 20, 250)?);
        }
        if let Some(w) = given(&self.weight) {
            v.weight_g = Some(ranged("weight", w, 3, 500, 400_000)?);
        }
        if let Some(h) = given(&self.height) {
            v.height_cm = Some(ranged("height", h, 0, 30, 250)?);
        }
        if let Some(s) = given(&self.spo2) {
            v.spo2 = Some(ranged("SpO2", s, 0, 50, 100)?);
        }
        Ok(v)
    }
}

/// A recorded visit, in its doctor-day document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Visit {
    /// The id.
    pub id: VisitId,
    /// The appointment it belongs to.
    pub appointment_id: AppointmentId,
    /// The patient.
    pub patient_id: PatientId,
    /// The doctor who saw them.
    pub doctor_id: StaffId,
    /// Visit type name.
    pub visit_type: String,
    /// Vital signs.
    pub vitals: Vitals,
    /// Diagnoses, in the order written.
    #[serde(default)]
    pub diagnoses: Vec<String>,
    /// Free-text notes.
    #[serde(default)]
    pub notes: String,
    /// SHA-256 of each prescription photo.
    #[serde(default)]
    pub photos: Vec<String>,
    /// Unix seconds it was first recorded.
    pub recorded_at: i64,
    /// Login of the doctor who recorded it.
    pub recorded_by: String,
    /// "Come back in N days": the desk sees it among the follow-ups to book until one is.
    /// Written even when none, so that taking a follow-up back clears it in the document.
    #[serde(default)]
    pub follow_up_days: Option<i64>,
}

impl Visit {
    /// The clinic-local day the doctor asked to see the patient again.
    pub fn follow_up_due(&self, time: &crate::time::ClinicTime) -> Option<jiff::civil::Date> {
        let days = self.follow_up_days?;
        let seen = time.local_date(Timestamp::from_second(self.recorded_at).ok()?);
        seen.checked_add(jiff::Span::new().days(days)).ok()
    }
}

/// The longest follow-up a visit may ask for, in days.
pub const MAX_FOLLOW_UP_DAYS: i64 = 365;

/// A follow-up as typed: "14" or "14d" days, "2w" weeks (Arabic-Indic digits too, and
/// "يوم"/"أسبوع"); 0 takes one back.
pub fn parse_follow_up(text: &str) -> Result<i64> {
    let text = crate::text::ascii_digits(text.trim()).to_lowercase();
    let digits: String = text.chars().take_while(|c| c.is_ascii_digit()).collect();
    let unit = text[digits.len()..].trim();
    let n: i64 = digits
        .parse()
        .map_err(|_| CoreError::invalid("follow-up", "follow-up-days"))?;
    let days = match unit {
        "" | "d" | "day" | "days" | "يوم" | "أيام" | "ايام" => n,
        "w" | "week" | "weeks" | "أسبوع" | "اسبوع" | "أسابيع" | "اسابيع" => {
            n * 7
        }
        _ => return Err(CoreError::invalid("follow-up", "follow-up-days")),
    };
    if !(0..=MAX_FOLLOW_UP_DAYS).contains(&days) {
        return Err(CoreError::invalid("follow-up", "follow-up-days"));
    }
    Ok(days)
}

/// What the doctor enters; given vitals replace the old ones, diagnoses, notes and photos
/// are added.
#[derive(Debug, Clone, Default)]
pub struct VisitInput {
    /// Vitals as typed.
    pub vitals: VitalsInput,
    /// Diagnoses to add.
    pub diagnoses: Vec<String>,
    /// A note to add (a new paragraph).
    pub note: Option<String>,
    /// Photo files to import.
    pub photos: Vec<Vec<u8>>,
    /// The visit type the doctor says it was (a follow-up booked as an examination, say);
    /// none keeps the booking's.
    pub visit_type: Option<String>,
    /// "Follow-up in N days" (weeks are 7·N); 0 takes a follow-up back, none keeps it.
    pub follow_up_days: Option<i64>,
}

/// Records (or adds to) the visit of an appointment whose patient has arrived.
pub(crate) fn record(
    w: &mut Writer<'_>,
    appointment_id: AppointmentId,
    input: &VisitInput,
) -> Result<Visit> {
    w.allow(Action::WriteClinical)?;
    let vitals = input.vitals.parse()?;
    if let Some(days) = input.follow_up_days {
        if !(0..=MAX_FOLLOW_UP_DAYS).contains(&days) {
            return Err(CoreError::invalid("follow-up", "follow-up-days"));
        }
    }
    let processed = input
        .photos
        .iter()
        .map(|f| photos::process(f))
        .collect::<Result<Vec<_>>>()?;
    let appointment = appointments::get(w, appointment_id)?;
    if !matches!(
        appointment.status,
        Status::Arrived | Status::InExam | Status::Done
    ) {
        return Err(CoreError::invalid("appointment", "visit-needs-arrival"));
    }
    let day = w
        .ctx
        .time
        .local_date(Timestamp::from_second(appointment.starts_at).unwrap_or_default());
    let doc_id = DocId::visits(appointment.doctor_id, day);
    let existing: Option<String> =
        w.tx.query_row(
            "SELECT id FROM visits WHERE appointment_id = ?1",
            [appointment_id.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    let mut visit = match existing {
        Some(id) => get_root_record(w.doc(&doc_id)?, &id)?
            .ok_or_else(|| CoreError::not_found("visit", &id))?,
        None => Visit {
            id: VisitId::new(),
            appointment_id,
            patient_id: appointment.patient_id,
            doctor_id: appointment.doctor_id,
            visit_type: appointment.visit_type.clone(),
            vitals: Vitals::default(),
            diagnoses: Vec::new(),
            notes: String::new(),
            photos: Vec::new(),
            recorded_at: w.now.as_second(),
            recorded_by: w.session.login.clone(),
            follow_up_days: None,
        },
    };
    if let Some(days) = input.follow_up_days {
        visit.follow_up_days = (days > 0).then_some(days);
    }
    if let Some(name) = input.visit_type.as_deref().filter(|n| !n.trim().is_empty()) {
        visit.visit_type = crate::settings::visit_type_named(w, name)?.name;
    }
    merge_vitals(&mut visit.vitals, vitals);
    visit.diagnoses.extend(
        input
            .diagnoses
            .iter()
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty()),
    );
    if let Some(note) = input
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        if !visit.notes.is_empty() {
            visit.notes.push('\n');
        }
        visit.notes.push_str(note);
    }
    for photo in &processed {
        photos::store(&w.tx, photo, false)?;
        if !visit.photos.contains(&photo.sha256) {
            visit.photos.push(photo.sha256.clone());
        }
    }
    let key = visit.id.to_string();
    put_record(w.doc(&doc_id)?, &ROOT, &key, &visit, TEXT_FIELDS)?;
    w.touch(&doc_id, &key)?;
    w.audit("visit-record", format!("{} {}", visit.id, appointment_id));
    Ok(visit)
}

fn merge_vitals(into: &mut Vitals, new: Vitals) {
    let pick = |old: &mut Option<i64>, new: Option<i64>| {
        if new.is_some() {
            *old = new;
        }
    };
    pick(&mut into.temperature_dc, new.temperature_dc);
    pick(&mut into.bp_systolic, new.bp_systolic);
    pick(&mut into.bp_diastolic, new.bp_diastolic);
    pick(&mut into.pulse, new.pulse);
    pick(&mut into.weight_g, new.weight_g);
    pick(&mut into.height_cm, new.height_cm);
    pick(&mut into.spo2, new.spo2);
}

/// Where a patient's visits are (document, record id), newest first.
pub(crate) fn of_patient(
    conn: &rusqlite::Connection,
    patient: PatientId,
) -> Result<Vec<(String, String)>> {
    Ok(conn
        .prepare("SELECT doc_id, id FROM visits WHERE patient_id = ?1 ORDER BY recorded_at DESC")?
        .query_map([patient.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_follow_up_is_read_in_days_or_weeks_in_either_digits() {
        assert_eq!(parse_follow_up("14").unwrap(), 14);
        assert_eq!(parse_follow_up("10d").unwrap(), 10);
        assert_eq!(parse_follow_up("2w").unwrap(), 14);
        assert_eq!(parse_follow_up("٣ أسابيع").unwrap(), 21);
        assert_eq!(parse_follow_up("0").unwrap(), 0);
        for bad in ["", "soon", "-3", "2 months", "400", "60w"] {
            assert!(parse_follow_up(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn vitals_outside_living_ranges_are_refused() {
        let ok = VitalsInput {
            temperature: Some("37.5".into()),
            blood_pressure: Some("120/80".into()),
            pulse: Some("٧٢".into()),
            weight: Some("72.5".into()),
            height: Some("170".into()),
            spo2: Some("98".into()),
        }
        .parse()
        .unwrap();
        assert_eq!(ok.temperature_dc, Some(375));
        assert_eq!(ok.weight_g, Some(72_500));
        assert_eq!(ok.pulse, Some(72));
        let blank = VitalsInput {
            temperature: Some("  ".into()),
            pulse: Some(String::new()),
            spo2: Some("97".into()),
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert_eq!(
            (blank.temperature_dc, blank.pulse, blank.spo2),
            (None, None, Some(97)),
            "a field left blank is not given"
        );
        for (bad, what) in [
            (
                VitalsInput {
                    temperature: Some("375".into()),
                    ..Default::default()
                },
                "temperature",
            ),
            (
                VitalsInput {
                    blood_pressure: Some("80/120".into()),
                    ..Default::default()
                },
                "bp order",
            ),
            (
                VitalsInput {
                    blood_pressure: Some("120".into()),
                    ..Default::default()
                },
                "bp format",
            ),
            (
                VitalsInput {
                    spo2: Some("101".into()),
                    ..Default::default()
                },
                "spo2",
            ),
            (
                VitalsInput {
                    pulse: Some("abc".into()),
                    ..Default::default()
                },
                "pulse",
            ),
        ] {
            assert!(bad.parse().is_err(), "{what} accepted");
        }
        let err = VitalsInput {
            temperature: Some("47".into()),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "A temperature of 47 is outside 30.0 to 45.0. Check for a typing mistake."
        );
    }
}
