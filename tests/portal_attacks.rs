//! The portal is the server's first door without a token: what strangers try on it. Guessing a
//! code, an expired or reused code, floods from one phone, from many phones and from one
//! address, two patients racing for the last slot, script in the name, forms posted from
//! another site, forged delivery reports; and the outbox holding messages while WAHA is down.

mod common;
mod fake_waha;
mod portal;

use std::process::Command;

use common::*;
use fake_waha::{code_in, FakeWaha};
use portal::*;

/// The outbox as the operator sees it: `ayada-server messages`.
fn outbox(server: &Server) -> Vec<serde_json::Value> {
    let out = Command::new(bin("ayada-server"))
        .arg("messages")
        .args(server.store_args())
        .output()
        .unwrap();
    json_of(&out, "messages")["messages"]
        .as_array()
        .unwrap()
        .clone()
}

fn wait_until(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(
            start.elapsed().as_secs() < secs,
            "{what} did not happen within {secs} s"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn codes_cannot_be_guessed_reused_or_used_late() {
    let root = tempfile::tempdir().unwrap();
    let waha = FakeWaha::start();
    let (server, _m) = clinic_online(root.path(), &waha, &[("AYADA_CODE_TTL_SECONDS", "5")]);
    let phone = Phone::new(&server);
    let slots = slots_ahead(&phone, "ar");

    // Five wrong guesses lock the request: the right code no longer works either.
    let asked = ask(&phone, &slots[0], "منى", "01011111111", "ar");
    let verify = asked.location.unwrap();
    let code = code_in(&waha.wait_for("201011111111@c.us", "كود", 10).text);
    let mut last = 0;
    for guess in 0..5 {
        let wrong = format!(
            "{:06}",
            (code.parse::<u32>().unwrap() + 1 + guess) % 1_000_000
        );
        last = type_code(&phone, &verify, &wrong, "ar").status;
    }
    assert_eq!(last, 429, "the fifth wrong code locks it");
    assert_eq!(phone.get(&verify).status, 404, "a locked request is gone");

    // A code past its ten minutes (five seconds here) is refused, and a new one works.
    let asked = ask(&phone, &slots[1], "منى", "01022222222", "ar");
    let verify = asked.location.unwrap();
    let code = code_in(&waha.wait_for("201022222222@c.us", "كود", 10).text);
    std::thread::sleep(std::time::Duration::from_secs(6));
    let late = type_code(&phone, &verify, &code, "ar");
    assert_eq!(late.status, 410, "{}", late.body);
    assert!(late.body.contains("لم يعد صالحًا"));
    let page = phone.get(&verify);
    let resent = phone.post(
        verify
            .replace("/verify/", "/resend/")
            .split('?')
            .next()
            .unwrap(),
        &[("csrf", &field(&page.body, "csrf")), ("lang", "ar")],
    );
    assert_eq!(resent.status, 303, "{}", resent.body);
    wait_until("the second code", 10, || {
        waha.to("201022222222@c.us").len() == 2
    });
    let fresh = code_in(&waha.to("201022222222@c.us")[1].text);
    assert_eq!(
        type_code(&phone, &verify, &code, "ar").status,
        422,
        "the old code died with the new one"
    );
    let done = type_code(&phone, &verify, &fresh, "ar");
    assert_eq!(done.status, 303, "{}", done.body);
    // Used once: the same page and code do nothing more.
    assert_eq!(phone.get(&verify).status, 404);
}

#[test]
fn floods_races_scripts_and_forgeries_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let waha = FakeWaha::start();
    let (server, m) = clinic_online(
        root.path(),
        &waha,
        &[
            ("AYADA_REQUESTS_PER_PHONE", "3"),
            ("AYADA_REQUESTS_PER_ADDRESS", "8"),
        ],
    );
    let phone = Phone::new(&server);
    let slots = slots_ahead(&phone, "ar");

    // A form posted without this browser's CSRF cookie (another site's page) does nothing.
    let form = phone.get(&slots[0]);
    let csrf = field(&form.body, "csrf");
    let stranger = Phone::new(&server);
    let forged = stranger.post(
        "/c/nour/book",
        &[
            ("csrf", &csrf),
            ("doctor", &param(&slots[0], "doctor")),
            ("at", &param(&slots[0], "at")),
        ],
    );
    assert_eq!(forged.status, 403);

    // Script in the name comes back as text, never as markup.
    let script = ask(
        &phone,
        &slots[0],
        "<script>alert(1)</script>",
        "not a phone",
        "ar",
    );
    assert_eq!(script.status, 422);
    assert!(
        script
            .body
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{}",
        script.body
    );
    assert!(!script.body.contains("<script>"));

    // A number without WhatsApp is told so before any message is queued for it.
    let no_whatsapp = ask(&phone, &slots[0], "سها", "01010000000", "ar");
    assert_eq!(no_whatsapp.status, 422);
    assert!(
        no_whatsapp.body.contains("لا يستخدم واتساب"),
        "{}",
        no_whatsapp.body
    );

    // Two patients racing for one slot: one holds it, the other hears it was just taken.
    let (a, b) = (Phone::new(&server), Phone::new(&server));
    let slot = slots[2].clone();
    let (fa, fb) = (a.get(&slot), b.get(&slot));
    assert_eq!((fa.status, fb.status), (200, 200));
    let race = std::thread::scope(|s| {
        let one = s.spawn(|| ask(&a, &slot, "أمل", "01033333333", "ar").status);
        let two = s.spawn(|| ask(&b, &slot, "هبة", "01044444444", "ar").status);
        let mut both = [one.join().unwrap(), two.join().unwrap()];
        both.sort();
        both
    });
    assert_eq!(race, [303, 409], "one booking, one 'just taken'");
    assert_eq!(
        Phone::new(&server).get(&slot).status,
        409,
        "a held slot is not offered again"
    );
    let page = phone.get("/c/nour");
    assert!(
        !page.body.contains(&format!("at={}", param(&slot, "at"))),
        "a held slot is not offered"
    );

    // One phone asking again and again: the fourth request of the day is refused.
    let mut statuses = Vec::new();
    for slot in &slots[3..7] {
        statuses.push(ask(&phone, slot, "سلمى", "01066666666", "ar").status);
    }
    assert_eq!(statuses[..3], [303, 303, 303]);
    assert_eq!(statuses[3], 429, "{statuses:?}");
    // Many phones from one address: the address's limit (8 an hour here) stops them.
    let mut many = Vec::new();
    for (i, slot) in slots[7..].iter().take(5).enumerate() {
        many.push(
            ask(
                &phone,
                slot,
                "زائر",
                &format!("0101234{:04}", 100 + i),
                "ar",
            )
            .status,
        );
    }
    assert_eq!(
        many,
        [303, 303, 303, 303, 429],
        "the ninth request from one address"
    );
    let sent_before = waha.sent().len();
    assert!(
        sent_before <= 9,
        "no flood reaches WhatsApp: {sent_before} codes"
    );

    // Delivery reports: an unsigned or wrongly signed one is refused; a signed one counts.
    let http = reqwest::blocking::Client::new();
    let sent = &waha.sent()[0];
    let body = serde_json::json!({"event": "message.ack", "session": "default", "payload": {"id": sent.id, "ack": 3, "ackName": "READ"}}).to_string();
    let post = |signature: &str| {
        http.post(format!("{}/v1/waha/webhook", server.url))
            .header("content-type", "application/json")
            .header("x-webhook-hmac", signature)
            .header("x-webhook-hmac-algorithm", "sha512")
            .body(body.clone())
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(post("00"), 401);
    assert_eq!(post(&hmac_sha512("not the key", &body)), 401);
    assert_eq!(post(&hmac_sha512(WEBHOOK_KEY, &body)), 200);
    let read = outbox(&server)
        .into_iter()
        .find(|m| m["kind"] == "code" && m["state"] == "read");
    assert!(read.is_some(), "the signed report marked its message read");
    let listed = serde_json::to_string(&outbox(&server)).unwrap();
    assert!(
        !listed.contains("كود") && !listed.contains("0103"),
        "the operator sees states, never texts or numbers"
    );

    // WAHA down, then its session not WORKING: the code waits in the outbox, and arrives.
    waha.fail_with(500);
    let elsewhere = Phone::from_address(&server, "127.0.0.2");
    let asked = ask(
        &elsewhere,
        &slots[slots.len() - 1],
        "ريم",
        "01077777777",
        "ar",
    );
    assert_eq!(asked.status, 303, "{}", asked.body);
    wait_until("a failed try", 10, || {
        outbox(&server).iter().any(|m| {
            m["kind"] == "code" && m["attempts"].as_u64() >= Some(1) && m["state"] == "queued"
        })
    });
    waha.fail_with(422);
    wait_until("a try while not WORKING", 10, || {
        waha.refused().contains(&422)
    });
    assert!(waha.to("201077777777@c.us").is_empty());
    waha.fail_with(0);
    waha.wait_for("201077777777@c.us", "كود", 15);
    assert_eq!(
        waha.to("201077777777@c.us").len(),
        1,
        "sent once, however many tries it took"
    );
    drop(m);
}

fn hmac_sha512(key: &str, body: &str) -> String {
    use sha2::{Digest, Sha512};
    // HMAC by hand (RFC 2104) so the test does not share the server's code.
    let mut k = key.as_bytes().to_vec();
    if k.len() > 128 {
        k = Sha512::digest(&k).to_vec();
    }
    k.resize(128, 0);
    let inner: Vec<u8> = k.iter().map(|b| b ^ 0x36).chain(body.bytes()).collect();
    let inner = Sha512::digest(&inner);
    let outer: Vec<u8> = k
        .iter()
        .map(|b| b ^ 0x5c)
        .chain(inner.iter().copied())
        .collect();
    hex::encode(Sha512::digest(&outer))
}
