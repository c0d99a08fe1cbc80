//! Running the `defender-odata` binary from the CLI tests: its exit code and
//! both streams, as text.

#![allow(dead_code)] // Each test crate that includes this module uses a part of it.

use std::ffi::OsString;
use std::io::Write;
use std::process::{Command, Stdio};

/// What one run of the binary gave.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the binary with `args`.
pub fn run(args: &[&str]) -> Run {
    run_os(&args.iter().map(OsString::from).collect::<Vec<_>>(), b"")
}

/// Runs the binary with `args` of any bytes, `stdin` on its standard input.
pub fn run_os(args: &[OsString], stdin: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_defender-odata"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut input = child.stdin.take().expect("a stdin pipe");
    // The binary may stop reading early (a query over the limit): a broken
    // pipe is then expected.
    let _ = input.write_all(stdin);
    drop(input);
    let output = child.wait_with_output().expect("the binary ends");
    Run {
        code: output.status.code().expect("an exit code"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}
