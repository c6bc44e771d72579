//! A subset of OPATH, the `-Filter` language of Exchange's Get-* cmdlets:
//! `Property -op Value` comparisons (`-eq`, `-ne`, `-like`, `-notlike`), joined with `-and`, `-or`,
//! negated with `-not`, grouped with parentheses. Values are quoted strings, bare words, `$true`,
//! `$false` or `$null`. Comparisons are case-insensitive; a multi-valued property matches when any
//! value does.

use monosync_exchange::clixml::PsValue;

use super::directory::glob_match;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// Both.
    And(Box<Filter>, Box<Filter>),
    /// Either.
    Or(Box<Filter>, Box<Filter>),
    /// Not.
    Not(Box<Filter>),
    /// `Property -op value`.
    Compare {
        /// The property name.
        property: String,
        /// The operator.
        op: Op,
        /// The value text; `None` for `$null`.
        value: Option<String>,
    },
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `-eq`
    Eq,
    /// `-ne`
    Ne,
    /// `-like`
    Like,
    /// `-notlike`
    NotLike,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    Dash(String),
    Word(String),
    Quoted(String),
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            c if c.is_whitespace() => i += 1,
            '(' | '{' => {
                out.push(Tok::Open);
                i += 1;
            }
            ')' | '}' => {
                out.push(Tok::Close);
                i += 1;
            }
            '\'' | '"' => {
                let mut v = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(format!("missing closing quote in \"{s}\"")),
                        Some(&q) if q == c => {
                            if chars.get(i + 1) == Some(&c) {
                                v.push(c);
                                i += 2;
                            } else {
                                i += 1;
                                break;
                            }
                        }
                        Some(&ch) => {
                            v.push(ch);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Quoted(v));
            }
            _ => {
                let start = i;
                while chars
                    .get(i)
                    .is_some_and(|ch| !ch.is_whitespace() && !matches!(ch, '(' | ')' | '{' | '}'))
                {
                    i += 1;
                }
                let w: String = chars.get(start..i).unwrap_or_default().iter().collect();
                match w.strip_prefix('-') {
                    Some(op) if !op.is_empty() => out.push(Tok::Dash(op.to_lowercase())),
                    _ => out.push(Tok::Word(w)),
                }
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn or(&mut self) -> Result<Filter, String> {
        let mut left = self.and()?;
        while self.peek() == Some(&Tok::Dash("or".into())) {
            self.pos += 1;
            let right = self.and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }
    fn and(&mut self) -> Result<Filter, String> {
        let mut left = self.unary()?;
        while self.peek() == Some(&Tok::Dash("and".into())) {
            self.pos += 1;
            let right = self.unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }
    fn unary(&mut self) -> Result<Filter, String> {
        match self.next() {
            Some(Tok::Dash(d)) if d == "not" => Ok(Filter::Not(Box::new(self.unary()?))),
            Some(Tok::Open) => {
                let f = self.or()?;
                match self.next() {
                    Some(Tok::Close) => Ok(f),
                    _ => Err("missing ')'".into()),
                }
            }
            Some(Tok::Word(property)) => {
                let op = match self.next() {
                    Some(Tok::Dash(op)) => match op.as_str() {
                        "eq" => Op::Eq,
                        "ne" => Op::Ne,
                        "like" => Op::Like,
                        "notlike" => Op::NotLike,
                        other => return Err(format!("the operator '-{other}' isn't supported")),
                    },
                    _ => return Err(format!("an operator is expected after '{property}'")),
                };
                let value = match self.next() {
                    Some(Tok::Quoted(v)) => Some(v),
                    Some(Tok::Word(w)) if w.eq_ignore_ascii_case("$null") => None,
                    Some(Tok::Word(w)) if w.eq_ignore_ascii_case("$true") => Some("True".into()),
                    Some(Tok::Word(w)) if w.eq_ignore_ascii_case("$false") => Some("False".into()),
                    Some(Tok::Word(w)) => Some(w),
                    _ => return Err(format!("a value is expected after '{property}'")),
                };
                Ok(Filter::Compare {
                    property,
                    op,
                    value,
                })
            }
            other => Err(format!("unexpected token {other:?}")),
        }
    }
}

impl Filter {
    /// Parses a filter; the error is a description of what is wrong.
    pub fn parse(text: &str) -> Result<Filter, String> {
        let mut p = Parser {
            toks: lex(text)?,
            pos: 0,
        };
        let f = p.or()?;
        if p.pos < p.toks.len() {
            return Err(format!(
                "unexpected text after position {} in \"{text}\"",
                p.pos
            ));
        }
        Ok(f)
    }

    /// Evaluates the filter against a property lookup.
    pub fn matches(&self, get: &dyn Fn(&str) -> Option<Vec<String>>) -> bool {
        match self {
            Filter::And(a, b) => a.matches(get) && b.matches(get),
            Filter::Or(a, b) => a.matches(get) || b.matches(get),
            Filter::Not(a) => !a.matches(get),
            Filter::Compare {
                property,
                op,
                value,
            } => {
                let values = get(property).unwrap_or_default();
                let hit = |pred: &dyn Fn(&str) -> bool| values.iter().any(|v| pred(v));
                match (op, value) {
                    (Op::Eq, None) => values.iter().all(String::is_empty),
                    (Op::Ne, None) => !values.iter().all(String::is_empty),
                    (Op::Eq, Some(v)) => hit(&|x| x.eq_ignore_ascii_case(v)),
                    (Op::Ne, Some(v)) => !hit(&|x| x.eq_ignore_ascii_case(v)),
                    (Op::Like, v) => hit(&|x| glob_match(v.as_deref().unwrap_or(""), x)),
                    (Op::NotLike, v) => !hit(&|x| glob_match(v.as_deref().unwrap_or(""), x)),
                }
            }
        }
    }

    /// Evaluates the filter against a rendered object's properties.
    pub fn matches_object(&self, obj: &PsValue) -> bool {
        self.matches(&|name: &str| {
            let o = obj.as_object()?;
            let v = o
                .properties()
                .find(|p| p.name.eq_ignore_ascii_case(name))
                .map(|p| &p.value)?;
            Some(texts(v))
        })
    }
}

fn texts(v: &PsValue) -> Vec<String> {
    if let Some(list) = v.as_list() {
        return list.iter().flat_map(texts).collect();
    }
    match v {
        PsValue::Nil => vec![String::new()],
        PsValue::String(s) => vec![s.clone()],
        PsValue::Bool(b) => vec![if *b { "True" } else { "False" }.into()],
        PsValue::Guid(g) => vec![g.to_string()],
        PsValue::Object(o) => vec![o.to_string.clone().unwrap_or_default()],
        other => vec![other.as_i64().map(|i| i.to_string()).unwrap_or_default()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Option<Vec<String>> {
        match name.to_lowercase().as_str() {
            "department" => Some(vec!["Sales".into()]),
            "emailaddresses" => Some(vec!["SMTP:a@x.com".into(), "smtp:b@x.com".into()]),
            "manager" => Some(vec![String::new()]),
            _ => None,
        }
    }

    #[test]
    fn evaluates() {
        let f = Filter::parse("Department -eq 'sales' -and EmailAddresses -like 'smtp:b@*'")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(f.matches(&lookup));
        let f = Filter::parse("(Department -ne \"Sales\") -or -not (Manager -eq $null)")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!f.matches(&lookup));
        assert!(Filter::parse("Department -gt 3").is_err());
        assert!(Filter::parse("Department -eq 'x").is_err());
    }
}
