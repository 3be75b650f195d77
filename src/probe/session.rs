//! One run of `check`: the requests it may still send (a count and a deadline), and the
//! findings every answer gets whatever the sequence: no answer at all, a redirect, a body that
//! is not JSON, a status other than the one the client needs.

use super::report::{Client, Finding, Report, Severity};
use crate::remote::shape::{self, Page};
use crate::remote::{Answer, Remote, Request};
use std::time::Instant;
use tokio::time::Instant as TokioInstant;

/// How far a run may go, so that it is safe to point at a large public registry.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    /// List pages followed at most in one paging sequence.
    pub max_pages: usize,
    /// Requests sent at most in the whole run.
    pub max_requests: usize,
    /// The whole run's time.
    pub time_budget: std::time::Duration,
    /// Servers looked up by name at most.
    pub max_lookups: usize,
}

pub struct Session {
    remote: Remote,
    bounds: Bounds,
    started: Instant,
    deadline: TokioInstant,
    /// Set when a bound was reached: every later call returns `None` at once.
    stopped: bool,
    /// Whether any request got an answer (without one, nothing else is worth asking).
    pub answered: bool,
    pub report: Report,
}

/// What one call replays: whose sequence, and how it reads in a finding.
pub struct Call<'a> {
    pub client: Client,
    pub request: Request<'a>,
}

impl Session {
    pub fn new(remote: Remote, bounds: Bounds) -> Self {
        let report = Report {
            url: remote.base().to_string(),
            ..Report::default()
        };
        Session {
            remote,
            bounds,
            started: Instant::now(),
            deadline: TokioInstant::now() + bounds.time_budget,
            stopped: false,
            answered: false,
            report,
        }
    }

    pub fn bounds(&self) -> Bounds {
        self.bounds
    }

    /// Whether a bound stopped the run.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// Sends the request; `None` when there was no answer (a finding says why) or a bound was
    /// reached (a note says which).
    pub async fn send(&mut self, call: Call<'_>) -> Option<Answer> {
        if self.stopped {
            return None;
        }
        if self.report.requests >= self.bounds.max_requests {
            self.stop(format!(
                "stopped after {} requests (--max-requests); later checks were not run",
                self.report.requests
            ));
            return None;
        }
        self.report.requests += 1;
        let method = call.request.method.to_string();
        let url = self.remote.url(call.request.path_and_query);
        let sent = tokio::time::timeout_at(self.deadline, self.remote.send(call.request)).await;
        let answer = match sent {
            Err(_) => {
                self.stop(format!(
                    "stopped at the time budget ({}, --time-budget); later checks were not run",
                    humantime::format_duration(self.bounds.time_budget)
                ));
                return None;
            }
            Ok(Err(e)) => {
                self.report.add(Finding {
                    rule: "unreachable",
                    severity: Severity::Error,
                    client: call.client,
                    method,
                    url,
                    status: None,
                    message: e.reason(),
                });
                return None;
            }
            Ok(Ok(answer)) => answer,
        };
        self.answered = true;
        if let Some(to) = &answer.redirected_to {
            self.finding(
                call.client,
                &answer,
                "redirect",
                Severity::Warning,
                format!(
                    "answered from {to} after a redirect: clients follow it for plain requests, \
                     but not for CORS preflights, and each redirect costs a round trip; \
                     configure the final URL"
                ),
            );
        }
        Some(answer)
    }

    /// Records a finding about `answer`.
    pub fn finding(
        &mut self,
        client: Client,
        answer: &Answer,
        rule: &'static str,
        severity: Severity,
        message: String,
    ) {
        self.report.add(Finding {
            rule,
            severity,
            client,
            method: answer.method.to_string(),
            url: answer.url.clone(),
            status: Some(answer.status),
            message,
        });
    }

    /// The body of a 200 answer as JSON; otherwise a finding (`expect` says what the client
    /// needs this answer for) and `None`.
    pub fn json_200(
        &mut self,
        client: Client,
        answer: &Answer,
        expect: &str,
    ) -> Option<serde_json::Value> {
        if answer.status != 200 {
            let why = status_words(answer.status);
            self.finding(
                client,
                answer,
                "status",
                Severity::Error,
                format!("answered {}{why}; {expect}", answer.status),
            );
            return None;
        }
        let json = match answer.json() {
            Ok(json) => json,
            Err(why) => {
                self.finding(
                    client,
                    answer,
                    "not-json",
                    Severity::Error,
                    format!("{why}; {expect}"),
                );
                return None;
            }
        };
        let kind = answer.header("content-type").unwrap_or("");
        if !kind.to_ascii_lowercase().starts_with("application/json") {
            self.finding(
                client,
                answer,
                "content-type",
                Severity::Warning,
                format!(
                    "the body is JSON but is sent as `{kind}`; clients that check the type \
                     expect application/json"
                ),
            );
        }
        Some(json)
    }

    /// `json` as a v0.1 list page; otherwise a finding (`expect` says what the client needs
    /// it for) and `None`.
    pub fn list_page<'j>(
        &mut self,
        client: Client,
        answer: &Answer,
        json: &'j serde_json::Value,
        expect: &str,
    ) -> Option<Page<'j>> {
        match shape::page(json) {
            Ok(page) => Some(page),
            Err(why) => {
                let message = format!("{why}; {expect}");
                self.finding(client, answer, "shape", Severity::Error, message);
                None
            }
        }
    }

    fn stop(&mut self, note: String) {
        self.stopped = true;
        self.report.notes.push(note);
    }

    /// The report, with the run's duration.
    pub fn finish(mut self) -> Report {
        self.report.elapsed = self.started.elapsed();
        self.report
    }
}

/// What a status usually means here, for the finding's message.
pub fn status_words(status: u16) -> &'static str {
    match status {
        401 => " (a token is required)",
        403 => " (forbidden)",
        404 => " (not found: is the URL the registry's base, the part before /v0.1?)",
        405 => " (method not allowed)",
        429 => " (rate limited)",
        500..=599 => " (a server error)",
        _ => "",
    }
}
