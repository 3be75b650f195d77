//! What `check` found: each finding with the client whose sequence met it and the request that
//! produced it, and the report as people (human) and programs (JSON) read it.

use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A client fails, shows nothing, or blocks servers.
    Error,
    /// A client works, but worse than it should (or only some do).
    Warning,
}

/// Whose call sequence a request replays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Client {
    #[serde(rename = "VS Code")]
    VsCode,
    #[serde(rename = "Copilot CLI")]
    CopilotCli,
    #[serde(rename = "browser")]
    Browser,
}

impl Client {
    pub fn label(self) -> &'static str {
        match self {
            Client::VsCode => "VS Code",
            Client::CopilotCli => "Copilot CLI",
            Client::Browser => "browser",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub client: Client,
    pub method: String,
    pub url: String,
    /// The HTTP status, when there was an answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub message: String,
}

/// Findings of one rule shown at most; the rest are counted (a registry with 5,000 entries
/// missing a description needs one line, not 5,000).
const SHOWN_PER_RULE: usize = 10;

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub url: String,
    pub findings: Vec<Finding>,
    /// Findings past `SHOWN_PER_RULE`, by rule.
    pub more: BTreeMap<&'static str, usize>,
    /// What was done, one line per client sequence, and why a check stopped early.
    pub notes: Vec<String>,
    pub requests: usize,
    #[serde(serialize_with = "seconds")]
    pub elapsed: Duration,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

impl Report {
    pub fn add(&mut self, finding: Finding) {
        let shown = self
            .findings
            .iter()
            .filter(|f| f.rule == finding.rule)
            .count();
        if shown < SHOWN_PER_RULE {
            self.findings.push(finding);
        } else {
            *self.more.entry(finding.rule).or_default() += 1;
        }
    }

    fn count(&self, severity: Severity) -> usize {
        let shown = self
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .count();
        let more: usize = self
            .more
            .iter()
            .filter(|(rule, _)| {
                self.findings
                    .iter()
                    .find(|f| f.rule == **rule)
                    .is_some_and(|f| f.severity == severity)
            })
            .map(|(_, n)| n)
            .sum();
        shown + more
    }

    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    /// Whether a finding of `rule` was reported.
    pub fn has(&self, rule: &str) -> bool {
        self.findings.iter().any(|f| f.rule == rule)
    }

    pub fn to_json(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        value["errors"] = self.errors().into();
        value["warnings"] = self.warnings().into();
        value
    }

    pub fn human(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        writeln!(out, "checked {} as its clients call it", self.url)?;
        for note in &self.notes {
            writeln!(out, "  {note}")?;
        }
        writeln!(out)?;
        for f in &self.findings {
            let severity = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let status = f.status.map(|s| format!(" → {s}")).unwrap_or_default();
            writeln!(
                out,
                "{severity}[{}] {}: {} {}{status}",
                f.rule,
                f.client.label(),
                f.method,
                f.url
            )?;
            writeln!(out, "  {}", f.message)?;
        }
        for (rule, n) in &self.more {
            writeln!(out, "… and {n} more [{rule}]")?;
        }
        if !self.findings.is_empty() {
            writeln!(out)?;
        }
        let verdict = match (self.errors(), self.warnings()) {
            (0, 0) => "no findings".to_string(),
            (e, w) => format!("{e} error{}, {w} warning{}", plural(e), plural(w)),
        };
        writeln!(
            out,
            "{verdict} in {} request{} ({:.1} s)",
            self.requests,
            plural(self.requests),
            self.elapsed.as_secs_f64()
        )
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
