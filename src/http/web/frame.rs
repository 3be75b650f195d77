//! What frames every page (head, banner, footer) and the small pieces the list and the detail
//! share. Everything from the registry is user content and goes through `esc`; links from it
//! are emitted only when they are http(s). No inline script or style (the
//! Content-Security-Policy forbids both).

use crate::check::model::Status;
use crate::git::remote::RepoHost;
use crate::store::Snapshot;
use std::fmt::{self, Write};
use time::OffsetDateTime;

/// What every page shows around its content.
pub struct Frame<'a> {
    pub snap: Option<&'a Snapshot>,
    pub banner: Option<Banner>,
    /// Where the served commit can be browsed (a git source on a known host).
    pub browse: Option<RepoHost>,
}

impl Frame<'_> {
    /// Where this registry's pages start: `""` for the root, `/{view}` for a view.
    pub fn base(&self) -> String {
        self.snap.map(crate::http::scope::base).unwrap_or_default()
    }
}

/// The last attempt to move on failed; the page says so.
pub struct Banner {
    /// The commit (or digest) that was tried, when known.
    pub revision: Option<String>,
    /// `true`: it was read but has errors; `false`: it could not be read at all.
    pub rejected: bool,
    pub errors: usize,
    /// The first error, `file:line:col: …`, or why the source could not be read.
    pub detail: Option<String>,
}

/// HTML-escapes text for element content and quoted attribute values alike.
pub struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut last = 0;
        for (i, c) in self.0.char_indices() {
            let rep = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => continue,
            };
            f.write_str(&self.0[last..i])?;
            f.write_str(rep)?;
            last = i + c.len_utf8();
        }
        f.write_str(&self.0[last..])
    }
}

pub(super) fn esc(s: &str) -> Esc<'_> {
    Esc(s)
}

/// The whole document around `main`.
pub fn document(frame: &Frame, title: &str, main: &str) -> String {
    let mut out = String::with_capacity(main.len() + 4096);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>{}</title>\n\
         <link rel=\"icon\" type=\"image/svg+xml\" href=\"{}\">\n\
         <link rel=\"stylesheet\" href=\"{}\">\n\
         <script src=\"{}\" defer></script>\n</head>\n<body>\n\
         <a class=\"skip\" href=\"#main\">Skip to content</a>\n\
         <header class=\"top\"><div class=\"wrap\"><a class=\"brand\" href=\"{base}/\">\
         <img src=\"{}\" alt=\"\" width=\"24\" height=\"24\"> MCP registry{}</a>\
         <nav aria-label=\"Service\"><a href=\"{base}/v0.1/servers\">API</a> <a href=\"/status\">Status</a></nav>\
         </div></header>\n",
        esc(title),
        super::asset_href("favicon.svg"),
        super::asset_href("page.css"),
        super::asset_href("search.js"),
        super::asset_href("favicon.svg"),
        frame
            .snap
            .and_then(Snapshot::view_name)
            .map(|v| format!(" · {}", esc(v)))
            .unwrap_or_default(),
        base = esc(&frame.base()),
    );
    if let Some(b) = &frame.banner {
        banner(&mut out, b, frame.snap);
    }
    let _ = write!(out, "<main id=\"main\" class=\"wrap\">\n{main}</main>\n");
    footer(&mut out, frame);
    out.push_str("</body>\n</html>\n");
    out
}

fn banner(out: &mut String, b: &Banner, snap: Option<&Snapshot>) {
    out.push_str(
        "<div class=\"banner\" role=\"alert\" id=\"rejected\"><div class=\"wrap\"><p><strong>",
    );
    let tried = b
        .revision
        .as_deref()
        .map(|r| format!(" <code title=\"{}\">{}</code>", esc(r), esc(short(r))))
        .unwrap_or_default();
    if b.rejected {
        let _ = write!(
            out,
            "The latest commit{tried} was rejected</strong> with {} error{}",
            b.errors,
            if b.errors == 1 { "" } else { "s" }
        );
    } else {
        let _ = write!(out, "The latest sync failed</strong>");
    }
    match snap {
        Some(s) => {
            let _ = write!(
                out,
                "; this page still shows the last good revision <code title=\"{}\">{}</code>.",
                esc(&s.revision),
                esc(short(&s.revision))
            );
        }
        None => out.push('.'),
    }
    out.push_str(" See <a href=\"/status\">/status</a> for every error.</p>");
    if let Some(d) = &b.detail {
        let _ = write!(
            out,
            "<p class=\"banner-detail\"><code>{}</code></p>",
            esc(d)
        );
    }
    out.push_str("</div></div>\n");
}

fn footer(out: &mut String, frame: &Frame) {
    out.push_str("<footer class=\"wrap\"><p>");
    match frame.snap {
        Some(s) => {
            let what = if s.commit.is_some() {
                "commit"
            } else {
                "content digest"
            };
            let _ = write!(
                out,
                "Serving revision <code id=\"revision\" title=\"{what} {}\">{}</code>",
                esc(&s.revision),
                esc(short(&s.revision))
            );
            if let (Some(b), Some(c)) = (&frame.browse, &s.commit) {
                let _ = write!(
                    out,
                    " (<a href=\"{}\" rel=\"noopener noreferrer\">browse</a>)",
                    esc(&b.tree(c))
                );
            }
            let _ = write!(out, ", served {}.", time_html(s.served_at));
            let _ = write!(
                out,
                " {} server{} in this revision.",
                s.index.server_count(),
                if s.index.server_count() == 1 { "" } else { "s" }
            );
        }
        None => out.push_str("No revision is served yet."),
    }
    let _ = writeln!(
        out,
        " <a href=\"{}/v0.1/servers\">Registry API v0.1</a>.</p></footer>",
        esc(&frame.base())
    );
}

/// `{base}/servers/<namespace>/<name>`, with `?version=` when one is chosen.
pub fn detail_href(base: &str, name: &str, version: Option<&str>) -> String {
    let path: Vec<String> = name
        .split('/')
        .map(|seg| percent_encoding::utf8_percent_encode(seg, SEGMENT).to_string())
        .collect();
    let mut href = format!("{base}/servers/{}", path.join("/"));
    if let Some(v) = version {
        href.push_str("?version=");
        href.extend(url::form_urlencoded::byte_serialize(v.as_bytes()));
    }
    href
}

const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub(super) fn status_badge(out: &mut String, status: Status) {
    if status != Status::Active {
        let _ = write!(
            out,
            " <span class=\"badge badge-{0}\">{0}</span>",
            status.as_str()
        );
    }
}

/// One letter standing in for an icon: the page loads no image from elsewhere.
pub fn monogram(title: &str) -> String {
    let short = title.rsplit('/').next().unwrap_or(title);
    short
        .chars()
        .find(|c| c.is_alphanumeric())
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_else(|| "?".into())
}

/// One of eight colors, the same for a name every time (FNV-1a; `search.js` computes it alike).
pub fn hue(name: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h % 8
}

/// Who publishes a name, read from its reverse-DNS namespace: `io.github.acme/x` is
/// github.com/acme, `com.northwind.data/x` is data.northwind.com.
pub fn publisher(name: &str) -> String {
    let ns = name.split('/').next().unwrap_or(name);
    if let Some(user) = ns.strip_prefix("io.github.") {
        return format!("github.com/{user}");
    }
    ns.split('.').rev().collect::<Vec<_>>().join(".")
}

pub(super) fn short(revision: &str) -> &str {
    revision.get(..12).unwrap_or(revision)
}

pub(super) fn time_html(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "<time datetime=\"{}\">{:04}-{:02}-{:02} {:02}:{:02} UTC</time>",
        crate::store::index::rfc3339(at),
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// A link to a page elsewhere (a navigation the user chooses, never a request the page makes),
/// or the text alone when it is not http(s).
pub(super) fn external(url: &str) -> String {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        format!(
            "<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
            esc(url),
            esc(url)
        )
    } else {
        format!("<code>{}</code>", esc(url))
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_that_could_open_markup() {
        assert_eq!(
            esc("<script>alert('x') & \"y\"</script>").to_string(),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
        assert_eq!(esc("plain ünïcode").to_string(), "plain ünïcode");
        assert_eq!(
            external("javascript:alert(1)"),
            "<code>javascript:alert(1)</code>"
        );
    }

    #[test]
    fn publishers_monograms_and_links() {
        assert_eq!(publisher("io.github.acme/x"), "github.com/acme");
        assert_eq!(publisher("com.northwind.data/x"), "data.northwind.com");
        assert_eq!(monogram("Northwind Orders"), "N");
        assert_eq!(monogram("com.acme/42-tools"), "4");
        assert_eq!(monogram("---"), "?");
        assert_eq!(hue("com.northwind/orders"), hue("com.northwind/orders"));
        assert_eq!(
            detail_href("", "com.acme/a b", Some("1.0.0+b")),
            "/servers/com.acme/a%20b?version=1.0.0%2Bb"
        );
    }
}
