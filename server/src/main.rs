//! The `caveat-server` command line: wiring only (parse, open the store, load the keys, serve).

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use caveat_server::http::{self, HttpConfig};
use caveat_server::service::{self, keys, Config, Service};
use caveat_server::store::{PgStore, SqliteStore, Store};
use clap::{Parser, Subcommand};
use ipnet::IpNet;
use zeroize::Zeroizing;

#[derive(Parser)]
#[command(
    name = "caveat-server",
    version,
    about = "The caveat-token token service"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct Db {
    /// The database: sqlite://PATH (created with its schema on first use) or
    /// postgres://USER[:PASSWORD]@HOST:PORT/DB (migrated on first use). Also read from
    /// CAVEAT_DATABASE, which keeps a password off the command line.
    #[arg(
        long,
        env = "CAVEAT_DATABASE",
        hide_env_values = true,
        default_value = "sqlite://caveat.db",
        global = true
    )]
    database: String,
}

#[derive(Subcommand)]
enum Command {
    /// Serves the token APIs.
    Serve {
        /// The address to listen on (port 0 picks a free one; the ready line names it).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[command(flatten)]
        db: Db,
        /// The longest TTL of a temporary token, seconds.
        #[arg(long, default_value_t = caveat_token::DEFAULT_MAX_TTL)]
        max_temporary_ttl: u64,
        /// A proxy network whose X-Forwarded-For / Forwarded headers are believed (repeatable).
        #[arg(long = "trust-proxy", value_name = "CIDR")]
        trust_proxy: Vec<IpNet>,
        /// Requests per second per client on the routes that need no authentication.
        #[arg(long, default_value_t = 20)]
        rate_limit: u32,
        /// Burst of requests per client on those routes.
        #[arg(long, default_value_t = 100)]
        rate_burst: u32,
        /// Seconds the node may go without confirming it follows the shared state before it
        /// answers 503 for everything that depends on revocable state.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=86_400))]
        max_staleness: u64,
    },
    /// Manages users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manages root keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Manages the change log that the nodes follow.
    Log {
        #[command(subcommand)]
        command: LogCommand,
    },
}

#[derive(Subcommand)]
enum LogCommand {
    /// Deletes all but the last KEEP changes; a node further behind reloads a snapshot.
    Prune {
        /// How many of the latest changes to keep (at least 1 is always kept).
        #[arg(long, default_value_t = 100_000)]
        keep: u64,
        #[command(flatten)]
        db: Db,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Adds a user; the password is the first line of standard input.
    Add {
        /// The login name.
        name: String,
        #[command(flatten)]
        db: Db,
    },
    /// Lists users.
    List {
        #[command(flatten)]
        db: Db,
    },
    /// Removes a user with its named tokens and refresh-token families.
    Remove {
        /// The login name.
        name: String,
        #[command(flatten)]
        db: Db,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Adds a new root key, which mints from now on (older keys keep verifying); running
    /// servers take it within seconds.
    Rotate {
        #[command(flatten)]
        db: Db,
    },
    /// Lists root keys (ids and dates, never the secrets).
    List {
        #[command(flatten)]
        db: Db,
    },
    /// Retires a key: tokens it signed stop verifying (running servers follow within seconds).
    Retire {
        /// The key id.
        id: String,
        #[command(flatten)]
        db: Db,
    },
}

fn open(db: &Db) -> Result<Arc<dyn Store>, String> {
    if db.database.starts_with("postgres://") || db.database.starts_with("postgresql://") {
        return PgStore::open(&db.database)
            .map(|s| Arc::new(s) as Arc<dyn Store>)
            .map_err(|e| e.to_string());
    }
    let path = db
        .database
        .strip_prefix("sqlite://")
        .ok_or("--database must be sqlite://PATH or postgres://…")?;
    if path.is_empty() {
        return Err("--database sqlite:// needs a path".into());
    }
    SqliteStore::open(&PathBuf::from(path))
        .map(|s| Arc::new(s) as Arc<dyn Store>)
        .map_err(|e| e.to_string())
}

fn master_key() -> Result<Option<keys::MasterKey>, String> {
    let master = keys::MasterKey::from_env().map_err(|e| e.to_string())?;
    if master.is_none() {
        eprintln!(
            "caveat-server: warning: CAVEAT_MASTER_KEY is not set; root keys are stored \
             unencrypted"
        );
    }
    Ok(master)
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve {
            listen,
            db,
            max_temporary_ttl,
            trust_proxy,
            rate_limit,
            rate_burst,
            max_staleness,
        } => {
            let store = open(&db)?;
            let master = master_key()?;
            keys::load_or_create(&*store, service::now(), master.as_ref())
                .map_err(|e| e.to_string())?;
            let config = Config {
                max_temporary_ttl,
                max_staleness: std::time::Duration::from_secs(max_staleness),
            };
            let service = Service::new(store, master, &config).map_err(|e| e.to_string())?;
            let http_config = HttpConfig {
                trusted_proxies: trust_proxy,
                rate: rate_limit,
                burst: rate_burst,
            };
            serve(listen, Arc::new(service), &http_config)
        }
        Command::User {
            command: UserCommand::Add { name, db },
        } => {
            let store = open(&db)?;
            let mut line = Zeroizing::new(String::new());
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| format!("reading the password: {e}"))?;
            let password = line.trim_end_matches(['\r', '\n']);
            let user = service::add_user(&*store, &name, password).map_err(|e| match e {
                service::ServiceError::Occupied { .. } => format!("user {name} exists"),
                other => other.to_string(),
            })?;
            println!("{}\t{}", user.name, user.id);
            Ok(())
        }
        Command::User {
            command: UserCommand::List { db },
        } => {
            let store = open(&db)?;
            let mut out = std::io::stdout().lock();
            for user in store.users().map_err(|e| e.to_string())? {
                writeln!(out, "{}\t{}\t{}", user.name, user.id, user.created)
                    .map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        Command::User {
            command: UserCommand::Remove { name, db },
        } => {
            let store = open(&db)?;
            let user = store
                .user_by_name(&name)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no user {name}"))?;
            if !store.remove_user(&user.id).map_err(|e| e.to_string())? {
                return Err(format!("no user {name}"));
            }
            println!("{}\t{}", user.name, user.id);
            Ok(())
        }
        Command::Keys { command } => keys_command(command),
        Command::Log {
            command: LogCommand::Prune { keep, db },
        } => {
            let store = open(&db)?;
            let n = store.prune_changes(keep).map_err(|e| e.to_string())?;
            println!("{n}");
            Ok(())
        }
    }
}

fn keys_command(command: KeysCommand) -> Result<(), String> {
    match command {
        KeysCommand::Rotate { db } => {
            let store = open(&db)?;
            let master = master_key()?;
            // Every stored key must open under the master key given, or a rotation would
            // leave keys the server cannot load together.
            match keys::load(&store.keys().map_err(|e| e.to_string())?, master.as_ref()) {
                Ok(_) | Err(keys::KeyError::NoActiveKey) => {}
                Err(e) => return Err(e.to_string()),
            }
            let row = keys::generate(service::now(), master.as_ref()).map_err(|e| e.to_string())?;
            store.add_key(&row).map_err(|e| e.to_string())?;
            println!("{}", row.id);
            Ok(())
        }
        KeysCommand::List { db } => {
            let store = open(&db)?;
            let mut out = std::io::stdout().lock();
            for key in store.keys().map_err(|e| e.to_string())? {
                let state = key
                    .retired
                    .map_or_else(|| "active".to_owned(), |t| format!("retired:{t}"));
                let sealed = if key.sealed { "sealed" } else { "plain" };
                writeln!(out, "{}\t{}\t{state}\t{sealed}", key.id, key.created)
                    .map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        KeysCommand::Retire { id, db } => {
            let store = open(&db)?;
            if store
                .retire_key(&id, service::now())
                .map_err(|e| e.to_string())?
            {
                println!("{id}");
                Ok(())
            } else {
                Err(format!("no active key {id}"))
            }
        }
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

fn serve(listen: SocketAddr, service: Arc<Service>, config: &HttpConfig) -> Result<(), String> {
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        println!("caveat-server ready on http://{local}");
        let _ = std::io::stdout().flush();
        http::serve(listener, service, config, shutdown_signal())
            .await
            .map_err(|e| e.to_string())?;
        eprintln!("caveat-server: stopped");
        Ok(())
    })
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("caveat-server: {e}");
            ExitCode::FAILURE
        }
    }
}
