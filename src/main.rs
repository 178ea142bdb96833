//! The `bankstatus` binary: see `bankstatus --help`.

fn main() -> std::process::ExitCode {
    bankstatus::cli::main()
}
