//! One server of the performance harness, on one thread: `GET /protected` answers the same
//! 200-byte body to a signed-in session, bare or behind one session or login library. Before it
//! listens it makes the live sessions (100,000 by default), writes one `name=value` cookie per
//! line to the cookie file for the load tool, and prints one line (the port it listens on: it
//! binds before making the sessions, `127.0.0.1:0` by default):
//!
//! ```text
//! ready port=<P> rss_before_kib=<anonymous RSS before the sessions> rss_after_kib=<after> sessions=<N>
//! ```
//!
//! ```sh
//! bench-server <server> [--store memory|redis://…] [--sessions N] [--addr 127.0.0.1:0] [--cookies FILE]
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
        addr: "127.0.0.1:0".parse().map_err(|e| format!("{e}"))?,
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

/// This process's anonymous resident memory (the heap and stacks, not code pages first touched
/// while the sessions were made), in KiB.
pub(crate) fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("RssAnon:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The cookie file, written as the sessions are made (so the cookies are never held in memory
/// and counted as the sessions').
pub(crate) struct Cookies {
    file: std::io::BufWriter<std::fs::File>,
    count: usize,
}

impl Cookies {
    pub(crate) fn create(o: &Options) -> std::io::Result<Self> {
        Ok(Self { file: std::io::BufWriter::new(std::fs::File::create(&o.cookies)?), count: 0 })
    }
    /// One `name=value` line.
    pub(crate) fn push(&mut self, cookie: &str) -> std::io::Result<()> {
        self.count += 1;
        writeln!(self.file, "{cookie}")
    }
}

/// Closes the cookie file and tells the driver the server is ready, on `addr`.
pub(crate) fn ready(mut cookies: Cookies, rss_before_kib: u64, addr: SocketAddr) -> std::io::Result<()> {
    cookies.file.flush()?;
    println!(
        "ready port={} rss_before_kib={rss_before_kib} rss_after_kib={} sessions={}",
        addr.port(),
        rss_kib(),
        cookies.count
    );
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
