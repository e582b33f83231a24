//! Real `redis-server` processes on loopback, for tests: [`RedisServer`], one server whose data
//! lives in an append-only file fsynced on every write, so it survives [`RedisServer::stop`] and
//! [`RedisServer::start_again`]; and [`RedisCluster`], three cluster-enabled nodes joined with
//! `redis-cli --cluster create`.
//!
//! Nothing here skips a test: without `redis-server` (or, for a cluster, `redis-cli`) on `PATH`
//! it panics and says how to install them (`./scripts/test` does). Every server listens on
//! 127.0.0.1 only, on a free port, in its own temporary directory, and is killed and its
//! directory removed when dropped. The directories are made under
//! `$GOVUK_ONE_LOGIN_TEST_REDIS_DIR` when that is set (`./scripts/test` sets it, to find and
//! end any server a killed test run left behind), else under the system's temporary directory.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The variable naming the folder the servers' temporary directories are made in.
pub const DIR_VARIABLE: &str = "GOVUK_ONE_LOGIN_TEST_REDIS_DIR";

/// How long a server may take to answer `PING` after it is started.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a server may take to exit, and to stop accepting connections, after it is stopped.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `redis-cli --cluster create` may take.
const CLUSTER_CREATE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the cluster may take to reach `cluster_state:ok` on every node once created.
const CLUSTER_OK_TIMEOUT: Duration = Duration::from_secs(30);
/// The read and write timeout of [`RedisServer::command`].
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a fresh port is tried when the one picked was taken before the server bound it.
const PORT_ATTEMPTS: usize = 5;

const LOOPBACK: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// One `redis-server` on 127.0.0.1 with its own temporary directory.
///
/// Started with `--appendonly yes --appendfsync always --save ""`: every write is in the
/// append-only file before it is acknowledged, so data survives [`stop`](Self::stop) and
/// [`start_again`](Self::start_again), even though `stop` may end the process with `SIGKILL`.
/// All methods take `&self`, so one server can be shared (for example in an `Arc`) by the code
/// under test and the test itself. Dropping it kills the process and removes the directory.
pub struct RedisServer {
    program: PathBuf,
    port: u16,
    dir: PathBuf,
    args: Vec<OsString>,
    child: Mutex<Option<Child>>,
    /// The TLS port, for a server started with [`RedisServer::start_tls`].
    tls_port: Option<u16>,
}

/// Why a server did not become ready.
enum BootError {
    /// It exited; `port_taken` when its log says the port was in use.
    Exited { status: ExitStatus, port_taken: bool },
    /// It did not answer `PING` in time.
    Timeout,
    /// It could not be started at all.
    Spawn(io::Error),
}

impl RedisServer {
    /// Starts a server on a free loopback port and waits until it answers `PING`.
    ///
    /// # Panics
    ///
    /// When `redis-server` is not on `PATH`, or the server does not answer within 10 s (the
    /// message shows the end of its log).
    pub fn start() -> RedisServer {
        Self::launch(Kind::Plain)
    }

    /// Starts a server that also speaks TLS on a second port, with a certificate for
    /// `127.0.0.1` issued by a throwaway CA made with the `openssl` command (see
    /// [`RedisServer::tls_url`] and [`RedisServer::ca_file`]). The plain port still answers,
    /// for readiness checks and [`RedisServer::command`].
    ///
    /// # Panics
    ///
    /// As [`RedisServer::start`], and when `openssl` is missing or fails.
    pub fn start_tls() -> RedisServer {
        Self::launch(Kind::Tls)
    }

    /// `rediss://127.0.0.1:<tls port>`, for a server from [`RedisServer::start_tls`].
    pub fn tls_url(&self) -> String {
        format!("rediss://127.0.0.1:{}", self.tls_port.expect("a server started with start_tls"))
    }

    /// The PEM file of the CA that issued the TLS certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }

    /// Starts a server, retrying on fresh ports when the one picked was taken in the meantime.
    fn launch(kind: Kind) -> RedisServer {
        let program = find_program("redis-server");
        for attempt in 1..=PORT_ATTEMPTS {
            let ports = free_ports(if kind == Kind::Plain { 1 } else { 2 });
            let server = RedisServer::prepare(program.clone(), ports[0], ports.get(1).copied(), kind);
            match server.boot() {
                Ok(()) => return server,
                Err(BootError::Exited { port_taken: true, .. }) if attempt < PORT_ATTEMPTS => {}
                Err(error) => server.fail("start", error),
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    /// Makes the directory and the command line; starts nothing.
    fn prepare(program: PathBuf, port: u16, second_port: Option<u16>, kind: Kind) -> RedisServer {
        let dir = unique_dir();
        let mut args: Vec<OsString> = Vec::new();
        let mut arg = |name: &str, value: &dyn AsRef<std::ffi::OsStr>| {
            args.push(format!("--{name}").into());
            args.push(value.as_ref().to_owned());
        };
        arg("bind", &"127.0.0.1");
        arg("port", &port.to_string());
        arg("dir", &dir);
        arg("appendonly", &"yes");
        arg("appendfsync", &"always");
        arg("save", &"");
        arg("protected-mode", &"yes");
        arg("daemonize", &"no");
        arg("logfile", &dir.join("redis.log"));
        let mut tls_port = None;
        match (kind, second_port) {
            (Kind::Cluster, Some(cluster_port)) => {
                arg("cluster-enabled", &"yes");
                arg("cluster-port", &cluster_port.to_string());
                arg("cluster-config-file", &dir.join("nodes.conf"));
                arg("cluster-node-timeout", &"2000");
            }
            (Kind::Tls, Some(port)) => {
                make_certificates(&dir);
                arg("tls-port", &port.to_string());
                arg("tls-cert-file", &dir.join("server.crt"));
                arg("tls-key-file", &dir.join("server.key"));
                arg("tls-ca-cert-file", &dir.join("ca.crt"));
                arg("tls-auth-clients", &"no");
                tls_port = Some(port);
            }
            _ => {}
        }
        RedisServer { program, port, dir, args, child: Mutex::new(None), tls_port }
    }

    /// Spawns the process and waits until it answers `PING`; on failure the child is reaped.
    fn boot(&self) -> Result<(), BootError> {
        let mut guard = self.lock();
        let output =
            File::options().create(true).append(true).open(self.dir.join("stdio.log")).map_err(BootError::Spawn)?;
        let error_output = output.try_clone().map_err(BootError::Spawn)?;
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(output)
            .stderr(error_output)
            .spawn()
            .map_err(BootError::Spawn)?;
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let port_taken = self.log_tail().contains("Address already in use");
                return Err(BootError::Exited { status, port_taken });
            }
            if ping(self.port) {
                *guard = Some(child);
                return Ok(());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(BootError::Timeout);
            }
            sleep(Duration::from_millis(20));
        }
    }

    fn fail(&self, what: &str, error: BootError) -> ! {
        let why = match error {
            BootError::Exited { status, .. } => format!("it exited ({status})"),
            BootError::Timeout => format!("it did not answer PING within {} s", READY_TIMEOUT.as_secs()),
            BootError::Spawn(e) => format!("it could not be spawned ({e})"),
        };
        panic!(
            "could not {what} redis-server on 127.0.0.1:{}: {why}\n--- end of its log ({}) ---\n{}",
            self.port,
            self.dir.display(),
            self.log_tail()
        );
    }

    /// The last lines of the server's log and of anything it printed.
    fn log_tail(&self) -> String {
        let mut tail = String::new();
        for name in ["stdio.log", "redis.log"] {
            if let Ok(text) = fs::read_to_string(self.dir.join(name)) {
                let lines: Vec<&str> = text.lines().collect();
                for line in &lines[lines.len().saturating_sub(30)..] {
                    tail.push_str(line);
                    tail.push('\n');
                }
            }
        }
        tail
    }

    fn lock(&self) -> MutexGuard<'_, Option<Child>> {
        self.child.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The port it listens on; it keeps it across [`stop`](Self::stop) and
    /// [`start_again`](Self::start_again).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its directory: the append-only files, `redis.log`, and `nodes.conf` for a cluster node.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the process is running (it may have been stopped, or have died).
    pub fn is_running(&self) -> bool {
        match self.lock().as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Stops the server: `SIGTERM` (through the `kill` command), or `SIGKILL` if that is not
    /// possible or it has not exited within 10 s; then waits until the port refuses
    /// connections. Does nothing if it is not running.
    ///
    /// # Panics
    ///
    /// When the port still accepts connections 10 s after the process exited.
    pub fn stop(&self) {
        let Some(mut child) = self.lock().take() else { return };
        terminate(&mut child);
        let deadline = Instant::now() + STOP_TIMEOUT;
        while accepts(self.port) {
            assert!(
                Instant::now() < deadline,
                "127.0.0.1:{} still accepts connections after redis-server exited",
                self.port
            );
            sleep(Duration::from_millis(20));
        }
    }

    /// Starts the server again on the same port with the same directory, so with the same
    /// data, and waits until it answers `PING`. Stops it first if it is running.
    ///
    /// # Panics
    ///
    /// When it does not answer within 10 s (the message shows the end of its log).
    pub fn start_again(&self) {
        self.stop();
        if let Err(error) = self.boot() {
            self.fail("start again", error);
        }
    }

    /// Sends one command (`args`: the command and its arguments) over a fresh TCP connection and
    /// returns the raw RESP reply, e.g. `+OK\r\n`, `$3\r\nbar\r\n`, `$-1\r\n`, `:42\r\n`,
    /// `*1\r\n$3\r\nkey\r\n` or `-ERR ...\r\n`.
    ///
    /// # Panics
    ///
    /// When the server cannot be reached or does not answer within 5 s; see
    /// [`try_command`](Self::try_command) for a fallible version.
    pub fn command(&self, args: &[&str]) -> String {
        self.try_command(args)
            .unwrap_or_else(|e| panic!("redis command {args:?} on 127.0.0.1:{} failed: {e}", self.port))
    }

    /// [`command`](Self::command), returning the connection or read error instead of panicking
    /// (for example while the server is stopped).
    pub fn try_command(&self, args: &[&str]) -> io::Result<String> {
        send_command(self.port, args)
    }
}

impl Drop for RedisServer {
    /// Kills the process, waits for it, and removes the directory.
    fn drop(&mut self) {
        if let Some(mut child) = self.lock().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

impl std::fmt::Debug for RedisServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisServer").field("port", &self.port).field("dir", &self.dir).finish_non_exhaustive()
    }
}

/// Three cluster-enabled `redis-server` nodes on 127.0.0.1, each its own master of a third of
/// the hash slots (no replicas), joined with `redis-cli --cluster create`.
///
/// Dropping it stops every node and removes their directories.
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts three nodes on free loopback ports (each with a free cluster-bus port too), joins
    /// them, and waits until `CLUSTER INFO` says `cluster_state:ok` on every node.
    ///
    /// # Panics
    ///
    /// When `redis-server` or `redis-cli` is not on `PATH`, a node does not start, the join
    /// fails, or the cluster is not ok within 30 s of the join.
    pub fn start() -> RedisCluster {
        let cli = find_program("redis-cli");
        let nodes: Vec<RedisServer> = (0..3).map(|_| RedisServer::launch(Kind::Cluster)).collect();
        let cluster = RedisCluster { nodes };

        let log_path = cluster.nodes[0].dir.join("cluster-create.log");
        let log = File::create(&log_path).unwrap_or_else(|e| panic!("create {}: {e}", log_path.display()));
        let error_log = log.try_clone().unwrap_or_else(|e| panic!("clone {}: {e}", log_path.display()));
        let mut create = Command::new(&cli);
        create.args(["--cluster", "create"]);
        create.args(cluster.nodes.iter().map(|node| format!("127.0.0.1:{}", node.port)));
        create.args(["--cluster-replicas", "0", "--cluster-yes"]);
        let mut child = create
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(error_log)
            .spawn()
            .unwrap_or_else(|e| panic!("could not run {}: {e}", cli.display()));
        let deadline = Instant::now() + CLUSTER_CREATE_TIMEOUT;
        let status = loop {
            if let Ok(Some(status)) = child.try_wait() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "redis-cli --cluster create did not finish within {} s:\n{}",
                    CLUSTER_CREATE_TIMEOUT.as_secs(),
                    fs::read_to_string(&log_path).unwrap_or_default()
                );
            }
            sleep(Duration::from_millis(50));
        };
        assert!(
            status.success(),
            "redis-cli --cluster create failed ({status}):\n{}",
            fs::read_to_string(&log_path).unwrap_or_default()
        );

        let deadline = Instant::now() + CLUSTER_OK_TIMEOUT;
        loop {
            let infos: Vec<String> = cluster
                .nodes
                .iter()
                .map(|node| node.try_command(&["CLUSTER", "INFO"]).unwrap_or_else(|e| e.to_string()))
                .collect();
            if infos.iter().all(|info| info.contains("cluster_state:ok")) {
                return cluster;
            }
            assert!(
                Instant::now() < deadline,
                "the redis cluster did not reach cluster_state:ok within {} s; CLUSTER INFO of each node:\n{}",
                CLUSTER_OK_TIMEOUT.as_secs(),
                infos.join("\n---\n")
            );
            sleep(Duration::from_millis(50));
        }
    }

    /// The nodes' addresses, `("127.0.0.1", port)`, in the order of [`node`](Self::node).
    pub fn nodes(&self) -> Vec<(String, u16)> {
        self.nodes.iter().map(|node| (LOOPBACK.to_string(), node.port)).collect()
    }

    /// The node at `index` (0, 1 or 2), to stop or restart it, or to send it commands.
    ///
    /// # Panics
    ///
    /// When `index` is not 0, 1 or 2.
    pub fn node(&self, index: usize) -> &RedisServer {
        &self.nodes[index]
    }

    /// The cluster's URL in the form the `fred` client's `Config::from_url` reads as a cluster:
    /// `redis-cluster://127.0.0.1:P1?node=127.0.0.1:P2&node=127.0.0.1:P3`.
    pub fn url(&self) -> String {
        let mut url = format!("redis-cluster://127.0.0.1:{}", self.nodes[0].port);
        for (i, node) in self.nodes.iter().enumerate().skip(1) {
            url.push(if i == 1 { '?' } else { '&' });
            url.push_str("node=127.0.0.1:");
            url.push_str(&node.port.to_string());
        }
        url
    }

    /// [`RedisServer::command`] on the node at `index`. Keys that node does not own answer
    /// `-MOVED <slot> <address>`.
    ///
    /// # Panics
    ///
    /// As [`RedisServer::command`], or when `index` is not 0, 1 or 2.
    pub fn command_on(&self, index: usize, args: &[&str]) -> String {
        self.nodes[index].command(args)
    }
}

/// The path of `name` on `PATH`, or a panic saying how to install it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    Cluster,
    Tls,
}

/// A throwaway CA and a certificate for 127.0.0.1 it issued, in `dir`.
fn make_certificates(dir: &Path) {
    let openssl = find_program("openssl");
    fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").expect("write san.ext");
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    let steps: [Vec<&str>; 3] = [
        [&["req", "-x509"][..], &ec, &["-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=test CA"]]
            .concat(),
        [&["req"][..], &ec, &["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]].concat(),
        vec![
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ],
    ];
    for step in steps {
        let out = Command::new(&openssl).args(&step).current_dir(dir).output().expect("run openssl");
        assert!(out.status.success(), "openssl {step:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
}

fn find_program(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| {
            fs::metadata(candidate).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        })
        .unwrap_or_else(|| {
            panic!("{name} is not installed: run ./scripts/test, which installs it from Debian's packages")
        })
}

/// `count` distinct ports that were free on 127.0.0.1 a moment ago.
fn free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind((LOOPBACK, 0)).unwrap_or_else(|e| panic!("bind 127.0.0.1:0: {e}")))
        .collect();
    listeners.iter().map(|l| l.local_addr().expect("a bound listener has an address").port()).collect()
}

/// A new, empty directory of its own.
fn unique_dir() -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let base = std::env::var_os(DIR_VARIABLE).map_or_else(std::env::temp_dir, PathBuf::from);
    fs::create_dir_all(&base).unwrap_or_else(|e| panic!("create {}: {e}", base.display()));
    loop {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("govuk-one-login-redis-{}-{n}-{nanos}", std::process::id()));
        match fs::create_dir(&dir) {
            Ok(()) => return dir,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => panic!("create {}: {e}", dir.display()),
        }
    }
}

/// Ends `child`: `SIGTERM` through the `kill` command, then `SIGKILL` if it is still running
/// after [`STOP_TIMEOUT`]; reaps it.
fn terminate(child: &mut Child) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    let termed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if termed {
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            sleep(Duration::from_millis(20));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Whether 127.0.0.1:`port` accepts a TCP connection.
fn accepts(port: u16) -> bool {
    TcpStream::connect_timeout(&SocketAddr::from((LOOPBACK, port)), Duration::from_millis(500)).is_ok()
}

/// Whether the server on `port` answers `PING` with `+PONG` (not, say, `-LOADING`).
fn ping(port: u16) -> bool {
    send_command(port, &["PING"]).is_ok_and(|reply| reply.starts_with("+PONG"))
}

/// Sends one RESP command on a fresh connection and returns the raw reply.
fn send_command(port: u16, args: &[&str]) -> io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&SocketAddr::from((LOOPBACK, port)), COMMAND_TIMEOUT)?;
    stream.set_read_timeout(Some(COMMAND_TIMEOUT))?;
    stream.set_write_timeout(Some(COMMAND_TIMEOUT))?;
    stream.write_all(&encode(args))?;
    let mut reader = BufReader::new(stream);
    let mut reply = Vec::new();
    read_reply(&mut reader, &mut reply)?;
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

/// `args` as a RESP array of bulk strings.
fn encode(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Reads one complete RESP2 or RESP3 reply from `reader`, appending its raw bytes to `out`.
fn read_reply(reader: &mut impl BufRead, out: &mut Vec<u8>) -> io::Result<()> {
    let start = out.len();
    if reader.read_until(b'\n', out)? == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the connection closed before a reply"));
    }
    let line = String::from_utf8_lossy(&out[start..]).trim_end().to_owned();
    let Some(kind) = line.chars().next() else {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "an empty reply line"));
    };
    let length = || -> io::Result<i64> {
        line[1..].parse().map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("bad length in {line:?}")))
    };
    match kind {
        '+' | '-' | ':' | ',' | '#' | '_' | '(' => Ok(()),
        '$' | '=' | '!' => {
            let Ok(n) = usize::try_from(length()?) else { return Ok(()) }; // -1: null
            let mut body = vec![0; n + 2];
            reader.read_exact(&mut body)?;
            out.extend_from_slice(&body);
            Ok(())
        }
        '*' | '~' | '>' | '%' | '|' => {
            let Ok(n) = usize::try_from(length()?) else { return Ok(()) }; // -1: null
            let elements = if matches!(kind, '%' | '|') { 2 * n } else { n };
            (0..elements).try_for_each(|_| read_reply(reader, out))
        }
        _ => Err(io::Error::new(io::ErrorKind::InvalidData, format!("unknown reply type in {line:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_commands_and_reads_whole_replies() {
        assert_eq!(encode(&["GET", "k"]), b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
        let raw = b"*3\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n+OK\r\ntrailing";
        let mut reader = &raw[..];
        let mut out = Vec::new();
        read_reply(&mut reader, &mut out).unwrap();
        assert_eq!(out, b"*3\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n+OK\r\n");
        assert_eq!(reader, b"trailing");
        let mut out = Vec::new();
        assert!(read_reply(&mut &b"$5\r\nab"[..], &mut out).is_err(), "a cut-off bulk string is an error");
    }

    #[test]
    fn starts_and_answers_commands() {
        let redis = RedisServer::start();
        assert!(redis.is_running());
        assert_eq!(redis.url(), format!("redis://127.0.0.1:{}", redis.port()));
        assert_eq!(redis.command(&["PING"]), "+PONG\r\n");
        assert_eq!(redis.command(&["SET", "greeting", "hello world"]), "+OK\r\n");
        assert_eq!(redis.command(&["GET", "greeting"]), "$11\r\nhello world\r\n");
        assert_eq!(redis.command(&["GET", "missing"]), "$-1\r\n");
        assert_eq!(redis.command(&["EXPIRE", "greeting", "100"]), ":1\r\n");
        let ttl = redis.command(&["TTL", "greeting"]);
        assert!(ttl == ":100\r\n" || ttl == ":99\r\n", "{ttl:?}");
        assert_eq!(redis.command(&["KEYS", "*"]), "*1\r\n$8\r\ngreeting\r\n");
        assert_eq!(redis.command(&["DBSIZE"]), ":1\r\n");
        assert!(redis.command(&["MEMORY", "USAGE", "greeting"]).starts_with(':'));
        assert!(redis.command(&["NO-SUCH-COMMAND"]).starts_with("-ERR"));
        assert!(redis.command(&["CONFIG", "GET", "bind"]).contains("127.0.0.1"));
    }

    #[test]
    fn data_survives_stop_and_start_again() {
        let redis = RedisServer::start();
        let port = redis.port();
        assert_eq!(redis.command(&["SET", "kept", "yes"]), "+OK\r\n");
        assert_eq!(redis.command(&["SET", "expiring", "soon", "EX", "1000"]), "+OK\r\n");

        redis.stop();
        assert!(!redis.is_running());
        assert!(redis.try_command(&["PING"]).is_err(), "a stopped server answers nothing");
        redis.stop(); // stopping twice is harmless

        redis.start_again();
        assert!(redis.is_running());
        assert_eq!(redis.port(), port);
        assert_eq!(redis.command(&["GET", "kept"]), "$3\r\nyes\r\n");
        let ttl = redis.command(&["TTL", "expiring"]);
        let seconds: u32 = ttl.trim_start_matches(':').trim_end().parse().expect("an integer reply");
        assert!((990..=1000).contains(&seconds), "the expiry survives too: {ttl:?}");

        redis.start_again(); // while running: stops, then starts
        assert_eq!(redis.command(&["GET", "kept"]), "$3\r\nyes\r\n");
    }

    #[test]
    fn drop_kills_the_server_and_removes_its_directory() {
        let redis = RedisServer::start();
        let (port, dir) = (redis.port(), redis.dir().to_owned());
        assert!(dir.join("redis.log").exists());
        drop(redis);
        assert!(!dir.exists());
        assert!(!accepts(port));
    }

    #[test]
    fn servers_get_their_own_ports_and_data() {
        let (a, b) = (RedisServer::start(), RedisServer::start());
        assert_ne!(a.port(), b.port());
        a.command(&["SET", "only-in-a", "1"]);
        assert_eq!(b.command(&["DBSIZE"]), ":0\r\n");
    }

    #[test]
    fn cluster_starts_and_is_ok() {
        let started = Instant::now();
        let cluster = RedisCluster::start();
        eprintln!("the cluster took {:?} to start", started.elapsed());
        let nodes = cluster.nodes();
        assert_eq!(nodes.len(), 3);
        assert!(nodes.iter().all(|(host, _)| host == "127.0.0.1"));
        assert_eq!(
            cluster.url(),
            format!(
                "redis-cluster://127.0.0.1:{}?node=127.0.0.1:{}&node=127.0.0.1:{}",
                nodes[0].1, nodes[1].1, nodes[2].1
            )
        );
        for i in 0..3 {
            let info = cluster.command_on(i, &["CLUSTER", "INFO"]);
            assert!(info.contains("cluster_state:ok"), "{info}");
            assert!(info.contains("cluster_known_nodes:3"), "{info}");
        }
        // Exactly one node owns a key; the others redirect to it.
        let replies: Vec<String> = (0..3).map(|i| cluster.command_on(i, &["SET", "some-key", "v"])).collect();
        assert_eq!(replies.iter().filter(|r| *r == "+OK\r\n").count(), 1, "{replies:?}");
        assert_eq!(replies.iter().filter(|r| r.starts_with("-MOVED")).count(), 2, "{replies:?}");

        let dirs: Vec<PathBuf> = (0..3).map(|i| cluster.node(i).dir().to_owned()).collect();
        drop(cluster);
        assert!(dirs.iter().all(|dir| !dir.exists()));
        assert!(nodes.iter().all(|(_, port)| !accepts(*port)));
    }
}
