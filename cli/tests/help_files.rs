//! `mx --version`, `mx completions` and `mx man`: what packagers install next to the binary.

use std::process::{Command, Output};

fn mx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mx"))
        .args(args)
        .output()
        .expect("mx runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The ABI version the committed header declares.
fn header_abi() -> String {
    let header = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../include/monosync_exchange.h"
    );
    std::fs::read_to_string(header)
        .expect("header")
        .lines()
        .find_map(|l| l.strip_prefix("#define MX_ABI_VERSION ").map(str::to_owned))
        .expect("MX_ABI_VERSION in the header")
}

#[test]
fn version_names_the_release_and_the_c_abi() {
    let out = mx(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out).trim(),
        format!(
            "mx {} (C ABI {})",
            env!("CARGO_PKG_VERSION"),
            header_abi().trim()
        )
    );
}

#[test]
fn completions_for_every_shell_know_the_subcommands_and_flags() {
    for (shell, marker) in [
        ("bash", "complete -F _mx"),
        ("zsh", "#compdef mx"),
        ("fish", "complete -c mx"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[mx]"),
    ] {
        let out = mx(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = stdout(&out);
        assert!(script.contains(marker), "{shell}: no {marker:?}");
        for word in ["doctor", "clixml", "password-env", "pin-thumbprint"] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
    }
    let out = mx(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn man_prints_a_roff_page_and_writes_one_per_subcommand() {
    let out = mx(&["man"]);
    assert!(out.status.success());
    let page = stdout(&out);
    assert!(page.contains(".TH mx 1"), "{page}");
    assert!(
        page.contains("Exit codes"),
        "the exit codes are in the page"
    );

    let dir = std::env::temp_dir().join(format!("mx-man-{}", std::process::id()));
    let out = mx(&["man", "--dir", dir.to_str().expect("utf-8 path")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in [
        "mx.1",
        "mx-run.1",
        "mx-doctor.1",
        "mx-clixml.1",
        "mx-demo.1",
    ] {
        let text =
            std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(text.contains(".TH"), "{name}");
    }
    let run = std::fs::read_to_string(dir.join("mx-run.1")).expect("mx-run.1");
    assert!(
        run.contains("password\\-env"),
        "mx-run.1 documents run's flags"
    );
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
