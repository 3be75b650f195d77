//! The example CI pipelines and the deploy files refer only to what exists: every
//! `mcp-gitops …` command in the GitHub Actions workflow (example-repo/.github/workflows/lint.yml)
//! and the GitLab CI example (deploy/ci/gitlab-ci.yml) uses a subcommand, flags and flag values
//! that the binary's `--help` lists; every MCP_GITOPS_* variable that deploy/Dockerfile and the
//! Kubernetes ConfigMaps set is one `serve --help` names; and the Deployment mounts the paths
//! those settings point at.

use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn yaml(path: &Path) -> Json {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_saphyr::from_str::<Json>(&text)
        .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()))
}

/// `mcp-gitops <args> --help`.
fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_mcp-gitops"))
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success(), "mcp-gitops {args:?} --help failed");
    String::from_utf8(out.stdout).unwrap()
}

/// What `--help` says about one subcommand's options.
struct Options {
    /// Flag (`--format`, `-h`) → whether it takes a value, and its possible values if listed.
    flags: BTreeMap<String, (bool, Vec<String>)>,
    /// How many positional arguments it takes.
    positionals: usize,
}

/// Reads clap's long help: option lines are indented less than their descriptions, and
/// `Possible values:` lists follow as `- name: …` lines.
fn options(help: &str) -> Options {
    let mut flags: BTreeMap<String, (bool, Vec<String>)> = BTreeMap::new();
    let mut positionals = 0;
    let mut section = "";
    // The spellings of the option being described (`-h`, `--help`).
    let mut current: Vec<String> = Vec::new();
    for line in help.lines() {
        let indent = line.len() - line.trim_start().len();
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        if indent == 0 {
            section = if text.ends_with(':') { text } else { "" };
            current.clear();
            continue;
        }
        if indent >= 8 {
            // A description line: perhaps an item of `Possible values:`.
            if let Some((value, _)) = text.strip_prefix("- ").and_then(|t| t.split_once(':')) {
                for name in &current {
                    flags
                        .get_mut(name)
                        .unwrap()
                        .1
                        .push(value.trim().to_string());
                }
            }
            continue;
        }
        match section {
            "Arguments:" if text.starts_with(['[', '<']) => positionals += 1,
            "Options:" if text.starts_with('-') => {
                // `-h, --help`, `--format <FORMAT>`, `--deny-warnings`
                let takes_value = text.contains('<');
                let head = text.split(" <").next().unwrap();
                current = head.split(", ").map(|n| n.trim().to_string()).collect();
                for name in &current {
                    flags.insert(name.clone(), (takes_value, Vec::new()));
                }
            }
            _ => {}
        }
    }
    Options { flags, positionals }
}

/// Splits a shell command line into words and operators, honouring quotes. Words keep `$VAR`
/// references as written; quotes are removed.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    let flush = |word: &mut String, in_word: &mut bool, words: &mut Vec<String>| {
        if *in_word {
            words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    word.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        _ => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.extend(chars.next());
            }
            '#' if !in_word => break,
            ' ' | '\t' | '\n' => flush(&mut word, &mut in_word, &mut words),
            '|' | '&' | ';' | '>' | '<' | '(' | ')' => {
                // `2>` is a redirection of fd 2, not a word "2".
                if c == '>' && word.chars().all(|d| d.is_ascii_digit()) && in_word {
                    word.clear();
                    in_word = false;
                }
                flush(&mut word, &mut in_word, &mut words);
                let mut op = c.to_string();
                while let Some(&next) = chars.peek() {
                    if matches!(next, '|' | '&' | '>') && !(c == '(' || c == ')') {
                        op.push(next);
                        chars.next();
                    } else {
                        break;
                    }
                }
                words.push(op);
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    flush(&mut word, &mut in_word, &mut words);
    words
}

/// Every `mcp-gitops …` command in a script (the words after `mcp-gitops`, redirections
/// dropped).
fn invocations(script: &str) -> Vec<Vec<String>> {
    let joined = script.replace("\\\n", " ");
    let mut found = Vec::new();
    for line in joined.lines() {
        let words = shell_words(line);
        let mut segment: Vec<String> = Vec::new();
        let mut segments = Vec::new();
        let mut redirect = false;
        for w in words {
            if matches!(
                w.as_str(),
                "|" | "||" | "&&" | ";" | "&" | "(" | ")" | "$(" | "|&"
            ) {
                segments.push(std::mem::take(&mut segment));
            } else if w.starts_with('>') || w.starts_with('<') {
                redirect = true;
            } else if redirect {
                redirect = false;
            } else {
                segment.push(w);
            }
        }
        segments.push(segment);
        for seg in segments {
            // Skip `VAR=value` prefixes and `$(`.
            let mut words = seg
                .into_iter()
                .skip_while(|w| w.contains('=') && !w.starts_with('-') || w == "$");
            if let Some(cmd) = words.next()
                && (cmd == "mcp-gitops" || cmd.ends_with("/mcp-gitops"))
            {
                found.push(words.collect());
            }
        }
    }
    found
}

/// Checks one invocation against the binary's help; returns what is wrong.
fn check_invocation(args: &[String]) -> Vec<String> {
    let top = options(&help(&[]));
    let mut problems = Vec::new();
    let subcommands = ["serve", "lint", "import"];
    let (sub, rest): (&str, &[String]) = match args.first() {
        Some(s) if subcommands.contains(&s.as_str()) => (s, &args[1..]),
        Some(s) if !s.starts_with('-') => {
            return vec![format!("`{s}` is not a subcommand")];
        }
        _ => ("", args),
    };
    let opts = if sub.is_empty() {
        top
    } else {
        options(&help(&[sub]))
    };
    let mut positionals = 0;
    let mut i = 0;
    while i < rest.len() {
        let arg = &rest[i];
        i += 1;
        if arg == "--" {
            positionals += rest.len() - i;
            break;
        }
        if !arg.starts_with('-') || arg == "-" {
            positionals += 1;
            continue;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f, Some(v.to_string())),
            None => (arg.as_str(), None),
        };
        let Some((takes_value, values)) = opts.flags.get(flag) else {
            problems.push(format!("`mcp-gitops {sub} --help` does not list {flag}"));
            continue;
        };
        if *takes_value {
            let value = match inline {
                Some(v) => Some(v),
                None => {
                    i += 1;
                    rest.get(i - 1).cloned()
                }
            };
            match value {
                None => problems.push(format!("{flag} needs a value")),
                Some(v) if !values.is_empty() && !v.contains('$') && !values.contains(&v) => {
                    problems.push(format!("{flag} {v}: possible values are {values:?}"))
                }
                Some(_) => {}
            }
        } else if inline.is_some() {
            problems.push(format!("{flag} takes no value"));
        }
    }
    if positionals > opts.positionals {
        problems.push(format!(
            "{positionals} positional arguments; `mcp-gitops {sub}` takes {}",
            opts.positionals
        ));
    }
    problems
}

fn strings(v: &Json) -> Vec<String> {
    match v {
        Json::String(s) => vec![s.clone()],
        Json::Array(items) => items.iter().flat_map(strings).collect(),
        _ => vec![],
    }
}

/// Checks every invocation in `scripts`, and returns them.
fn check_all(file: &str, scripts: &[String]) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    let mut problems = Vec::new();
    for script in scripts {
        for args in invocations(script) {
            for p in check_invocation(&args) {
                problems.push(format!("{file}: `mcp-gitops {}`: {p}", args.join(" ")));
            }
            all.push(args);
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    all
}

fn uses_flag(all: &[Vec<String>], flag: &str, value: Option<&str>) -> bool {
    all.iter().any(|args| {
        args.windows(2).any(|w| {
            w[0] == flag && value.is_none_or(|v| w[1] == v)
                || w[0] == format!("{flag}={}", value.unwrap_or_default())
        }) || value.is_none() && args.iter().any(|a| a == flag)
    })
}

#[test]
fn the_help_reader_understands_clap() {
    let lint = options(&help(&["lint"]));
    assert_eq!(lint.positionals, 1);
    assert_eq!(
        lint.flags.get("--format").map(|f| f.1.clone()),
        Some(vec![
            "human".to_string(),
            "github".into(),
            "json".into(),
            "sarif".into()
        ])
    );
    assert_eq!(lint.flags.get("--base").map(|f| f.0), Some(true));
    assert_eq!(lint.flags.get("--deny-warnings").map(|f| f.0), Some(false));
    assert!(lint.flags.contains_key("-h") && lint.flags.contains_key("--help"));
    let serve = options(&help(&["serve"]));
    assert_eq!(serve.positionals, 0);
    assert!(serve.flags.contains_key("--repo"));
}

#[test]
fn the_shell_reader_finds_invocations() {
    let found = invocations(
        "set -e\nFOO=1 mcp-gitops lint --format sarif . > out.sarif || true\n\
         cargo install --locked mcp-gitops\n\
         echo done && ./bin/mcp-gitops lint \\\n  --base \"origin/$BASE_REF\" 2>/dev/null .  # note\n\
         x=$(mcp-gitops lint --format=json .)",
    );
    assert_eq!(
        found,
        vec![
            vec!["lint", "--format", "sarif", "."],
            vec!["lint", "--base", "origin/$BASE_REF", "."],
            vec!["lint", "--format=json", "."],
        ]
    );
    let bad = |s: &str| check_invocation(&shell_words(s)[1..]);
    assert!(bad("mcp-gitops lint --format sarif .").is_empty());
    assert!(!bad("mcp-gitops lint --format xml .").is_empty());
    assert!(!bad("mcp-gitops lint --fail-on-warnings .").is_empty());
    assert!(!bad("mcp-gitops lint a b").is_empty());
    assert!(!bad("mcp-gitops check .").is_empty());
    assert!(!bad("mcp-gitops lint --deny-warnings=yes").is_empty());
}

#[test]
fn github_workflow_uses_the_action_with_inputs_it_declares() {
    let wf = yaml(&root().join("example-repo/.github/workflows/lint.yml"));
    let action = yaml(&root().join("action.yml"));
    assert!(wf["on"]["pull_request"].is_object() || wf["on"].get("pull_request").is_some());
    assert_eq!(
        wf["permissions"]["security-events"], "write",
        "SARIF upload"
    );
    let inputs = action["inputs"].as_object().expect("the action's inputs");
    for input in ["path", "base", "deny-warnings", "sarif", "version", "args"] {
        assert!(
            inputs.contains_key(input),
            "action.yml lacks the input `{input}`"
        );
    }
    let steps: Vec<&serde_json::Value> = wf["jobs"]
        .as_object()
        .expect("jobs")
        .values()
        .flat_map(|job| job["steps"].as_array().expect("steps"))
        .collect();
    let ours: Vec<&&serde_json::Value> = steps
        .iter()
        .filter(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.contains("/mcp-gitops@"))
        })
        .collect();
    assert_eq!(ours.len(), 1, "the workflow uses the action once");
    for key in ours[0]["with"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
    {
        assert!(
            inputs.contains_key(key),
            "`with: {key}` is not an input of action.yml"
        );
    }
    assert!(
        ours[0]["with"]["sarif"].is_string(),
        "SARIF for code scanning"
    );
    let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
    assert!(
        uses.iter()
            .any(|u| u.starts_with("github/codeql-action/upload-sarif@"))
    );
    assert!(uses.iter().any(|u| u.starts_with("actions/checkout@")));

    // The action's lint step: annotations, and --base from the pull request.
    let scripts: String = action["runs"]["steps"]
        .as_array()
        .expect("a composite action's steps")
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect();
    for needed in [
        "--format github",
        "--base",
        "--deny-warnings",
        "--format sarif",
        "github.base_ref",
    ] {
        let in_env = action["runs"]["steps"].as_array().unwrap().iter().any(|s| {
            s["env"].as_object().is_some_and(|e| {
                e.values()
                    .any(|v| v.as_str().is_some_and(|v| v.contains(needed)))
            })
        });
        assert!(
            scripts.contains(needed) || in_env,
            "action.yml never passes `{needed}`"
        );
    }
}

#[test]
fn the_import_workflow_uses_existing_flags_and_opens_a_pull_request() {
    let wf = yaml(&root().join("example-repo/.github/workflows/import-update.yml"));
    let mut scripts = Vec::new();
    for job in wf["jobs"].as_object().unwrap().values() {
        for step in job["steps"].as_array().unwrap() {
            scripts.extend(strings(&step["run"]));
        }
    }
    let all = check_all("import-update.yml", &scripts);
    assert!(uses_flag(&all, "--update", None), "{all:?}");
    assert!(uses_flag(&all, "--summary-file", None), "{all:?}");
    assert!(wf["on"]["schedule"].is_array());
    assert!(scripts.iter().any(|s| s.contains("gh pr create")));
}

#[test]
fn gitlab_pipeline_uses_existing_flags() {
    let path = root().join("deploy/ci/gitlab-ci.yml");
    let ci = yaml(&path);
    let reserved = [
        "stages",
        "variables",
        "default",
        "include",
        "workflow",
        "image",
        "services",
        "cache",
        "before_script",
        "after_script",
    ];
    let mut scripts = Vec::new();
    let mut code_quality = false;
    for (name, job) in ci.as_object().unwrap() {
        if reserved.contains(&name.as_str()) || name.starts_with('.') {
            continue;
        }
        assert!(
            job["script"].is_array() || job["script"].is_string(),
            "job {name} has no script"
        );
        for key in ["before_script", "script", "after_script"] {
            scripts.extend(strings(&job[key]));
        }
        let stage = job["stage"].as_str().unwrap_or("test");
        assert!(
            strings(&ci["stages"]).iter().any(|s| s == stage),
            "job {name}: stage {stage} is not in stages"
        );
        code_quality |= job["artifacts"]["reports"]["codequality"].is_string();
    }
    assert!(code_quality, "no Code Quality report");
    let all = check_all("gitlab-ci.yml", &scripts);
    assert!(all.len() >= 2, "{all:?}");
    assert!(uses_flag(&all, "--format", Some("json")));
    assert!(uses_flag(&all, "--base", None));
}

/// The `MCP_GITOPS_*` variables `serve --help` documents.
fn serve_env_vars() -> BTreeSet<String> {
    let help = help(&["serve"]);
    help.match_indices("[env: ")
        .map(|(i, _)| {
            let rest = &help[i + 6..];
            rest[..rest.find(['=', ']']).unwrap()].to_string()
        })
        .collect()
}

/// `ENV` settings of a Dockerfile (the `KEY=value` forms, continued lines joined).
fn dockerfile_env(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap().replace("\\\n", " ");
    let mut env = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.trim().strip_prefix("ENV ") {
            for word in shell_words(rest) {
                let (k, v) = word.split_once('=').expect("ENV KEY=value");
                env.insert(k.to_string(), v.to_string());
            }
        }
    }
    env
}

#[test]
fn deploy_settings_name_existing_variables_and_mounted_paths() {
    let known = serve_env_vars();
    assert!(known.contains("MCP_GITOPS_REPO"), "{known:?}");
    let mut problems = Vec::new();

    let docker = dockerfile_env(&root().join("deploy/Dockerfile"));
    let configmap = yaml(&root().join("deploy/kubernetes/base/configmap.yaml"));
    let patch = yaml(&root().join("deploy/kubernetes/git-sync/configmap-patch.yaml"));
    let data: BTreeMap<String, String> = configmap["data"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("string values").to_string()))
        .collect();
    let names = docker
        .keys()
        .map(|k| ("deploy/Dockerfile", k))
        .chain(data.keys().map(|k| ("configmap.yaml", k)))
        .chain(
            patch["data"]
                .as_object()
                .unwrap()
                .keys()
                .map(|k| ("git-sync/configmap-patch.yaml", k)),
        );
    for (file, name) in names {
        if name.starts_with("MCP_GITOPS_") && !known.contains(name) {
            problems.push(format!(
                "{file}: {name} is not a variable `mcp-gitops serve --help` lists"
            ));
        }
    }

    // The container listens where the image, the probes and the Service expect.
    assert_eq!(docker["MCP_GITOPS_LISTEN"], "0.0.0.0:8080");
    assert_eq!(data["MCP_GITOPS_LISTEN"], "0.0.0.0:8080");
    let dockerfile = std::fs::read_to_string(root().join("deploy/Dockerfile")).unwrap();
    assert!(dockerfile.contains("\nEXPOSE 8080\n"));
    assert!(dockerfile.contains("\nUSER 65534:65534\n"));

    let deployment = yaml(&root().join("deploy/kubernetes/base/deployment.yaml"));
    let pod = &deployment["spec"]["template"]["spec"];
    let container = pod["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "mcp-gitops")
        .expect("the mcp-gitops container");
    assert_eq!(container["ports"][0]["containerPort"], 8080);
    // The operators' port is the container's second, scraped by Prometheus, kept out of the
    // Service.
    assert_eq!(data["MCP_GITOPS_OPS_LISTEN"], "0.0.0.0:9090");
    assert_eq!(container["ports"][1]["name"], "ops");
    assert_eq!(container["ports"][1]["containerPort"], 9090);
    assert_eq!(
        deployment["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"],
        "9090"
    );
    let service = yaml(&root().join("deploy/kubernetes/base/service.yaml"));
    assert!(
        service["spec"]["ports"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["targetPort"] != "ops"),
        "the ops port is not exposed by the Service"
    );
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(pod["securityContext"]["runAsUser"], 65534);
    let mounts: BTreeMap<String, String> = container["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["mountPath"].as_str().unwrap().to_string(),
                m["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let volume = |name: &str| {
        pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .cloned()
            .unwrap_or(Json::Null)
    };
    // The cache dir is the writable emptyDir, in the image and in the ConfigMap.
    for (file, dir) in [
        ("deploy/Dockerfile", docker.get("MCP_GITOPS_CACHE_DIR")),
        ("configmap.yaml", data.get("MCP_GITOPS_CACHE_DIR")),
    ] {
        let dir = dir.unwrap_or_else(|| panic!("{file} sets no MCP_GITOPS_CACHE_DIR"));
        match mounts.get(dir) {
            Some(v) if volume(v)["emptyDir"].is_object() => {}
            _ => problems.push(format!(
                "{file}: the cache dir {dir} is not an emptyDir mount"
            )),
        }
        assert!(dockerfile.contains(&format!("VOLUME [\"{dir}\"]")), "{dir}");
    }
    // Every secret file lies in the mounted Secret; every Secret key it names is in the
    // template.
    let template = yaml(&root().join("deploy/kubernetes/secret.example.yaml"));
    let template_text =
        std::fs::read_to_string(root().join("deploy/kubernetes/secret.example.yaml")).unwrap();
    for (name, value) in data.iter().filter(|(k, _)| k.ends_with("_FILE")) {
        let path = Path::new(value);
        let mount = path.parent().unwrap().to_str().unwrap();
        let key = path.file_name().unwrap().to_str().unwrap();
        match mounts.get(mount) {
            Some(v) if volume(v)["secret"]["secretName"] == template["metadata"]["name"] => {}
            _ => problems.push(format!("{name}={value}: {mount} is not the Secret's mount")),
        }
        if template["stringData"].get(key).is_none() {
            problems.push(format!("{name}: the Secret template has no key {key}"));
        }
    }
    // The commented-out SSH settings name keys the template documents.
    let configmap_text =
        std::fs::read_to_string(root().join("deploy/kubernetes/base/configmap.yaml")).unwrap();
    for line in configmap_text.lines() {
        if let Some(rest) = line.trim().strip_prefix("# MCP_GITOPS_")
            && let Some((name, value)) = rest.split_once(": ")
        {
            let name = format!("MCP_GITOPS_{name}");
            if !known.contains(&name) {
                problems.push(format!(
                    "configmap.yaml (comment): {name} is not a variable"
                ));
            }
            let key = Path::new(value.trim())
                .file_name()
                .unwrap()
                .to_str()
                .unwrap();
            if !template_text.contains(&format!("{key}:")) {
                problems.push(format!("{name}: the Secret template has no key {key}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
