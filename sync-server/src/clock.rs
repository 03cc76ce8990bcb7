//! The server's clock: the real time plus an offset that only a server
//! started for tests may move forward.
//!
//! Lease expiry and event times read this clock, so a real-process test can
//! let a lease expire by sending the `clock` request instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;

use crate::protocol::ProtocolError;

/// Maximum single move of the test clock, in seconds (one year).
const MAX_ADVANCE_SECS: u64 = 365 * 24 * 3600;

/// A cloneable handle to the server's clock.
#[derive(Clone, Debug)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
    controllable: bool,
    moved: Arc<Notify>,
}

impl Clock {
    /// Creates a clock at the real time; `controllable` allows
    /// [`Clock::advance`].
    pub fn new(controllable: bool) -> Clock {
        Clock {
            offset_ms: Arc::default(),
            controllable,
            moved: Arc::new(Notify::new()),
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        real.saturating_add(self.offset_ms.load(Ordering::SeqCst))
    }

    /// Moves the clock forward by `seconds`; only a clock made
    /// controllable allows it. Returns the new time.
    pub fn advance(&self, seconds: u64) -> Result<i64, ProtocolError> {
        if !self.controllable {
            return Err(ProtocolError::field(
                "invalid_request",
                "type",
                "the clock request is for tests only; start the server with `weft serve --test-clock` to use it",
            ));
        }
        if seconds > MAX_ADVANCE_SECS {
            return Err(ProtocolError::field(
                "invalid_request",
                "advance",
                format!(
                    "\"advance\" is {seconds} seconds; move the clock by at most {MAX_ADVANCE_SECS} seconds at a time"
                ),
            ));
        }
        let millis = i64::try_from(seconds * 1000).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(millis, Ordering::SeqCst);
        self.moved.notify_waiters();
        Ok(self.now_ms())
    }

    /// Completes the next time the clock is moved forward.
    pub async fn moved(&self) {
        self.moved.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_test_clock_moves() {
        let real = Clock::new(false);
        assert!(real.advance(1).is_err());

        let clock = Clock::new(true);
        let before = clock.now_ms();
        let after = clock.advance(31).expect("advances");
        assert!(after - before >= 31_000, "{before} -> {after}");
        assert!(clock.advance(MAX_ADVANCE_SECS + 1).is_err());
    }
}
