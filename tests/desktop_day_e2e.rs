//! A whole clinic day in the real desktop window (the Tauri binary in WebKitGTK under Xvfb,
//! driven through WebDriver), in English and then in Arabic; the screenshots are kept in
//! target/test-artifacts/desktop for a person to look at. Needs what desktop_e2e needs.

#![cfg(unix)]

mod common;
mod window;

use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use window::*;

#[test]
fn a_clinic_day_in_the_real_window_in_english_then_arabic() {
    // Today's slots that are over are not offered; the doctor works 00:00-23:40.
    wait_if_the_clinic_day_is_ending();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("clinic");
    let key = tmp.path().join("clinic.key");
    let driver = start_driver(
        tmp.path(),
        &[("AYADA_DATA", &data), ("AYADA_KEY_FILE", &key)],
    );
    let app = common::bin("ayada");
    let s = Session::new(&driver, &app);

    // First run: the owner creates the clinic.
    s.type_into("[data-test=clinic-name]", "عيادة النور");
    s.type_into("[data-test=owner-name]", "Dr. Hala");
    s.type_into("[data-test=owner-login]", "owner");
    s.type_into("[data-test=owner-password]", OWNER_PW);
    s.screenshot("01-first-run");
    s.click("[data-test=create-clinic]");
    assert!(s.text("[data-test=who]").contains("Dr. Hala"));

    // The owner adds the front desk and a doctor, and the doctor's hours.
    s.click("[data-test=nav-owner]");
    for (name, login, role) in [
        ("منى", "reception", "receptionist"),
        ("د. سارة", "dr.sara", "doctor"),
    ] {
        s.type_into("[data-test=staff-name]", name);
        s.type_into("[data-test=staff-login]", login);
        // Choosing an option the way WebDriver specifies it: clicking the option.
        s.click(&format!("[data-test=staff-role] option[value={role}]"));
        s.type_into("[data-test=staff-password]", STAFF_PW);
        s.click("[data-test=add-staff]");
        s.wait_text("[data-test=staff-row]", login);
    }
    // The doctor's hours: none yet, then every day of the week (the test runs on any day)
    // from midnight to 23:40. An evening range with only its start is refused first.
    s.wait_text("[data-test=sched-current]", "No working hours");
    let unticked = s.script(
        "return [...document.querySelectorAll('[data-test=sched-day]')].filter(b => !b.checked).map(b => b.value)",
        json!([]),
    );
    for day in unticked.as_array().unwrap() {
        s.click(&format!(
            "[data-test=sched-day][value={}]",
            day.as_str().unwrap()
        ));
    }
    s.type_into("[data-test=sched-from]", "00:00");
    s.type_into("[data-test=sched-to]", "23:40");
    s.type_into("[data-test=sched-from-2]", "18:00");
    s.click("[data-test=set-schedule]");
    s.wait_text("[data-test=schedule-error]", "start and the end");
    s.set_value("[data-test=sched-from-2]", "");
    s.click("[data-test=set-schedule]");
    s.wait_text(
        "[data-test=sched-current]",
        "Sat, Sun, Mon, Tue, Wed, Thu, Fri",
    );
    s.wait_text("[data-test=sched-current]", "00:00–23:40 · 20 min");
    // A day off next month shows in the list of days off, with its weekday.
    let off = clinic_today() + jiff::Span::new().days(30);
    s.set_value("[data-test=off-date]", &off.to_string());
    s.click("[data-test=set-day-off]");
    s.wait_text(
        "[data-test=days-off]",
        &format!("{off} {} · Day off", off.strftime("%A")),
    );
    // A new visit type with its price, and an insurer the desk can pick.
    s.type_into("[data-test=type-name]", "follow-up");
    s.type_into("[data-test=type-price]", "abc");
    s.click("[data-test=save-type]");
    s.find("[data-test=prices-error]");
    s.type_into("[data-test=type-price]", "150");
    s.type_into("[data-test=type-minutes]", "15");
    s.click("[data-test=save-type]");
    s.wait_text("[data-test=visit-types]", "150.00");
    s.type_into("[data-test=insurer-name]", "AXA Egypt");
    s.click("[data-test=add-insurer]");
    s.wait_text("[data-test=insurers]", "AXA Egypt");
    s.screenshot("02-owner-staff");
    s.log_out();

    // The receptionist registers a patient with an Arabic name, books and checks her in.
    // Beside the queue's date field, the date as people read it: weekday, day, month.
    s.log_in("reception", STAFF_PW);
    let today = clinic_today();
    s.wait_text(
        "[data-test=queue-date-long]",
        &format!("{} {}", today.day(), today.strftime("%B")),
    );
    assert!(s
        .text("[data-test=queue-date-long]")
        .starts_with(&today.strftime("%A").to_string()));
    s.type_into("[data-test=new-name]", "فاطمة الزهراء");
    s.type_into("[data-test=new-phone]", "01012345678");
    s.click("[data-test=register]");
    s.wait_text("[data-test=chosen-patient]", "فاطمة");
    // She is booked from the keyboard alone: her name in another spelling (search still
    // finds her), Enter takes the first patient found and moves to the first free slot,
    // Enter takes the slot and moves to Book, Enter books.
    s.type_into("[data-test=patient-search]", "فاطمه");
    s.wait_text("[data-test=patient-hit]", "01012345678");
    s.press_enter("[data-test=patient-search]");
    s.press_enter("[data-test=slot]");
    s.press_enter("[data-test=book]");
    s.wait_text("[data-test=booked]", "فاطمة");
    s.wait_text("[data-test=queue]", "فاطمة الزهراء");
    s.click("[data-test=check-in]");
    s.wait_text("[data-test=row-status]", "Waiting");
    s.screenshot("03-today-queue");

    // Money is the owner's: the command layer refuses the receptionist.
    let refused = s
        .invoke("day_report", json!({ "date": "2026-01-01" }))
        .unwrap_err();
    assert_eq!(refused["code"], "forbidden", "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("may not"));
    s.log_out();

    // The doctor records the visit with a prescription photo. Alt+4 opens her fourth
    // screen, the visit.
    s.log_in("dr.sara", STAFF_PW);
    s.post(
        "/actions",
        json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
            {"type": "keyDown", "value": "\u{E00A}"}, {"type": "keyDown", "value": "4"},
            {"type": "keyUp", "value": "4"}, {"type": "keyUp", "value": "\u{E00A}"}
        ]}]}),
    );
    s.find("[data-test=nav-visit].active");
    s.click("[data-test=visit-patient]");
    s.type_into("[data-test=temperature]", "37.6");
    s.type_into("[data-test=blood-pressure]", "120/80");
    s.type_into("[data-test=pulse]", "78");
    s.type_into("[data-test=weight]", "64.5");
    s.type_into("[data-test=spo2]", "98");
    // A slight fever is marked; a normal pulse is not.
    s.wait_text("[data-test=range-temperature]", "outside the usual range");
    assert!(!s
        .text("[data-test=range-pulse]")
        .contains("outside the usual range"));
    s.type_into("[data-test=diagnosis]", "التهاب الحلق; Fever");
    let photo = tmp.path().join("prescription.png");
    image::RgbImage::from_fn(320, 200, |x, y| image::Rgb([x as u8, y as u8, 200]))
        .save(&photo)
        .unwrap();
    let input = s.find("[data-test=photos]");
    s.post(
        &format!("/element/{input}/value"),
        json!({ "text": photo.to_str().unwrap() }),
    );
    s.wait_count("[data-test=picked-photo]", 1);
    // A second page of the prescription dropped onto the form, with a PDF that is left out.
    // (The page's own drop event, with the files a drag from the file manager carries.)
    s.post(
        "/execute/async",
        json!({"args": [], "script": "const c = document.createElement('canvas'); c.width = 200; c.height = 300;
         const g = c.getContext('2d'); g.fillStyle = '#3366aa'; g.fillRect(0, 0, 200, 300);
         const done = arguments[arguments.length - 1];
         c.toBlob((b) => {
           const t = new DataTransfer();
           t.items.add(new File([b], 'page-2.png', { type: 'image/png' }));
           t.items.add(new File(['%PDF-1.4'], 'lab.pdf', { type: 'application/pdf' }));
           const zone = document.querySelector('[data-test=photo-drop]');
           zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: t, bubbles: true, cancelable: true }));
           zone.dispatchEvent(new DragEvent('drop', { dataTransfer: t, bubbles: true, cancelable: true }));
           done(1);
         }, 'image/png');"}),
    );
    s.wait_count("[data-test=picked-photo]", 2);
    s.wait_text("[data-test=photos-refused]", "lab.pdf");
    s.screenshot("04-visit");
    s.click("[data-test=save-visit]");
    s.find("[data-test=visit-saved]");
    // The photo in her file: a thumbnail, and the full picture over the screen.
    s.open_patient_file("فاطمة");
    s.wait_text("[data-test=file-visits]", "التهاب الحلق");
    s.click("[data-test=photo-thumb]");
    s.find("[data-test=photo-full]");
    s.screenshot("04b-photo-full");
    let started = Instant::now();
    let width = loop {
        let width = s.script(
            "const i = document.querySelector('[data-test=photo-full] img'); return i.complete ? i.naturalWidth : 0",
            json!([]),
        );
        if width != 0 || started.elapsed() > Duration::from_secs(10) {
            break width;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let state = s.script("const i = document.querySelector('[data-test=photo-full] img'); const t = document.querySelector('[data-test=photo-thumb] img'); return [i.src, i.complete, i.naturalWidth, t.naturalWidth, t.src, document.body.innerText.slice(0, 300)]", json!([]));
    assert_eq!(width, 320, "the stored picture at its own size: {state}");
    s.click("[data-test=photo-close]");
    s.log_out();

    // The receptionist takes the payment and closes the shift.
    s.log_in("reception", STAFF_PW);
    s.click("[data-test=nav-cash]");
    // The desk sees that no drawer is open here, opens one, and then sees since when and
    // by whom (its money is the owner's to read).
    s.wait_text("[data-test=shift-state]", "No shift is open");
    assert!(s.find_all("[data-test=close-shift]").is_empty());
    s.type_into("[data-test=float]", "100");
    s.click("[data-test=open-shift]");
    s.find("[data-test=cash-message]");
    let open = s.wait_text("[data-test=shift-state]", "Shift open since");
    assert!(open.contains("منى") && !open.contains("100"), "{open}");
    assert!(s.find_all("[data-test=open-shift]").is_empty());
    s.type_into("[data-test=pay-amount]", "350");
    s.click("[data-test=pay]");
    s.wait_text("[data-test=cash-message]", "Payment recorded");
    s.click("[data-test=print-receipt]");
    let receipt = s.wait_text("[data-test=receipt-path]", ".pdf");
    let receipt = PathBuf::from(receipt.trim_start_matches("Saved to").trim());
    let text = pdf_text(&receipt);
    assert!(
        text.contains("350.00") && text.contains("فاطمة الزهراء"),
        "{text}"
    );
    // A refund on that payment and an expense from the drawer.
    s.type_into("[data-test=refund-amount]", "20");
    s.type_into("[data-test=refund-reason]", "خصم");
    s.click("[data-test=refund]");
    s.wait_text("[data-test=cash-message]", "Refund recorded");
    s.type_into("[data-test=expense-amount]", "50");
    s.type_into("[data-test=expense-category]", "supplies");
    s.click("[data-test=add-expense]");
    s.wait_text("[data-test=cash-message]", "Expense recorded");
    s.type_into("[data-test=counted]", "380");
    s.click("[data-test=close-shift]");
    s.wait_text("[data-test=cash-message]", "Shift closed");
    s.wait_text("[data-test=shift-state]", "No shift is open");
    s.screenshot("05-cash");
    s.log_out();

    // The owner reads the day, closes it into Z-1 and saves its PDF; the chart agrees.
    s.log_in("owner", OWNER_PW);
    s.click("[data-test=nav-owner]");
    s.wait_text("[data-test=net-revenue]", "330.00");
    // The whole day on the screen, as on the paper: the refund, the expense, what the drawer
    // should hold and what was counted (float 100 + 350 − 20 − 50 = 380, counted 380).
    s.wait_text("[data-test=report-refunds]", "20.00");
    // One visit, paid and then partly refunded: the doctor's line is one visit's net revenue.
    let doctor_line = s.wait_text("[data-test=report-by-doctor]", "330.00");
    assert!(
        doctor_line.contains("×1") && !doctor_line.contains("×2"),
        "{doctor_line}"
    );
    s.wait_text("[data-test=report-expenses]", "supplies");
    s.wait_text("[data-test=total-expenses]", "50.00");
    s.wait_text("[data-test=net-cash]", "280.00");
    s.wait_text("[data-test=report-shifts]", "380.00");
    s.wait_text("[data-test=shift-difference]", "0.00");
    s.wait_text("[data-test=report-activity]", "Visits");
    s.wait_text("[data-test=revenue-total]", "330.00");
    s.wait_text("[data-test=revenue-breakdown]", "Cash");
    s.wait_text("[data-test=revenue-visits]", "1");
    s.click("[data-test=close-day]");
    s.wait_text("[data-test=report-title]", "Z-1");
    s.wait_text("[data-test=server-check]", "not enrolled");
    s.click("[data-test=save-pdf]");
    let saved = s.wait_text("[data-test=pdf-path]", ".pdf");
    let pdf = PathBuf::from(saved.trim_start_matches("Saved to").trim());
    assert!(
        pdf.starts_with(data.join("reports")) && pdf.exists(),
        "{saved}"
    );
    let text = pdf_text(&pdf);
    assert!(
        text.contains("350.00") && text.contains("تقرير إقفال اليوم"),
        "{text}"
    );
    s.screenshot("06-owner-report");

    // Settings: an encrypted backup and an export into a folder off the clinic's own.
    let usb = tmp.path().join("usb");
    std::fs::create_dir_all(&usb).unwrap();
    s.click("[data-test=nav-settings]");
    s.wait_text(
        "[data-test=machines-note]",
        "not connected to a sync server",
    );
    // The clinic's details: phones come back in their international form.
    s.type_into("[data-test=details-address]", "12 شارع التحرير، الدقي");
    s.type_into("[data-test=details-phones]", "02 3333 4444, 01012345678");
    s.click("[data-test=save-details]");
    s.wait_text("[data-test=details-saved]", "Saved");
    let phones = s.script(
        "return document.querySelector('[data-test=details-phones]').value",
        json!([]),
    );
    assert_eq!(phones, "+20233334444, +201012345678");
    // Online booking: the owner puts a doctor and a visit type online, with WhatsApp
    // reminders the day before and (typed in Arabic digits) two hours before.
    s.click("[data-test=online-enabled]");
    s.click("[data-test=online-doctor]");
    s.click("[data-test=online-type]");
    s.type_into("[data-test=online-reminders]", "24، ٢");
    s.click("[data-test=save-online]");
    s.wait_text("[data-test=online-saved]", "Saved");
    let online = s.invoke("portal_settings", json!({})).unwrap();
    assert_eq!(online["enabled"], true, "{online}");
    assert_eq!(online["reminder_hours"], json!([24, 2]));
    assert_eq!(online["doctors"].as_array().unwrap().len(), 1);
    s.type_into("[data-test=online-review]", "javascript:alert(1)");
    s.click("[data-test=save-online]");
    s.wait_text("[data-test=online-error]", "https://");
    s.type_into("[data-test=backup-folder]", usb.to_str().unwrap());
    s.type_into("[data-test=backup-passphrase]", "short");
    s.click("[data-test=backup]");
    s.wait_text("[data-test=error]", "8");
    s.type_into("[data-test=backup-passphrase]", "usb-passphrase-1");
    s.click("[data-test=backup]");
    let saved = s.wait_text("[data-test=backup-path]", ".db");
    let backup = PathBuf::from(saved.trim_start_matches("Saved to").trim());
    assert!(backup.starts_with(&usb) && backup.exists(), "{saved}");
    let head = std::fs::read(&backup).unwrap();
    assert!(
        !head.starts_with(b"SQLite format 3"),
        "the backup is encrypted"
    );
    s.click("[data-test=export]");
    let exported = s.wait_text("[data-test=export-path]", "ayada-export");
    let export = PathBuf::from(exported.trim_start_matches("Saved to").trim());
    assert!(export.join("clinic.json").exists(), "{exported}");
    assert!(export.join("photos").read_dir().unwrap().count() >= 1);
    s.screenshot("06b-settings");

    // The clinic's old list comes in: a CSV that Excel saved on an Arabic Windows PC
    // (Windows-1256, semicolons), with a file-number column, the names under "the client"
    // (a heading the import does not know), Fatma again (she is registered already), and a
    // birth date that cannot be.
    let old_list = "رقم الملف;العميل;رقم الموبايل;تاريخ الميلاد\r\n\
                    101;سلمى حسن;01099999999;03/02/1990\r\n\
                    102;فاطمة الزهراء;01012345678;23/11/1985\r\n\
                    103;هدى سمير;01022222222;31/02/1990\r\n";
    let (cp1256, _, _) = encoding_rs::WINDOWS_1256.encode(old_list);
    s.choose_file("[data-test=import-file]", "patients.csv", &cp1256);
    s.wait_text("[data-test=import-source]", "windows-1256");
    // No column holds the names yet: the owner tells the second column what it holds.
    s.wait_text("[data-test=import-missing]", "name");
    s.script(
        "const c = document.querySelectorAll('[data-test=import-column]')[1];
         c.value = 'name'; c.dispatchEvent(new Event('change', { bubbles: true }));",
        json!([]),
    );
    s.wait_text("[data-test=import-source]", "1 new patient");
    s.wait_text("[data-test=import-preview]", "سلمى حسن");
    s.wait_text("[data-test=import-bad]", "line 4");
    s.wait_text("[data-test=import-duplicates]", "already a patient");
    s.screenshot("06c-import-preview");
    s.click("[data-test=import-skip-bad]");
    s.click("[data-test=import-accept]");
    s.wait_text("[data-test=import-done]", "1 patient brought in");
    s.wait_text("[data-test=import-done]", "1 file filled in");
    // And the desk's next weeks: Salma, just brought in, with Dr. Sara a week from today.
    let next_week = clinic_today()
        .checked_add(jiff::Span::new().days(7))
        .unwrap()
        .strftime("%d/%m/%Y")
        .to_string();
    let bookings = format!(
        "الاسم,الموبايل,التاريخ,الوقت,الطبيب\nسلمى حسن,01099999999,{next_week},11:30,د. سارة\n"
    );
    s.set_value("[data-test=import-kind]", "appointments");
    s.script(
        "document.querySelector('[data-test=import-kind]').dispatchEvent(new Event('change', {bubbles: true}))",
        json!([]),
    );
    s.choose_file(
        "[data-test=import-file]",
        "next-weeks.csv",
        bookings.as_bytes(),
    );
    s.wait_text("[data-test=import-source]", "1 appointment to book");
    s.click("[data-test=import-accept]");
    s.wait_text("[data-test=import-done]", "1 appointment booked");

    // Arabic: the whole layout mirrors.
    s.click("[data-test=language]");
    s.wait_text("[data-test=nav-cash]", "الخزينة");
    let dir = s.script("return document.documentElement.dir", json!([]));
    assert_eq!(dir, "rtl");
    s.screenshot("07-owner-arabic");
    // The day's report in Arabic, in the printed report's own words.
    s.click("[data-test=nav-owner]");
    s.wait_text("[data-test=day-report]", "المرتجعات حسب طريقة الدفع");
    s.wait_text("[data-test=report-shifts]", "الفرق");
    s.screenshot("07b-owner-report-arabic");
    s.click("[data-test=nav-today]");
    s.wait_text("[data-test=queue]", "فاطمة");
    // The queue's date in Arabic words, in the digits of the times and the money beside it.
    let long = s.wait_text("[data-test=queue-date-long]", &today.year().to_string());
    assert!(long.contains(&today.day().to_string()), "{long}");
    assert!(
        !long.chars().any(|c| ('\u{0660}'..='\u{0669}').contains(&c)),
        "{long}"
    );
    s.screenshot("08-today-arabic");

    // A patient who walks in without a booking joins today's queue, already waiting: she
    // comes back for a follow-up, which the desk picks by its Arabic name.
    s.type_into("[data-test=patient-search]", "فاطمه");
    s.click("[data-test=patient-hit]");
    let kinds = s.text("[data-test=book-visit-type]");
    assert!(
        kinds.contains("كشف") && kinds.contains("استشارة"),
        "{kinds}"
    );
    s.choose("[data-test=book-visit-type]", "follow-up");
    s.click("[data-test=walk-in]");
    s.wait_text("[data-test=walk-in-tag]", "بدون موعد");
    // The queue says what she came for when it is not an examination.
    s.wait_text("[data-test=row-visit-type]", "استشارة");
    assert!(
        s.text("[data-test=queue]").contains("د. سارة"),
        "the doctor's name"
    );

    // Her file: the booking, the payment, and an edit that is kept.
    s.open_patient_file("فاطمة");
    s.wait_text("[data-test=file-name]", "فاطمة الزهراء");
    s.wait_text("[data-test=file-payments]", "350.00");
    let bookings = s.text("[data-test=file-bookings]");
    assert!(bookings.contains("د. سارة"), "{bookings}");
    assert!(
        bookings.contains("استشارة"),
        "the walk-in's visit type: {bookings}"
    );
    s.click("[data-test=edit-patient]");
    s.type_into("[data-test=edit-allergies]", "البنسلين");
    s.click("[data-test=save-patient]");
    s.wait_text("[data-test=file-allergies]", "البنسلين");
    s.screenshot("08b-patient-file-arabic");

    // The week of the doctor: her booking in today's column, Saturday first.
    s.click("[data-test=nav-calendar]");
    s.wait_text("[data-test=calendar]", "فاطمة");
    let columns = s.find_all("[data-test=calendar-column]");
    assert_eq!(columns.len(), 7, "a week");
    // Each column is headed the way the person reads a day ("السبت، 21 نوفمبر"), not with
    // the ISO date the screens pass around.
    let headings = s.script(
        "return [...document.querySelectorAll('[data-test=calendar-day-heading]')].map(h => h.textContent)",
        json!([]),
    );
    let headings: Vec<&str> = headings
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h.as_str())
        .collect();
    assert_eq!(headings.len(), 7, "{headings:?}");
    assert!(
        headings[0].contains("السبت"),
        "Saturday first: {headings:?}"
    );
    assert!(
        headings
            .iter()
            .all(|h| !h.contains('-') && h.chars().any(|c| c.is_ascii_digit())),
        "weekday and day of the month, in the money's digits: {headings:?}"
    );
    s.screenshot("08c-calendar-arabic");
    s.click("[data-test=nav-conflicts]");
    s.find("[data-test=no-conflicts]");

    // The doctor calls the walk-in in: her allergy is the first thing on the visit form.
    s.log_out();
    s.log_in("dr.sara", STAFF_PW);
    s.click("[data-test=nav-visit]");
    s.click("[data-test=visit-patient]");
    s.wait_text("[data-test=visit-allergies]", "البنسلين");
    s.screenshot("08d-visit-arabic");

    // The machine remembers its language: the window opens again in Arabic, right to left,
    // from its first screen (written before the clinic is unlocked).
    drop(s);
    drop(driver);
    let driver = start_driver(
        tmp.path(),
        &[("AYADA_DATA", &data), ("AYADA_KEY_FILE", &key)],
    );
    let s = Session::new(&driver, &app);
    s.wait_text("[data-test=sign-in]", "دخول");
    let dir = s.script("return document.documentElement.dir", json!([]));
    assert_eq!(dir, "rtl");
    s.screenshot("14-reopened-in-arabic");

    // The data really is in the encrypted clinic on disk.
    drop(s);
    drop(driver);
    let mut clinic = ayada_core::Clinic::open(&data, &ayada_core::KeySource::KeyFile(key)).unwrap();
    let owner = clinic.login("owner", OWNER_PW).unwrap();
    let closes = clinic.day_closes(&owner).unwrap();
    assert_eq!(closes.len(), 1);
    assert_eq!(closes[0].net_revenue, ayada_core::Money(33_000));
    let z1 = clinic.day_report(&owner, clinic.time().today()).unwrap();
    assert_eq!(
        z1.shifts[0].difference,
        Some(ayada_core::Money::ZERO),
        "float 100 + 350 − 20 − 50 = 380 counted"
    );
    let doctor = clinic.login("dr.sara", STAFF_PW).unwrap();
    let patient = clinic.search_patients(&doctor, "فاطمة", 5).unwrap()[0].id;
    let visits = clinic
        .patient_file(&doctor, patient)
        .unwrap()
        .visits
        .unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(
        visits[0].photos.len(),
        2,
        "the photo picked and the one dropped in the window were stored"
    );
    assert_eq!(visits[0].diagnoses, ["التهاب الحلق", "Fever"]);
    assert_eq!(visits[0].vitals.weight_g, Some(64_500));
    assert!(!clinic
        .photo(&doctor, &visits[0].photos[0], true)
        .unwrap()
        .is_empty());
}
