//! CLIXML: PowerShell's XML serialization ([MS-PSRP] 2.2.5).

mod value;

pub use value::*;
