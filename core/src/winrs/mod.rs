//! The WinRS shell ([MS-WSMV] 3.1.4.5 to 3.1.4.15) that carries PSRP, sans-IO: the layer
//! between the runspace pool of [`crate::psrp`] and the HTTP of [`crate::transport`].
//!
//! Requests out, responses in: the client machine says which WS-Management envelope to POST
//! next, takes the body that came back (or the transport's failure), and reports what happened
//! as events; the server machine takes each envelope and answers it, now or when output
//! arrives. Neither touches a socket or reads a clock; time is passed in.
//!
//! - [`envelope`]: the requests ([`envelope::Outgoing`]) and how their answers are read.
//! - [`client`]: the client side, [`client::ShellClient`], which [`crate::exchange::Session`]
//!   drives.
//! - [`server`]: the server side, [`server::ShellServer`], which mx-sim drives over a service's
//!   shells.

pub mod client;
pub mod envelope;
pub mod server;
