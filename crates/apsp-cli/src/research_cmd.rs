//! `apsp evaluate|fit|compare`: the research toolkit (`apsp.research`, Python: numpy
//! and scipy do its numerics) run from the command line. One implementation of the
//! metrics, the bootstrap and the fit, whichever way a researcher calls them.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

/// The Python that runs the toolkit: `APSP_PYTHON`, else the checkout's `.venv` (made
/// by `make`) when this binary is `target/release/apsp` of a checkout, else `python3`.
const PYTHON_ENV: &str = "APSP_PYTHON";

/// The checkout's virtualenv Python: `<checkout>/.venv/bin/python`, the binary being
/// `<checkout>/target/<profile>/apsp`.
fn checkout_python() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let checkout = exe.parent()?.parent()?.parent()?;
    let python = checkout.join(".venv").join("bin").join("python");
    python.is_file().then_some(python)
}

/// Runs `python -m apsp.research <command> <args>`; returns its exit code, or 2 with
/// the reason when no Python with the apsp package can be started.
pub fn run(command: &str, args: &[OsString]) -> i32 {
    let python: OsString = std::env::var_os(PYTHON_ENV)
        .or_else(|| checkout_python().map(PathBuf::into_os_string))
        .unwrap_or_else(|| "python3".into());
    let status = Command::new(&python)
        .args(["-m", "apsp.research", command])
        .args(args)
        .status();
    match status {
        // Killed by a signal: no code.
        Ok(s) => s.code().unwrap_or(2),
        Err(e) => {
            eprintln!(
                "apsp {command}: error: could not start {} ({e}): the research toolkit is \
                 the Python package's (pip install 'apsp[research]'); set {PYTHON_ENV} to \
                 the Python that has it",
                python.to_string_lossy()
            );
            2
        }
    }
}
