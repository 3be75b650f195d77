//! Files in, expanded servers and every finding out, in one pass: parse, expand, the schema
//! and semantic checks of each version, then the repository rules. `lint` prints the
//! findings; a reload serves the servers only when no finding is an error.

use crate::check::config::RegistryConfig;
use crate::check::diagnostic::{self, Diagnostic, Findings, Rule};
use crate::check::files::{self, RepoFiles, Role, SourceFile};
use crate::check::load;
use crate::check::model::{self, ServerDef};
use crate::check::node::Pos;
use crate::check::{registry_rules as repo, schema, semantic, views};
use crate::parallel;

/// The result of checking one revision of a repository.
#[derive(Debug, Default)]
pub struct Checked {
    pub config: RegistryConfig,
    /// Servers whose files parsed, in path order.
    pub servers: Vec<ServerDef>,
    /// Every finding, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// How many server files were read.
    pub files: usize,
}

impl Checked {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }

    pub fn versions(&self) -> usize {
        self.servers.iter().map(|s| s.versions.len()).sum()
    }
}

pub fn check(tree: RepoFiles) -> Checked {
    let RepoFiles {
        files,
        mut diagnostics,
        ..
    } = tree;
    let mut config = RegistryConfig::default();
    let mut config_file = String::from("registry.yaml");
    let (mut servers, mut others) = (Vec::new(), Vec::new());
    for file in files {
        match files::role(&file.path) {
            Role::Server => servers.push(file),
            Role::Config => match load::parse(&file) {
                Ok(root) => {
                    let mut out = Findings {
                        file: &file.path,
                        list: &mut diagnostics,
                    };
                    config = RegistryConfig::from_node(&root, &mut out);
                    config_file.clone_from(&file.path);
                }
                Err(d) => diagnostics.push(Diagnostic {
                    rule: rule_for_config(d.rule),
                    ..d
                }),
            },
            Role::Other => others.push(file),
            Role::Ignored => {}
        }
    }
    let file_count = servers.len();
    let (defs, found) = in_parallel(&servers, check_server_file);
    diagnostics.extend(found);
    let (_, found) = in_parallel(&others, check_other_file);
    diagnostics.extend(found);
    let defs: Vec<ServerDef> = defs.into_iter().flatten().collect();
    repo::check(&defs, &config, &mut diagnostics);
    views::check(&config.views, &defs, &config_file, &mut diagnostics);
    diagnostic::sort(&mut diagnostics);
    // Versions of one file share fields, so a fault in a shared field is found once per version.
    diagnostics.dedup();
    Checked {
        config,
        servers: defs,
        diagnostics,
        files: file_count,
    }
}

/// A broken registry.yaml is reported as such, whatever broke it.
fn rule_for_config(rule: Rule) -> Rule {
    match rule {
        Rule::FileNotUtf8 | Rule::FileTooLarge | Rule::FileRead => rule,
        _ => Rule::RegistryConfig,
    }
}

fn check_server_file(file: &SourceFile, list: &mut Vec<Diagnostic>) -> Option<ServerDef> {
    let root = match load::parse(file) {
        Ok(root) => root,
        Err(d) => {
            list.push(d);
            return None;
        }
    };
    let mut out = Findings {
        file: &file.path,
        list,
    };
    let def = model::expand(&root, &mut out)?;
    for version in &def.versions {
        schema::check(&version.doc, &mut out);
        semantic::check(&version.doc, &mut out);
    }
    Some(def)
}

/// A YAML or JSON file outside `servers/` is not served; warn when it looks like it was meant
/// to be (a name, a description and a version).
fn check_other_file(file: &SourceFile, list: &mut Vec<Diagnostic>) -> Option<()> {
    let root = load::parse(file).ok()?;
    let looks_like_server = root.get_str("name").is_some_and(|n| n.contains('/'))
        && root.get("description").is_some()
        && (root.get("version").is_some() || root.get("versions").is_some());
    if looks_like_server {
        let name = root.get_str("name").unwrap_or_default();
        let msg = format!(
            "this looks like the server `{name}`, but only files under servers/<namespace>/ are served"
        );
        list.push(Diagnostic::new(
            Rule::StrayServerFile,
            &file.path,
            Pos { line: 1, col: 1 },
            msg,
        ));
    }
    None
}

/// Runs `f` over the files on every core, keeping the files' order in the results.
fn in_parallel<T: Send>(
    files: &[SourceFile],
    f: impl Fn(&SourceFile, &mut Vec<Diagnostic>) -> Option<T> + Sync,
) -> (Vec<Option<T>>, Vec<Diagnostic>) {
    let parts = parallel::chunks(files, 64, |part| {
        let mut found = Vec::new();
        let results: Vec<Option<T>> = part.iter().map(|file| f(file, &mut found)).collect();
        (results, found)
    });
    let (mut results, mut found) = (Vec::with_capacity(files.len()), Vec::new());
    for (r, d) in parts {
        results.extend(r);
        found.extend(d);
    }
    (results, found)
}
