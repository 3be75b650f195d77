//! What an import did, in Markdown fit for a pull request's body: whether anything changed,
//! what changed in which file, what was not written and why, and the conflicts left for a
//! person. Everything that came from upstream is escaped: a status message cannot add links,
//! mentions or markup to the pull request.

use super::gate::Refused;
use super::plan::{Change, Conflict, Planned};
use crate::check::model::Status;
use std::fmt::Write;

/// Longest text from upstream quoted in the summary.
const MAX_QUOTED: usize = 300;

/// What one run did.
#[derive(Debug, Default)]
pub struct Report {
    /// `import`, `import --update`, `import --file`.
    pub command: String,
    /// The registries read (none for `--file`).
    pub registries: Vec<String>,
    /// How many server files were considered (followed, or named).
    pub considered: usize,
    /// Files written (or, with `dry_run`, that would be).
    pub written: Vec<Planned>,
    pub refused: Vec<Refused>,
    /// Conflicts, by server name.
    pub conflicts: Vec<(String, Conflict)>,
    pub dry_run: bool,
}

impl Report {
    pub fn changed(&self) -> bool {
        !self.written.is_empty()
    }
}

pub fn markdown(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## mcp-gitops {}\n", r.command);
    let from = match r.registries.as_slice() {
        [] => String::new(),
        list => format!(
            " from {}",
            list.iter().map(|u| code(u)).collect::<Vec<_>>().join(", ")
        ),
    };
    let servers = counted(r.considered, "server", "servers");
    if r.changed() {
        let files = counted(r.written.len(), "file", "files");
        let verb = if r.dry_run { "would change" } else { "changed" };
        let _ = writeln!(out, "**{files} {verb}** ({servers} considered{from}).\n");
    } else {
        let _ = writeln!(
            out,
            "**No changes**: nothing new for the {servers} considered{from}.\n"
        );
    }
    if !r.written.is_empty() {
        out.push_str("### Changes\n\n");
        for p in &r.written {
            let new = if p.created { " (new file)" } else { "" };
            let _ = writeln!(
                out,
                "- {} in {}{new}: {}",
                code(&p.name),
                code(&p.path),
                changes(&p.changes)
            );
        }
        out.push('\n');
    }
    if !r.refused.is_empty() {
        out.push_str("### Not written: would not pass `mcp-gitops lint`\n\n");
        for f in &r.refused {
            let _ = writeln!(out, "- {} ({}):", code(&f.name), code(&f.path));
            for d in &f.findings {
                let _ = writeln!(
                    out,
                    "  - {} {}[{}]: {}",
                    code(&d.location()),
                    d.severity.as_str(),
                    d.rule,
                    text(&d.message)
                );
            }
        }
        out.push('\n');
    }
    if !r.conflicts.is_empty() {
        out.push_str("### Conflicts, left as they are\n\n");
        for (name, c) in &r.conflicts {
            let version = match c.version.as_str() {
                "" => String::new(),
                v => format!(" {}", code(v)),
            };
            let _ = writeln!(out, "- {}{version}: {}", code(name), text(&c.why));
        }
        out.push('\n');
    }
    if r.changed() {
        out.push_str(
            "Each added version is upstream's server.json as served, with only the registry's \
             own metadata left out; a published version is never edited, only its status \
             mirrored. `mcp-gitops lint --base <target branch>` checks both.\n",
        );
    }
    out
}

/// The changes of one file, the added versions of one status together (`added `1.0.0`,
/// `1.1.0``).
fn changes(list: &[Change]) -> String {
    let mut out: Vec<String> = Vec::new();
    for status in Status::ALL {
        let added: Vec<String> = list
            .iter()
            .filter_map(|c| match c {
                Change::Added { version, status: s } if *s == status => Some(code(version)),
                _ => None,
            })
            .collect();
        if !added.is_empty() {
            let state = match status {
                Status::Active => String::new(),
                other => format!(" ({})", other.as_str()),
            };
            out.push(format!("added {}{state}", added.join(", ")));
        }
    }
    out.extend(
        list.iter()
            .filter(|c| !matches!(c, Change::Added { .. }))
            .map(change),
    );
    out.join("; ")
}

fn change(c: &Change) -> String {
    match c {
        Change::Added { version, status } => match status {
            Status::Active => format!("added {}", code(version)),
            other => format!("added {} ({})", code(version), other.as_str()),
        },
        Change::Status {
            version,
            from,
            to,
            message,
        } => {
            let why = message
                .as_deref()
                .map(|m| format!(" ({})", text(m)))
                .unwrap_or_default();
            format!("{} {} → {}{why}", code(version), from.as_str(), to.as_str())
        }
        Change::Recorded { registry } => format!("records its upstream {}", code(registry)),
        Change::Followed { updated_at } => format!(
            "followed upstream to {} (no version this file carries changed)",
            code(updated_at)
        ),
    }
}

fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Text from elsewhere as inline code, or escaped text when it cannot be one.
fn code(s: &str) -> String {
    let short: String = s.chars().take(MAX_QUOTED).collect();
    if short.contains('`') || short.chars().any(char::is_control) {
        text(&short)
    } else {
        format!("`{short}`")
    }
}

/// Text from elsewhere, on one line, with every character Markdown (or GitHub: `@mention`,
/// `#123`) gives a meaning escaped.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_QUOTED) + 16);
    for (i, c) in s.chars().enumerate() {
        if i == MAX_QUOTED {
            out.push('…');
            break;
        }
        match c {
            c if c.is_control() => out.push(' '),
            c if c.is_ascii_punctuation() && !".,;:'/-=%?".contains(c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_text_cannot_add_markup() {
        assert_eq!(
            text("see [x](http://e) @bob #1 <b>"),
            "see \\[x\\]\\(http://e\\) \\@bob \\#1 \\<b\\>"
        );
        assert_eq!(text("a\nb"), "a b");
        assert_eq!(code("1.0.0"), "`1.0.0`");
        assert_eq!(code("a`b"), "a\\`b");
        assert!(text(&"x".repeat(1000)).ends_with('…'));
    }

    #[test]
    fn says_when_nothing_changed() {
        let r = Report {
            command: "import --update".into(),
            registries: vec!["https://r.example".into()],
            considered: 3,
            ..Report::default()
        };
        let md = markdown(&r);
        assert!(
            md.contains(
                "**No changes**: nothing new for the 3 servers considered from `https://r.example`."
            ),
            "{md}"
        );
    }
}
