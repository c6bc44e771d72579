//! The bindings' error kinds against the core's table ([`monosync_exchange::error_kinds!`]):
//! every binding has every kind, with the table's name, code and documentation.
//!
//! - C: the committed header's `mx_result_code` (cbindgen output of ffi/src/error.rs) is read
//!   and compared; fix ffi/src/error.rs and run `scripts/check-header.sh --write`.
//! - .NET: `ExchangeErrorKind.cs` and `ExchangeExceptions.cs` are generated from the table.
//! - Python: the enum and the exception classes are made from the table at import; the
//!   `__init__.pyi` stubs hold generated regions, and `__init__.py` must import every class.
//! - docs/errors.md is generated from the table.
//!
//! The generated files are compared with what the table gives; `scripts/error-kinds.sh
//! --write` (this test with `MX_WRITE_GENERATED=1`) rewrites them.

use std::path::PathBuf;

use monosync_exchange::exchange::ErrorKind;

/// One row of the core's table, as the bindings see it.
struct Kind {
    kind: ErrorKind,
    python_class: &'static str,
    python_base: Option<&'static str>,
}

macro_rules! rows {
    ($($variant:ident = $code:literal, $name:literal,
       python = $class:ident($($base:ident)?), $doc:literal;)*) => {
        [$(Kind {
            kind: ErrorKind::$variant,
            python_class: stringify!($class),
            python_base: rows!(@base $($base)?),
        },)*]
    };
    (@base) => { None };
    (@base $base:ident) => { Some(stringify!($base)) };
}

fn kinds() -> Vec<Kind> {
    let rows = monosync_exchange::error_kinds!(rows);
    // The table and the enum are one: the rows are the enum's variants, in order.
    assert_eq!(
        rows.iter().map(|r| r.kind).collect::<Vec<_>>(),
        ErrorKind::ALL.to_vec()
    );
    rows.into_iter().collect()
}

fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo_file(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn writing() -> bool {
    std::env::var_os("MX_WRITE_GENERATED").is_some_and(|v| v == "1")
}

/// Compares a generated file with the committed one, or writes it in write mode.
fn check_generated(path: &str, expected: &str) {
    if writing() {
        std::fs::write(repo_file(path), expected).unwrap_or_else(|e| panic!("{path}: {e}"));
        return;
    }
    let actual = read(path);
    if actual != expected {
        let line = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, e)| a != e)
            .map_or_else(|| "its length".to_owned(), |i| format!("line {}", i + 1));
        panic!(
            "{path} differs from the core's table of error kinds at {line}: run \
             scripts/error-kinds.sh --write and commit it"
        );
    }
}

/// Replaces the lines between the line `begin` and the line `end` (both kept) with `body`.
fn with_region(text: &str, path: &str, begin: &str, end: &str, body: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let first = lines
        .iter()
        .position(|l| l.trim_end() == begin)
        .unwrap_or_else(|| panic!("{path} lacks the line {begin:?}"));
    let last = lines[first..]
        .iter()
        .position(|l| l.trim_end() == end)
        .map(|i| first + i)
        .unwrap_or_else(|| panic!("{path} lacks the line {end:?} after {begin:?}"));
    let mut out: String = lines[..=first].concat();
    out.push_str(body);
    out.push_str(&lines[last..].concat());
    out
}

/// `text` in lines of at most `width` characters, each after `indent`.
fn wrap(text: &str, indent: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent.len() + line.len() + 1 + word.len() > width {
            lines.push(format!("{indent}{line}"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(format!("{indent}{line}"));
    lines
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The first lines of a generated file, after the language's comment marker.
const GENERATED: [&str; 2] = [
    "Generated from the core's table of error kinds (core/src/error/kind.rs) by",
    "scripts/error-kinds.sh --write; do not edit by hand.",
];

/// [`GENERATED`] as C# comment lines.
fn cs_generated() -> String {
    GENERATED.iter().map(|l| format!("// {l}\n")).collect()
}

// ---- C -------------------------------------------------------------------------------------

/// The C name of a kind: `MX_` and its snake_case name in capitals.
fn c_name(kind: ErrorKind) -> String {
    format!("MX_{}", kind.as_str().to_uppercase())
}

/// `(name, value, doc)` of every enumerator of the header's `enum mx_result_code`.
fn header_result_codes(header: &str) -> Vec<(String, u32, String)> {
    let start = header
        .find("enum mx_result_code")
        .expect("the header declares enum mx_result_code");
    let body = &header[start..];
    let body = &body[body.find('{').expect("enum body") + 1..body.find("};").expect("enum end")];
    let mut codes = Vec::new();
    let mut doc = String::new();
    let mut in_doc = false;
    for line in body.lines().map(str::trim) {
        if line.starts_with("/**") {
            in_doc = true;
            doc.clear();
        } else if line.starts_with("*/") {
            in_doc = false;
        } else if in_doc {
            let text = line.trim_start_matches('*').trim();
            if !text.is_empty() {
                if !doc.is_empty() {
                    doc.push(' ');
                }
                doc.push_str(text);
            }
        } else if let Some((name, value)) = line.trim_end_matches(',').split_once(" = ") {
            let value = value.parse().unwrap_or_else(|_| panic!("{line}"));
            codes.push((name.to_owned(), value, std::mem::take(&mut doc)));
        }
    }
    codes
}

#[test]
fn the_c_header_has_every_kind_with_its_code_name_and_doc() {
    let header = read("include/monosync_exchange.h");
    let codes = header_result_codes(&header);
    let kinds = kinds();
    for k in &kinds {
        let name = c_name(k.kind);
        let Some((_, value, doc)) = codes.iter().find(|(n, _, _)| *n == name) else {
            panic!("include/monosync_exchange.h lacks {name}");
        };
        assert_eq!(*value, k.kind.code(), "{name}");
        assert_eq!(
            doc,
            k.kind.doc(),
            "the doc of {name} (ffi/src/error.rs, then scripts/check-header.sh --write)"
        );
    }
    // Codes 1 to 99 are the kinds and nothing else; the library's own start at 100.
    let kind_codes: Vec<&str> = codes
        .iter()
        .filter(|(_, v, _)| (1..100).contains(v))
        .map(|(n, _, _)| n.as_str())
        .collect();
    let table: Vec<String> = kinds.iter().map(|k| c_name(k.kind)).collect();
    assert_eq!(kind_codes, table);
}

// ---- .NET ----------------------------------------------------------------------------------

fn dotnet_enum() -> String {
    let mut s = format!(
        "{}namespace Monosync.Exchange\n\
         {{\n    \
             /// <summary>\n    \
             /// What went wrong, as the library classifies it: what a caller decides on (retry, report,\n    \
             /// fix the input). The numbers are the C library's result codes and never change.\n    \
             /// </summary>\n    \
             public enum ExchangeErrorKind\n    \
             {{\n",
        cs_generated()
    );
    for k in kinds() {
        s += &format!(
            "        /// <summary>{}</summary>\n        {} = {},\n",
            xml_escape(k.kind.doc()),
            k.kind.variant_name(),
            k.kind.code()
        );
    }
    s += "        /// <summary>The library refused an argument (this binding checks arguments first, so\n        \
          /// this means a value the library judged invalid, such as a malformed resolve entry).</summary>\n        \
          InvalidArgument = 100,\n        \
          /// <summary>The native library failed internally.</summary>\n        \
          Internal = 101,\n    \
          }\n\
          }\n";
    s
}

fn dotnet_exceptions() -> String {
    let mut s = format!("{}namespace Monosync.Exchange\n{{\n", cs_generated());
    for k in kinds() {
        let variant = k.kind.variant_name();
        s += &format!(
            "    /// <summary>{doc}</summary>\n    \
             public sealed class Exchange{variant}Exception : ExchangeException\n    \
             {{\n        \
                 /// <summary>Creates the error with the library's message.</summary>\n        \
                 public Exchange{variant}Exception(string message)\n            \
                     : base(ExchangeErrorKind.{variant}, message)\n        \
                 {{\n        \
                 }}\n    \
             }}\n\n",
            doc = xml_escape(k.kind.doc()),
        );
    }
    s += "    public partial class ExchangeException\n    {\n        \
          /// <summary>The exception type for <paramref name=\"kind\"/>.</summary>\n        \
          public static ExchangeException Create(ExchangeErrorKind kind, string message)\n        \
          {\n            \
          switch (kind)\n            \
          {\n";
    for k in kinds() {
        let variant = k.kind.variant_name();
        s += &format!(
            "                case ExchangeErrorKind.{variant}: return new Exchange{variant}Exception(message);\n"
        );
    }
    s += "                default: return new ExchangeException(kind, message);\n            \
          }\n        \
          }\n    \
          }\n\
          }\n";
    s
}

#[test]
fn the_dotnet_enum_and_exceptions_are_the_table() {
    check_generated("bindings/dotnet/src/ExchangeErrorKind.cs", &dotnet_enum());
    check_generated(
        "bindings/dotnet/src/ExchangeExceptions.cs",
        &dotnet_exceptions(),
    );
}

// ---- Python --------------------------------------------------------------------------------

const PYI: &str = "bindings/python/python/monosync_exchange/__init__.pyi";
const PY_BEGIN: &str = "# error kinds: begin (scripts/error-kinds.sh --write)";
const PY_END: &str = "# error kinds: end";

fn python_docstring(doc: &str, indent: &str) -> String {
    let lines = wrap(&format!("\"\"\"{doc}\"\"\""), indent, 99);
    lines.join("\n") + "\n"
}

fn python_stubs(pyi: &str) -> String {
    let variants: String = kinds()
        .iter()
        .map(|k| format!("    {}: ClassVar[ErrorKind]\n", k.kind.variant_name()))
        .collect();
    let classes: String = kinds()
        .iter()
        .map(|k| {
            let bases = match k.python_base {
                Some(base) => format!("ExchangeError, {base}"),
                None => "ExchangeError".to_owned(),
            };
            format!(
                "class {}({bases}):\n{}\n",
                k.python_class,
                python_docstring(k.kind.doc(), "    ")
            )
        })
        .collect();
    let pyi = with_region(
        pyi,
        PYI,
        &format!("    {PY_BEGIN}"),
        &format!("    {PY_END}"),
        &variants,
    );
    with_region(&pyi, PYI, PY_BEGIN, PY_END, &classes)
}

#[test]
fn the_python_stubs_list_every_kind_and_class() {
    check_generated(PYI, &python_stubs(&read(PYI)));
}

#[test]
fn the_python_package_exports_every_class() {
    let init = read("bindings/python/python/monosync_exchange/__init__.py");
    let imports = &init[init.find("from ._native import (").expect("imports")..];
    let imports = &imports[..imports.find(')').expect("end of imports")];
    let all = &init[init.find("__all__ = [").expect("__all__")..];
    let all = &all[..all.find(']').expect("end of __all__")];
    for k in kinds() {
        let class = k.python_class;
        assert!(
            imports.lines().any(|l| l.trim() == format!("{class},")),
            "__init__.py does not import {class}"
        );
        assert!(
            all.contains(&format!("\"{class}\",")),
            "__init__.py's __all__ lacks {class}"
        );
    }
}

// ---- docs ----------------------------------------------------------------------------------

fn errors_doc() -> String {
    let mut s = format!(
        "# Error kinds\n\n\
         <!-- {}\n     {} -->\n\n\
         Every failure has one of these kinds, the same in every language: what a caller decides on\n\
         (retry, report, fix the input, fix the server). The codes and names are stable and never\n\
         reused. In C a kind is the `mx_result_code` of the same number (codes from 100 are the C\n\
         library's own: a bad argument, a panic, the end of an iteration); in JSON output (`mx run\n\
         --json`) it is the snake_case name. Throttled, transient and timeout failures are\n\
         retryable (`ErrorKind::is_retryable`, `mx_result_code_is_retryable`, Python\n\
         `ErrorKind.is_retryable`, .NET `ExchangeException.IsRetryable`), for commands that are\n\
         safe to repeat.\n\n\
         | Code | Name | Rust, Python and .NET `ErrorKind` | C | Python exception | .NET exception | Meaning |\n\
         |---|---|---|---|---|---|---|\n",
        GENERATED[0], GENERATED[1]
    );
    for k in kinds() {
        let python = match k.python_base {
            Some(base) => format!("`{}` (also a `{base}`)", k.python_class),
            None => format!("`{}`", k.python_class),
        };
        s += &format!(
            "| {} | `{}` | `{}` | `{}` | {python} | `Exchange{}Exception` | {} |\n",
            k.kind.code(),
            k.kind.as_str(),
            k.kind.variant_name(),
            c_name(k.kind),
            k.kind.variant_name(),
            k.kind.doc().replace('|', "\\|"),
        );
    }
    s += "\nThe table is generated from the core's declaration of the kinds, which makes the Rust\n\
          enum and the Python classes; a test checks the C header, the Python stubs and the .NET\n\
          sources against it (`scripts/error-kinds.sh`). The\n\
          [admin guide](admin-guide.md#by-error-kind) says what to check on the server for each.\n";
    s
}

#[test]
fn the_errors_doc_is_the_table() {
    check_generated("docs/errors.md", &errors_doc());
}
