//! `Command`: a cmdlet with parameters, or a pipeline of them, built from Python arguments.
//!
//! Keyword arguments are parameters (``Identity="alice"``), positional ones are positional
//! arguments; ``True`` sends a switch (``-Force``) and ``False`` turns one off
//! (``Confirm=False`` is ``-Confirm:$false``); a :class:`SecureString` value is sent encrypted.

use monosync_exchange::exchange::{Arg, Command as CoreCommand, ParamValue};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use zeroize::Zeroizing;

use crate::secret::SecureString;
use crate::values::value_from_py;

fn param_value(value: &Bound<'_, PyAny>) -> PyResult<ParamValue> {
    if let Ok(secret) = value.cast::<SecureString>() {
        return Ok(ParamValue::Secure(Zeroizing::new(secret.get().expose())));
    }
    Ok(ParamValue::Value(value_from_py(value, 0)?))
}

fn with_args(
    mut cmd: CoreCommand,
    args: &Bound<'_, PyTuple>,
    params: Option<&Bound<'_, PyDict>>,
) -> PyResult<CoreCommand> {
    for value in args.iter() {
        cmd.args.push(Arg {
            name: None,
            value: param_value(&value)?,
        });
    }
    if let Some(params) = params {
        for (name, value) in params.iter() {
            let name: String = name.extract()?;
            cmd.args.push(Arg {
                name: Some(name),
                value: param_value(&value)?,
            });
        }
    }
    Ok(cmd)
}

/// One command from a name and Python arguments.
pub(crate) fn command_from(
    name: String,
    args: &Bound<'_, PyTuple>,
    params: Option<&Bound<'_, PyDict>>,
) -> PyResult<CoreCommand> {
    with_args(CoreCommand::new(name), args, params)
}

/// What `Session.invoke` and `Session.stream` run: a [`Command`], or a cmdlet name with its
/// arguments.
pub(crate) fn pipeline_from(
    command: &Bound<'_, PyAny>,
    args: &Bound<'_, PyTuple>,
    params: Option<&Bound<'_, PyDict>>,
) -> PyResult<Vec<CoreCommand>> {
    if let Ok(built) = command.cast::<Command>() {
        if !args.is_empty() || params.is_some_and(|p| !p.is_empty()) {
            return Err(PyTypeError::new_err(
                "pass parameters either to Command(...) or to invoke(), not both",
            ));
        }
        return Ok(built.get().pipeline.clone());
    }
    if let Ok(name) = command.cast::<PyString>() {
        return Ok(vec![command_from(
            name.to_cow()?.into_owned(),
            args,
            params,
        )?]);
    }
    Err(PyTypeError::new_err(format!(
        "expected a cmdlet name or a Command, not {}",
        command.get_type().name()?
    )))
}

/// A cmdlet with its parameters, or a pipeline of cmdlets, to pass to
/// :meth:`Session.invoke` or :meth:`Session.stream`.
///
/// ``Command("Get-Mailbox", Identity="alice")`` is ``Get-Mailbox -Identity alice``;
/// ``.pipe("Set-Mailbox", Office="B1")`` (or ``|`` with another Command) adds a command
/// that receives the previous one's output. Commands are immutable: every method returns a
/// new one.
#[pyclass(frozen, module = "monosync_exchange", name = "Command")]
pub(crate) struct Command {
    pipeline: Vec<CoreCommand>,
}

impl Command {
    /// A copy whose last command got `arg`.
    fn with_last(&self, arg: Arg) -> Command {
        let mut pipeline = self.pipeline.clone();
        if let Some(last) = pipeline.last_mut() {
            last.args.push(arg);
        }
        Command { pipeline }
    }
}

#[pymethods]
impl Command {
    #[new]
    #[pyo3(signature = (name, /, *args, **params))]
    fn new(
        name: String,
        args: &Bound<'_, PyTuple>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        Ok(Command {
            pipeline: vec![command_from(name, args, params)?],
        })
    }

    /// Adds ``-name value`` to the last command.
    fn param(&self, name: String, value: &Bound<'_, PyAny>) -> PyResult<Command> {
        Ok(self.with_last(Arg {
            name: Some(name),
            value: param_value(value)?,
        }))
    }

    /// Adds a positional argument to the last command.
    fn arg(&self, value: &Bound<'_, PyAny>) -> PyResult<Command> {
        Ok(self.with_last(Arg {
            name: None,
            value: param_value(value)?,
        }))
    }

    /// Adds the switch ``-name`` to the last command.
    fn switch(&self, name: String) -> Command {
        self.with_last(Arg {
            name: Some(name),
            value: ParamValue::from(true),
        })
    }

    /// Adds ``-name`` holding ``secret`` (a str or SecureString) as an encrypted SecureString.
    fn secure(&self, name: String, secret: &Bound<'_, PyAny>) -> PyResult<Command> {
        Ok(self.with_last(Arg {
            name: Some(name),
            value: ParamValue::Secure(SecureString::from_py(secret)?),
        }))
    }

    /// Pipes the output into another command: a name with its arguments, or a Command.
    #[pyo3(signature = (command, /, *args, **params))]
    fn pipe(
        &self,
        command: &Bound<'_, PyAny>,
        args: &Bound<'_, PyTuple>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Command> {
        let mut pipeline = self.pipeline.clone();
        pipeline.extend(pipeline_from(command, args, params)?);
        Ok(Command { pipeline })
    }

    fn __or__(&self, other: &Bound<'_, Command>) -> Command {
        let mut pipeline = self.pipeline.clone();
        pipeline.extend(other.get().pipeline.iter().cloned());
        Command { pipeline }
    }

    /// The cmdlet names of the pipeline, in order.
    #[getter]
    fn names(&self) -> Vec<String> {
        self.pipeline.iter().map(|c| c.name.clone()).collect()
    }

    /// ``<Command Get-Mailbox -Identity | Set-Mailbox -Office>``: parameter names only, so
    /// that no value (and no secret) shows.
    fn __repr__(&self) -> String {
        let parts: Vec<String> = self
            .pipeline
            .iter()
            .map(|c| {
                let mut text = c.name.clone();
                for arg in &c.args {
                    match &arg.name {
                        Some(name) => text.push_str(&format!(" -{name}")),
                        None => text.push_str(" <arg>"),
                    }
                }
                text
            })
            .collect();
        format!("<Command {}>", parts.join(" | "))
    }
}
