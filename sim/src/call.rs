//! The retry policy of a request/response call: timeout per attempt, bounded attempts,
//! exponential backoff with jitter drawn from the caller's seeded stream.

use serde::{Deserialize, Serialize};

/// How a call waits and retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallPolicy {
    /// How long one attempt waits for its response.
    pub timeout_ms: u64,
    /// Attempts in all (at least 1). Every attempt re-sends the same request with the same
    /// call id, so a late response to an earlier attempt still answers the call.
    pub attempts: u32,
    /// Pause before the second attempt; doubles each time up to `max_backoff_ms`.
    pub backoff_ms: u64,
    /// The longest pause between attempts.
    pub max_backoff_ms: u64,
}

impl Default for CallPolicy {
    fn default() -> Self {
        CallPolicy {
            timeout_ms: 1_000,
            attempts: 3,
            backoff_ms: 200,
            max_backoff_ms: 2_000,
        }
    }
}

impl CallPolicy {
    /// One attempt, no retry.
    pub fn once(timeout_ms: u64) -> Self {
        CallPolicy {
            timeout_ms,
            attempts: 1,
            ..Self::default()
        }
    }

    /// The pause after failed attempt `attempt` (0-based), before jitter.
    pub fn backoff(&self, attempt: u32) -> u64 {
        let factor = 1u64 << attempt.min(20);
        self.backoff_ms
            .saturating_mul(factor)
            .min(self.max_backoff_ms)
    }
}

/// A call that got no response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// Every attempt timed out. The request may still have been applied: a timeout is not
    /// a failure.
    #[error("no response from {to} after {attempts} attempts")]
    Timeout { to: String, attempts: u32 },
    /// The callee is not a host of this run.
    #[error("unknown host '{0}'")]
    UnknownHost(String),
    /// The callee answered that it refuses the caller (a fenced-off lock holder, say): nothing
    /// was applied, and trying again will not help.
    #[error("{to} refused the request: {reason}")]
    Refused { to: String, reason: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = CallPolicy::default();
        assert_eq!(p.backoff(0), 200);
        assert_eq!(p.backoff(1), 400);
        assert_eq!(p.backoff(3), 1600);
        assert_eq!(p.backoff(4), 2000);
        assert_eq!(p.backoff(40), 2000);
    }
}
