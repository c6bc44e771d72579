//! Windows Remote Shell ([MS-WSMV] 3.1.4): the shells and commands WS-Management carries.
//!
//! - [`server`]: the server side, a sans-IO machine over a service's shells.

pub mod server;
