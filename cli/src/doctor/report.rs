//! The outcome of each check and how it is shown: aligned text for people, one JSON document
//! for machines.

use serde_json::{Value, json};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// As it should be.
    Pass,
    /// Broken: remoting will fail until it is fixed.
    Fail,
    /// Works, but weakly or not for long.
    Warn,
    /// Not applicable, or not possible because an earlier check failed.
    Skip,
}

impl Status {
    /// The name in the JSON document.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Warn => "warn",
            Status::Skip => "skip",
        }
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Check {
    /// Stable identifier (`tls.expiry`), for scripts.
    pub(crate) id: &'static str,
    /// The outcome.
    pub(crate) status: Status,
    /// What was found.
    pub(crate) detail: String,
    /// What to do about a failure or warning.
    pub(crate) fix: Option<String>,
}

impl Check {
    /// A passed check.
    pub(crate) fn pass(id: &'static str, detail: impl Into<String>) -> Self {
        Self::new(id, Status::Pass, detail, None)
    }

    /// A skipped check.
    pub(crate) fn skip(id: &'static str, detail: impl Into<String>) -> Self {
        Self::new(id, Status::Skip, detail, None)
    }

    /// A failed check and its fix.
    pub(crate) fn fail(
        id: &'static str,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self::new(id, Status::Fail, detail, Some(fix.into()))
    }

    /// A warning and its fix.
    pub(crate) fn warn(
        id: &'static str,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self::new(id, Status::Warn, detail, Some(fix.into()))
    }

    fn new(
        id: &'static str,
        status: Status,
        detail: impl Into<String>,
        fix: Option<String>,
    ) -> Self {
        Self {
            id,
            status,
            detail: detail.into(),
            fix,
        }
    }
}

/// Every check of one run, in the order they ran.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// The checks.
    pub(crate) checks: Vec<Check>,
}

impl Report {
    /// Adds a check.
    pub(crate) fn push(&mut self, check: Check) {
        self.checks.push(check);
    }

    /// The check with this id.
    pub(crate) fn get(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// Whether the check with this id passed.
    pub(crate) fn passed(&self, id: &str) -> bool {
        self.get(id).is_some_and(|c| c.status == Status::Pass)
    }

    fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }

    /// Whether any check failed.
    pub(crate) fn failed(&self) -> bool {
        self.count(Status::Fail) > 0
    }

    /// The JSON document: the server, every check, and the counts.
    pub(crate) fn to_json(&self, server: &str) -> Value {
        let checks: Vec<Value> = self
            .checks
            .iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "status": c.status.as_str(),
                    "detail": c.detail,
                    "fix": c.fix,
                })
            })
            .collect();
        json!({
            "server": server,
            "checks": checks,
            "summary": {
                "pass": self.count(Status::Pass),
                "fail": self.count(Status::Fail),
                "warn": self.count(Status::Warn),
                "skip": self.count(Status::Skip),
            },
        })
    }

    /// The text report: one line per check, its fix indented below.
    pub(crate) fn to_text(&self, server: &str) -> String {
        let width = self.checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
        let mut out = format!("mx doctor {server}\n");
        for c in &self.checks {
            let tag = c.status.as_str().to_ascii_uppercase();
            out.push_str(&format!("  {tag:<4}  {:<width$}  {}\n", c.id, c.detail));
            if let Some(fix) = &c.fix {
                out.push_str(&format!("        {:<width$}  fix: {fix}\n", ""));
            }
        }
        out.push_str(&format!(
            "{} passed, {} failed, {} warnings, {} skipped\n",
            self.count(Status::Pass),
            self.count(Status::Fail),
            self.count(Status::Warn),
            self.count(Status::Skip)
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lists_checks_with_null_fix_and_counts() {
        let mut r = Report::default();
        r.push(Check::pass("dns.ipv4", "127.0.0.1"));
        r.push(Check::fail("tls.expiry", "expired", "renew it"));
        let doc = r.to_json("h");
        assert_eq!(doc["checks"][0]["fix"], Value::Null);
        assert_eq!(doc["checks"][1]["status"], "fail");
        assert_eq!(doc["checks"][1]["fix"], "renew it");
        assert_eq!(doc["summary"]["fail"], 1);
        assert!(r.failed());
        assert!(r.passed("dns.ipv4"));
        let text = r.to_text("h");
        assert!(text.contains("  FAIL  tls.expiry  expired\n"), "{text}");
        assert!(text.contains("fix: renew it"), "{text}");
        assert!(text.ends_with("1 passed, 1 failed, 0 warnings, 0 skipped\n"));
    }
}
