//! What VS Code asks of a registry: a version probe (`/v0.1/servers?limit=1`), then every page
//! of `limit=50&version=latest` with the cursor appended as it is (not encoded), and a search
//! whose later pages drop `search` (the cursor must carry it).

use super::report::{Client, Severity};
use super::session::{Call, Session};
use crate::remote::shape::{self, Key};
use crate::remote::{Answer, Request};
use std::collections::HashSet;

const CLIENT: Client = Client::VsCode;
const LIST: &str = "/v0.1/servers?limit=50&version=latest";

/// The servers VS Code would show: each latest version, in listing order.
#[derive(Default)]
pub struct Listing {
    pub entries: Vec<(Key, String)>,
}

/// The version probe; `false` when VS Code would not use the registry at all (the finding says
/// why), and nothing else is worth asking.
pub async fn probe(s: &mut Session) -> bool {
    let Some(answer) = s.send(call("/v0.1/servers?limit=1")).await else {
        return false;
    };
    let expect = "VS Code sends this request to learn whether the registry speaks v0.1, and \
                  without a v0.1 list here it shows no servers";
    let Some(json) = s.json_200(CLIENT, &answer, expect) else {
        return false;
    };
    s.list_page(CLIENT, &answer, &json, expect).is_some()
}

/// Every page of the latest versions, as VS Code pages through them.
pub async fn list(s: &mut Session) -> Listing {
    let mut listing = Listing::default();
    let mut seen_keys = HashSet::new();
    let mut seen_names = HashSet::new();
    let mut seen_cursors = HashSet::new();
    let mut path = LIST.to_string();
    let mut pages = 0;
    loop {
        let Some(answer) = s.send(call(&path)).await else {
            break;
        };
        pages += 1;
        let Some(cursor) = read_page(s, &answer, &mut |s, key, description, is_latest| {
            if !seen_keys.insert(key.clone()) || !seen_names.insert(key.name.clone()) {
                s.finding(
                    CLIENT,
                    &answer,
                    "duplicate-entry",
                    Severity::Error,
                    format!(
                        "{} {} was already listed (with version=latest, each server once): \
                         paging repeats entries",
                        key.name, key.version
                    ),
                );
                return;
            }
            if is_latest == Some(false) {
                s.finding(
                    CLIENT,
                    &answer,
                    "meta",
                    Severity::Warning,
                    format!(
                        "{} {} is listed for version=latest but its isLatest is false",
                        key.name, key.version
                    ),
                );
            }
            listing.entries.push((key, description));
        }) else {
            break;
        };
        let Some(cursor) = cursor else { break };
        if !seen_cursors.insert(cursor.clone()) {
            s.finding(
                CLIENT,
                &answer,
                "cursor-loop",
                Severity::Error,
                format!(
                    "nextCursor `{}` was given before: paging never ends, and VS Code keeps \
                     asking",
                    cursor.escape_default()
                ),
            );
            break;
        }
        if pages >= s.bounds().max_pages {
            s.finding(
                CLIENT,
                &answer,
                "paging-cap",
                Severity::Warning,
                format!(
                    "paging had not ended after {pages} pages ({} servers); stopped there \
                     (--max-pages)",
                    listing.entries.len()
                ),
            );
            break;
        }
        path = format!("{LIST}&cursor={cursor}");
    }
    s.report.notes.push(format!(
        "VS Code: version probe, {pages} page{} of latest versions ({} servers)",
        if pages == 1 { "" } else { "s" },
        listing.entries.len()
    ));
    listing
}

/// Search as VS Code does: the term on the first page, dropped on the next.
pub async fn search(s: &mut Session, listing: &Listing) {
    let Some(term) = search_term(listing) else {
        s.report
            .notes
            .push("VS Code: search not checked (no server listed)".to_string());
        return;
    };
    let encoded = crate::uri_component::encode(&term);
    let mut matched = Vec::new();
    let Some(answer) = s.send(call(&format!("{LIST}&search={encoded}"))).await else {
        return;
    };
    let Some(more) = read_page(s, &answer, &mut |_, key, description, _| {
        matched.push((key, description));
    }) else {
        return;
    };
    // `term` is lowercase already (search_term).
    let matches = |key: &Key, description: &str| {
        key.name.to_lowercase().contains(&term) || description.to_lowercase().contains(&term)
    };
    for (key, description) in &matched {
        if !matches(key, description) {
            s.finding(
                CLIENT,
                &answer,
                "search",
                Severity::Warning,
                format!(
                    "{} matches neither in its name nor its description the search `{term}`",
                    key.name
                ),
            );
        }
    }
    // The first listed server whose name holds the term is found, when all fit on one page.
    let wanted = listing
        .entries
        .iter()
        .map(|(k, _)| k)
        .find(|k| k.name.to_lowercase().contains(&term));
    if let Some(wanted) = wanted
        && more.is_none()
        && !matched.iter().any(|(k, _)| k.name == wanted.name)
    {
        s.finding(
            CLIENT,
            &answer,
            "search",
            Severity::Warning,
            format!(
                "the search `{term}` does not find {}, whose name holds it",
                wanted.name
            ),
        );
    }
    // Page 2 without `search`, on one result per page so that a second page exists.
    if matched.len() < 2 {
        s.report.notes.push(format!(
            "VS Code: search `{term}` ({} match{}; its second page not checked)",
            matched.len(),
            if matched.len() == 1 { "" } else { "es" }
        ));
        return;
    }
    let first = format!("/v0.1/servers?limit=1&version=latest&search={encoded}");
    let Some(answer) = s.send(call(&first)).await else {
        return;
    };
    let Some(Some(cursor)) = read_page(s, &answer, &mut |_, _, _, _| {}) else {
        return;
    };
    let second = format!("/v0.1/servers?limit=1&version=latest&cursor={cursor}");
    let Some(answer) = s.send(call(&second)).await else {
        return;
    };
    let mut off = Vec::new();
    read_page(s, &answer, &mut |_, key, description, _| {
        if !matches(&key, &description) {
            off.push(key.name);
        }
    });
    if let Some(name) = off.first() {
        s.finding(
            CLIENT,
            &answer,
            "search-cursor",
            Severity::Warning,
            format!(
                "the second page of the search `{term}`, asked as VS Code asks it (the cursor \
                 alone, without search), lists {name}, which does not match: the cursor does \
                 not carry the search"
            ),
        );
    }
    s.report.notes.push(format!(
        "VS Code: search `{term}` ({} matches) and its second page without search",
        matched.len()
    ));
}

/// The versions list of the first listed server (VS Code shows a server's versions) holds
/// its latest version.
pub async fn versions(s: &mut Session, listing: &Listing) {
    let Some((key, _)) = listing.entries.first() else {
        return;
    };
    let path = super::copilot_cli::path(&key.name, "/versions");
    let Some(answer) = s.send(call(&path)).await else {
        return;
    };
    let expect = "clients list a server's versions from this answer";
    let Some(json) = s.json_200(CLIENT, &answer, expect) else {
        return;
    };
    let Some(page) = s.list_page(CLIENT, &answer, &json, expect) else {
        return;
    };
    let found = page
        .entries
        .iter()
        .filter_map(|e| shape::entry(e).key)
        .any(|k| k == *key);
    if !found {
        s.finding(
            CLIENT,
            &answer,
            "versions",
            Severity::Error,
            format!(
                "the versions of {} do not include {}, its latest",
                key.name, key.version
            ),
        );
    }
}

/// The word (of three letters or more) that the most listed names hold, so that a search has
/// a second page to ask for where the registry has one.
fn search_term(listing: &Listing) -> Option<String> {
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (key, _) in &listing.entries {
        let last = key
            .name
            .rsplit('/')
            .next()
            .unwrap_or(&key.name)
            .to_lowercase();
        let words: HashSet<&str> = last
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 3)
            .collect();
        for w in words {
            *counts.entry(w.to_string()).or_default() += 1;
        }
    }
    let best = counts.values().copied().max()?;
    // The first such word in listing order, so that the choice does not depend on hashing.
    listing.entries.iter().find_map(|(key, _)| {
        let last = key
            .name
            .rsplit('/')
            .next()
            .unwrap_or(&key.name)
            .to_lowercase();
        last.split(|c: char| !c.is_alphanumeric())
            .find(|w| counts.get(*w) == Some(&best))
            .map(str::to_string)
    })
}

/// Reads a list page: its entries, each checked (`each` gets the readable ones), and its next
/// cursor (`Some(None)` at the end). `None` when the page is unusable (a finding says why).
type Each<'a> = dyn FnMut(&mut Session, Key, String, Option<bool>) + 'a;

fn read_page(s: &mut Session, answer: &Answer, each: &mut Each<'_>) -> Option<Option<String>> {
    let expect = "VS Code lists the registry's servers from these pages";
    let json = s.json_200(CLIENT, answer, expect)?;
    let page = s.list_page(CLIENT, answer, &json, expect)?;
    if let Some(count) = page.count
        && count != page.entries.len() as u64
    {
        s.finding(
            CLIENT,
            answer,
            "count",
            Severity::Warning,
            format!(
                "metadata.count is {count} but the page holds {} entries",
                page.entries.len()
            ),
        );
    }
    for (i, value) in page.entries.iter().enumerate() {
        let checked = shape::entry(value);
        for why in &checked.errors {
            let consequence = if i == 0 {
                "VS Code rejects the whole page when its first entry does not parse"
            } else {
                "clients skip or reject this entry"
            };
            s.finding(
                CLIENT,
                answer,
                "entry",
                Severity::Error,
                format!("servers[{i}]: {why}; {consequence}"),
            );
        }
        for why in &checked.warnings {
            s.finding(
                CLIENT,
                answer,
                "meta",
                Severity::Warning,
                format!("servers[{i}]: {why}"),
            );
        }
        if let Some(key) = checked.key {
            each(s, key, checked.description, checked.is_latest);
        }
    }
    let cursor = page.next_cursor.map(str::to_string);
    if let Some(cursor) = &cursor
        && let Err(chars) = shape::url_safe(cursor)
    {
        s.finding(
            CLIENT,
            answer,
            "cursor-unsafe",
            Severity::Error,
            format!(
                "nextCursor holds {chars}: VS Code appends the cursor to the URL without \
                 encoding it, so the next request carries a different cursor (use base64url \
                 without padding)"
            ),
        );
    }
    Some(cursor)
}

fn call(path: &str) -> Call<'_> {
    Call {
        client: CLIENT,
        request: Request::get(path),
    }
}
