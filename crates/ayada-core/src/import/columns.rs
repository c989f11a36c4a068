//! Which column holds what: headings recognised in Arabic or English with the variants
//! clinics write, and the person's own corrections for a heading nobody foresaw.

use serde::{Deserialize, Serialize};

use crate::text::fold;

/// What a column can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "kebab-case")]
pub enum Field {
    /// The patient's name.
    Name,
    /// Their phone.
    Phone,
    /// Gender.
    Gender,
    /// Date of birth.
    Dob,
    /// Medical history (and a clinic's "notes" column, which is where it lives elsewhere).
    MedicalHistory,
    /// Allergies.
    Allergies,
    /// An appointment's day.
    Date,
    /// An appointment's time.
    Time,
    /// The doctor, by name or login.
    Doctor,
    /// The visit type.
    VisitType,
    /// Not brought in.
    Ignore,
}

/// The headings each field is known by, folded as `fold` folds (hamza forms, taa marbuta,
/// case), so "اسم المريض", "إسم المريض" and "Patient Name" all meet.
const KNOWN: &[(Field, &[&str])] = &[
    (
        Field::Name,
        &[
            "name",
            "patient",
            "patient name",
            "full name",
            "الاسم",
            "اسم",
            "اسم المريض",
            "اسم المريضه",
            "المريض",
            "الاسم بالكامل",
            "الاسم الكامل",
        ],
    ),
    (
        Field::Phone,
        &[
            "phone",
            "mobile",
            "phone number",
            "mobile number",
            "tel",
            "telephone",
            "cell",
            "whatsapp",
            "الموبايل",
            "موبايل",
            "المحمول",
            "محمول",
            "رقم الموبايل",
            "رقم المحمول",
            "التليفون",
            "تليفون",
            "رقم التليفون",
            "الهاتف",
            "هاتف",
            "رقم الهاتف",
            "تلفون",
            "رقم التلفون",
            "واتساب",
            "واتس",
        ],
    ),
    (Field::Gender, &["gender", "sex", "النوع", "الجنس", "نوع"]),
    (
        Field::Dob,
        &[
            "dob",
            "date of birth",
            "birth date",
            "birthdate",
            "birthday",
            "تاريخ الميلاد",
            "الميلاد",
            "تاريخ الميلاد (يوم/شهر/سنه)",
        ],
    ),
    (
        Field::MedicalHistory,
        &[
            "medical history",
            "medical_history",
            "history",
            "notes",
            "note",
            "remarks",
            "التاريخ المرضي",
            "التاريخ الطبي",
            "ملاحظات",
            "ملاحظه",
            "الامراض المزمنه",
        ],
    ),
    (
        Field::Allergies,
        &["allergies", "allergy", "الحساسيه", "حساسيه"],
    ),
    (
        Field::Date,
        &[
            "date",
            "appointment date",
            "day",
            "التاريخ",
            "تاريخ",
            "تاريخ الحجز",
            "يوم الحجز",
            "اليوم",
            "تاريخ الموعد",
        ],
    ),
    (
        Field::Time,
        &[
            "time",
            "appointment time",
            "الوقت",
            "الساعه",
            "ميعاد",
            "الميعاد",
            "وقت الحجز",
        ],
    ),
    (
        Field::Doctor,
        &[
            "doctor",
            "dr",
            "physician",
            "الطبيب",
            "الدكتور",
            "دكتور",
            "طبيب",
        ],
    ),
    (
        Field::VisitType,
        &[
            "visit type",
            "visit_type",
            "type",
            "visit",
            "نوع الزياره",
            "نوع الكشف",
            "الكشف",
            "نوع الحجز",
        ],
    ),
];

/// A heading as compared: folded, without the punctuation and underscores people add.
fn key(heading: &str) -> String {
    let cleaned: String = heading
        .trim_start_matches('\u{feff}')
        .chars()
        .map(|c| {
            if c == '_' || c == '-' || c == ':' || c == '*' {
                ' '
            } else {
                c
            }
        })
        .collect();
    fold(cleaned.trim())
}

/// The field a heading names, if it is one clinics write.
pub fn recognise(heading: &str) -> Option<Field> {
    let key = key(heading);
    KNOWN
        .iter()
        .find(|(_, names)| names.iter().any(|n| fold(n) == key))
        .map(|(field, _)| *field)
}

/// The field of each column: the person's correction where they gave one, else the
/// heading's. A field claimed by two columns keeps the first; the other is left out.
pub fn map(headings: &[String], corrections: &[(usize, Field)]) -> Vec<Option<Field>> {
    let mut fields: Vec<Option<Field>> = headings
        .iter()
        .enumerate()
        .map(|(i, h)| {
            corrections
                .iter()
                .find(|(c, _)| *c == i)
                .map(|(_, f)| *f)
                .or_else(|| recognise(h))
                .filter(|f| *f != Field::Ignore)
        })
        .collect();
    for i in 0..fields.len() {
        if let Some(f) = fields[i] {
            if fields[..i].contains(&Some(f)) {
                fields[i] = None;
            }
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_and_english_headings_and_their_variants_are_recognised() {
        for (heading, field) in [
            ("الاسم", Field::Name),
            ("إسم المريض", Field::Name),
            ("اسم المريضة", Field::Name),
            ("Patient Name", Field::Name),
            ("الموبايل", Field::Phone),
            ("رقم التليفون", Field::Phone),
            ("Mobile_Number", Field::Phone),
            ("النوع", Field::Gender),
            ("تاريخ الميلاد", Field::Dob),
            ("\u{feff}Date of birth", Field::Dob),
            ("ملاحظات", Field::MedicalHistory),
            ("الحساسية", Field::Allergies),
            ("الطبيب", Field::Doctor),
            ("نوع الزيارة", Field::VisitType),
        ] {
            assert_eq!(recognise(heading), Some(field), "{heading}");
        }
        assert_eq!(recognise("رقم الملف"), None);
    }

    #[test]
    fn a_correction_wins_and_a_field_named_twice_keeps_its_first_column() {
        let headings: Vec<String> = ["الاسم", "رقم الملف", "الموبايل", "تليفون"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            map(&headings, &[]),
            [Some(Field::Name), None, Some(Field::Phone), None]
        );
        assert_eq!(
            map(&headings, &[(1, Field::Allergies), (0, Field::Ignore)]),
            [None, Some(Field::Allergies), Some(Field::Phone), None]
        );
    }
}
