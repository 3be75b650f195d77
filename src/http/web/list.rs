//! The list: one page of cards, a search form that works without JavaScript, a pager.

use super::catalog::{Card, Catalog};
use super::frame::{detail_href, esc, hue, monogram, publisher, status_badge};
use crate::check::model::Status;
use crate::store::Snapshot;
use std::fmt::Write;

/// Servers per page of the list.
pub const PAGE_SIZE: usize = 50;

/// Which slice of the list a request asks for.
pub struct ListView<'a> {
    pub query: &'a str,
    pub page: usize,
}

/// The list page's `main`: search form, count, one page of cards, pager.
pub fn list(catalog: &Catalog, snap: &Snapshot, view: &ListView) -> String {
    let base = crate::http::scope::base(snap);
    let words = super::catalog::words(view.query);
    let matching: Vec<&Card> = catalog
        .cards
        .iter()
        .filter(|c| words.is_empty() || c.matches(&words))
        .collect();
    let pages = matching.len().div_ceil(PAGE_SIZE).max(1);
    let page = view.page.clamp(1, pages);
    let mut out = String::with_capacity(PAGE_SIZE * 700 + 2048);
    let _ = write!(
        out,
        "<h1>MCP servers</h1>\n\
         <form class=\"search\" role=\"search\" action=\"{base}/\" method=\"get\">\
         <label for=\"q\">Search by name, title or description</label>\
         <div class=\"search-row\"><input id=\"q\" name=\"q\" type=\"search\" value=\"{}\" \
         autocomplete=\"off\" spellcheck=\"false\" placeholder=\"e.g. orders, sql, tickets\" \
         data-index=\"{base}/search.json?r={}\" data-base=\"{base}\" data-total=\"{}\">\
         <button type=\"submit\">Search</button></div></form>\n",
        esc(view.query),
        esc(&snap.revision),
        catalog.cards.len(),
        base = esc(&base),
    );
    let count = if words.is_empty() {
        format!(
            "{} server{}",
            matching.len(),
            if matching.len() == 1 { "" } else { "s" }
        )
    } else {
        format!(
            "{} of {} servers match “{}”",
            matching.len(),
            catalog.cards.len(),
            esc(view.query)
        )
    };
    let _ = writeln!(
        out,
        "<p id=\"count\" class=\"count\" aria-live=\"polite\">{count}</p>"
    );
    out.push_str("<ol id=\"servers\" class=\"cards\">\n");
    for c in matching.iter().skip((page - 1) * PAGE_SIZE).take(PAGE_SIZE) {
        card(&mut out, c, &base);
    }
    out.push_str("</ol>\n");
    // Always there, so the search script can show it.
    let _ = writeln!(
        out,
        "<p class=\"empty\" id=\"empty\"{}>No server matches. Try fewer words.</p>",
        if matching.is_empty() { "" } else { " hidden" }
    );
    pager(&mut out, &base, view.query, page, pages);
    out
}

fn card(out: &mut String, c: &Card, base: &str) {
    let shown = c.title.as_deref().unwrap_or(&c.name);
    let _ = write!(
        out,
        "<li class=\"card\"><span class=\"mono hue-{}\" aria-hidden=\"true\">{}</span>\
         <div class=\"card-body\"><h2 class=\"card-title\"><a href=\"{}\">{}</a></h2>\
         <p class=\"card-name\"><code>{}</code> <span class=\"publisher\">by {}</span></p>\
         <p class=\"card-desc\">{}</p><p class=\"card-meta\">\
         <span class=\"version\" title=\"Latest version\">{}</span>",
        hue(&c.name),
        esc(&monogram(shown)),
        esc(&detail_href(base, &c.name, None)),
        esc(shown),
        esc(&c.name),
        esc(&publisher(&c.name)),
        esc(&c.description),
        esc(&c.version),
    );
    if c.status != Status::Active {
        status_badge(out, c.status);
    }
    for t in &c.transports {
        let _ = write!(out, " <span class=\"chip\">{}</span>", esc(t));
    }
    out.push_str("</p></div></li>\n");
}

fn pager(out: &mut String, base: &str, query: &str, page: usize, pages: usize) {
    if pages <= 1 {
        return;
    }
    let href = |p: usize| {
        let mut s = format!("{base}/?page={p}");
        if !query.is_empty() {
            s.push_str("&q=");
            s.extend(url::form_urlencoded::byte_serialize(query.as_bytes()));
        }
        s
    };
    out.push_str("<nav class=\"pager\" aria-label=\"Pages\"><ul>");
    if page > 1 {
        let _ = write!(
            out,
            "<li><a rel=\"prev\" href=\"{}\">← Previous</a></li>",
            esc(&href(page - 1))
        );
    }
    let mut last_shown = 0;
    for p in 1..=pages {
        let near = p.abs_diff(page) <= 2;
        if p != 1 && p != pages && !near {
            continue;
        }
        if last_shown + 1 < p {
            out.push_str("<li class=\"gap\" aria-hidden=\"true\">…</li>");
        }
        last_shown = p;
        if p == page {
            let _ = write!(out, "<li><span aria-current=\"page\">{p}</span></li>");
        } else {
            let _ = write!(
                out,
                "<li><a href=\"{}\" aria-label=\"Page {p}\">{p}</a></li>",
                esc(&href(p))
            );
        }
    }
    if page < pages {
        let _ = write!(
            out,
            "<li><a rel=\"next\" href=\"{}\">Next →</a></li>",
            esc(&href(page + 1))
        );
    }
    let _ = writeln!(
        out,
        "</ul><p class=\"pages\">Page {page} of {pages}</p></nav>"
    );
}
