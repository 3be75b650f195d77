//! What a web page asks (vscode.dev, a portal): a CORS preflight for a request carrying
//! `Authorization`, then the request itself from another origin. GitHub documents the headers a
//! registry must send: `Access-Control-Allow-Origin: *`, methods `GET, OPTIONS`, headers
//! `Authorization, Content-Type`.

use super::report::{Client, Severity};
use super::session::{Call, Session};
use crate::remote::{Answer, Request};

const CLIENT: Client = Client::Browser;
const ORIGIN: &str = "https://vscode.dev";
const PATH: &str = "/v0.1/servers?limit=1";

pub async fn cors(s: &mut Session) {
    preflight(s).await;
    let headers = [("origin", ORIGIN)];
    let request = Request {
        headers: &headers,
        ..Request::get(PATH)
    };
    if let Some(answer) = s
        .send(Call {
            client: CLIENT,
            request,
        })
        .await
    {
        allow_origin(s, &answer);
    }
    s.report
        .notes
        .push(format!("browser: CORS preflight and GET from {ORIGIN}"));
}

async fn preflight(s: &mut Session) {
    let headers = [
        ("origin", ORIGIN),
        ("access-control-request-method", "GET"),
        ("access-control-request-headers", "authorization"),
    ];
    let request = Request {
        method: reqwest::Method::OPTIONS,
        path_and_query: PATH,
        headers: &headers,
        // A browser never sends credentials with a preflight.
        with_token: false,
    };
    let Some(answer) = s
        .send(Call {
            client: CLIENT,
            request,
        })
        .await
    else {
        return;
    };
    let mut problem = |rule: &'static str, message: String| {
        s.finding(CLIENT, &answer, rule, Severity::Error, message);
    };
    if answer.redirected_to.is_some() {
        problem(
            "cors",
            "the preflight was redirected: browsers fail a preflight that redirects".to_string(),
        );
        return;
    }
    if !(200..300).contains(&answer.status) {
        problem(
            "cors",
            format!(
                "the preflight answered {}: browsers need a 2xx (GitHub documents 204) without \
                 a token, or they send nothing",
                answer.status
            ),
        );
        return;
    }
    let list = |name: &str| -> Vec<String> {
        answer
            .header(name)
            .unwrap_or("")
            .split(',')
            .map(|v| v.trim().to_ascii_lowercase())
            .filter(|v| !v.is_empty())
            .collect()
    };
    let origin = answer
        .header("access-control-allow-origin")
        .map(str::to_string);
    let methods = list("access-control-allow-methods");
    let allowed_headers = list("access-control-allow-headers");
    match origin.as_deref() {
        Some("*") => {}
        Some(o) if o == ORIGIN => {}
        Some(o) => problem(
            "cors",
            format!("the preflight allows the origin `{o}`, not {ORIGIN} (GitHub documents `*`)"),
        ),
        None => problem(
            "cors",
            "the preflight has no Access-Control-Allow-Origin: browsers send nothing (GitHub \
             documents `*`)"
                .to_string(),
        ),
    }
    if !methods.iter().any(|m| m == "get" || m == "*") {
        problem(
            "cors",
            format!(
                "Access-Control-Allow-Methods is `{}`, without GET (GitHub documents `GET, OPTIONS`)",
                methods.join(", ")
            ),
        );
    }
    // `*` does not cover Authorization: the Fetch standard requires it by name.
    if !allowed_headers.iter().any(|h| h == "authorization") {
        problem(
            "cors",
            format!(
                "Access-Control-Allow-Headers is `{}`, without Authorization (which `*` does not \
                 cover): a page cannot send a token (GitHub documents `Authorization, \
                 Content-Type`)",
                allowed_headers.join(", ")
            ),
        );
    }
}

fn allow_origin(s: &mut Session, answer: &Answer) {
    match answer.header("access-control-allow-origin") {
        Some("*") => {}
        Some(o) if o == ORIGIN => {}
        other => s.finding(
            CLIENT,
            answer,
            "cors",
            Severity::Error,
            match other {
                None => "no Access-Control-Allow-Origin: a page on another origin cannot read \
                         the answer (GitHub documents `*`)"
                    .to_string(),
                Some(o) => format!("Access-Control-Allow-Origin is `{o}`, not `*` or {ORIGIN}"),
            },
        ),
    }
}
