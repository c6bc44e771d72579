//! Text forms of the CLIXML primitives that are not plain integers ([MS-PSRP] 2.2.5.1):
//! `DateTime` (.NET round-trip format), `TimeSpan` (xs:duration), floats, `Version`.

use std::io::Write as _;

use super::value::{DateTimeKind, PsDateTime, PsDuration, PsVersion};

const TICKS_PER_SECOND: i64 = 10_000_000;
const TICKS_PER_MINUTE: i64 = 60 * TICKS_PER_SECOND;
const TICKS_PER_HOUR: i64 = 60 * TICKS_PER_MINUTE;
const TICKS_PER_DAY: i64 = 24 * TICKS_PER_HOUR;
/// `DateTime.MaxValue.Ticks`: 9999-12-31T23:59:59.9999999.
pub(crate) const MAX_DATETIME_TICKS: i64 = 3_155_378_975_999_999_999;

/// Days from 0001-01-01 to `y-m-d` in the proleptic Gregorian calendar.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    // 719_162 days lie between 0001-01-01 and 1970-01-01; 719_468 between 0000-03-01 and 1970-01-01.
    era * 146_097 + doe - 719_468 + 719_162
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days - 719_162 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn digits(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0i64, |acc, b| acc * 10 + i64::from(b - b'0')))
}

/// Ticks of a fraction of a second written with any number of digits (beyond 7 truncated).
fn fraction_ticks(s: &[u8]) -> Option<i64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut ticks = 0;
    for i in 0..7 {
        ticks = ticks * 10 + s.get(i).map_or(0, |b| i64::from(b - b'0'));
    }
    Some(ticks)
}

/// Parses `yyyy-MM-ddTHH:mm:ss[.f{1,7}][Z|(+|-)hh:mm]`.
pub(crate) fn parse_datetime(s: &str) -> Option<PsDateTime> {
    let b = s.trim().as_bytes();
    let field = |range: std::ops::Range<usize>| b.get(range).and_then(digits);
    let sep = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':')) {
        return None;
    }
    let (y, mo, d) = (field(0..4)?, field(5..7)?, field(8..10)?);
    let (h, mi, sec) = (field(11..13)?, field(14..16)?, field(17..19)?);
    if y < 1 || !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return None;
    }
    if h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let mut rest = b.get(19..)?;
    let mut frac = 0;
    if let Some(after_dot) = rest.strip_prefix(b".") {
        let len = after_dot.iter().take_while(|c| c.is_ascii_digit()).count();
        if len > 7 {
            return None;
        }
        frac = fraction_ticks(after_dot.get(..len)?)?;
        rest = after_dot.get(len..)?;
    }
    let kind = match rest {
        b"" => DateTimeKind::Unspecified,
        b"Z" => DateTimeKind::Utc,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let oh = digits(&[*h1, *h2])?;
            let om = digits(&[*m1, *m2])?;
            if oh > 14 || om > 59 {
                return None;
            }
            let minutes = i16::try_from(oh * 60 + om).ok()?;
            DateTimeKind::Local(if *sign == b'-' { -minutes } else { minutes })
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    let ticks = days * TICKS_PER_DAY
        + h * TICKS_PER_HOUR
        + mi * TICKS_PER_MINUTE
        + sec * TICKS_PER_SECOND
        + frac;
    Some(PsDateTime { ticks, kind })
}

/// Writes the .NET round-trip form with the zone marker as recorded; no fraction when it is zero,
/// else seven digits, or (`trim`) without trailing zeros as PowerShell's serializer
/// (`XmlConvert`, `RoundtripKind`) writes it. Ticks outside `DateTime`'s range are clamped to it.
pub(crate) fn write_datetime(out: &mut Vec<u8>, dt: &PsDateTime, trim: bool) {
    let ticks = dt.ticks.clamp(0, MAX_DATETIME_TICKS);
    let (y, mo, d) = civil_from_days(ticks / TICKS_PER_DAY);
    let in_day = ticks % TICKS_PER_DAY;
    let (h, mi) = (
        in_day / TICKS_PER_HOUR,
        in_day % TICKS_PER_HOUR / TICKS_PER_MINUTE,
    );
    let sec = in_day % TICKS_PER_MINUTE / TICKS_PER_SECOND;
    let frac = in_day % TICKS_PER_SECOND;
    let _ = write!(out, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{sec:02}");
    if frac != 0 {
        let mut digits = *b"0000000";
        let mut rest = frac;
        for d in digits.iter_mut().rev() {
            *d = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        let len = if trim {
            digits.iter().rposition(|&d| d != b'0').map_or(0, |i| i + 1)
        } else {
            digits.len()
        };
        out.push(b'.');
        out.extend_from_slice(digits.get(..len).unwrap_or_default());
    }
    match dt.kind {
        DateTimeKind::Unspecified => {}
        DateTimeKind::Utc => out.push(b'Z'),
        DateTimeKind::Local(offset) => {
            let sign = if offset < 0 { '-' } else { '+' };
            let abs = offset.unsigned_abs();
            let _ = write!(out, "{sign}{:02}:{:02}", abs / 60, abs % 60);
        }
    }
}

/// Parses an xs:duration as .NET's `XmlConvert.ToTimeSpan` does (a year counts 365 days, a month
/// 30 days; fractional seconds beyond 100 ns are truncated).
pub(crate) fn parse_duration(s: &str) -> Option<PsDuration> {
    let s = s.trim();
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let mut rest = s.strip_prefix('P')?.as_bytes();
    // i128 so that -P10675199DT2H48M5.4775808S (TimeSpan.MinValue) fits before negation.
    let mut total: i128 = 0;
    let mut in_time = false;
    let mut any = false;
    let mut last_rank = 0u8;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix(b"T") {
            if in_time {
                return None;
            }
            in_time = true;
            rest = after;
            continue;
        }
        let len = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        let number = digits(rest.get(..len)?)?;
        rest = rest.get(len..)?;
        let mut frac = 0;
        if let Some(after_dot) = rest.strip_prefix(b".") {
            let flen = after_dot.iter().take_while(|c| c.is_ascii_digit()).count();
            frac = fraction_ticks(after_dot.get(..flen)?)?;
            rest = after_dot.get(flen..)?;
        }
        let (&designator, after) = rest.split_first()?;
        rest = after;
        let (rank, unit) = match (in_time, designator) {
            (false, b'Y') => (1, 365 * TICKS_PER_DAY),
            (false, b'M') => (2, 30 * TICKS_PER_DAY),
            (false, b'D') => (3, TICKS_PER_DAY),
            (true, b'H') => (4, TICKS_PER_HOUR),
            (true, b'M') => (5, TICKS_PER_MINUTE),
            (true, b'S') => (6, TICKS_PER_SECOND),
            _ => return None,
        };
        if rank <= last_rank || (frac != 0 && rank != 6) {
            return None;
        }
        last_rank = rank;
        any = true;
        // At most 18 digits times a year of ticks: far inside i128.
        total += i128::from(number) * i128::from(unit) + i128::from(frac);
        if total > i128::from(i64::MAX) + 1 {
            return None;
        }
    }
    if !any {
        return None;
    }
    let ticks = i64::try_from(if negative { -total } else { total }).ok()?;
    Some(PsDuration { ticks })
}

/// Writes an xs:duration as .NET's `XmlConvert.ToString(TimeSpan)`: `P1DT2H3M4.5S`, `PT0S`.
pub(crate) fn write_duration(out: &mut Vec<u8>, d: &PsDuration) {
    if d.ticks < 0 {
        out.push(b'-');
    }
    let abs = d.ticks.unsigned_abs();
    let per_day = TICKS_PER_DAY.unsigned_abs();
    let days = abs / per_day;
    let rem = abs % per_day;
    out.push(b'P');
    if days != 0 {
        let _ = write!(out, "{days}D");
    }
    if rem != 0 || days == 0 {
        out.push(b'T');
        let hours = rem / TICKS_PER_HOUR.unsigned_abs();
        let minutes = rem / TICKS_PER_MINUTE.unsigned_abs() % 60;
        let seconds = rem / TICKS_PER_SECOND.unsigned_abs() % 60;
        let frac = rem % TICKS_PER_SECOND.unsigned_abs();
        if hours != 0 {
            let _ = write!(out, "{hours}H");
        }
        if minutes != 0 {
            let _ = write!(out, "{minutes}M");
        }
        if seconds != 0 || frac != 0 || rem == 0 {
            let _ = write!(out, "{seconds}");
            if frac != 0 {
                let text = format!("{frac:07}");
                let _ = write!(out, ".{}", text.trim_end_matches('0'));
            }
            out.push(b'S');
        }
    }
}

/// Parses a `<Db>`/`<Sg>`: `INF`, `-INF`, `Infinity`, `NaN` (any case) and decimal or exponent
/// notation. Rust's float parser rounds correctly, so .NET's round-trip text comes back exact.
pub(crate) fn parse_float<F: std::str::FromStr>(s: &str) -> Option<F> {
    s.trim().parse().ok()
}

/// Writes a float in the shortest text that reads back to the same value, with .NET's spelling
/// of infinities (`INF`, as `XmlConvert`) and exponents (`1E+300`, `1E-07`).
pub(crate) fn write_float(out: &mut Vec<u8>, v: f64, text: impl FnOnce(bool) -> String) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"INF" } else { b"-INF" });
    } else if v == 0.0 || (1e-5..1e15).contains(&v.abs()) {
        out.extend_from_slice(text(false).as_bytes());
    } else {
        let exp = text(true);
        let (mantissa, exponent) = exp.split_once('e').unwrap_or((&exp, "0"));
        let (sign, digits) = match exponent.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exponent),
        };
        let _ = write!(out, "{mantissa}E{sign}{digits:0>2}");
    }
}

/// Parses `major.minor[.build[.revision]]`.
pub(crate) fn parse_version(s: &str) -> Option<PsVersion> {
    let mut parts = s.trim().split('.');
    let mut next = || parts.next().map(|p| p.parse::<u32>().ok());
    let major = next()??;
    let minor = next()??;
    let build = next().map(|p| p.ok_or(())).transpose().ok()?;
    let revision = next().map(|p| p.ok_or(())).transpose().ok()?;
    if next().is_some() || (build.is_none() && revision.is_some()) {
        return None;
    }
    Some(PsVersion {
        major,
        minor,
        build,
        revision,
    })
}

/// Writes a version as `1.2`, `1.2.3` or `1.2.3.4`.
pub(crate) fn write_version(out: &mut Vec<u8>, v: &PsVersion) {
    let _ = write!(out, "{}.{}", v.major, v.minor);
    if let Some(build) = v.build {
        let _ = write!(out, ".{build}");
        if let Some(revision) = v.revision {
            let _ = write!(out, ".{revision}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> String {
        let mut out = Vec::new();
        write_datetime(&mut out, &parse_datetime(s).unwrap(), false);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn datetime_trimmed_like_powershell() {
        let mut out = Vec::new();
        let v = parse_datetime("2018-06-13T23:46:28.0051600+00:00").unwrap();
        write_datetime(&mut out, &v, true);
        assert_eq!(out, b"2018-06-13T23:46:28.00516+00:00");
    }

    fn ts(s: &str) -> (i64, String) {
        let d = parse_duration(s).unwrap();
        let mut out = Vec::new();
        write_duration(&mut out, &d);
        (d.ticks, String::from_utf8(out).unwrap())
    }

    #[test]
    fn datetime_ticks_match_dotnet() {
        // [DateTime]::new(2022,10,31,1,1,36).Ticks
        let v = parse_datetime("2022-10-31T01:01:36Z").unwrap();
        assert_eq!(v.ticks, 638_027_748_960_000_000);
        assert_eq!(v.kind, DateTimeKind::Utc);
        assert_eq!(parse_datetime("0001-01-01T00:00:00").unwrap().ticks, 0);
        let max = parse_datetime("9999-12-31T23:59:59.9999999").unwrap();
        assert_eq!(max.ticks, MAX_DATETIME_TICKS);
        let local = parse_datetime("2022-10-30T18:01:36-07:00").unwrap();
        assert_eq!(local.kind, DateTimeKind::Local(-420));
    }

    #[test]
    fn datetime_text_round_trips() {
        assert_eq!(dt("2022-10-30T18:01:36-07:00"), "2022-10-30T18:01:36-07:00");
        assert_eq!(
            dt("2024-02-29T23:59:59.4380312+05:30"),
            "2024-02-29T23:59:59.4380312+05:30"
        );
        assert_eq!(dt("2024-02-29T00:00:00.5Z"), "2024-02-29T00:00:00.5000000Z");
        assert_eq!(dt("1999-12-31T00:00:00"), "1999-12-31T00:00:00");
    }

    #[test]
    fn datetime_rejects_garbage() {
        for s in [
            "",
            "2023-02-29T00:00:00",
            "2022-13-01T00:00:00",
            "2022-01-01T24:00:00",
            "2022-01-01T00:00:00.12345678",
            "2022-01-01T00:00:00+15:00",
            "2022-01-01T00:00:00+0100",
            "2022-01-01 00:00:00",
            "0000-01-01T00:00:00",
        ] {
            assert_eq!(parse_datetime(s), None, "{s}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(ts("PT9.0S"), (90_000_000, "PT9S".into()));
        assert_eq!(ts("P1DT2H3M4.5S"), (937_845_000_000, "P1DT2H3M4.5S".into()));
        assert_eq!(ts("-PT1S"), (-10_000_000, "-PT1S".into()));
        assert_eq!(ts("PT0S"), (0, "PT0S".into()));
        assert_eq!(ts("P2D"), (2 * TICKS_PER_DAY, "P2D".into()));
        assert_eq!(ts("PT0.0000001S"), (1, "PT0.0000001S".into()));
        let min = "-P10675199DT2H48M5.4775808S";
        assert_eq!(ts(min), (i64::MIN, min.into()));
        let max = "P10675199DT2H48M5.4775807S";
        assert_eq!(ts(max), (i64::MAX, max.into()));
        assert_eq!(parse_duration("P10675199DT2H48M5.4775808S"), None);
        for bad in [
            "",
            "P",
            "PT",
            "1D",
            "PT1D",
            "P1H",
            "PT1.5M",
            "PT1S2M",
            "P99999999999999999D",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn floats_in_dotnet_form() {
        let w = |v: f64| {
            let mut out = Vec::new();
            write_float(&mut out, v, |e| {
                if e { format!("{v:e}") } else { v.to_string() }
            });
            String::from_utf8(out).unwrap()
        };
        assert_eq!(w(0.1), "0.1");
        assert_eq!(w(1e300), "1E+300");
        assert_eq!(w(-2.5e-7), "-2.5E-07");
        assert_eq!(w(f64::INFINITY), "INF");
        assert_eq!(w(f64::NEG_INFINITY), "-INF");
        assert_eq!(w(f64::NAN), "NaN");
        assert_eq!(parse_float::<f64>("1E+300"), Some(1e300));
        assert_eq!(parse_float::<f64>("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_float::<f64>("INF"), Some(f64::INFINITY));
        assert!(parse_float::<f64>("NaN").unwrap().is_nan());
        assert_eq!(parse_float::<f64>("1,5"), None);
    }

    #[test]
    fn versions() {
        let v = parse_version("15.1.2507.6").unwrap();
        assert_eq!(
            (v.major, v.minor, v.build, v.revision),
            (15, 1, Some(2507), Some(6))
        );
        assert_eq!(parse_version("1.2").unwrap().build, None);
        for bad in ["1", "1.2.3.4.5", "1..2", "a.b", "1.-2"] {
            assert_eq!(parse_version(bad), None, "{bad}");
        }
    }
}
