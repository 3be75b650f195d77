//! The detail of one server version: install options, packages, remotes, links, versions, and
//! where it is defined in the repository.

use super::frame::{
    Frame, detail_href, esc, external, hue, monogram, publisher, status_badge, time_html,
};
use crate::check::model::Status;
use crate::clients::install::{self, InstallOption};
use crate::store::index::{OFFICIAL_META, SOURCE_META, ServerEntry};
use serde_json::Value as Json;
use std::fmt::Write;
use time::OffsetDateTime;

/// One version of a server, its `{"server":…,"_meta":…}` parsed.
pub struct Version<'a> {
    pub entry: &'a ServerEntry,
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
        "<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"{}/\">All servers</a> \
         <span aria-hidden=\"true\">›</span> <span aria-current=\"page\">{}</span></nav>\n\
         <header class=\"server-head\"><span class=\"mono mono-big hue-{}\" aria-hidden=\"true\">{}</span>\
         <div><h1>{}</h1><p class=\"card-name\"><code id=\"server-name\">{}</code> \
         <span class=\"publisher\">by {}</span></p>\
         <p class=\"lead\">{}</p><p class=\"card-meta\">Version <span class=\"version\">{}</span>",
        esc(&frame.base()),
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
    versions_section(&mut out, &frame.base(), name, versions, selected);
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

fn versions_section(
    out: &mut String,
    base: &str,
    name: &str,
    versions: &[Version],
    selected: usize,
) {
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
                esc(&detail_href(base, name, Some(&e.version))),
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

/// "Imported from": the registry a file records as its upstream (`mcp-gitops import`), with a
/// link to the server's versions there.
fn upstream_fact(out: &mut String, upstream: &Json) {
    let (Some(registry), Some(name)) = (upstream["registry"].as_str(), upstream["name"].as_str())
    else {
        return;
    };
    let encoded: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
    let versions = format!(
        "{}/v0.1/servers/{encoded}/versions",
        registry.trim_end_matches('/')
    );
    let _ = write!(
        out,
        "<dt>Imported from</dt><dd id=\"upstream\">{} as <code>{}</code> (<a href=\"{}\" rel=\"noopener noreferrer\">its versions there</a>), followed by <code>mcp-gitops import --update</code></dd>",
        external(registry),
        esc(name),
        esc(&versions)
    );
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
    upstream_fact(out, &v.json["_meta"][SOURCE_META]["upstream"]);
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
