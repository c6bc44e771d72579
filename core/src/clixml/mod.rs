//! CLIXML: PowerShell's XML serialization ([MS-PSRP] 2.2.5).
//!
//! - [`PsValue`], [`PsObject`]: the object model.
//! - [`from_slice`] / [`objects_from_slice`] / [`streams_from_slice`] / [`Reader`]: decoding
//!   (UTF-8 or UTF-16 with a byte-order mark; reference cycles become [`PsValue::BackRef`]).
//! - [`to_vec`] / [`write_value`] / [`objects_to_vec`]: encoding.
//! - [`hashtable`], [`array()`], [`ps_credential`], ...: values Windows accepts as parameters.
//! - [`to_json`]: a JSON view for hosts.

mod compare;
mod error;
mod escape;
mod json;
mod reader;
mod scalar;
mod value;
mod values;
mod writer;

pub use error::ClixmlError;
pub use json::{to_json, to_json_string};
pub use reader::{
    DEFAULT_MAX_DEPTH, MAX_REF_EXPANSION_FLOOR, Reader, StreamValue, from_slice,
    objects_from_slice, streams_from_slice,
};
pub use value::*;
pub use values::{array, enum_value, hashtable, multi_valued_update, ps_credential};
pub use writer::{objects_to_vec, to_vec, write_value};
