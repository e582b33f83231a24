//! A demo service run as its own OS process, configured only through environment variables, as
//! an operator would run it: for tests with several instances sharing one store, and for
//! restarts.
//!
//! The binaries are the ones `cargo build -p axum-demo -p actix-demo -p govuk-one-login-mock`
//! leaves next to the test executable (`./scripts/test` builds them first).

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// How long a demo may take to accept connections after it is started.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// Which demo service to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemoKind {
    /// `axum-demo`.
    Axum,
    /// `actix-demo`.
    Actix,
}

impl DemoKind {
    /// The binary's name: `axum-demo` or `actix-demo`.
    pub fn binary_name(self) -> &'static str {
        match self {
            DemoKind::Axum => "axum-demo",
            DemoKind::Actix => "actix-demo",
        }
    }
}

/// The demo binary in the same target profile directory as the running test executable (which
/// is `<target>/<profile>/deps/<test>-<hash>`).
///
/// # Panics
///
/// When the binary has not been built.
pub fn demo_binary(kind: DemoKind) -> PathBuf {
    workspace_binary(kind.binary_name())
}

/// The stand-in's own binary (`cargo run -p govuk-one-login-mock`), found as [`demo_binary`].
///
/// # Panics
///
/// When the binary has not been built.
pub fn mock_binary() -> PathBuf {
    workspace_binary("govuk-one-login-mock")
}

fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the path of the running test executable");
    let mut dir = exe.parent().expect("the test executable is in a directory").to_path_buf();
    if dir.file_name().is_some_and(|name| name == "deps") {
        dir.pop();
    }
    let binary = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.is_file(),
        "{} not found: build the binaries first: ./scripts/test does \
         `cargo build -p axum-demo -p actix-demo -p govuk-one-login-mock`",
        binary.display()
    );
    binary
}

/// A loopback address whose port was free a moment ago.
pub fn free_port() -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener.local_addr().expect("a bound listener has an address")
}

/// The `ONE_LOGIN_*` variables that point a demo listening at `base` (`http://host:port`) at
/// `mock`, as an operator would set them, after registering its callback with the stand-in.
pub fn env_for(mock: &govuk_one_login_mock::MockProvider, base: &str) -> Vec<(String, String)> {
    let callback = format!("{base}/auth/callback");
    mock.register_redirect_uri(&callback);
    [
        ("ONE_LOGIN_ISSUER", mock.issuer()),
        ("ONE_LOGIN_CLIENT_ID", govuk_one_login_mock::CLIENT_ID),
        ("ONE_LOGIN_PRIVATE_KEY", govuk_one_login_mock::keys::RP_PRIVATE_KEY_PEM),
        ("ONE_LOGIN_REDIRECT_URI", &callback),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

/// What a demo process printed, stdout and stderr interleaved as they arrived.
type Output = Arc<Mutex<Vec<u8>>>;

/// A running demo service process. Dropping it kills the process.
pub struct DemoProcess {
    kind: DemoKind,
    binary: PathBuf,
    listen: SocketAddr,
    env: Vec<(String, String)>,
    output: Output,
    child: Option<Child>,
}

impl DemoProcess {
    /// Starts `kind`'s binary listening on `listen`, with no inherited `ONE_LOGIN_*`,
    /// `REDIS_URL` or `LISTEN_ADDR` variables, then `LISTEN_ADDR` and `env` set; waits until it
    /// accepts TCP connections.
    ///
    /// # Panics
    ///
    /// When the binary is missing, or the process exits or does not accept connections within
    /// 20 s (the message shows what it printed).
    pub fn spawn(kind: DemoKind, listen: SocketAddr, env: &[(String, String)]) -> DemoProcess {
        let mut demo = DemoProcess {
            kind,
            binary: demo_binary(kind),
            listen,
            env: env.to_vec(),
            output: Arc::default(),
            child: None,
        };
        demo.launch();
        demo
    }

    fn launch(&mut self) {
        let mut command = Command::new(&self.binary);
        for (key, _) in std::env::vars_os() {
            let name = key.to_string_lossy();
            if name.starts_with("ONE_LOGIN_") || name == "REDIS_URL" || name == "LISTEN_ADDR" {
                command.env_remove(&key);
            }
        }
        command.env("LISTEN_ADDR", self.listen.to_string());
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", self.binary.display()));
        if let Some(stdout) = child.stdout.take() {
            collect(stdout, Arc::clone(&self.output));
        }
        if let Some(stderr) = child.stderr.take() {
            collect(stderr, Arc::clone(&self.output));
        }
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                // Give the reader threads a moment to take in the last lines.
                thread::sleep(Duration::from_millis(100));
                panic!(
                    "{} on {} exited ({status}) before accepting connections:\n{}",
                    self.name(),
                    self.listen,
                    self.output()
                );
            }
            if TcpStream::connect_timeout(&self.listen, Duration::from_millis(200)).is_ok() {
                self.child = Some(child);
                return;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{} did not accept connections on {} within {} s:\n{}",
                    self.name(),
                    self.listen,
                    READY_TIMEOUT.as_secs(),
                    self.output()
                );
            }
            thread::sleep(Duration::from_millis(25));
        }
    }

    fn name(&self) -> &'static str {
        self.kind.binary_name()
    }

    /// `http://<listen address>`.
    pub fn base(&self) -> String {
        format!("http://{}", self.listen)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.listen
    }

    /// Everything it has printed so far, over all its runs, stdout and stderr interleaved.
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&lock(&self.output)).into_owned()
    }

    /// The operating system's id of the running process (for sampling its memory), if running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the process is running.
    pub fn is_running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    /// Kills the process and waits for it to exit. Does nothing if it is not running.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops it (if running) and starts the same binary again with the same environment on the
    /// same address; waits until it accepts connections.
    ///
    /// # Panics
    ///
    /// As [`spawn`](Self::spawn).
    pub fn restart(&mut self) {
        self.stop();
        lock(&self.output).extend_from_slice(format!("--- {} restarted ---\n", self.name()).as_bytes());
        self.launch();
    }
}

impl Drop for DemoProcess {
    /// Kills the process.
    fn drop(&mut self) {
        self.stop();
    }
}

impl std::fmt::Debug for DemoProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoProcess").field("kind", &self.kind).field("listen", &self.listen).finish_non_exhaustive()
    }
}

fn lock(output: &Output) -> MutexGuard<'_, Vec<u8>> {
    output.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Appends everything `pipe` yields to `output`, on a thread of its own, until it closes.
fn collect(mut pipe: impl Read + Send + 'static, output: Output) {
    thread::spawn(move || {
        let mut buffer = [0; 4096];
        while let Ok(n) = pipe.read(&mut buffer) {
            if n == 0 {
                break;
            }
            lock(&output).extend_from_slice(&buffer[..n]);
        }
    });
}
