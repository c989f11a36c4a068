//! The clinic's own details, visit types with their prices, and insurance providers. All
//! live in the clinic document; changing them is the owner's.

use automerge::ROOT;
use serde::Serialize;

use ayada_model::clinic::{portal_in, settings_in, Role, Staff, PORTAL, STAFF};

use crate::docs::{map_at, put_record, DocId};
use crate::error::{CoreError, Result};
use crate::ids::{InsurerId, VisitTypeId};
use crate::money::Money;
use crate::roles::Action;
use crate::store::Writer;

pub use ayada_model::clinic::{
    ClinicSettings, Insurer, PortalSettings, VisitType, INSURERS, SETTINGS, VISIT_TYPES,
};

/// Reads the clinic's details.
pub(crate) fn settings(w: &mut Writer<'_>) -> Result<ClinicSettings> {
    Ok(settings_in(w.doc(&DocId::clinic())?)?)
}

/// Reads the clinic's details outside a write (reports, receipts).
pub(crate) fn read_settings(conn: &rusqlite::Connection) -> Result<ClinicSettings> {
    let doc = crate::store::load_doc(conn, &DocId::clinic())?.unwrap_or_default();
    Ok(settings_in(&doc)?)
}

/// Writes the clinic's details (at init, and when the owner edits them).
pub(crate) fn put_settings(w: &mut Writer<'_>, settings: &ClinicSettings) -> Result<()> {
    if settings.name.trim().is_empty() {
        return Err(CoreError::invalid("name", "required"));
    }
    crate::time::ClinicTime::new(&settings.time_zone)?;
    if settings.currency.len() != 3 || !settings.currency.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(CoreError::invalid("currency", "iso-currency"));
    }
    let id = DocId::clinic();
    put_record(w.doc(&id)?, &ROOT, SETTINGS, settings, &[])?;
    w.touch(&id, SETTINGS)?;
    Ok(())
}

/// Every visit type, active or not.
pub(crate) fn visit_types(w: &mut Writer<'_>) -> Result<Vec<VisitType>> {
    list(w, VISIT_TYPES)
}

pub(crate) fn list<T: serde::de::DeserializeOwned>(
    w: &mut Writer<'_>,
    collection: &str,
) -> Result<Vec<T>> {
    Ok(ayada_model::clinic::list_in(
        w.doc(&DocId::clinic())?,
        collection,
    )?)
}

pub(crate) fn put_in<T: Serialize>(
    w: &mut Writer<'_>,
    collection: &str,
    key: &str,
    record: &T,
) -> Result<()> {
    let id = DocId::clinic();
    let doc = w.doc(&id)?;
    let parent = map_at(doc, &ROOT, collection)?;
    put_record(doc, &parent, key, record, &[])?;
    w.touch(&id, collection)?;
    Ok(())
}

/// Creates or re-prices a visit type, found by name (case-insensitive).
pub(crate) fn set_visit_type(
    w: &mut Writer<'_>,
    name: &str,
    price: Money,
    minutes: Option<i64>,
) -> Result<VisitType> {
    w.allow(Action::ManageSettings)?;
    let name = name.trim();
    if name.is_empty() {
        return Err(CoreError::invalid("name", "required"));
    }
    if let Some(m) = minutes {
        if !(5..=crate::appointments::MAX_MINUTES).contains(&m) {
            return Err(CoreError::invalid("minutes", "minutes-range"));
        }
    }
    let existing = visit_types(w)?
        .into_iter()
        .find(|t| t.name.eq_ignore_ascii_case(name));
    let visit_type = match existing {
        Some(mut t) => {
            t.price = price;
            if let Some(m) = minutes {
                t.minutes = m;
            }
            t.active = true;
            t
        }
        None => VisitType {
            id: VisitTypeId::new(),
            name: name.to_string(),
            price,
            minutes: minutes.unwrap_or(15),
            active: true,
        },
    };
    put_in(w, VISIT_TYPES, &visit_type.id.to_string(), &visit_type)?;
    w.audit(
        "visit-type-set",
        format!("{} {}", visit_type.name, visit_type.price),
    );
    Ok(visit_type)
}

/// Finds an active visit type by name.
pub(crate) fn visit_type_named(w: &mut Writer<'_>, name: &str) -> Result<VisitType> {
    visit_types(w)?
        .into_iter()
        .find(|t| t.active && t.name.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| CoreError::not_found("visit-type", name))
}

/// Adds an insurance provider (or re-activates one of the same name).
pub(crate) fn add_insurer(w: &mut Writer<'_>, name: &str) -> Result<Insurer> {
    w.allow(Action::ManageSettings)?;
    let name = name.trim();
    if name.is_empty() {
        return Err(CoreError::invalid("name", "required"));
    }
    let insurers: Vec<Insurer> = list(w, INSURERS)?;
    let insurer = match insurers
        .into_iter()
        .find(|i| i.name.eq_ignore_ascii_case(name))
    {
        Some(mut i) => {
            i.active = true;
            i
        }
        None => Insurer {
            id: InsurerId::new(),
            name: name.to_string(),
            active: true,
        },
    };
    put_in(w, INSURERS, &insurer.id.to_string(), &insurer)?;
    w.audit("insurer-add", insurer.name.clone());
    Ok(insurer)
}

/// Finds an active insurer by name.
pub(crate) fn insurer_named(w: &mut Writer<'_>, name: &str) -> Result<Insurer> {
    let insurers: Vec<Insurer> = list(w, INSURERS)?;
    insurers
        .into_iter()
        .find(|i| i.active && i.name.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| CoreError::not_found("insurer", name))
}

/// The active visit types by name, from their table.
pub(crate) fn active_visit_types(conn: &rusqlite::Connection) -> Result<Vec<VisitType>> {
    let mut stmt = conn.prepare(
        "SELECT id, name, price, minutes, active FROM visit_types WHERE active = 1 ORDER BY name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
        ))
    })?;
    rows.map(|row| {
        let (id, name, price, minutes, active) = row?;
        Ok(VisitType {
            id: id.parse()?,
            name,
            price: Money(price),
            minutes,
            active,
        })
    })
    .collect()
}

/// The online booking portal's settings (the defaults, not bookable, until the owner saves
/// them).
pub(crate) fn portal(w: &mut Writer<'_>) -> Result<PortalSettings> {
    Ok(portal_in(w.doc(&DocId::clinic())?)?)
}

/// Saves what patients may book online (owner): only the clinic's active doctors and active
/// visit types, within the limits of [`PortalSettings::check`].
pub(crate) fn set_portal(w: &mut Writer<'_>, new: &PortalSettings) -> Result<PortalSettings> {
    w.allow(Action::ManageSettings)?;
    new.check()?;
    let staff: Vec<Staff> = list(w, STAFF)?;
    for id in &new.doctors {
        if !staff
            .iter()
            .any(|s| s.id == *id && s.active && s.role == Role::Doctor)
        {
            return Err(CoreError::invalid("online-doctors", "not-a-doctor"));
        }
    }
    let types: Vec<VisitType> = list(w, VISIT_TYPES)?;
    for id in &new.visit_types {
        if !types.iter().any(|t| t.id == *id && t.active) {
            return Err(CoreError::not_found("visit-type", id));
        }
    }
    let mut clean = new.clone();
    clean.doctors.dedup();
    clean.visit_types.dedup();
    clean.reminder_hours.sort_unstable_by(|a, b| b.cmp(a));
    clean.reminder_hours.dedup();
    clean.review_link = clean.review_link.trim().to_string();
    let id = DocId::clinic();
    put_record(w.doc(&id)?, &ROOT, PORTAL, &clean, &[])?;
    w.touch(&id, PORTAL)?;
    w.audit("portal-settings", if clean.enabled { "on" } else { "off" });
    Ok(clean)
}
