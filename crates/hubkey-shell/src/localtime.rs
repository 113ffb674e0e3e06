//! Local time for the few places Rust formats a time for people (the tray's status line, sign-out summaries).
//! The UI formats its own times.
//!
//! The `time` crate only reads the local UTC offset while the process has one thread (reading it later is
//! unsound on some platforms), so [`init`] runs first thing in `run()`; after that the offset is fixed for the
//! life of the process (a daylight-saving change shows up after a restart).

use std::sync::OnceLock;

use time::{OffsetDateTime, UtcOffset};

static OFFSET: OnceLock<UtcOffset> = OnceLock::new();

/// Reads the local offset; UTC when it cannot be read. Call before any thread starts.
pub fn init() {
    let offset = UtcOffset::current_local_offset().unwrap_or(UtcOffset::UTC);
    let _ = OFFSET.set(offset);
}

/// The local offset read by [`init`] (UTC before, and in tests).
pub fn offset() -> UtcOffset {
    OFFSET.get().copied().unwrap_or(UtcOffset::UTC)
}

/// "12:41" in local time.
pub fn hh_mm(t: OffsetDateTime) -> String {
    hh_mm_at(t, offset())
}

/// "12:41" at `offset` (hubkey-core's formatter).
pub fn hh_mm_at(t: OffsetDateTime, offset: UtcOffset) -> String {
    hubkey_core::text::hh_mm(t, offset)
}
