//! CLIXML values ([MS-PSRP] 2.2.5) to natural Python types and back.
//!
//! | CLIXML | Python |
//! |---|---|
//! | `Nil` | `None` |
//! | `S`, `C`, `URI`, `XD`, `SBK`, `Version` | `str` |
//! | `B` | `bool` |
//! | integers | `int` |
//! | `Sg`, `Db` | `float` |
//! | `D` | `decimal.Decimal` |
//! | `DT` | `datetime.datetime`: aware for `Z` and offsets, naive when unspecified; microseconds (the last 100 ns tick digit is dropped) |
//! | `TS` | `datetime.timedelta` |
//! | `BA` | `bytes` |
//! | `G` | `uuid.UUID` |
//! | `SS` | `{"$secureString": "encrypted"}`: the ciphertext is never shown |
//! | `Obj` holding only a list | `list` |
//! | `Obj` holding only a dictionary | `dict` |
//! | enum `Obj` | `str`, its `ToString` (`"UserMailbox"`) |
//! | `Obj` wrapping a primitive, without properties | that primitive |
//! | `Obj` with only a `ToString` | `str` (how Exchange sends values past the serialization depth) |
//! | any other `Obj` | [`crate::object::PSObject`], converted lazily on access |
//!
//! Parameters go the other way: `bool`, `int`, `float`, `str`, `bytes`, `datetime`, `date`,
//! `timedelta`, `UUID`, `Decimal`, lists and tuples (as `System.Object[]`), dicts (as
//! `Hashtable`) and objects returned by a command.

use std::str::FromStr as _;
use std::sync::Arc;

use monosync_exchange::clixml::{
    self, Container, DateTimeKind, PsDateTime, PsDuration, PsObject, PsValue,
};
use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyo3::{IntoPyObjectExt as _, intern};

use crate::object::PSObject;

const TICKS_PER_MICROSECOND: i64 = 10;
const TICKS_PER_SECOND: i64 = 10_000_000;
const TICKS_PER_DAY: i64 = 86_400 * TICKS_PER_SECOND;
/// Days from 1970-01-01 back to 0001-01-01, where .NET ticks start.
const EPOCH_DAYS: i64 = -719_162;
/// How deep a parameter value may nest: deeper (or cyclic) structures are refused.
pub(crate) const MAX_PARAM_DEPTH: usize = 64;

/// Python classes used for conversions, imported once.
struct Classes {
    datetime: Py<PyAny>,
    date: Py<PyAny>,
    timedelta: Py<PyAny>,
    timezone: Py<PyAny>,
    utc: Py<PyAny>,
    uuid: Py<PyAny>,
    decimal: Py<PyAny>,
}

fn classes(py: Python<'_>) -> PyResult<&Classes> {
    static CLASSES: PyOnceLock<Classes> = PyOnceLock::new();
    CLASSES.get_or_try_init(py, || {
        let datetime = py.import("datetime")?;
        let timezone = datetime.getattr("timezone")?;
        Ok(Classes {
            datetime: datetime.getattr("datetime")?.unbind(),
            date: datetime.getattr("date")?.unbind(),
            timedelta: datetime.getattr("timedelta")?.unbind(),
            utc: timezone.getattr("utc")?.unbind(),
            timezone: timezone.unbind(),
            uuid: py.import("uuid")?.getattr("UUID")?.unbind(),
            decimal: py.import("decimal")?.getattr("Decimal")?.unbind(),
        })
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn datetime_to_py<'py>(py: Python<'py>, dt: &PsDateTime) -> PyResult<Bound<'py, PyAny>> {
    let c = classes(py)?;
    let days = dt.ticks.div_euclid(TICKS_PER_DAY);
    let rest = dt.ticks.rem_euclid(TICKS_PER_DAY);
    let (y, m, d) = civil_from_days(days + EPOCH_DAYS);
    let seconds = rest / TICKS_PER_SECOND;
    let micros = (rest % TICKS_PER_SECOND) / TICKS_PER_MICROSECOND;
    let tz = match dt.kind {
        DateTimeKind::Unspecified => py.None().into_bound(py),
        DateTimeKind::Utc => c.utc.bind(py).clone(),
        DateTimeKind::Local(minutes) => {
            let offset = c
                .timedelta
                .bind(py)
                .call((0, i64::from(minutes) * 60), None)?;
            c.timezone.bind(py).call1((offset,))?
        }
    };
    c.datetime.bind(py).call1((
        y,
        m,
        d,
        seconds / 3600,
        (seconds / 60) % 60,
        seconds % 60,
        micros,
        tz,
    ))
}

fn duration_to_py<'py>(py: Python<'py>, d: &PsDuration) -> PyResult<Bound<'py, PyAny>> {
    let c = classes(py)?;
    let days = d.ticks.div_euclid(TICKS_PER_DAY);
    let rest = d.ticks.rem_euclid(TICKS_PER_DAY);
    c.timedelta.bind(py).call1((
        days,
        rest / TICKS_PER_SECOND,
        (rest % TICKS_PER_SECOND) / TICKS_PER_MICROSECOND,
    ))
}

fn version_text(v: &clixml::PsVersion) -> String {
    let mut text = format!("{}.{}", v.major, v.minor);
    if let Some(build) = v.build {
        text.push_str(&format!(".{build}"));
        if let Some(revision) = v.revision {
            text.push_str(&format!(".{revision}"));
        }
    }
    text
}

fn utf16_to_py<'py>(py: Python<'py>, units: &[u16]) -> PyResult<Bound<'py, PyAny>> {
    // Python strings hold lone surrogates, which `surrogatepass` keeps.
    let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
    PyBytes::new(py, &bytes).call_method1(intern!(py, "decode"), ("utf-16-le", "surrogatepass"))
}

/// Whether an object is only a wrapper the caller cares about through its content: what
/// `value_to_py` turns into a plain Python value rather than a [`PSObject`].
fn is_enum(obj: &PsObject) -> bool {
    obj.type_names
        .as_deref()
        .is_some_and(|names| names.iter().any(|n| n == "System.Enum"))
}

/// Converts a value to its natural Python form; objects with properties become [`PSObject`]s.
pub(crate) fn value_to_py<'py>(py: Python<'py>, value: &PsValue) -> PyResult<Bound<'py, PyAny>> {
    match value {
        PsValue::Object(obj) => object_to_py(py, obj, false),
        // A reference cycle: the enclosing object itself when it becomes a `PSObject` (read
        // lazily, so the cycle costs nothing); `{"$ref": RefId}` as in JSON otherwise.
        PsValue::BackRef(back) => match back.object() {
            Some(obj) if !obj.adapted.is_empty() || !obj.extended.is_empty() => {
                PSObject::wrap(obj).into_bound_py_any(py)
            }
            _ => scalar_to_py(py, value),
        },
        other => scalar_to_py(py, other),
    }
}

/// Converts a value with every object turned into a `dict` of its properties, for
/// [`PSObject::to_dict`].
pub(crate) fn value_to_plain<'py>(py: Python<'py>, value: &PsValue) -> PyResult<Bound<'py, PyAny>> {
    match value {
        PsValue::Object(obj) => object_to_py(py, obj, true),
        other => scalar_to_py(py, other),
    }
}

fn object_to_py<'py>(
    py: Python<'py>,
    obj: &Arc<PsObject>,
    plain: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let convert = |v: &PsValue| {
        if plain {
            value_to_plain(py, v)
        } else {
            value_to_py(py, v)
        }
    };
    let no_properties = obj.adapted.is_empty() && obj.extended.is_empty();
    if no_properties {
        if is_enum(obj)
            && let Some(text) = &obj.to_string
        {
            return Ok(PyString::new(py, text).into_any());
        }
        match (&obj.content, &obj.value) {
            (Some(Container::Dictionary(entries)), None) => {
                let dict = PyDict::new(py);
                for (k, v) in entries {
                    dict.set_item(hashable_key(py, k)?, convert(v)?)?;
                }
                return Ok(dict.into_any());
            }
            (
                Some(
                    Container::List(items)
                    | Container::Enumerable(items)
                    | Container::Stack(items)
                    | Container::Queue(items),
                ),
                None,
            ) => {
                let list = PyList::empty(py);
                for item in items {
                    list.append(convert(item)?)?;
                }
                return Ok(list.into_any());
            }
            (None, Some(inner)) => return convert(inner),
            (None, None) => {
                if let Some(text) = &obj.to_string {
                    return Ok(PyString::new(py, text).into_any());
                }
            }
            _ => {}
        }
    }
    if plain {
        Ok(PSObject::plain_dict(py, obj)?.into_any())
    } else {
        PSObject::wrap(Arc::clone(obj)).into_bound_py_any(py)
    }
}

/// A dictionary key: objects (unhashable wrappers) are keyed by their text.
fn hashable_key<'py>(py: Python<'py>, key: &PsValue) -> PyResult<Bound<'py, PyAny>> {
    let converted = value_to_py(py, key)?;
    if converted.hash().is_ok() {
        return Ok(converted);
    }
    Ok(PyString::new(py, &converted.str()?.to_cow()?).into_any())
}

fn scalar_to_py<'py>(py: Python<'py>, value: &PsValue) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        PsValue::Nil => py.None().into_bound(py),
        PsValue::String(s)
        | PsValue::Uri(s)
        | PsValue::XmlDocument(s)
        | PsValue::ScriptBlock(s) => PyString::new(py, s).into_any(),
        PsValue::WideString(units) => utf16_to_py(py, units)?,
        PsValue::Char(c) => utf16_to_py(py, &[*c])?,
        PsValue::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        PsValue::DateTime(dt) => datetime_to_py(py, dt)?,
        PsValue::Duration(d) => duration_to_py(py, d)?,
        PsValue::U8(v) => v.into_bound_py_any(py)?,
        PsValue::I8(v) => v.into_bound_py_any(py)?,
        PsValue::U16(v) => v.into_bound_py_any(py)?,
        PsValue::I16(v) => v.into_bound_py_any(py)?,
        PsValue::U32(v) => v.into_bound_py_any(py)?,
        PsValue::I32(v) => v.into_bound_py_any(py)?,
        PsValue::U64(v) => v.into_bound_py_any(py)?,
        PsValue::I64(v) => v.into_bound_py_any(py)?,
        PsValue::Single(v) => {
            // Through the shortest decimal text, so that 0.1f32 reads 0.1.
            let exact: f64 = v.to_string().parse().unwrap_or(f64::from(*v));
            PyFloat::new(py, exact).into_any()
        }
        PsValue::Double(v) => PyFloat::new(py, *v).into_any(),
        PsValue::Decimal(d) => classes(py)?.decimal.bind(py).call1((d.to_string(),))?,
        PsValue::Bytes(b) => PyBytes::new(py, b).into_any(),
        PsValue::Guid(g) => classes(py)?
            .uuid
            .bind(py)
            .call1((g.hyphenated().to_string(),))?,
        PsValue::Version(v) => PyString::new(py, &version_text(v)).into_any(),
        PsValue::SecureString(_) => {
            let dict = PyDict::new(py);
            dict.set_item("$secureString", "encrypted")?;
            dict.into_any()
        }
        PsValue::Object(obj) => object_to_py(py, obj, false)?,
        PsValue::BackRef(back) => {
            let dict = PyDict::new(py);
            dict.set_item("$ref", back.ref_id())?;
            dict.into_any()
        }
        PsValue::Progress(record) => {
            let dict = PyDict::new(py);
            dict.set_item("Activity", &record.activity)?;
            dict.set_item("ActivityId", record.activity_id)?;
            dict.set_item("StatusDescription", &record.status_description)?;
            dict.set_item("CurrentOperation", record.current_operation.as_deref())?;
            dict.set_item("ParentActivityId", record.parent_activity_id)?;
            dict.set_item("PercentComplete", record.percent_complete)?;
            dict.set_item("SecondsRemaining", record.seconds_remaining)?;
            dict.set_item("RecordType", record.record_type.name())?;
            dict.into_any()
        }
    })
}

fn datetime_from_py(obj: &Bound<'_, PyAny>, with_time: bool) -> PyResult<PsValue> {
    let py = obj.py();
    let int = |name: &str| -> PyResult<i64> { obj.getattr(name)?.extract() };
    let days = days_from_civil(int("year")?, int("month")?, int("day")?) - EPOCH_DAYS;
    let mut ticks = days * TICKS_PER_DAY;
    let mut kind = DateTimeKind::Unspecified;
    if with_time {
        let seconds = int("hour")? * 3600 + int("minute")? * 60 + int("second")?;
        ticks += seconds * TICKS_PER_SECOND + int("microsecond")? * TICKS_PER_MICROSECOND;
        let offset = obj.call_method0(intern!(py, "utcoffset"))?;
        if !offset.is_none() {
            let total: f64 = offset.call_method0("total_seconds")?.extract()?;
            let minutes = (total / 60.0).round();
            let tz = obj.getattr("tzinfo")?;
            kind = if minutes == 0.0 && tz.is(classes(py)?.utc.bind(py)) {
                DateTimeKind::Utc
            } else {
                let minutes = i16::try_from(minutes as i64)
                    .map_err(|_| PyValueError::new_err("UTC offset out of range"))?;
                DateTimeKind::Local(minutes)
            };
        }
    }
    Ok(PsValue::DateTime(PsDateTime { ticks, kind }))
}

fn timedelta_from_py(obj: &Bound<'_, PyAny>) -> PyResult<PsValue> {
    let days: i64 = obj.getattr("days")?.extract()?;
    let seconds: i64 = obj.getattr("seconds")?.extract()?;
    let micros: i64 = obj.getattr("microseconds")?.extract()?;
    let ticks = days
        .checked_mul(TICKS_PER_DAY)
        .and_then(|t| t.checked_add(seconds * TICKS_PER_SECOND + micros * TICKS_PER_MICROSECOND))
        .ok_or_else(|| PyOverflowError::new_err("timedelta out of TimeSpan range"))?;
    Ok(PsValue::Duration(PsDuration { ticks }))
}

fn int_from_py(obj: &Bound<'_, PyAny>) -> PyResult<PsValue> {
    if let Ok(v) = obj.extract::<i32>() {
        Ok(PsValue::I32(v))
    } else if let Ok(v) = obj.extract::<i64>() {
        Ok(PsValue::I64(v))
    } else if let Ok(v) = obj.extract::<u64>() {
        Ok(PsValue::U64(v))
    } else {
        Err(PyOverflowError::new_err(
            "integer out of the range of Int64 and UInt64; pass a decimal.Decimal",
        ))
    }
}

/// Converts a parameter value. `depth` counts nesting, so that cyclic lists are refused
/// instead of recursing without end.
pub(crate) fn value_from_py(obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<PsValue> {
    let py = obj.py();
    if depth > MAX_PARAM_DEPTH {
        return Err(PyValueError::new_err(format!(
            "parameter value nests deeper than {MAX_PARAM_DEPTH} levels (a cycle?)"
        )));
    }
    if obj.is_none() {
        return Ok(PsValue::Nil);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(PsValue::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        return int_from_py(obj);
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(PsValue::Double(f.value()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(PsValue::String(s.to_cow()?.into_owned()));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(PsValue::Bytes(b.as_bytes().to_vec()));
    }
    if let Ok(o) = obj.cast::<PSObject>() {
        return Ok(PsValue::Object(Arc::clone(o.get().inner())));
    }
    let c = classes(py)?;
    if obj.is_instance(c.datetime.bind(py))? {
        return datetime_from_py(obj, true);
    }
    if obj.is_instance(c.date.bind(py))? {
        return datetime_from_py(obj, false);
    }
    if obj.is_instance(c.timedelta.bind(py))? {
        return timedelta_from_py(obj);
    }
    if obj.is_instance(c.uuid.bind(py))? {
        let text: String = obj.str()?.extract()?;
        let guid =
            uuid::Uuid::parse_str(&text).map_err(|e| PyValueError::new_err(e.to_string()))?;
        return Ok(PsValue::Guid(guid));
    }
    if obj.is_instance(c.decimal.bind(py))? {
        let text: String = obj.str()?.extract()?;
        let d = rust_decimal::Decimal::from_str(&text)
            .or_else(|_| rust_decimal::Decimal::from_scientific(&text))
            .map_err(|e| PyValueError::new_err(format!("Decimal {text}: {e}")))?;
        return Ok(PsValue::Decimal(d));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut entries = Vec::with_capacity(dict.len());
        for (k, v) in dict.iter() {
            entries.push((value_from_py(&k, depth + 1)?, value_from_py(&v, depth + 1)?));
        }
        return Ok(clixml::hashtable(entries));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for item in obj.try_iter()? {
            items.push(value_from_py(&item?, depth + 1)?);
        }
        return Ok(clixml::array(items));
    }
    if obj.is_instance_of::<crate::secret::SecureString>() {
        return Err(PyTypeError::new_err(
            "a SecureString can only be a parameter's whole value, not part of a list or dict",
        ));
    }
    Err(PyTypeError::new_err(format!(
        "cannot send a {} as a parameter value",
        obj.get_type().name()?
    )))
}
