//! The HTTP side: one blocking client, requests with or without a token, and every failure
//! turned into a sentence in both languages that names the server, never a secret.

use std::time::{Duration, Instant};

use ayada_core::replication::SyncSettings;
use ayada_sync::{TokenRequest, TokenResponse};

use crate::ClientError as Failure;

pub(crate) fn client() -> Result<reqwest::blocking::Client, Failure> {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| {
            Failure::said(
                format!("Cannot start the HTTP client: {e}."),
                format!("تعذر تشغيل عميل HTTP: {e}."),
            )
        })
}

pub(crate) fn unreachable(server: &str, err: reqwest::Error) -> Failure {
    // The error text names the address and the cause, never a credential or a token.
    let cause = err.without_url().to_string();
    Failure::said(
        format!("The sync server at {server} cannot be reached ({cause}). Your work is kept on this machine; sync again later."),
        format!("تعذر الوصول إلى خادم المزامنة {server} ({cause}). عملك محفوظ على هذا الجهاز؛ زامن لاحقًا."),
    )
}

pub(crate) fn refused(status: reqwest::StatusCode, body: &str) -> Failure {
    let answer = serde_json::from_str::<serde_json::Value>(body).unwrap_or_default();
    let said = answer["error"]
        .as_str()
        .map_or_else(|| status.to_string(), str::to_string);
    // The server's fixed refusals, said in Arabic here; a refusal with a detail (a bad
    // change, a clinic that exists) keeps the server's sentence inside the Arabic one.
    let arabic = match answer["code"].as_str() {
        Some("bad-login") => "البريد الإلكتروني أو كلمة المرور غير صحيحة.".to_string(),
        Some("unauthorized") => "يحتاج هذا الطلب إلى رمز دخول صالح لم تنته مدته.".to_string(),
        Some("too-many-requests") => {
            "يرسل هذا الجهاز طلبات كثيرة؛ سيُخدم مرة أخرى بعد قليل.".to_string()
        }
        Some("too-many-guesses") => {
            let minutes = answer["error"]
                .as_str()
                .and_then(|e| e.split_whitespace().find_map(|w| w.parse::<u64>().ok()))
                .unwrap_or(15);
            format!("محاولات كثيرة بكلمة مرور خاطئة لهذا الحساب أو من هذا العنوان. حاول مرة أخرى بعد {minutes} دقيقة.")
        }
        Some("busy") => "الخادم مشغول بفحص كلمات مرور أخرى. حاول مرة أخرى بعد ثوانٍ.".to_string(),
        Some("disk-full") => "قرص الخادم ممتلئ؛ لم يُحفظ شيء من هذا. عملك محفوظ على هذا الجهاز ويُرسل حين يفرغ مشغّل الخادم مساحة.".to_string(),
        Some("quota") => {
            format!("امتلأت المساحة المخصصة لهذه العيادة على الخادم؛ لم يُحفظ هذا. ({said})")
        }
        Some("timeout") => "استغرق الطلب وقتًا أطول مما يسمح به الخادم فأُسقط؛ لم يُحفظ منه إلا ما اعتُمد. حاول مرة أخرى.".to_string(),
        Some("too-large") => "الطلب أكبر مما يقبله الخادم في مرة واحدة.".to_string(),
        Some("internal") => "تعذر على الخادم حفظ هذا؛ لم يُعتمد شيء. حاول مرة أخرى.".to_string(),
        _ => said.clone(),
    };
    Failure::said(
        format!("The sync server refused: {said}"),
        format!("رفض خادم المزامنة: {arabic}"),
    )
}

pub(crate) fn unexpected(e: serde_json::Error) -> Failure {
    Failure::said(
        format!("The sync server answered something unexpected: {e}."),
        format!("أجاب خادم المزامنة بما لم يُتوقع: {e}."),
    )
}

/// Sends a request and reads its answer's bytes; anything but success is a `Failure`.
fn send(server: &str, req: reqwest::blocking::RequestBuilder) -> Result<Vec<u8>, Failure> {
    let resp = req.send().map_err(|e| unreachable(server, e))?;
    let status = resp.status();
    let bytes = resp.bytes().map_err(|e| unreachable(server, e))?;
    if !status.is_success() {
        return Err(refused(status, &String::from_utf8_lossy(&bytes)));
    }
    Ok(bytes.to_vec())
}

pub(crate) fn post<T: serde::Serialize, R: serde::de::DeserializeOwned>(
    http: &reqwest::blocking::Client,
    server: &str,
    path: &str,
    token: Option<&str>,
    body: &T,
) -> Result<R, Failure> {
    let mut req = http.post(format!("{server}{path}")).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    serde_json::from_slice(&send(server, req)?).map_err(unexpected)
}

pub(crate) fn not_enrolled() -> Failure {
    Failure::said(
        "This machine is not enrolled yet: run enroll first.",
        "هذا الجهاز غير مسجل بعد: شغّل enroll أولًا.",
    )
}

/// A connection to the clinic's server: where, how far this machine got, and a token.
pub(crate) struct Link {
    pub(crate) settings: SyncSettings,
    pub(crate) http: reqwest::blocking::Client,
    pub(crate) token: String,
    expires: Instant,
}

/// A token is renewed a minute before the server would stop honouring it.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);

impl Link {
    /// Exchanges the device credential for a fresh token.
    pub(crate) fn connect(settings: SyncSettings) -> Result<Link, Failure> {
        let http = client()?;
        let token: TokenResponse = post(
            &http,
            &settings.server,
            "/v1/token",
            None,
            &TokenRequest {
                device_credential: settings.device_credential.clone(),
            },
        )?;
        Ok(Link {
            settings,
            http,
            token: token.token,
            expires: Instant::now() + Duration::from_secs(token.expires_in),
        })
    }

    /// Whether the token is about to expire.
    pub(crate) fn stale(&self) -> bool {
        Instant::now() + TOKEN_MARGIN >= self.expires
    }

    pub(crate) fn get_bytes(&self, path: &str) -> Result<Vec<u8>, Failure> {
        let server = &self.settings.server;
        send(
            server,
            self.http
                .get(format!("{server}{path}"))
                .bearer_auth(&self.token),
        )
    }

    pub(crate) fn get<R: serde::de::DeserializeOwned>(&self, path: &str) -> Result<R, Failure> {
        serde_json::from_slice(&self.get_bytes(path)?).map_err(unexpected)
    }

    pub(crate) fn post<T: serde::Serialize, R: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &T,
    ) -> Result<R, Failure> {
        post(
            &self.http,
            &self.settings.server,
            path,
            Some(&self.token),
            body,
        )
    }

    pub(crate) fn put_bytes(&self, path: &str, bytes: Vec<u8>) -> Result<(), Failure> {
        let server = &self.settings.server;
        send(
            server,
            self.http
                .put(format!("{server}{path}"))
                .bearer_auth(&self.token)
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .body(bytes),
        )
        .map(drop)
    }
}
