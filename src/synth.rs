//! Synthetic registries shaped like real server.json entries (npm, pypi and oci packages with
//! arguments and environment variables; remotes with headers and URL variables), for the
//! benchmarks and the `gen-registry` example, optionally as a git history of many commits.
//! Deterministic for a seed.

use git2::{Oid, Repository, Signature, Time};
use std::fmt::Write as _;
use std::path::Path;

/// Writing a synthetic registry failed.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("cannot write the registry")]
    Io(#[from] std::io::Error),
    #[error("cannot commit to the registry's git repository")]
    Git(#[from] git2::Error),
}

/// Writes `servers` server files of `versions` versions each below `out`.
pub fn write_registry(
    out: &Path,
    servers: usize,
    versions: usize,
    seed: u64,
) -> std::io::Result<()> {
    let mut rng = Rng(seed);
    for i in 0..servers {
        let (path, yaml) = server_yaml(&mut rng, i, versions);
        let path = out.join(path);
        std::fs::create_dir_all(path.parent().expect("a server path has a folder"))?;
        std::fs::write(path, yaml)?;
    }
    Ok(())
}

/// Writes a registry like `write_registry` as a git repository of `commits` commits: the first
/// adds every server, each later one adds a version to one server picked at random (commits a
/// minute apart). Returns the repository and the server files' paths, sorted.
pub fn write_git_registry(
    out: &Path,
    servers: usize,
    versions: usize,
    seed: u64,
    commits: usize,
) -> Result<(Repository, Vec<String>), SynthError> {
    let repo = Repository::init(out)?;
    write_registry(out, servers, versions, seed)?;
    let mut paths = Vec::new();
    for ns in std::fs::read_dir(out.join("servers"))? {
        for file in std::fs::read_dir(ns?.path())? {
            let p = file?.path();
            let rel = p.strip_prefix(out).unwrap_or(&p);
            paths.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    paths.sort();
    commit(&repo, &paths, 0)?;
    let mut rng = Rng(seed ^ 0x5EED);
    for step in 1..commits {
        add_version(&repo, out, &paths, &mut rng, step as i64)?;
    }
    Ok((repo, paths))
}

/// Commits the listed work-tree paths (relative to the repository) on top of HEAD, at a time
/// `step` minutes after a fixed start.
pub fn commit(repo: &Repository, paths: &[String], step: i64) -> Result<Oid, git2::Error> {
    let mut index = repo.index()?;
    for p in paths {
        index.add_path(Path::new(p))?;
    }
    index.write()?;
    let tree = repo.find_tree(index.write_tree()?)?;
    let sig = Signature::new(
        "Registry Bot",
        "bot@example.com",
        &Time::new(1_700_000_000 + step * 60, 0),
    )?;
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(
        Some("HEAD"),
        &sig,
        &sig,
        &format!("change {step}"),
        &tree,
        &parents,
    )
}

/// Appends version `9.<step>.0` to one server file picked at random and commits it (a file in
/// the single-version form gets a new description instead).
pub fn add_version(
    repo: &Repository,
    dir: &Path,
    paths: &[String],
    rng: &mut Rng,
    step: i64,
) -> Result<Oid, SynthError> {
    let path = &paths[rng.below(paths.len() as u64) as usize];
    let mut text = std::fs::read_to_string(dir.join(path))?;
    if text.contains("\nversions:\n") {
        text.push_str(&format!("  - version: \"9.{step}.0\"\n"));
    } else {
        text = text
            .lines()
            .map(|line| match line.strip_prefix("description: ") {
                Some(_) => format!("description: Changed in step {step}\n"),
                None => format!("{line}\n"),
            })
            .collect();
    }
    std::fs::write(dir.join(path), text)?;
    Ok(commit(repo, std::slice::from_ref(path), step)?)
}

/// A small deterministic generator (SplitMix64): no dependency, same output for the same seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next_u64() % items.len() as u64) as usize]
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

const ORGS: &[&str] = &[
    "acme",
    "northwind",
    "contoso",
    "initech",
    "globex",
    "umbrella",
    "hooli",
    "stark",
    "wayne",
    "tyrell",
    "cyberdyne",
    "soylent",
    "aperture",
    "blackmesa",
    "vandelay",
    "wonka",
];
const TOPICS: &[&str] = &[
    "weather",
    "github",
    "jira",
    "postgres",
    "slack",
    "calendar",
    "search",
    "files",
    "browser",
    "kubernetes",
    "metrics",
    "billing",
    "crm",
    "tickets",
    "docs",
    "translate",
    "maps",
    "mail",
];
const VERBS: &[&str] = &[
    "Query",
    "Search",
    "Manage",
    "Read and write",
    "Monitor",
    "Summarize",
];
const THINGS: &[&str] = &[
    "issues and pull requests",
    "tables and records",
    "channels and messages",
    "dashboards",
    "documents and folders",
    "clusters and workloads",
    "invoices",
    "forecasts",
    "contacts",
];

/// The path and YAML text of synthetic server number `i` with `versions` versions.
pub fn server_yaml(rng: &mut Rng, i: usize, versions: usize) -> (String, String) {
    let org = rng.pick(ORGS);
    let topic = rng.pick(TOPICS);
    let namespace = if i.is_multiple_of(3) {
        format!("com.{org}")
    } else {
        format!("io.github.{org}-{}", i % 97)
    };
    let server = format!("{topic}-mcp-{i}");
    let name = format!("{namespace}/{server}");
    let description = format!(
        "{} {} through the {topic} API",
        rng.pick(VERBS),
        rng.pick(THINGS)
    );
    let mut y = String::new();
    let _ = writeln!(y, "name: {name}");
    let _ = writeln!(y, "title: {} {}", capitalize(topic), i);
    let _ = writeln!(y, "description: {description}");
    let _ = writeln!(
        y,
        "repository:\n  url: https://github.com/{org}/{server}\n  source: github"
    );
    let _ = writeln!(y, "websiteUrl: https://{org}.example/{topic}");
    if versions <= 1 {
        let _ = writeln!(y, "version: \"1.0.0\"");
        write_payload(&mut y, rng, org, &server, "1.0.0", "");
    } else {
        let _ = writeln!(y, "versions:");
        for v in 0..versions {
            let version = format!("{}.{}.{}", 1 + v / 3, v % 3, rng.below(10));
            let _ = writeln!(y, "  - version: \"{version}\"");
            if v == 0 && versions > 2 {
                let _ = writeln!(
                    y,
                    "    status: deprecated\n    statusMessage: Upgrade to a newer release"
                );
            }
            write_payload(&mut y, rng, org, &server, &version, "    ");
        }
    }
    (format!("servers/{namespace}/{server}.yaml"), y)
}

/// Packages or remotes for one version, indented by `pad`.
fn write_payload(y: &mut String, rng: &mut Rng, org: &str, server: &str, version: &str, pad: &str) {
    let secret = format!("{}_API_TOKEN", org.to_uppercase());
    match rng.below(4) {
        0 => {
            let _ = writeln!(
                y,
                "{pad}remotes:\n{pad}  - type: streamable-http\n{pad}    url: https://{{tenant}}.{org}.example/mcp/{server}"
            );
            let _ = writeln!(
                y,
                "{pad}    variables:\n{pad}      tenant:\n{pad}        description: Your tenant id\n{pad}        isRequired: true"
            );
            let _ = writeln!(
                y,
                "{pad}    headers:\n{pad}      - name: Authorization\n{pad}        description: Bearer token\n{pad}        isSecret: true\n{pad}        isRequired: true"
            );
        }
        kind => {
            let (registry, identifier, hint) = match kind {
                1 => ("npm", format!("@{org}/{server}"), "npx"),
                2 => ("pypi", server.replace('-', "_"), "uvx"),
                _ => ("oci", format!("ghcr.io/{org}/{server}:{version}"), "docker"),
            };
            let _ = writeln!(
                y,
                "{pad}packages:\n{pad}  - registryType: {registry}\n{pad}    identifier: \"{identifier}\""
            );
            if registry != "oci" {
                let _ = writeln!(y, "{pad}    version: \"{version}\"");
            }
            let _ = writeln!(
                y,
                "{pad}    runtimeHint: {hint}\n{pad}    transport:\n{pad}      type: stdio"
            );
            let _ = writeln!(
                y,
                "{pad}    packageArguments:\n{pad}      - type: named\n{pad}        name: --read-only\n{pad}        description: Refuse writes"
            );
            let _ = writeln!(
                y,
                "{pad}    environmentVariables:\n{pad}      - name: {secret}\n{pad}        description: API token\n{pad}        isRequired: true\n{pad}        isSecret: true"
            );
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
