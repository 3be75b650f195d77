//! `upstream:` at the top of a server file: the registry the server was imported from and its
//! name there, which `mcp-gitops import --update` follows and reviewers and the web page see.
//! It belongs to the repository's format, not to server.json: never served inside `server`.

use crate::check::diagnostic::{Findings, Rule};
use crate::check::node::{Node, Pos};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The key in a server file.
pub const KEY: &str = "upstream";

/// Where a server was imported from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upstream {
    /// The registry's base URL (the part before `/v0.1/`), http or https, without credentials.
    pub registry: String,
    /// The server's name there.
    pub name: String,
    /// The newest `updatedAt` the import saw among this server's entries upstream (RFC 3339):
    /// `import --update` asks for what changed after it.
    pub updated_at: Option<String>,
    pub pos: Pos,
}

const FIELDS: [&str; 3] = ["registry", "name", "updatedAt"];

/// Reads `upstream:`; what is wrong with it goes to `out`, and then it is `None`.
pub fn parse(node: &Node, out: &mut Findings) -> Option<Upstream> {
    let Some(entries) = node.as_map() else {
        out.push(
            Rule::FileForm,
            node.pos,
            format!(
                "`upstream` must be a mapping with `registry` and `name`, found {}",
                node.type_name()
            ),
        );
        return None;
    };
    let mut ok = true;
    for e in entries.iter().filter(|e| !FIELDS.contains(&e.key.as_str())) {
        out.push(
            Rule::FileForm,
            e.key_pos,
            format!(
                "unknown key `upstream.{}`; upstream knows registry, name and updatedAt",
                e.key
            ),
        );
        ok = false;
    }
    let text = |key: &str, out: &mut Findings| -> Option<(String, Pos)> {
        match node.entry(key) {
            None => {
                out.push(
                    Rule::FileForm,
                    node.pos,
                    format!("`upstream` needs `{key}`"),
                );
                None
            }
            Some(e) => match e.value.as_str() {
                Some(s) if !s.trim().is_empty() => Some((s.to_string(), e.value.pos)),
                _ => {
                    out.push(
                        Rule::SchemaType,
                        e.value.pos,
                        format!("`upstream.{key}` must be a non-empty string"),
                    );
                    None
                }
            },
        }
    };
    let registry = text("registry", out);
    let name = text("name", out);
    if let Some((url, pos)) = &registry
        && let Err(why) = registry_url(url)
    {
        out.push(
            Rule::SchemaFormat,
            *pos,
            format!("`upstream.registry` {why}"),
        );
        ok = false;
    }
    let updated_at = match node.entry("updatedAt") {
        None => None,
        Some(e) => match e.value.as_str() {
            Some(s) if OffsetDateTime::parse(s, &Rfc3339).is_ok() => Some(s.to_string()),
            _ => {
                out.push(
                    Rule::SchemaFormat,
                    e.value.pos,
                    "`upstream.updatedAt` must be an RFC 3339 time, e.g. 2025-10-01T12:00:00Z",
                );
                ok = false;
                None
            }
        },
    };
    let (registry, name) = (registry?.0, name?.0);
    ok.then_some(Upstream {
        registry,
        name,
        updated_at,
        pos: node.pos,
    })
}

/// Whether `url` may be followed: an http(s) URL without credentials, query or fragment (the
/// file is public to everyone who reads the repository; a token goes in a token file).
pub fn registry_url(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("is not a URL ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("must be an http:// or https:// URL".to_string());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not hold credentials; import takes a token file instead".to_string());
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err("must be the registry's base URL, without a query or fragment".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::files::SourceFile;
    use crate::check::load;

    fn parsed(yaml: &str) -> (Option<Upstream>, Vec<String>) {
        let root = load::parse(&SourceFile {
            path: "f.yaml".into(),
            bytes: yaml.as_bytes().to_vec(),
        })
        .unwrap();
        let mut list = Vec::new();
        let up = parse(
            &root,
            &mut Findings {
                file: "f.yaml",
                list: &mut list,
            },
        );
        (up, list.iter().map(|d| d.to_string()).collect())
    }

    #[test]
    fn a_good_record_and_bad_ones() {
        let (up, found) = parsed(
            "registry: https://registry.example.com\nname: io.github.a/b\nupdatedAt: 2025-10-01T12:00:00Z\n",
        );
        assert!(found.is_empty(), "{found:?}");
        let up = up.unwrap();
        assert_eq!(up.registry, "https://registry.example.com");
        assert_eq!(up.updated_at.as_deref(), Some("2025-10-01T12:00:00Z"));

        for (yaml, rule) in [
            ("registry: ftp://x\nname: a/b\n", "schema-format"),
            (
                "registry: https://u:p@x.example\nname: a/b\n",
                "schema-format",
            ),
            (
                "registry: https://x.example/?q=1\nname: a/b\n",
                "schema-format",
            ),
            ("registry: https://x.example\n", "file-form"),
            ("registry: https://x.example\nname: 3\n", "schema-type"),
            (
                "registry: https://x.example\nname: a/b\nextra: 1\n",
                "file-form",
            ),
            (
                "registry: https://x.example\nname: a/b\nupdatedAt: yesterday\n",
                "schema-format",
            ),
            ("- a\n", "file-form"),
        ] {
            let (up, found) = parsed(yaml);
            assert!(up.is_none(), "{yaml}");
            assert!(found.iter().any(|f| f.contains(rule)), "{yaml}: {found:?}");
        }
    }
}
