//! Rules of the repository as a whole: where files live, which names and versions they
//! define, and what registry.yaml allows. Pure: expanded servers in, findings out.

use crate::check::config::RegistryConfig;
use crate::check::diagnostic::{Diagnostic, Rule};
use crate::check::model::{ServerDef, Status};
use crate::check::node::Pos;
use std::collections::HashMap;

/// The name a server file's path promises: `servers/<namespace>/<server>.yaml` → `namespace/server`.
pub fn name_from_path(path: &str) -> Option<String> {
    let rest = path.strip_prefix("servers/")?;
    let (namespace, file) = rest.split_once('/')?;
    let stem = file
        .strip_suffix(".yaml")
        .or_else(|| file.strip_suffix(".yml"))?;
    (!file.contains('/') && !namespace.is_empty() && !stem.is_empty())
        .then(|| format!("{namespace}/{stem}"))
}

pub fn check(servers: &[ServerDef], config: &RegistryConfig, out: &mut Vec<Diagnostic>) {
    let mut by_name: HashMap<&str, Vec<&ServerDef>> = HashMap::new();
    for server in servers {
        check_server(server, config, out);
        if let Some(name) = server.name() {
            by_name.entry(name).or_default().push(server);
        }
    }
    for (name, defs) in by_name.into_iter().filter(|(_, defs)| defs.len() > 1) {
        for def in &defs {
            let others: Vec<String> = defs
                .iter()
                .filter(|o| o.file != def.file)
                .map(|o| format!("{}:{}", o.file, name_pos(o).line))
                .collect();
            let msg = format!("server `{name}` is also defined in {}", others.join(", "));
            out.push(Diagnostic::new(
                Rule::DuplicateServer,
                &def.file,
                name_pos(def),
                msg,
            ));
        }
    }
}

fn name_pos(server: &ServerDef) -> Pos {
    server
        .name
        .as_ref()
        .map_or(Pos { line: 1, col: 1 }, |n| n.pos)
}

fn check_server(server: &ServerDef, config: &RegistryConfig, out: &mut Vec<Diagnostic>) {
    let mut push = |rule, pos, msg: String| out.push(Diagnostic::new(rule, &server.file, pos, msg));
    match name_from_path(&server.file) {
        None => push(
            Rule::FileLayout,
            Pos::default(),
            "server files live at servers/<namespace>/<server>.yaml".to_string(),
        ),
        Some(expected) => {
            if let Some(name) = &server.name
                && name.text != expected
            {
                let msg = format!(
                    "file path says the server is `{expected}`, but `name` is `{}`",
                    name.text
                );
                push(Rule::PathNameMismatch, name.pos, msg);
            }
        }
    }
    if let Some(name) = server.name()
        && name.contains('/')
        && !config.allows(name)
    {
        let msg = format!(
            "namespace of `{name}` is not allowed by registry.yaml (allowedNamespaces: {})",
            config.allowed_namespaces.join(", ")
        );
        push(Rule::NamespaceNotAllowed, name_pos(server), msg);
    }

    let mut first_seen: HashMap<&str, Pos> = HashMap::new();
    for v in &server.versions {
        if let Some(version) = &v.version {
            if let Some(first) = first_seen.get(version.text.as_str()) {
                let msg = format!(
                    "version `{}` is already defined at line {}",
                    version.text, first.line
                );
                push(Rule::DuplicateVersion, version.pos, msg);
            } else {
                first_seen.insert(&version.text, version.pos);
            }
        }
        if let Some(message) = &v.status_message
            && v.status == Status::Active
        {
            let msg =
                "`statusMessage` explains a deprecated or deleted version; this one is active"
                    .to_string();
            push(Rule::StatusMessageActive, message.pos, msg);
        }
    }

    if let Some(latest) = &server.latest {
        match server
            .versions
            .iter()
            .find(|v| v.version() == Some(latest.text.as_str()))
        {
            None => {
                let known: Vec<&str> = server.versions.iter().filter_map(|v| v.version()).collect();
                let msg = format!(
                    "`latest` pins `{}`, which is not a version of this server (versions: {})",
                    latest.text,
                    known.join(", ")
                );
                push(Rule::LatestPinMissing, latest.pos, msg);
            }
            Some(v) if v.status == Status::Deleted => {
                push(
                    Rule::LatestPinDeleted,
                    latest.pos,
                    format!("`latest` pins `{}`, which is deleted", latest.text),
                );
            }
            Some(_) => {}
        }
    }
}
