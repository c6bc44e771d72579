//! Enumeration of a user's shells and of a shell's commands ([MS-WSMV] 3.1.4.8 with
//! OptimizeEnumeration, [MS-PSRP] 3.1.4.10): how a new client finds the disconnected runspace
//! pools and pipelines it may connect to. Everything fits in the EnumerateResponse
//! (EndOfSequence), so no Pull follows.

use std::sync::atomic::Ordering;
use std::time::Instant;

use monosync_exchange::wsman::header::{format_duration, format_guid, parse_guid};
use monosync_exchange::wsman::namespaces::{SHELL, command_state};
use monosync_exchange::wsman::response::{
    CommandInfo, EnumerateResponse, EnumerationItem, ShellInfo,
};
use monosync_exchange::wsman::{Header, Request, Response, WsManFault};

use super::{AuthenticatedUser, Endpoint, Service, Step, lock};

impl Service {
    /// Answers an Enumerate on the shell resource (`.../windows/shell`) or on the commands of
    /// one shell (`.../windows/shell/Command` with a ShellId selector filter). A user sees only
    /// their own shells, and only those of the endpoint the request came to.
    pub(super) fn enumerate(
        &self,
        user: &AuthenticatedUser,
        endpoint: Endpoint,
        header: &Header,
        request: Request,
    ) -> Step {
        let machine = self.config.machine.as_str();
        let Request::Enumerate {
            selector_filter, ..
        } = request
        else {
            return self.fault(header, WsManFault::access_denied(machine));
        };
        let resource = header.resource_uri.trim_end_matches('/');
        let commands_uri = format!("{SHELL}/Command");
        let owned: Vec<_> = lock(&self.shells)
            .iter()
            .filter(|(_, slot)| slot.owner.eq_ignore_ascii_case(&user.name))
            .map(|(id, slot)| (*id, std::sync::Arc::clone(slot)))
            .collect();
        // The shells' own locks are taken only after the table's is released.
        let slots: Vec<_> = owned
            .into_iter()
            .filter(|(_, slot)| lock(&slot.shell).endpoint == endpoint)
            .collect();
        let items = if resource.eq_ignore_ascii_case(SHELL) {
            let now = Instant::now();
            slots
                .iter()
                .map(|(id, slot)| {
                    let state = if slot.disconnected.load(Ordering::SeqCst) {
                        "Disconnected"
                    } else {
                        "Connected"
                    };
                    let idle = now.saturating_duration_since(*lock(&slot.last_used));
                    let text = |s: &str| s.to_owned();
                    EnumerationItem::Shell(ShellInfo {
                        properties: vec![
                            (text("ShellId"), format_guid(*id)),
                            (text("ResourceUri"), text(endpoint.resource_uri())),
                            (text("Owner"), slot.owner.clone()),
                            (text("ClientIP"), text("127.0.0.1")),
                            (text("State"), text(state)),
                            (
                                text("IdleTimeOut"),
                                format_duration(*lock(&slot.idle_timeout)),
                            ),
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
            slots
                .iter()
                .filter(|(id, _)| wanted.is_none_or(|w| w == *id))
                .flat_map(|(_, slot)| lock(&slot.shell).pipeline_states())
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
            return self.fault(
                header,
                WsManFault::resource_not_found(&header.resource_uri, machine),
            );
        };
        Self::ok(
            header,
            &Response::Enumerate(EnumerateResponse {
                context: None,
                items,
                end_of_sequence: true,
            }),
        )
    }
}
