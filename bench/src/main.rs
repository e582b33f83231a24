//! One server of the performance harness, on one thread: `GET /protected` answers the same
//! 200-byte body to a signed-in session, bare or behind one session or login library. Before it
//! listens it makes the live sessions (100,000 by default), writes one `name=value` cookie per
//! line to the cookie file for the load tool, and prints one line:
//!
//! ```text
//! ready rss_before_kib=<RSS before the sessions were made> rss_after_kib=<after> sessions=<N>
//! ```
//!
//! ```sh
//! bench-server <server> [--store memory|redis://…] [--sessions N] [--addr 127.0.0.1:18090] [--cookies FILE]
//! ```
//!
//! Servers: `axum-bare`, `axum-tower-sessions`, `axum-login`, `axum-ours`, `actix-bare`,
//! `actix-session`, `actix-identity`, `actix-ours`. `--store` applies to ours (the peers keep
//! their sessions in memory). `bench/run` drives all of them; see docs/performance.md.

mod actix_servers;
mod axum_servers;
mod ours;

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The body every server answers: 200 bytes.
pub(crate) const BODY: &str = "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\
                               0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789";

/// What the command line asked for.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) server: String,
    pub(crate) store: String,
    pub(crate) sessions: usize,
    pub(crate) addr: SocketAddr,
    pub(crate) cookies: PathBuf,
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let server =
        args.next().ok_or("usage: bench-server <server> [--store S] [--sessions N] [--addr A] [--cookies F]")?;
    let mut o = Options {
        server,
        store: "memory".into(),
        sessions: 100_000,
        addr: "127.0.0.1:18090".parse().map_err(|e| format!("{e}"))?,
        cookies: PathBuf::from("bench-cookies.txt"),
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--store" => o.store = value,
            "--sessions" => o.sessions = value.parse().map_err(|e| format!("--sessions {value}: {e}"))?,
            "--addr" => o.addr = value.parse().map_err(|e| format!("--addr {value}: {e}"))?,
            "--cookies" => o.cookies = value.into(),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(o)
}

/// This process's resident memory, in KiB.
pub(crate) fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Writes the cookies and tells the driver the server is ready.
pub(crate) fn ready(o: &Options, rss_before_kib: u64, cookies: &[String]) -> std::io::Result<()> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(&o.cookies)?);
    for c in cookies {
        writeln!(file, "{c}")?;
    }
    file.flush()?;
    println!("ready rss_before_kib={rss_before_kib} rss_after_kib={} sessions={}", rss_kib(), cookies.len());
    std::io::stdout().flush()
}

/// A random cookie value of a session id's length, for the servers with no sessions (so every
/// server reads requests of about the same size).
pub(crate) fn random_token() -> String {
    use base64::Engine as _;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn main() -> std::process::ExitCode {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("bench-server: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let result = if o.server.starts_with("axum-") {
        axum_servers::run(&o)
    } else if o.server.starts_with("actix-") {
        actix_servers::run(&o)
    } else {
        Err(format!("unknown server {}", o.server).into())
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-server {}: {e}", o.server);
            std::process::ExitCode::FAILURE
        }
    }
}
