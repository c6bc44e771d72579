//! A parser for the small part of the PowerShell language a jump-host bootstrap uses: a
//! `param()` block, assignments, pipelines of commands with `-Name value`, `-Name:value` and
//! switch parameters, variables, quoted strings, bare words and `( … )` subexpressions.
//!
//! Like PowerShell's own AST, a command keeps its elements in order (a parameter name and the
//! value after it are separate elements unless written `-Name:value`); pairing them is the
//! binder's job, because only the binder knows which parameters are switches.
//! Anything outside the subset is a [`ParseError`] naming what was found; the script is then not
//! evaluated at all.

/// A value written in the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    /// `$name` (a scope qualifier such as `global:` is dropped).
    Variable(String),
    /// `'text'` or `"text"` without expansions.
    Str(String),
    /// An unquoted word used as a value (`Microsoft.Exchange`, `Kerberos`, `5`).
    Bare(String),
    /// `$true` / `$false`.
    Bool(bool),
    /// `$null`.
    Null,
    /// `( pipeline )`.
    Sub(Box<Pipeline>),
}

/// One element of a command after its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Element {
    /// `-Name`, or `-Name:value` with the value attached.
    Parameter(String, Option<Expr>),
    /// A value on its own.
    Value(Expr),
}

/// A command and its elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommandCall {
    /// The command name as written.
    pub(crate) name: String,
    /// Parameters and values, in order.
    pub(crate) elements: Vec<Element>,
}

/// Commands joined by `|`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pipeline(pub(crate) Vec<CommandCall>);

/// A top-level statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Statement {
    /// `$name = …`: a pipeline's output or a value.
    Assign(String, Expr),
    /// A pipeline whose output is the script's output.
    Pipeline(Pipeline),
}

/// A declared script parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParamDecl {
    /// The name without `$`.
    pub(crate) name: String,
    /// The default value.
    pub(crate) default: Option<Expr>,
}

/// A parsed script.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Script {
    /// The `param()` block.
    pub(crate) params: Vec<ParamDecl>,
    /// The statements, in order.
    pub(crate) statements: Vec<Statement>,
}

/// Why a script is outside the subset; `offset` is the byte position in the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at offset {offset})")]
pub(crate) struct ParseError {
    pub(crate) message: String,
    pub(crate) offset: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Variable(String),
    Str(String),
    Bare(String),
    Parameter(String, bool),
    Open(char),
    Close(char),
    Comma,
    Equals,
    Pipe,
    End,
}

/// The longest script the parser accepts; a bootstrap is a few hundred bytes.
const MAX_SCRIPT: usize = 64 * 1024;
/// Nesting of `( … )` and `[ … ]` the parser follows.
const MAX_DEPTH: usize = 16;

fn err<T>(message: impl Into<String>, offset: usize) -> Result<T, ParseError> {
    Err(ParseError {
        message: message.into(),
        offset,
    })
}

fn is_word_end(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '(' | ')' | '[' | ']' | '{' | '}' | '|' | ';' | ',' | '=' | '\'' | '"'
        )
}

fn tokenize(text: &str) -> Result<Vec<(Tok, usize)>, ParseError> {
    if text.len() > MAX_SCRIPT {
        return err("the script is too long", MAX_SCRIPT);
    }
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let pos = |i: usize| chars.get(i).map_or(text.len(), |&(p, _)| p);
    let mut toks = Vec::new();
    let mut i = 0;
    while let Some(c) = at(i) {
        let start = pos(i);
        match c {
            '\n' | '\r' | ';' => {
                toks.push((Tok::End, start));
                i += 1;
            }
            '`' if matches!(at(i + 1), Some('\n' | '\r')) => i += 2,
            c if c.is_whitespace() => i += 1,
            '#' => {
                while at(i).is_some_and(|c| c != '\n') {
                    i += 1;
                }
            }
            '<' if at(i + 1) == Some('#') => {
                i += 2;
                while at(i).is_some() && !(at(i) == Some('#') && at(i + 1) == Some('>')) {
                    i += 1;
                }
                if at(i).is_none() {
                    return err("an unterminated block comment", start);
                }
                i += 2;
            }
            '$' => {
                i += 1;
                let name_start = i;
                while at(i).is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    i += 1;
                }
                if i == name_start {
                    return err("'$' is not followed by a variable name", start);
                }
                let name: String = chars[name_start..i].iter().map(|&(_, c)| c).collect();
                let name = match name.split_once(':') {
                    Some((scope, rest))
                        if ["global", "script", "local", "private"]
                            .iter()
                            .any(|s| s.eq_ignore_ascii_case(scope)) =>
                    {
                        rest.to_owned()
                    }
                    Some(_) => return err(format!("the variable ${name}"), start),
                    None => name,
                };
                toks.push((Tok::Variable(name), start));
            }
            '\'' => {
                i += 1;
                let mut s = String::new();
                loop {
                    match at(i) {
                        None => return err("an unterminated string", start),
                        Some('\'') if at(i + 1) == Some('\'') => {
                            s.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(c) => {
                            s.push(c);
                            i += 1;
                        }
                    }
                }
                toks.push((Tok::Str(s), start));
            }
            '"' => {
                i += 1;
                let mut s = String::new();
                loop {
                    match at(i) {
                        None => return err("an unterminated string", start),
                        Some('"') if at(i + 1) == Some('"') => {
                            s.push('"');
                            i += 2;
                        }
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some('`') => match at(i + 1) {
                            Some(c) => {
                                s.push(c);
                                i += 2;
                            }
                            None => return err("an unterminated string", start),
                        },
                        Some('$') => {
                            return err("an expandable string (\"…$…\")", pos(i));
                        }
                        Some(c) => {
                            s.push(c);
                            i += 1;
                        }
                    }
                }
                toks.push((Tok::Str(s), start));
            }
            '(' | '[' | '{' => {
                toks.push((Tok::Open(c), start));
                i += 1;
            }
            ')' | ']' | '}' => {
                toks.push((Tok::Close(c), start));
                i += 1;
            }
            ',' => {
                toks.push((Tok::Comma, start));
                i += 1;
            }
            '=' => {
                toks.push((Tok::Equals, start));
                i += 1;
            }
            '|' => {
                toks.push((Tok::Pipe, start));
                i += 1;
            }
            '-' if at(i + 1).is_some_and(|c| c.is_alphabetic() || c == '_') => {
                i += 1;
                let name_start = i;
                while at(i).is_some_and(|c| !is_word_end(c) && c != ':') {
                    i += 1;
                }
                let name: String = chars[name_start..i].iter().map(|&(_, c)| c).collect();
                let colon = at(i) == Some(':');
                if colon {
                    i += 1;
                }
                toks.push((Tok::Parameter(name, colon), start));
            }
            _ => {
                let word_start = i;
                while at(i).is_some_and(|c| !is_word_end(c)) {
                    i += 1;
                }
                let word: String = chars[word_start..i].iter().map(|&(_, c)| c).collect();
                toks.push((Tok::Bare(word), start));
            }
        }
    }
    Ok(toks)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    next: usize,
    end_offset: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.next).map(|(t, _)| t)
    }

    fn offset(&self) -> usize {
        self.toks
            .get(self.next)
            .map_or(self.end_offset, |&(_, o)| o)
    }

    fn bump(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.next).map(|(t, _)| t.clone());
        self.next += 1;
        t
    }

    fn skip_ends(&mut self) {
        while self.peek() == Some(&Tok::End) {
            self.next += 1;
        }
    }

    /// Skips a `[ … ]` attribute or type constraint, nested brackets and parentheses included.
    fn skip_attribute(&mut self) -> Result<(), ParseError> {
        let start = self.offset();
        let mut depth = 0usize;
        loop {
            match self.bump() {
                Some(Tok::Open(_)) => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return err("brackets nested too deeply", start);
                    }
                }
                Some(Tok::Close(_)) => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Ok(());
                    }
                }
                Some(_) => {}
                None => return err("an unterminated attribute", start),
            }
        }
    }

    fn param_block(&mut self) -> Result<Vec<ParamDecl>, ParseError> {
        let mut params = Vec::new();
        // `param` and `(` were consumed.
        loop {
            self.skip_ends();
            match self.peek() {
                Some(Tok::Close(')')) => {
                    self.next += 1;
                    return Ok(params);
                }
                Some(Tok::Open('[')) => self.skip_attribute()?,
                Some(Tok::Variable(_)) => {
                    let Some(Tok::Variable(name)) = self.bump() else {
                        return err("a parameter name", self.offset());
                    };
                    self.skip_ends();
                    let default = if self.peek() == Some(&Tok::Equals) {
                        self.next += 1;
                        self.skip_ends();
                        Some(self.value(0)?)
                    } else {
                        None
                    };
                    params.push(ParamDecl { name, default });
                    self.skip_ends();
                    match self.peek() {
                        Some(Tok::Comma) => self.next += 1,
                        Some(Tok::Close(')')) => {}
                        _ => return err("',' or ')' in the param block", self.offset()),
                    }
                }
                _ => return err("a parameter declaration", self.offset()),
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let offset = self.offset();
        match self.bump() {
            Some(Tok::Variable(name)) => Ok(match name.to_ascii_lowercase().as_str() {
                "true" => Expr::Bool(true),
                "false" => Expr::Bool(false),
                "null" => Expr::Null,
                _ => Expr::Variable(name),
            }),
            Some(Tok::Str(s)) => Ok(Expr::Str(s)),
            Some(Tok::Bare(w)) => Ok(Expr::Bare(w)),
            Some(Tok::Open('(')) => {
                if depth >= MAX_DEPTH {
                    return err("parentheses nested too deeply", offset);
                }
                let pipeline = self.pipeline(depth + 1)?;
                match self.bump() {
                    Some(Tok::Close(')')) => Ok(Expr::Sub(Box::new(pipeline))),
                    _ => err("')' after the subexpression", self.offset()),
                }
            }
            Some(other) => err(format!("a value, found {}", describe(&other)), offset),
            None => err("a value, found the end of the script", offset),
        }
    }

    fn command(&mut self, depth: usize) -> Result<CommandCall, ParseError> {
        let offset = self.offset();
        let name = match self.bump() {
            Some(Tok::Bare(w)) => w,
            Some(other) => {
                return err(
                    format!("a command name, found {}", describe(&other)),
                    offset,
                );
            }
            None => return err("a command name", offset),
        };
        let mut elements = Vec::new();
        loop {
            match self.peek() {
                None | Some(Tok::End | Tok::Pipe | Tok::Close(')')) => break,
                Some(Tok::Parameter(..)) => {
                    let Some(Tok::Parameter(p, colon)) = self.bump() else {
                        break;
                    };
                    let value = if colon {
                        Some(self.value(depth)?)
                    } else {
                        None
                    };
                    elements.push(Element::Parameter(p, value));
                }
                Some(Tok::Comma) => return err("an array argument (',')", self.offset()),
                Some(_) => elements.push(Element::Value(self.value(depth)?)),
            }
        }
        Ok(CommandCall { name, elements })
    }

    fn pipeline(&mut self, depth: usize) -> Result<Pipeline, ParseError> {
        let mut commands = vec![self.command(depth)?];
        while self.peek() == Some(&Tok::Pipe) {
            self.next += 1;
            self.skip_ends();
            commands.push(self.command(depth)?);
        }
        Ok(Pipeline(commands))
    }

    fn statement(&mut self) -> Result<Statement, ParseError> {
        if let (Some(Tok::Variable(name)), Some((Tok::Equals, _))) =
            (self.peek().cloned(), self.toks.get(self.next + 1))
        {
            self.next += 2;
            self.skip_ends();
            let rhs = match self.peek() {
                Some(Tok::Bare(_)) => Expr::Sub(Box::new(self.pipeline(0)?)),
                _ => self.value(0)?,
            };
            return Ok(Statement::Assign(name, rhs));
        }
        Ok(Statement::Pipeline(self.pipeline(0)?))
    }
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Variable(v) => format!("${v}"),
        Tok::Str(_) => "a string".into(),
        Tok::Bare(w) => format!("'{w}'"),
        Tok::Parameter(p, _) => format!("-{p}"),
        Tok::Open(c) | Tok::Close(c) => format!("'{c}'"),
        Tok::Comma => "','".into(),
        Tok::Equals => "'='".into(),
        Tok::Pipe => "'|'".into(),
        Tok::End => "the end of the statement".into(),
    }
}

/// Parses `text`.
pub(crate) fn parse(text: &str) -> Result<Script, ParseError> {
    let mut p = Parser {
        toks: tokenize(text)?,
        next: 0,
        end_offset: text.len(),
    };
    let mut script = Script::default();
    p.skip_ends();
    if let (Some(Tok::Bare(w)), Some((Tok::Open('('), _))) = (p.peek(), p.toks.get(1 + p.next))
        && w.eq_ignore_ascii_case("param")
    {
        p.next += 2;
        script.params = p.param_block()?;
    }
    loop {
        p.skip_ends();
        if p.peek().is_none() {
            return Ok(script);
        }
        let statement = p.statement()?;
        script.statements.push(statement);
        match p.peek() {
            None | Some(Tok::End) => {}
            Some(other) => {
                let what = describe(other);
                return err(
                    format!("the end of the statement, found {what}"),
                    p.offset(),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bare(w: &str) -> Expr {
        Expr::Bare(w.into())
    }

    fn var(v: &str) -> Expr {
        Expr::Variable(v.into())
    }

    fn param(p: &str) -> Element {
        Element::Parameter(p.into(), None)
    }

    #[test]
    fn a_bootstrap_script_parses_into_its_statements() {
        let script = parse(
            "param(\n  [Parameter(Mandatory = $true)] [string] $ConnectionUri,\n  [System.Management.Automation.PSCredential] $Credential,\n  [string] $Authentication = 'Kerberos'\n)\n\
             # open the second hop\n\
             $s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri $ConnectionUri `\n  -Credential $global:Credential -Authentication:$Authentication -ErrorAction Stop\r\n\
             Import-Module (Import-PSSession -Session $s -DisableNameChecking -AllowClobber) -Global | Out-Null",
        )
        .expect("parses");
        assert_eq!(
            script.params,
            vec![
                ParamDecl {
                    name: "ConnectionUri".into(),
                    default: None
                },
                ParamDecl {
                    name: "Credential".into(),
                    default: None
                },
                ParamDecl {
                    name: "Authentication".into(),
                    default: Some(Expr::Str("Kerberos".into()))
                },
            ]
        );
        assert_eq!(script.statements.len(), 2);
        let Statement::Assign(name, Expr::Sub(p)) = &script.statements[0] else {
            panic!("{:?}", script.statements[0]);
        };
        assert_eq!(name, "s");
        assert_eq!(
            p.0,
            vec![CommandCall {
                name: "New-PSSession".into(),
                elements: vec![
                    param("ConfigurationName"),
                    Element::Value(bare("Microsoft.Exchange")),
                    param("ConnectionUri"),
                    Element::Value(var("ConnectionUri")),
                    param("Credential"),
                    Element::Value(var("Credential")),
                    Element::Parameter("Authentication".into(), Some(var("Authentication"))),
                    param("ErrorAction"),
                    Element::Value(bare("Stop")),
                ],
            }]
        );
        let Statement::Pipeline(p) = &script.statements[1] else {
            panic!("{:?}", script.statements[1]);
        };
        assert_eq!(p.0.len(), 2);
        assert_eq!(p.0[1].name, "Out-Null");
        let Element::Value(Expr::Sub(inner)) = &p.0[0].elements[0] else {
            panic!("{:?}", p.0[0]);
        };
        assert_eq!(inner.0[0].name, "Import-PSSession");
        assert_eq!(
            inner.0[0].elements,
            vec![
                param("Session"),
                Element::Value(var("s")),
                param("DisableNameChecking"),
                param("AllowClobber"),
            ]
        );
        assert_eq!(p.0[0].elements[1], param("Global"));
    }

    #[test]
    fn literals_and_statement_separators() {
        let script =
            parse("$ErrorActionPreference = 'St''op'; Get-Thing \"a b\" 5 $true $null <# x #>")
                .expect("parses");
        assert_eq!(
            script.statements,
            vec![
                Statement::Assign("ErrorActionPreference".into(), Expr::Str("St'op".into())),
                Statement::Pipeline(Pipeline(vec![CommandCall {
                    name: "Get-Thing".into(),
                    elements: vec![
                        Element::Value(Expr::Str("a b".into())),
                        Element::Value(bare("5")),
                        Element::Value(Expr::Bool(true)),
                        Element::Value(Expr::Null),
                    ],
                }])),
            ]
        );
    }

    #[test]
    fn constructs_outside_the_subset_are_refused_with_a_position() {
        for (text, needle) in [
            ("Get-Thing \"$x\"", "expandable string"),
            ("Get-Thing a, b", "array argument"),
            ("Get-Thing 'open", "unterminated string"),
            ("foreach ($x in $y) { $x }", "a command name, found $x"),
            ("$env:USERNAME", "the variable $env:USERNAME"),
            ("param($a", "',' or ')'"),
            ("Get-Thing )", "the end of the statement, found ')'"),
            ("<# never closed", "unterminated block comment"),
        ] {
            let e = parse(text).expect_err(text);
            assert!(e.message.contains(needle), "{text}: {e}");
            assert!(e.offset <= text.len());
        }
        assert!(parse(&"x".repeat(MAX_SCRIPT + 1)).is_err());
        let deep = format!("Get-Thing {}1{}", "(Get-Thing ".repeat(20), ")".repeat(20));
        let e = parse(&deep).expect_err("deep");
        assert!(e.message.contains("nested too deeply"), "{e}");
        let fine = format!("Get-Thing {}1{}", "(Get-Thing ".repeat(5), ")".repeat(5));
        assert!(parse(&fine).is_ok());
    }

    #[test]
    fn empty_and_comment_only_scripts_have_no_statements() {
        assert_eq!(parse("").expect("empty"), Script::default());
        assert_eq!(parse("# nothing\n\n").expect("comment"), Script::default());
    }
}
