//! Enumeration of a user's shells and of a shell's commands ([MS-WSMV] 3.1.4.8 with
//! OptimizeEnumeration, [MS-PSRP] 3.1.4.10): how a new client finds the disconnected runspace
//! pools and pipelines it may connect to. Everything fits in the EnumerateResponse
//! (EndOfSequence), so no Pull follows.

use std::time::Instant;

use super::{Answer, Client, Outcome, ShellServer};
use crate::wsman::header::{format_duration, format_guid, parse_guid};
use crate::wsman::namespaces::{SHELL, command_state};
use crate::wsman::response::{CommandInfo, EnumerateResponse, EnumerationItem, ShellInfo};
use crate::wsman::{Header, Request, Response, WsManFault};

impl ShellServer {
    /// Answers an Enumerate on the shell resource (`.../windows/shell`) or on the commands of
    /// one shell (`.../windows/shell/Command` with a ShellId selector filter). A user sees only
    /// their own shells, and only those of the endpoint the request came to.
    pub(super) fn enumerate(
        &self,
        now: Instant,
        client: &Client<'_>,
        header: &Header,
        request: Request,
    ) -> Result<Outcome, WsManFault> {
        let machine = self.config.machine.as_str();
        let Request::Enumerate {
            selector_filter, ..
        } = request
        else {
            return Err(WsManFault::access_denied(machine));
        };
        let resource = header.resource_uri.trim_end_matches('/');
        let commands_uri = format!("{SHELL}/Command");
        let shells: Vec<_> = self
            .shells
            .values()
            .filter(|s| s.owner.eq_ignore_ascii_case(client.user))
            .filter(|s| s.resource_uri == client.resource_uri)
            .collect();
        let items = if resource.eq_ignore_ascii_case(SHELL) {
            shells
                .iter()
                .map(|shell| {
                    let state = if shell.disconnected {
                        "Disconnected"
                    } else {
                        "Connected"
                    };
                    let idle = now.saturating_duration_since(shell.last_used);
                    let text = |s: &str| s.to_owned();
                    EnumerationItem::Shell(ShellInfo {
                        properties: vec![
                            (text("ShellId"), format_guid(shell.id)),
                            (text("ResourceUri"), text(client.resource_uri)),
                            (text("Owner"), shell.owner.clone()),
                            (text("ClientIP"), text("127.0.0.1")),
                            (text("State"), text(state)),
                            (text("IdleTimeOut"), format_duration(shell.idle_timeout)),
                            (text("ShellInactivity"), format_duration(idle)),
                        ],
                    })
                })
                .collect()
        } else if resource.eq_ignore_ascii_case(&commands_uri) {
            let wanted = selector_filter
                .iter()
                .find(|s| s.name.eq_ignore_ascii_case("ShellId"))
                .and_then(|s| parse_guid("ShellId", &s.value).ok());
            shells
                .iter()
                .filter(|shell| wanted.is_none_or(|w| w == shell.id))
                .flat_map(|shell| shell.command_states())
                .map(|(command_id, finished)| {
                    EnumerationItem::Command(CommandInfo {
                        command_id,
                        command_line: String::new(),
                        state: if finished {
                            command_state::DONE
                        } else {
                            command_state::RUNNING
                        }
                        .to_owned(),
                    })
                })
                .collect()
        } else {
            return Err(WsManFault::resource_not_found(
                &header.resource_uri,
                machine,
            ));
        };
        Ok(Outcome::Answer(Answer::ok(
            header.message_id,
            &Response::Enumerate(EnumerateResponse {
                context: None,
                items,
                end_of_sequence: true,
            }),
        )))
    }
}
