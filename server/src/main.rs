//! The `distill` binary: parses the command line and hands over to [`distill_server::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    engine::kernels::keep_freed_memory();
    distill_server::cli::main()
}
