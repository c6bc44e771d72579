//! Unix seconds to the forms Exchange prints: .NET ticks for `DateTime` values and the en-US
//! `M/d/yyyy h:mm:ss tt` text of the error-record timestamp.

use monosync_exchange::clixml::{DateTimeKind, PsDateTime, PsValue};

/// Seconds between 0001-01-01 and 1970-01-01.
const EPOCH_OFFSET_SECS: i64 = 62_135_596_800;
const TICKS_PER_SEC: i64 = 10_000_000;

/// A UTC instant as a `DateTime` with `Z`.
pub fn utc(unix: i64) -> PsValue {
    PsValue::DateTime(PsDateTime {
        ticks: (unix + EPOCH_OFFSET_SECS) * TICKS_PER_SEC,
        kind: DateTimeKind::Utc,
    })
}

/// A UTC instant as the server's local wall-clock time with its offset (`…-07:00`).
pub fn local(unix: i64, offset_minutes: i16) -> PsValue {
    let wall = unix + i64::from(offset_minutes) * 60;
    PsValue::DateTime(PsDateTime {
        ticks: (wall + EPOCH_OFFSET_SECS) * TICKS_PER_SEC,
        kind: DateTimeKind::Local(offset_minutes),
    })
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's civil-from-days).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `DateTime.ToString()` under en-US: `5/19/2020 10:19:41 PM`.
pub fn en_us(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (secs / 3600, (secs / 60) % 60, secs % 60);
    let (h12, ampm) = match hh {
        0 => (12, "AM"),
        1..=11 => (hh, "AM"),
        12 => (12, "PM"),
        _ => (hh - 12, "PM"),
    };
    format!("{m}/{d}/{y} {h12}:{mm:02}:{ss:02} {ampm}")
}

/// `yyyy-MM-dd` of a Unix time (UTC).
pub fn iso_date(unix: i64) -> String {
    let (y, m, d) = civil_from_days(unix.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn en_us_matches_exchange_samples() {
        // 2020-05-19T22:19:41Z
        assert_eq!(en_us(1_589_926_781), "5/19/2020 10:19:41 PM");
        // 2022-09-09T15:17:40Z
        assert_eq!(en_us(1_662_736_660), "9/9/2022 3:17:40 PM");
        assert_eq!(en_us(0), "1/1/1970 12:00:00 AM");
    }

    #[test]
    fn ticks() {
        // 2022-10-31T01:01:36Z is 638027748960000000 ticks.
        let PsValue::DateTime(dt) = utc(1_667_178_096) else {
            panic!("not a DateTime")
        };
        assert_eq!(dt.ticks, 638_027_748_960_000_000);
        let PsValue::DateTime(l) = local(1_667_178_096, -420) else {
            panic!("not a DateTime")
        };
        assert_eq!(l.ticks, dt.ticks - 420 * 60 * TICKS_PER_SEC);
        assert_eq!(l.kind, DateTimeKind::Local(-420));
        assert_eq!(iso_date(1_667_178_096), "2022-10-31");
    }
}
