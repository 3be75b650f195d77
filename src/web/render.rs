//! The HTML of the page: the list (one page of cards, a search form that works without
//! JavaScript, a pager) and the detail of one server version. Everything from the registry is
//! user content and goes through `esc`; links from it are emitted only when they are http(s).
//! No inline script or style (the Content-Security-Policy forbids both).

use super::catalog::{Card, Catalog};
use super::install::{self, InstallOption};
use crate::index::{Entry, OFFICIAL_META, SOURCE_META};
use crate::model::Status;
use crate::store::Snapshot;
use serde_json::Value as Json;
use std::fmt::{self, Write};
use time::OffsetDateTime;

/// Servers per page of the list.
pub const PAGE_SIZE: usize = 50;

/// What every page shows around its content.
pub struct Frame<'a> {
    pub snap: Option<&'a Snapshot>,
    pub banner: Option<Banner>,
    /// Where the served commit can be browsed (a git source on a known host).
    pub browse: Option<Browse>,
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

fn esc(s: &str) -> Esc<'_> {
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
         <header class=\"top\"><div class=\"wrap\"><a class=\"brand\" href=\"/\">\
         <img src=\"{}\" alt=\"\" width=\"24\" height=\"24\"> MCP registry</a>\
         <nav aria-label=\"Service\"><a href=\"/v0.1/servers\">API</a> <a href=\"/status\">Status</a></nav>\
         </div></header>\n",
        esc(title),
        super::asset_href("favicon.svg"),
        super::asset_href("page.css"),
        super::asset_href("search.js"),
        super::asset_href("favicon.svg"),
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
    out.push_str(" <a href=\"/v0.1/servers\">Registry API v0.1</a>.</p></footer>\n");
}

// ---------------------------------------------------------------------------------------------
// The list

/// Which slice of the list a request asks for.
pub struct ListView<'a> {
    pub query: &'a str,
    pub page: usize,
}

/// The list page's `main`: search form, count, one page of cards, pager.
pub fn list(catalog: &Catalog, snap: &Snapshot, view: &ListView) -> String {
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
         <form class=\"search\" role=\"search\" action=\"/\" method=\"get\">\
         <label for=\"q\">Search by name, title or description</label>\
         <div class=\"search-row\"><input id=\"q\" name=\"q\" type=\"search\" value=\"{}\" \
         autocomplete=\"off\" spellcheck=\"false\" placeholder=\"e.g. orders, sql, tickets\" \
         data-index=\"/search.json?r={}\" data-total=\"{}\">\
         <button type=\"submit\">Search</button></div></form>\n",
        esc(view.query),
        esc(&snap.revision),
        catalog.cards.len()
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
        card(&mut out, c);
    }
    out.push_str("</ol>\n");
    // Always there, so the search script can show it.
    let _ = writeln!(
        out,
        "<p class=\"empty\" id=\"empty\"{}>No server matches. Try fewer words.</p>",
        if matching.is_empty() { "" } else { " hidden" }
    );
    pager(&mut out, view.query, page, pages);
    out
}

fn card(out: &mut String, c: &Card) {
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
        esc(&detail_href(&c.name, None)),
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

fn pager(out: &mut String, query: &str, page: usize, pages: usize) {
    if pages <= 1 {
        return;
    }
    let href = |p: usize| {
        let mut s = format!("/?page={p}");
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

// ---------------------------------------------------------------------------------------------
// The detail of one server

/// One version of a server, its `{"server":…,"_meta":…}` parsed.
pub struct Version<'a> {
    pub entry: &'a Entry,
    pub json: Json,
}

impl Version<'_> {
    fn server(&self) -> &Json {
        &self.json["server"]
    }
    fn official(&self, key: &str) -> Option<&str> {
        self.json["_meta"][OFFICIAL_META][key].as_str()
    }
    fn source(&self, key: &str) -> Option<&str> {
        self.json["_meta"][SOURCE_META][key].as_str()
    }
}

/// The detail page's `main` for `selected` among `versions` (all of one server).
pub fn detail(name: &str, versions: &[Version], selected: usize, frame: &Frame) -> String {
    let v = &versions[selected];
    let server = v.server();
    let title = server["title"]
        .as_str()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or(name);
    let mut out = String::with_capacity(16 * 1024);
    let _ = write!(
        out,
        "<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/\">All servers</a> \
         <span aria-hidden=\"true\">›</span> <span aria-current=\"page\">{}</span></nav>\n\
         <header class=\"server-head\"><span class=\"mono mono-big hue-{}\" aria-hidden=\"true\">{}</span>\
         <div><h1>{}</h1><p class=\"card-name\"><code id=\"server-name\">{}</code> \
         <span class=\"publisher\">by {}</span></p>\
         <p class=\"lead\">{}</p><p class=\"card-meta\">Version <span class=\"version\">{}</span>",
        esc(name),
        hue(name),
        esc(&monogram(title)),
        esc(title),
        esc(name),
        esc(&publisher(name)),
        esc(server["description"].as_str().unwrap_or("")),
        esc(&v.entry.version),
    );
    if v.entry.is_latest {
        out.push_str(" <span class=\"badge badge-latest\">latest</span>");
    }
    status_badge(&mut out, v.entry.status);
    for t in super::catalog::transports(server) {
        let _ = write!(out, " <span class=\"chip\">{}</span>", esc(&t));
    }
    out.push_str("</p></div></header>\n");
    if v.entry.status != Status::Active {
        let message = v.official("statusMessage").unwrap_or(match v.entry.status {
            Status::Deleted => "This version was deleted.",
            _ => "This version is deprecated.",
        });
        let _ = writeln!(
            out,
            "<p class=\"notice notice-{}\"><strong>{}:</strong> {}</p>",
            v.entry.status.as_str(),
            if v.entry.status == Status::Deleted {
                "Deleted"
            } else {
                "Deprecated"
            },
            esc(message)
        );
    }

    install_section(&mut out, name, v);
    packages_section(&mut out, server);
    remotes_section(&mut out, server);
    links_section(&mut out, server);
    versions_section(&mut out, name, versions, selected);
    source_section(&mut out, v, frame);
    out
}

fn install_section(out: &mut String, name: &str, v: &Version) {
    out.push_str("<section aria-labelledby=\"install\"><h2 id=\"install\">Install</h2>\n");
    if v.entry.status == Status::Deleted {
        out.push_str(
            "<p>A deleted version cannot be installed; pick another below.</p></section>\n",
        );
        return;
    }
    let (options, not) = install::options(v.server());
    if options.is_empty() {
        out.push_str("<p>This version has no package or remote VS Code can run.</p>\n");
    }
    for (i, o) in options.iter().enumerate() {
        install_option(out, name, &v.entry.version, i, o);
    }
    for n in &not {
        let _ = writeln!(
            out,
            "<p class=\"not-installable\"><code>{}</code>: {}</p>",
            esc(&n.label),
            esc(&n.reason)
        );
    }
    out.push_str("</section>\n");
}

fn install_option(out: &mut String, name: &str, version: &str, i: usize, o: &InstallOption) {
    let kind = o.config["type"].as_str().unwrap_or("stdio");
    let _ = write!(
        out,
        "<div class=\"install\" id=\"install-{i}\"><h3><span class=\"chip\">{}</span> <code>{}</code></h3>\
         <p class=\"actions\"><a class=\"button\" data-install=\"vscode\" href=\"{}\">Install in VS Code</a> \
         <a class=\"button secondary\" href=\"{}\">Install in VS Code Insiders</a></p>",
        esc(kind),
        esc(&o.label),
        esc(&o.install_url("vscode", name)),
        esc(&o.install_url("vscode-insiders", name)),
    );
    if !o.inputs.is_empty() {
        let _ = write!(
            out,
            "<p class=\"hint\">VS Code asks for {} when the server first starts; secrets are \
             stored by VS Code, never written to the file.</p>",
            o.inputs
                .iter()
                .filter_map(|i| i["id"].as_str())
                .map(|id| format!("<code>{}</code>", esc(id)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(
        out,
        "<details{}><summary><code>.vscode/mcp.json</code> for version {}</summary>\
         <pre class=\"snippet\" id=\"snippet-{i}\" tabindex=\"0\"><code>{}</code></pre></details></div>",
        if i == 0 { " open" } else { "" },
        esc(version),
        esc(&o.mcp_json(name)),
    );
}

fn packages_section(out: &mut String, server: &Json) {
    let Some(packages) = server["packages"].as_array().filter(|p| !p.is_empty()) else {
        return;
    };
    out.push_str("<section aria-labelledby=\"packages\"><h2 id=\"packages\">Packages</h2>\n");
    for p in packages {
        let s = |k: &str| p[k].as_str().unwrap_or("");
        let _ = write!(
            out,
            "<div class=\"package\"><h3><span class=\"chip\">{}</span> <code>{}</code></h3><dl class=\"facts\">",
            esc(s("registryType")),
            esc(s("identifier"))
        );
        for (label, key) in [
            ("Version", "version"),
            ("Runtime", "runtimeHint"),
            ("Registry", "registryBaseUrl"),
            ("SHA-256", "fileSha256"),
        ] {
            if let Some(val) = p[key].as_str() {
                let _ = write!(out, "<dt>{label}</dt><dd><code>{}</code></dd>", esc(val));
            }
        }
        let t = &p["transport"];
        let _ = write!(
            out,
            "<dt>Transport</dt><dd>{}",
            esc(t["type"].as_str().unwrap_or("stdio"))
        );
        if let Some(url) = t["url"].as_str() {
            let _ = write!(out, " at <code>{}</code>", esc(url));
        }
        out.push_str("</dd></dl>\n");
        arguments_table(out, "Runtime arguments", &p["runtimeArguments"]);
        arguments_table(out, "Package arguments", &p["packageArguments"]);
        key_values_table(out, "Environment variables", &p["environmentVariables"]);
        key_values_table(out, "Headers", &t["headers"]);
        out.push_str("</div>\n");
    }
    out.push_str("</section>\n");
}

fn remotes_section(out: &mut String, server: &Json) {
    let Some(remotes) = server["remotes"].as_array().filter(|r| !r.is_empty()) else {
        return;
    };
    out.push_str("<section aria-labelledby=\"remotes\"><h2 id=\"remotes\">Remotes</h2>\n");
    for r in remotes {
        let _ = writeln!(
            out,
            "<div class=\"remote\"><h3><span class=\"chip\">{}</span> <code class=\"url\">{}</code></h3>",
            esc(r["type"].as_str().unwrap_or("")),
            esc(r["url"].as_str().unwrap_or(""))
        );
        variables_table(out, "URL variables", &r["variables"]);
        key_values_table(out, "Headers", &r["headers"]);
        out.push_str("</div>\n");
    }
    out.push_str("</section>\n");
}

fn table_start(out: &mut String, caption: &str, columns: &[&str]) {
    let _ = write!(
        out,
        "<div class=\"table\"><table><caption>{}</caption><thead><tr>",
        esc(caption)
    );
    for c in columns {
        let _ = write!(out, "<th scope=\"col\">{c}</th>");
    }
    out.push_str("</tr></thead><tbody>");
}

fn table_end(out: &mut String) {
    out.push_str("</tbody></table></div>\n");
}

fn arguments_table(out: &mut String, caption: &str, list: &Json) {
    let Some(list) = list.as_array().filter(|l| !l.is_empty()) else {
        return;
    };
    table_start(out, caption, &["Argument", "Value", "Description", "Flags"]);
    for a in list {
        let named = a["type"].as_str() == Some("named");
        let what = if named {
            format!("<code>{}</code>", esc(a["name"].as_str().unwrap_or("")))
        } else {
            format!(
                "<code>{}</code> <span class=\"muted\">(positional)</span>",
                esc(a["valueHint"].as_str().unwrap_or("value"))
            )
        };
        input_row(out, &what, a);
    }
    table_end(out);
}

fn key_values_table(out: &mut String, caption: &str, list: &Json) {
    let Some(list) = list.as_array().filter(|l| !l.is_empty()) else {
        return;
    };
    table_start(out, caption, &["Name", "Value", "Description", "Flags"]);
    for kv in list {
        let name = format!("<code>{}</code>", esc(kv["name"].as_str().unwrap_or("")));
        input_row(out, &name, kv);
    }
    table_end(out);
}

fn variables_table(out: &mut String, caption: &str, vars: &Json) {
    let Some(vars) = vars.as_object().filter(|v| !v.is_empty()) else {
        return;
    };
    table_start(out, caption, &["Variable", "Value", "Description", "Flags"]);
    for (name, spec) in vars {
        input_row(out, &format!("<code>{{{}}}</code>", esc(name)), spec);
    }
    table_end(out);
}

/// One row of an input table: `header` (HTML, escaped already), then the input's value,
/// description and flags.
fn input_row(out: &mut String, header: &str, input: &Json) {
    let _ = write!(out, "<tr><th scope=\"row\">{header}</th><td>");
    value_cell(out, input);
    out.push_str("</td><td>");
    description_cell(out, input);
    out.push_str("</td><td>");
    flags(out, input);
    out.push_str("</td></tr>");
}

/// The fixed value, else the default, placeholder and choices.
fn value_cell(out: &mut String, input: &Json) {
    if let Some(v) = input["value"].as_str() {
        let _ = write!(out, "<code>{}</code>", esc(v));
        return;
    }
    let mut parts = Vec::new();
    if let Some(d) = scalar(&input["default"]) {
        parts.push(format!("default <code>{}</code>", esc(&d)));
    }
    if let Some(choices) = input["choices"].as_array() {
        let list: Vec<String> = choices
            .iter()
            .filter_map(scalar)
            .map(|c| format!("<code>{}</code>", esc(&c)))
            .collect();
        parts.push(format!("one of {}", list.join(" ")));
    }
    if let Some(p) = input["placeholder"].as_str() {
        parts.push(format!("e.g. <code>{}</code>", esc(p)));
    }
    if let Some(f) = input["format"].as_str().filter(|f| *f != "string") {
        parts.push(format!("<span class=\"muted\">{}</span>", esc(f)));
    }
    if parts.is_empty() {
        out.push_str("<span class=\"muted\">—</span>");
    } else {
        out.push_str(&parts.join("; "));
    }
}

fn description_cell(out: &mut String, input: &Json) {
    let _ = write!(out, "{}", esc(input["description"].as_str().unwrap_or("")));
    if let Some(vars) = input["variables"].as_object().filter(|v| !v.is_empty()) {
        out.push_str("<ul class=\"vars\">");
        for (name, spec) in vars {
            let _ = write!(
                out,
                "<li><code>{{{}}}</code> {} ",
                esc(name),
                esc(spec["description"].as_str().unwrap_or(""))
            );
            flags(out, spec);
            out.push_str("</li>");
        }
        out.push_str("</ul>");
    }
}

fn flags(out: &mut String, input: &Json) {
    let on = |k: &str| input[k].as_bool().unwrap_or(false);
    if on("isRequired") {
        out.push_str("<span class=\"badge badge-required\">required</span> ");
    }
    if on("isSecret") {
        out.push_str("<span class=\"badge badge-secret\">secret</span> ");
    }
    if on("isRepeated") {
        out.push_str("<span class=\"badge\">repeatable</span> ");
    }
}

fn scalar(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn links_section(out: &mut String, server: &Json) {
    let repo = &server["repository"];
    let website = server["websiteUrl"].as_str();
    let icons = server["icons"].as_array().filter(|i| !i.is_empty());
    if repo.is_null() && website.is_none() && icons.is_none() {
        return;
    }
    out.push_str(
        "<section aria-labelledby=\"links\"><h2 id=\"links\">Links</h2><dl class=\"facts\">",
    );
    if let Some(url) = repo["url"].as_str() {
        let _ = write!(out, "<dt>Repository</dt><dd>{}", external(url));
        if let Some(sub) = repo["subfolder"].as_str() {
            let _ = write!(out, " in <code>{}</code>", esc(sub));
        }
        if let Some(source) = repo["source"].as_str() {
            let _ = write!(out, " <span class=\"muted\">({})</span>", esc(source));
        }
        out.push_str("</dd>");
    }
    if let Some(w) = website {
        let _ = write!(out, "<dt>Website</dt><dd>{}</dd>", external(w));
    }
    if let Some(icons) = icons {
        // Listed, not loaded: the page makes no request outside its own origin.
        out.push_str("<dt>Icons</dt><dd><ul class=\"plain\">");
        for i in icons {
            let _ = write!(out, "<li>{}", external(i["src"].as_str().unwrap_or("")));
            let sizes: Vec<&str> = i["sizes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
                .collect();
            if !sizes.is_empty() {
                let _ = write!(
                    out,
                    " <span class=\"muted\">{}</span>",
                    esc(&sizes.join(" "))
                );
            }
            out.push_str("</li>");
        }
        out.push_str("</ul></dd>");
    }
    out.push_str("</dl></section>\n");
}

/// A link to a page elsewhere (a navigation the user chooses, never a request the page makes),
/// or the text alone when it is not http(s).
fn external(url: &str) -> String {
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

fn versions_section(out: &mut String, name: &str, versions: &[Version], selected: usize) {
    out.push_str("<section aria-labelledby=\"versions\"><h2 id=\"versions\">Versions</h2>");
    table_start(
        out,
        "Every version, newest first",
        &[
            "Version",
            "Status",
            "Published",
            "Updated",
            "Status changed",
        ],
    );
    let mut order: Vec<usize> = (0..versions.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (versions[a].entry, versions[b].entry);
        (y.published_at, b).cmp(&(x.published_at, a))
    });
    for i in order {
        let v = &versions[i];
        let e = v.entry;
        let link = if i == selected {
            format!(
                "<span aria-current=\"page\"><strong>{}</strong></span>",
                esc(&e.version)
            )
        } else {
            format!(
                "<a href=\"{}\">{}</a>",
                esc(&detail_href(name, Some(&e.version))),
                esc(&e.version)
            )
        };
        let _ = write!(
            out,
            "<tr class=\"status-{}\"><th scope=\"row\">{link}",
            e.status.as_str()
        );
        if e.is_latest {
            out.push_str(" <span class=\"badge badge-latest\">latest</span>");
        }
        out.push_str("</th><td>");
        status_badge(out, e.status);
        if let Some(m) = v.official("statusMessage") {
            let _ = write!(out, " <span class=\"status-message\">{}</span>", esc(m));
        }
        let changed = v.official("statusChangedAt").and_then(|t| {
            OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        });
        let _ = write!(
            out,
            "</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            time_html(e.published_at),
            time_html(e.updated_at),
            changed.map(time_html).unwrap_or_default()
        );
    }
    table_end(out);
    out.push_str("</section>\n");
}

fn source_section(out: &mut String, v: &Version, frame: &Frame) {
    let file = v.source("file").unwrap_or("");
    let commit = v.source("commit");
    out.push_str(
        "<section aria-labelledby=\"source\"><h2 id=\"source\">Defined in</h2><dl class=\"facts\">",
    );
    let file_html = match (&frame.browse, commit) {
        (Some(b), Some(c)) => format!(
            "<a id=\"source-file\" href=\"{}\" rel=\"noopener noreferrer\"><code>{}</code></a>",
            esc(&b.file(c, file)),
            esc(file)
        ),
        _ => format!("<code id=\"source-file\">{}</code>", esc(file)),
    };
    let _ = write!(out, "<dt>File</dt><dd>{file_html}</dd>");
    match commit {
        Some(c) => {
            let commit_html = match &frame.browse {
                Some(b) => format!(
                    "<a href=\"{}\" rel=\"noopener noreferrer\"><code>{}</code></a>",
                    esc(&b.commit(c)),
                    esc(c)
                ),
                None => format!("<code>{}</code>", esc(c)),
            };
            let _ = write!(out, "<dt>Commit</dt><dd>{commit_html}</dd>");
        }
        None => out.push_str("<dt>Commit</dt><dd><span class=\"muted\">none: served from a plain directory</span></dd>"),
    }
    out.push_str("</dl>");
    let _ = write!(
        out,
        "<p class=\"muted\">As JSON: <a href=\"{}\">the registry API entry</a>.</p>",
        esc(&format!(
            "/v0.1/servers/{}/versions/{}",
            url::form_urlencoded::byte_serialize(
                v.server()["name"].as_str().unwrap_or("").as_bytes()
            )
            .collect::<String>(),
            url::form_urlencoded::byte_serialize(v.entry.version.as_bytes())
                .collect::<String>()
                .replace('+', "%20")
        ))
    );
    out.push_str("</section>\n");
}

// ---------------------------------------------------------------------------------------------
// Small pieces

/// `/servers/<namespace>/<name>`, with `?version=` when one is chosen.
pub fn detail_href(name: &str, version: Option<&str>) -> String {
    let path: Vec<String> = name
        .split('/')
        .map(|seg| percent_encoding::utf8_percent_encode(seg, SEGMENT).to_string())
        .collect();
    let mut href = format!("/servers/{}", path.join("/"));
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

fn status_badge(out: &mut String, status: Status) {
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

fn short(revision: &str) -> &str {
    revision.get(..12).unwrap_or(revision)
}

fn time_html(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "<time datetime=\"{}\">{:04}-{:02}-{:02} {:02}:{:02} UTC</time>",
        crate::index::rfc3339(at),
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    )
}

// ---------------------------------------------------------------------------------------------
// Links into the repository host

/// A git remote on a host whose web pages we know how to address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Browse {
    host: Host,
    /// `https://host/owner/repo`, no `.git`, no credentials.
    base: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Host {
    GitHub,
    GitLab,
    Bitbucket,
    Gitea,
    AzureDevOps,
}

impl Browse {
    /// From the source URL (`https://`, `ssh://`, or scp-style `git@host:owner/repo.git`);
    /// `None` for a host we do not know, a local path or `file://`.
    pub fn from_remote(url: &str) -> Option<Browse> {
        let (host, path) = if let Some((scheme, rest)) = url.split_once("://") {
            if !matches!(
                scheme.to_ascii_lowercase().as_str(),
                "https" | "http" | "ssh" | "git" | "git+ssh" | "ssh+git"
            ) {
                return None;
            }
            let (authority, path) = rest.split_once('/')?;
            let host = authority.rsplit('@').next()?;
            let host = host.split(':').next()?;
            (host.to_ascii_lowercase(), path.to_string())
        } else {
            // scp-style: [user@]host:path
            let (left, path) = url.split_once(':')?;
            if left.contains('/') || path.starts_with("//") {
                return None;
            }
            let host = left.rsplit('@').next()?;
            (host.to_ascii_lowercase(), path.to_string())
        };
        let path = path.trim_matches('/');
        let path = path.strip_suffix(".git").unwrap_or(path);
        if host.is_empty() || path.is_empty() || path.contains(['?', '#']) {
            return None;
        }
        let kind = if host == "github.com" || host.starts_with("github.") {
            Host::GitHub
        } else if host == "gitlab.com" || host.starts_with("gitlab.") {
            Host::GitLab
        } else if host == "bitbucket.org" {
            Host::Bitbucket
        } else if host == "codeberg.org" || host.starts_with("gitea.") {
            Host::Gitea
        } else if host == "dev.azure.com" || host == "ssh.dev.azure.com" {
            Host::AzureDevOps
        } else {
            return None;
        };
        let base = match kind {
            Host::AzureDevOps => {
                // https://dev.azure.com/org/project/_git/repo, or ssh v3/org/project/repo
                let parts: Vec<&str> = path.split('/').collect();
                match parts.as_slice() {
                    ["v3", org, project, repo] | [org, project, "_git", repo] => {
                        format!("https://dev.azure.com/{org}/{project}/_git/{repo}")
                    }
                    _ => return None,
                }
            }
            _ => format!("https://{host}/{path}"),
        };
        Some(Browse { host: kind, base })
    }

    pub fn file(&self, commit: &str, file: &str) -> String {
        let file = file.trim_start_matches('/');
        match self.host {
            Host::GitHub => format!("{}/blob/{commit}/{file}", self.base),
            Host::GitLab => format!("{}/-/blob/{commit}/{file}", self.base),
            Host::Bitbucket => format!("{}/src/{commit}/{file}", self.base),
            Host::Gitea => format!("{}/src/commit/{commit}/{file}", self.base),
            Host::AzureDevOps => format!("{}?path=/{file}&version=GC{commit}", self.base),
        }
    }

    pub fn commit(&self, commit: &str) -> String {
        match self.host {
            Host::GitHub | Host::Gitea => format!("{}/commit/{commit}", self.base),
            Host::GitLab => format!("{}/-/commit/{commit}", self.base),
            Host::Bitbucket => format!("{}/commits/{commit}", self.base),
            Host::AzureDevOps => format!("{}/commit/{commit}", self.base),
        }
    }

    pub fn tree(&self, commit: &str) -> String {
        match self.host {
            Host::GitHub => format!("{}/tree/{commit}", self.base),
            Host::GitLab => format!("{}/-/tree/{commit}", self.base),
            Host::Bitbucket => format!("{}/src/{commit}", self.base),
            Host::Gitea => format!("{}/src/commit/{commit}", self.base),
            Host::AzureDevOps => format!("{}?version=GC{commit}", self.base),
        }
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
            detail_href("com.acme/a b", Some("1.0.0+b")),
            "/servers/com.acme/a%20b?version=1.0.0%2Bb"
        );
    }

    #[test]
    fn repository_hosts() {
        let b = |u: &str| Browse::from_remote(u);
        let gh = b("https://x-access-token:***@github.com/acme/registry.git").unwrap();
        assert_eq!(
            gh.file("abc", "servers/a/b.yaml"),
            "https://github.com/acme/registry/blob/abc/servers/a/b.yaml"
        );
        assert_eq!(
            b("git@github.com:acme/registry.git").unwrap().commit("abc"),
            "https://github.com/acme/registry/commit/abc"
        );
        assert_eq!(
            b("ssh://git@gitlab.com:22/g/sub/registry.git")
                .unwrap()
                .file("abc", "s/x.yaml"),
            "https://gitlab.com/g/sub/registry/-/blob/abc/s/x.yaml"
        );
        assert_eq!(
            b("https://dev.azure.com/org/proj/_git/reg")
                .unwrap()
                .file("abc", "s/x.yaml"),
            "https://dev.azure.com/org/proj/_git/reg?path=/s/x.yaml&version=GCabc"
        );
        assert_eq!(b("file:///srv/registry.git"), None);
        assert_eq!(b("/srv/registry"), None);
        assert_eq!(b("https://git.internal.example/acme/registry.git"), None);
    }
}
