//! [`Collector`]: a command's items, read as they arrive, made into one [`CommandResult`].
//! Every way of running a command to its end (sessions, pools, their blocking forms and the
//! bindings) collects through it.

use super::error::SessionError;
use super::invoke::ItemStream;
use super::result::{CommandResult, StreamItem};
use crate::psrp::PSInvocationState;

/// Files a command's items into a [`CommandResult`] until the stream ends or fails.
#[derive(Debug, Default)]
pub struct Collector {
    result: CommandResult,
}

impl Collector {
    /// An empty collection.
    pub fn new() -> Collector {
        Collector::default()
    }

    /// Takes one item of the stream: an item is filed; a failure ends the collection and is
    /// returned. The command's own terminating error ([`SessionError::Pipeline`]) then carries
    /// what arrived before it as its `partial`, with the pipeline's final state; after any
    /// other failure what arrived stays here ([`Collector::into_partial`]).
    pub fn feed(&mut self, item: Result<StreamItem, SessionError>) -> Result<(), SessionError> {
        match item {
            Ok(item) => {
                self.result.push(item);
                Ok(())
            }
            Err(SessionError::Pipeline(mut failure)) => {
                self.result.state = Some(failure.state);
                failure.partial = std::mem::take(&mut self.result);
                Err(SessionError::Pipeline(failure))
            }
            Err(e) => Err(e),
        }
    }

    /// What arrived so far.
    pub fn result(&self) -> &CommandResult {
        &self.result
    }

    /// What arrived before a failure that is not the command's own (see
    /// [`Collector::feed`]).
    pub fn into_partial(self) -> CommandResult {
        self.result
    }

    /// The result of a stream that ended without failure: the command completed.
    pub fn finish(mut self) -> CommandResult {
        self.result.state = Some(PSInvocationState::Completed);
        self.result
    }

    /// Reads an async stream ([`super::InvokeStream`], [`super::PoolStream`]) to its end.
    pub async fn collect_stream(
        mut stream: impl ItemStream,
    ) -> Result<CommandResult, SessionError> {
        let mut collector = Collector::new();
        while let Some(item) = stream.next().await {
            collector.feed(item)?;
        }
        Ok(collector.finish())
    }

    /// Reads a blocking stream ([`super::BlockingStream`], [`super::BlockingPoolStream`]) to
    /// its end, showing each item to `observe` as it arrives (progress callbacks).
    pub fn collect_items(
        items: impl IntoIterator<Item = Result<StreamItem, SessionError>>,
        mut observe: impl FnMut(&StreamItem),
    ) -> Result<CommandResult, SessionError> {
        let mut collector = Collector::new();
        for item in items {
            if let Ok(item) = &item {
                observe(item);
            }
            collector.feed(item)?;
        }
        Ok(collector.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clixml::PsValue;
    use crate::exchange::PipelineFailure;
    use crate::psrp::messages::InformationalRecord;

    #[test]
    fn a_completed_stream_is_a_completed_result() {
        let mut seen = 0;
        let result = Collector::collect_items(
            [
                Ok(StreamItem::Output(PsValue::I32(1))),
                Ok(StreamItem::Warning(InformationalRecord::new(
                    "Warning", "w",
                ))),
                Ok(StreamItem::Output(PsValue::I32(2))),
            ],
            |_| seen += 1,
        )
        .expect("collected");
        assert_eq!(seen, 3);
        assert_eq!(result.output, vec![PsValue::I32(1), PsValue::I32(2)]);
        assert_eq!(result.warnings.len(), 1);
        assert_eq!(result.state, Some(PSInvocationState::Completed));
    }

    #[test]
    fn a_terminating_error_carries_what_came_before() {
        let failure = SessionError::Pipeline(Box::new(PipelineFailure {
            state: PSInvocationState::Failed,
            record: None,
            partial: CommandResult::default(),
        }));
        let e = Collector::collect_items(
            [Ok(StreamItem::Output(PsValue::I32(1))), Err(failure)],
            |_| {},
        )
        .expect_err("failed");
        match e {
            SessionError::Pipeline(f) => {
                assert_eq!(f.state, PSInvocationState::Failed);
                assert_eq!(f.partial.output, vec![PsValue::I32(1)]);
                assert_eq!(f.partial.state, Some(PSInvocationState::Failed));
            }
            other => panic!("expected Pipeline, got {other:?}"),
        }
    }

    #[test]
    fn other_failures_leave_the_partial_result_here() {
        let mut collector = Collector::new();
        collector
            .feed(Ok(StreamItem::Output(PsValue::I32(1))))
            .expect("filed");
        let e = collector
            .feed(Err(SessionError::Cancelled))
            .expect_err("failed");
        assert!(matches!(e, SessionError::Cancelled));
        assert_eq!(collector.result().output.len(), 1);
        let partial = collector.into_partial();
        assert_eq!(partial.output, vec![PsValue::I32(1)]);
        assert_eq!(partial.state, None);
    }
}
