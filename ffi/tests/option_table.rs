//! Every binding offers every option of the core's table under its name and with its default:
//! read from the artefacts users see (the C header, the Python stubs, the .NET options class,
//! the documentation), not from a copy of the list. The CLI's flags are checked by the CLI's
//! own tests against the same table.

use std::path::{Path, PathBuf};

use mx_core::option_table::{
    Layer, OPTIONS, OptionDefault, OptionKind, OptionSpec, markdown_table,
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `needle` in `text` not followed by a letter or digit.
fn has_word(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(i, _)| {
        text[i + needle.len()..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_ascii_alphanumeric())
    })
}

/// The doxygen comment right before the declaration of `function` in the header.
fn c_doc<'a>(header: &'a str, function: &str) -> Option<&'a str> {
    let at = header.find(&format!(" {function}("))?;
    let before = &header[..at];
    let start = before.rfind("/**")?;
    Some(&header[start..at])
}

#[test]
fn the_c_header_has_a_setter_per_option_with_its_default() {
    let header = read("include/monosync_exchange.h");
    let mut problems = Vec::new();
    for o in OPTIONS {
        let setter = o.c_setter();
        match c_doc(&header, &setter) {
            None => problems.push(format!("{}: no {setter} in the header", o.name)),
            Some(doc) => {
                let doc = doc.replace("\n *", "");
                let expected = format!("Default: {}", o.default);
                if !has_word(&doc, &expected) {
                    problems.push(format!("{setter}: its documentation lacks `{expected}`"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The keyword parameters of `class`'s `__init__` in the stubs: name and default text.
fn python_keywords(stubs: &str, class: &str) -> Vec<(String, Option<String>)> {
    let class_at = stubs
        .find(&format!("class {class}:"))
        .unwrap_or_else(|| panic!("no class {class}"));
    let init = class_at + stubs[class_at..].find("def __init__(").expect("__init__");
    let end = init + stubs[init..].find(") -> None").expect("end of __init__");
    stubs[init + "def __init__(".len()..end]
        .lines()
        .map(|line| line.trim().trim_end_matches(','))
        .filter(|line| line.contains(':'))
        .map(|line| {
            let (name, rest) = line.split_once(':').expect("a colon");
            let default = rest.rsplit_once(" = ").map(|(_, d)| d.trim().to_owned());
            (name.trim().to_owned(), default)
        })
        .collect()
}

fn python_default(o: &OptionSpec) -> Option<String> {
    match (o.kind, o.default) {
        (OptionKind::Server, _) => None,
        (_, OptionDefault::Unset) => Some("None".into()),
        (_, OptionDefault::Bool(b)) => Some(if b { "True" } else { "False" }.into()),
        (_, OptionDefault::Millis(ms)) => Some(format!("{:?}", ms as f64 / 1000.0)),
        (_, OptionDefault::Count(n)) => Some(n.to_string()),
        (_, OptionDefault::Text(t)) => Some(format!("\"{t}\"")),
    }
}

#[test]
fn the_python_stubs_take_every_option_with_its_default() {
    let stubs = read("bindings/python/python/monosync_exchange/__init__.pyi");
    let mut problems = Vec::new();
    for (class, takes) in [
        (
            "Session",
            &(|o: &OptionSpec| o.layer != Layer::Pool) as &dyn Fn(&OptionSpec) -> bool,
        ),
        ("Pool", &|o: &OptionSpec| o.kind != OptionKind::Server),
    ] {
        let keywords = python_keywords(&stubs, class);
        for o in OPTIONS.iter().filter(|o| takes(o)) {
            match keywords.iter().find(|(name, _)| name == o.name) {
                None => problems.push(format!("{class}: no keyword {}", o.name)),
                Some((_, default)) => {
                    let expected = if o.name == "servers" {
                        None
                    } else {
                        python_default(o)
                    };
                    if *default != expected {
                        problems.push(format!(
                            "{class}({}=...): default {default:?}, the table's is {expected:?}",
                            o.name
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The declaration of the public property or method `name` in C# `source` (the member's name
/// compared without case, so `UserName` is `username`): the text from `public` to the end of
/// the line. Members marked obsolete on the line before do not count.
fn cs_member<'a>(source: &'a str, name: &str) -> Option<&'a str> {
    let lines: Vec<&str> = source.lines().map(str::trim).collect();
    lines.iter().enumerate().find_map(|(i, line)| {
        let declared = line.strip_prefix("public ")?;
        let head = declared.split(['(', '{', '=']).next()?.trim();
        let member = head.rsplit(' ').next()?;
        let obsolete = i > 0 && lines[i - 1].starts_with("[Obsolete");
        (member.eq_ignore_ascii_case(name) && !obsolete).then_some(*line)
    })
}

#[test]
fn the_dotnet_options_have_every_option_with_its_default() {
    let source = read("bindings/dotnet/src/ExchangeSessionOptions.cs");
    let mut problems = Vec::new();
    for o in OPTIONS {
        let name = match o.kind {
            OptionKind::JumpHost => format!("Use{}", o.pascal_case()),
            _ => o.pascal_case(),
        };
        let Some(line) = cs_member(&source, &name) else {
            problems.push(format!("{}: no public member {name}", o.name));
            continue;
        };
        let initializer = line
            .split_once("} = ")
            .map(|(_, v)| v.trim_end_matches(';').trim());
        let fine = match (initializer, o.default) {
            (None, OptionDefault::Bool(b)) => !b && line.contains(" bool "),
            (None, _) => !line.contains(" bool ") && !line.contains(" int ") || line.contains('?'),
            (Some(v), OptionDefault::Bool(b)) => v == b.to_string(),
            (Some(v), OptionDefault::Text(t)) => v
                .rsplit('.')
                .next()
                .is_some_and(|w| w.eq_ignore_ascii_case(&t.replace('-', ""))),
            (Some(v), OptionDefault::Count(n)) => v == n.to_string(),
            (Some(v), OptionDefault::Unset) => v.starts_with("new List<"),
            (Some(_), _) => false,
        };
        if !fine {
            problems.push(format!(
                "{name}: `{line}` does not default to the table's {}",
                o.default
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_documented_table_is_the_table() {
    let doc = read("docs/options.md");
    assert!(
        doc.contains(&markdown_table()),
        "docs/options.md is out of date; its table must read:\n{}",
        markdown_table()
    );
}
