use std::sync::atomic::{AtomicI64, Ordering};

/// The time, in Unix seconds. Use cases read it only through this trait so
/// that tests of lockouts and expiries can move time instead of waiting.
pub trait Clock: Send + Sync {
    fn now(&self) -> i64;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
}

/// A clock that stands still until told to move (for tests).
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start: i64) -> ManualClock {
        ManualClock(AtomicI64::new(start))
    }

    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
