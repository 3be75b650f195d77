//! What Copilot CLI (and VS Code, with GitHub's "Registry only" policy) asks: every configured
//! server looked up by name at `/v0.1/servers/{encoded name}/versions/latest`, with no token.
//! Anything but 200 or a clean 404 blocks the server; a 404 for a listed server blocks it too.

use super::report::{Client, Severity};
use super::session::{Call, Session, status_words};
use super::vscode::Listing;
use crate::remote::shape::{self, Key};
use crate::remote::{Answer, Request};

const CLIENT: Client = Client::CopilotCli;

/// A name no registry holds (a valid name in a namespace of our own).
const UNKNOWN: &str = "io.github.mcp-gitops/check-no-such-server";

const HEADERS: &[(&str, &str)] = &[("accept", "application/json")];

pub async fn lookups(s: &mut Session, listing: &Listing) {
    let sample = spread(&listing.entries, s.bounds().max_lookups);
    for (key, _) in &sample {
        lookup(s, key).await;
    }
    unknown(s).await;
    s.report.notes.push(format!(
        "Copilot CLI: {} lookup{} by name of listed servers (of {}), one of an unknown name",
        sample.len(),
        if sample.len() == 1 { "" } else { "s" },
        listing.entries.len()
    ));
}

pub(super) fn path(name: &str, rest: &str) -> String {
    format!("/v0.1/servers/{}{rest}", crate::uri_component::encode(name))
}

async fn lookup(s: &mut Session, key: &Key) {
    let path = path(&key.name, "/versions/latest");
    let Some(answer) = s.send(call(&path)).await else {
        return;
    };
    match answer.status {
        200 => {}
        404 => {
            s.finding(
                CLIENT,
                &answer,
                "lookup-missing",
                Severity::Error,
                format!("{} is listed but its lookup by name is not found: clients with \"Registry only\" block it", key.name),
            );
            return;
        }
        status => {
            blocked(s, &answer, status, &key.name);
            return;
        }
    }
    let expect = "clients read the server's latest version from this answer";
    let Some(json) = s.json_200(CLIENT, &answer, expect) else {
        return;
    };
    let checked = shape::entry(&json);
    for why in &checked.errors {
        s.finding(
            CLIENT,
            &answer,
            "entry",
            Severity::Error,
            format!("{why}; {expect}"),
        );
    }
    let Some(found) = checked.key else { return };
    if found.name != key.name {
        s.finding(
            CLIENT,
            &answer,
            "name-mismatch",
            Severity::Error,
            format!(
                "asked for {} but server.name is {}: clients match the name and block the server",
                key.name, found.name
            ),
        );
    } else if found.version != key.version {
        s.finding(
            CLIENT,
            &answer,
            "latest-mismatch",
            Severity::Warning,
            format!(
                "the latest version is {} here but {} in the list with version=latest",
                found.version, key.version
            ),
        );
    }
}

async fn unknown(s: &mut Session) {
    let path = path(UNKNOWN, "/versions/latest");
    let Some(answer) = s.send(call(&path)).await else {
        return;
    };
    match answer.status {
        404 => {}
        200 => s.finding(
            CLIENT,
            &answer,
            "unknown-found",
            Severity::Error,
            format!("a server that does not exist ({UNKNOWN}) is answered 200: clients would allow any name"),
        ),
        status => blocked(s, &answer, status, UNKNOWN),
    }
}

fn blocked(s: &mut Session, answer: &Answer, status: u16, name: &str) {
    s.finding(
        CLIENT,
        answer,
        "lookup-blocked",
        Severity::Error,
        format!(
            "the lookup of {name} answered {status}{}: Copilot CLI sends it without a token, \
             and with \"Registry only\" clients treat anything but 200 or 404 as blocked, so \
             every server would be blocked",
            status_words(status)
        ),
    );
}

/// At most `n` entries spread over the listing, the first and the last among them.
fn spread<T: Clone>(all: &[T], n: usize) -> Vec<T> {
    if all.len() <= n {
        return all.to_vec();
    }
    if n <= 1 {
        return all.iter().take(n).cloned().collect();
    }
    (0..n)
        .map(|i| all[i * (all.len() - 1) / (n - 1)].clone())
        .collect()
}

fn call(path: &str) -> Call<'_> {
    Call {
        client: CLIENT,
        request: Request {
            headers: HEADERS,
            with_token: false,
            ..Request::get(path)
        },
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn spread_keeps_both_ends() {
        let all: Vec<u32> = (0..100).collect();
        assert_eq!(super::spread(&all, 3), [0, 49, 99]);
        assert_eq!(super::spread(&all[..2], 5), [0, 1]);
        assert_eq!(
            super::path("a.b/c d", "/versions/latest"),
            "/v0.1/servers/a.b%2Fc%20d/versions/latest"
        );
    }
}
