//! A minimal WinRM/PSRP client for the simulator's tests, built from the core's client pieces:
//! the HTTP `Transport`, the WS-Management envelopes and the PSRP `RunspacePool`.

#![allow(dead_code)]

use monosync_exchange::clixml::PsValue;
use monosync_exchange::psrp::messages::ErrorRecord;
use monosync_exchange::psrp::{
    Event, PSInvocationState, PowerShellSpec, RunspacePool, RunspacePoolOptions, RunspacePoolState,
    TransmitPurpose,
};
use monosync_exchange::transport::{AuthMethod, Credentials, Transport, TransportOptions};
use monosync_exchange::wsman::namespaces::signal;
use monosync_exchange::wsman::{
    CommandStateKind, Header, Request, Response, StreamData, WsManFault, WsmanError,
};
use uuid::Uuid;

pub const MAX_ENVELOPE: u32 = 512_000;

/// What a test client hit.
#[derive(Debug)]
pub enum ClientError {
    Transport(monosync_exchange::transport::TransportError),
    Fault(Box<WsManFault>),
    Wsman(WsmanError),
    State(String),
}

impl From<monosync_exchange::transport::TransportError> for ClientError {
    fn from(e: monosync_exchange::transport::TransportError) -> Self {
        ClientError::Transport(e)
    }
}

impl From<WsmanError> for ClientError {
    fn from(e: WsmanError) -> Self {
        match e {
            WsmanError::Fault(f) => ClientError::Fault(f),
            other => ClientError::Wsman(other),
        }
    }
}

impl ClientError {
    pub fn fault_code(&self) -> Option<u32> {
        match self {
            ClientError::Fault(f) => f.wsman_code,
            _ => None,
        }
    }
}

/// The result of one pipeline.
#[derive(Debug, Default)]
pub struct Outcome {
    pub output: Vec<PsValue>,
    pub errors: Vec<ErrorRecord>,
    pub warnings: Vec<String>,
    pub state: Option<PSInvocationState>,
    pub state_error: Option<ErrorRecord>,
    pub host_calls: usize,
}

pub struct Client {
    pub transport: Transport,
    pub url: String,
    pub resource_uri: String,
    pub pool: RunspacePool,
    pub shell_id: Option<Uuid>,
    pub operation_timeout: std::time::Duration,
}

impl Client {
    pub fn new(url: &str, resource_uri: &str, options: TransportOptions) -> Self {
        Client {
            transport: Transport::new(options).expect("transport options"),
            url: url.to_owned(),
            resource_uri: resource_uri.to_owned(),
            pool: RunspacePool::new(RunspacePoolOptions::new(Uuid::new_v4())),
            shell_id: None,
            operation_timeout: std::time::Duration::from_secs(5),
        }
    }

    pub fn options(url: &str, auth: AuthMethod, user: &str, password: &str) -> TransportOptions {
        TransportOptions::new(url, auth, Credentials::new(user, password))
    }

    /// A client whose pool announces a host with a UI, so that the server sends it prompts.
    pub fn with_host(mut self) -> Self {
        let mut options = RunspacePoolOptions::new(Uuid::new_v4());
        options.host_info = monosync_exchange::psrp::messages::HostInfo {
            is_host_null: false,
            is_host_ui_null: false,
            is_host_raw_ui_null: false,
            use_runspace_host: false,
            host_default_data: None,
        };
        self.pool = RunspacePool::new(options);
        self
    }

    pub fn header(&self) -> Header {
        let mut h = Header::new(&self.url, &self.resource_uri, Uuid::new_v4(), MAX_ENVELOPE);
        h.operation_timeout = Some(self.operation_timeout);
        match self.shell_id {
            Some(id) => h.with_shell_id(id),
            None => h,
        }
    }

    pub async fn call(
        &mut self,
        header: &Header,
        request: &Request,
    ) -> Result<Response, ClientError> {
        // The server keeps its answer within the MaxEnvelopeSize the request carries.
        if let Some(size) = header.max_envelope_size {
            self.transport.set_max_envelope_size(size);
        }
        let body = self.transport.post(&request.to_xml(header)).await?;
        Ok(Response::parse(&body)?.1)
    }

    /// Creates the shell and receives until the pool is open.
    pub async fn open(&mut self) -> Result<(), ClientError> {
        self.pool
            .open()
            .map_err(|e| ClientError::State(e.to_string()))?;
        let t = self
            .pool
            .poll_transmit(200_000)
            .ok_or_else(|| ClientError::State("no creation data".into()))?;
        assert_eq!(t.purpose, TransmitPurpose::CreateShell);
        let request = Request::Create {
            shell_id: Some(self.pool.id()),
            name: Some("Test".into()),
            idle_timeout: None,
            input_streams: vec!["stdin".into(), "pr".into()],
            output_streams: vec!["stdout".into()],
            creation_xml: Some(t.data),
        };
        let header = self
            .header()
            .with_option("protocolversion", "2.3", Some(true));
        let Response::Created(created) = self.call(&header, &request).await? else {
            return Err(ClientError::State("not a CreateResponse".into()));
        };
        self.shell_id = created.shell_id()?;
        while self.pool.state() != RunspacePoolState::Opened {
            self.receive(None).await?;
            while self.pool.poll_event().is_some() {}
            if self.pool.state() == RunspacePoolState::Broken {
                return Err(ClientError::State("pool broken".into()));
            }
        }
        Ok(())
    }

    /// One Receive; feeds the streams to the pool; returns whether the command is done.
    pub async fn receive(&mut self, command_id: Option<Uuid>) -> Result<bool, ClientError> {
        let request = Request::Receive {
            desired_stream: "stdout".into(),
            command_id,
        };
        let header = self.header();
        let Response::Receive(r) = self.call(&header, &request).await? else {
            return Err(ClientError::State("not a ReceiveResponse".into()));
        };
        for s in r.streams {
            self.pool
                .receive(s.command_id, &s.data)
                .map_err(|e| ClientError::State(e.to_string()))?;
        }
        self.flush().await?;
        Ok(r.command_state
            .is_some_and(|c| c.state == CommandStateKind::Done))
    }

    /// Sends whatever the pool queued (host responses, input, key exchange).
    pub async fn flush(&mut self) -> Result<(), ClientError> {
        while let Some(t) = self.pool.poll_transmit(100_000) {
            let request = Request::Send {
                streams: vec![StreamData::new(t.stream.as_str(), t.pipeline_id, t.data)],
            };
            let header = self.header();
            self.call(&header, &request).await?;
        }
        Ok(())
    }

    /// Starts a pipeline; returns its id.
    pub async fn start(&mut self, spec: &PowerShellSpec) -> Result<Uuid, ClientError> {
        let id = self
            .pool
            .create_pipeline(spec)
            .map_err(|e| ClientError::State(e.to_string()))?;
        let t = self
            .pool
            .poll_transmit(200_000)
            .ok_or_else(|| ClientError::State("no command data".into()))?;
        let request = Request::Command {
            command_id: Some(id),
            command: String::new(),
            arguments: Some(t.data),
        };
        let header = self.header();
        self.call(&header, &request).await?;
        self.flush().await?;
        Ok(id)
    }

    /// Runs a pipeline to the end, terminates it and returns what it produced.
    pub async fn run(&mut self, spec: &PowerShellSpec) -> Result<Outcome, ClientError> {
        let id = self.start(spec).await?;
        let mut outcome = Outcome::default();
        loop {
            let done = self.receive(Some(id)).await?;
            self.collect(&mut outcome);
            if done {
                break;
            }
        }
        self.signal(id, signal::TERMINATE).await?;
        let _ = self.pool.end_pipeline(id);
        Ok(outcome)
    }

    pub fn collect(&mut self, outcome: &mut Outcome) {
        while let Some(event) = self.pool.poll_event() {
            match event {
                Event::Output { value, .. } => outcome.output.push(value),
                Event::Error { record, .. } => outcome.errors.push(record),
                Event::Warning { record, .. } => outcome.warnings.push(record.message),
                Event::HostCall { .. } => outcome.host_calls += 1,
                Event::PipelineStateChanged { state, error, .. } => {
                    outcome.state = Some(state);
                    outcome.state_error = error;
                }
                _ => {}
            }
        }
    }

    pub async fn signal(&mut self, id: Uuid, code: &str) -> Result<(), ClientError> {
        let request = Request::Signal {
            command_id: Some(id),
            code: code.to_owned(),
        };
        let header = self.header();
        self.call(&header, &request).await?;
        Ok(())
    }

    pub async fn delete(&mut self) -> Result<(), ClientError> {
        let header = self.header();
        self.call(&header, &Request::Delete).await?;
        Ok(())
    }
}
