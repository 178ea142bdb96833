//! The `bankstatus` binary: see `bankstatus --help`.

/// mimalloc gives freed memory back to the system soon after it is freed, where glibc's
/// malloc keeps it in per-thread arenas: after a flood of hostile connections leaves, the
/// process shrinks back.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    bankstatus::cli::main()
}
