//! `apsp evaluate|fit|compare`: the research toolkit (`apsp.research`, Python: numpy
//! and scipy do its numerics) run from the command line. One implementation of the
//! metrics, the bootstrap and the fit, whichever way a researcher calls them.

use std::ffi::OsString;
use std::process::Command;

/// The Python that runs the toolkit: `APSP_PYTHON`, else `python3`.
const PYTHON_ENV: &str = "APSP_PYTHON";

/// Runs `python -m apsp.research <command> <args>`; returns its exit code, or 2 with
/// the reason when no Python with the apsp package can be started.
pub fn run(command: &str, args: &[OsString]) -> i32 {
    let python = std::env::var_os(PYTHON_ENV).unwrap_or_else(|| "python3".into());
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
