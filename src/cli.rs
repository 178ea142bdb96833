//! The command line: `serve` (the default), `demo`, `check-config`, `migrate`, `agent`,
//! `verify`.
//! Exit codes: 0 fine, 2 bad input (arguments, config), 1 anything else.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::app::{finished, run_until_signal, signal, Failure};
use crate::config;
use crate::store;

#[derive(Parser)]
#[command(name = "bankstatus", version, about = "A public status page for banks")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (the default).
    Serve(ServeArgs),
    /// Run the whole system against simulated banks, with a throwaway database.
    Demo {
        #[arg(long, env = "BANKSTATUS_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
    },
    /// Check a config file: exit 0 with a summary, or 2 with `PATH:LINE:COL: message`.
    CheckConfig { path: PathBuf },
    /// Probe from another network for a server: its probes, sent back in batches.
    Agent {
        /// The server's address, e.g. https://status.example.ma
        #[arg(long, env = "BANKSTATUS_SERVER")]
        server: String,
        /// The server's `BANKSTATUS_AGENT_TOKEN`.
        #[arg(long, env = "BANKSTATUS_AGENT_TOKEN", hide_env_values = true)]
        token: String,
        /// This vantage point's name: 1 to 32 characters among a-z, 0-9 and -.
        #[arg(long, env = "BANKSTATUS_REGION")]
        region: String,
    },
    /// Check a log, a running instance's or a saved copy: its checkpoint's signature, every
    /// tile and entry, an older checkpoint, the site's facts, an evidence pack, a month's
    /// scorecard. One line per result; exit 0 when all hold, 1 when one does not.
    Verify {
        /// A running instance (https://status.example.ma) or a directory holding a copy.
        place: Option<String>,
        /// The log's verifier key (`name+id+key`), or a file holding it; else the one the
        /// site publishes.
        #[arg(long)]
        key: Option<String>,
        /// A checkpoint saved earlier: prove the current one extends it.
        #[arg(long, value_name = "CHECKPOINT_FILE")]
        since: Option<PathBuf>,
        /// An evidence pack (`/incidents/{id}/evidence.json`) to check, offline with --key.
        #[arg(long, value_name = "FILE")]
        evidence: Option<PathBuf>,
        /// Recompute this month's scorecard (YYYY-MM) from the log and compare.
        #[arg(long, value_name = "YYYY-MM")]
        month: Option<String>,
        /// Keep a copy of everything read from the site in this directory.
        #[arg(long, value_name = "DIR")]
        save: Option<PathBuf>,
    },
    /// Create or update the database schema, then exit.
    Migrate {
        #[arg(long, env = "DATABASE_URL", default_value = "sqlite://bankstatus.db")]
        database: String,
    },
}

#[derive(Args)]
struct ServeArgs {
    #[arg(long, env = "BANKSTATUS_CONFIG", default_value = "config/banks.toml")]
    config: PathBuf,
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://bankstatus.db")]
    database: String,
    #[arg(long, env = "BANKSTATUS_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bankstatus: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let command = cli.command.unwrap_or(Command::Serve(ServeArgs {
        config: std::env::var_os("BANKSTATUS_CONFIG")
            .map_or_else(config::default_path, PathBuf::from),
        database: std::env::var("DATABASE_URL")
            .unwrap_or_else(|_| "sqlite://bankstatus.db".to_owned()),
        listen: std::env::var("BANKSTATUS_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".to_owned()),
    }));
    let outcome = runtime.block_on(async {
        match command {
            Command::Serve(args) => serve(args).await,
            Command::Demo { listen } => crate::demo::run(parse_listen(&listen)?).await,
            Command::CheckConfig { path } => check_config(&path),
            Command::Agent {
                server,
                token,
                region,
            } => {
                agent(crate::agent::AgentArgs {
                    server,
                    token,
                    region,
                })
                .await
            }
            Command::Verify {
                place,
                key,
                since,
                evidence,
                month,
                save,
            } => {
                verify(crate::verify::VerifyArgs {
                    place,
                    key,
                    since,
                    evidence,
                    month,
                    save,
                })
                .await
            }
            Command::Migrate { database } => {
                store::connect(&database).await?;
                println!("database {database} is up to date");
                Ok(())
            }
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::BadInput(m)) => {
            eprintln!("{m}");
            ExitCode::from(2)
        }
        Err(Failure::Other(m)) => {
            eprintln!("bankstatus: {m}");
            ExitCode::from(1)
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,sqlx=warn,hyper=warn,reqwest=warn")
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn parse_listen(listen: &str) -> Result<SocketAddr, Failure> {
    listen.parse().map_err(|_| {
        Failure::BadInput(format!(
            "bad listen address `{listen}`; write it as IP:PORT, e.g. 127.0.0.1:8080"
        ))
    })
}

async fn agent(args: crate::agent::AgentArgs) -> Result<(), Failure> {
    if !crate::domain::region_name_ok(&args.region) {
        return Err(Failure::BadInput(format!(
            "bad region `{}`: use 1 to 32 characters among a-z, 0-9 and -",
            args.region
        )));
    }
    match reqwest::Url::parse(&args.server) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        _ => {
            return Err(Failure::BadInput(format!(
                "bad server address `{}`: write it as http(s)://HOST[:PORT]",
                args.server
            )))
        }
    }
    let token = args.token.trim();
    if token.is_empty() {
        return Err(Failure::BadInput("the agent token is empty".to_owned()));
    }
    // The server refuses a weak BANKSTATUS_AGENT_TOKEN at start; an agent holding one
    // would only ever be refused, or talk to a server that is easy to impersonate.
    if let Some(why) =
        config::token_weakness("the agent token (--token or BANKSTATUS_AGENT_TOKEN)", token)
    {
        return Err(Failure::BadInput(why));
    }
    let shutdown = CancellationToken::new();
    let mut agent = tokio::spawn(crate::agent::run(args, shutdown.clone()));
    tokio::select! {
        done = &mut agent => return finished(done),
        () = signal() => {}
    }
    shutdown.cancel();
    match tokio::time::timeout(Duration::from_secs(20), agent).await {
        Ok(done) => finished(done),
        Err(_) => Ok(()),
    }
}

/// Prints one line per result; fails (exit 1) when one does not hold.
async fn verify(args: crate::verify::VerifyArgs) -> Result<(), Failure> {
    let report = crate::verify::run(args).await.map_err(Failure::BadInput)?;
    for line in &report.lines {
        println!("{line}");
    }
    let failed = report
        .lines
        .iter()
        .filter(|l| l.starts_with("FAIL"))
        .count();
    if report.failed {
        return Err(Failure::Other(format!(
            "verify: {failed} results do not hold"
        )));
    }
    Ok(())
}

fn check_config(path: &std::path::Path) -> Result<(), Failure> {
    let config = config::load(path).map_err(|e| Failure::BadInput(e.to_string()))?;
    for w in &config.warnings {
        eprintln!("{w}");
    }
    println!("{}: ok: {}", path.display(), config.summary());
    Ok(())
}

async fn serve(args: ServeArgs) -> Result<(), Failure> {
    let config = config::load(&args.config).map_err(|e| Failure::BadInput(e.to_string()))?;
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
    let addr = parse_listen(&args.listen)?;
    let store = store::connect(&args.database).await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::Other(format!("cannot listen on {addr}: {e}")))?;
    tracing::info!(%addr, banks = config.banks.len(), database = %args.database, "serving");
    run_until_signal(config, store, listener, crate::app::Tokens::from_env()).await
}
