//! A headless Chromium driven through chromedriver (WebDriver, over loopback http), with every
//! step bounded in time, axe-core run on each page looked at, a PNG of each, and everything it
//! started killed when it drops, on success and on panic alike.

use std::fmt::Write as _;
use std::future::Future;
use std::net::TcpStream;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use govuk_one_login_conformance::process::free_port;
use serde_json::{Value, json};
pub(super) use webdriver::{Client, Element, Error};

/// How long one step (a navigation, a click, a wait for an element, an axe run) may take: far
/// more than any takes on a loaded two-core machine, far less than a hung test.
pub(super) const STEP: Duration = Duration::from_secs(30);

/// The WCAG tags axe-core checks: WCAG 2.0, 2.1 and 2.2, levels A and AA.
const AXE_TAGS: [&str; 5] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/// Where `scripts/test` installs axe-core (`npm ci` in `tests/browser`).
fn axe_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../browser/node_modules/axe-core/axe.min.js")
}

/// `target/browser-screenshots/<run>`, under `CARGO_TARGET_DIR` when it is set.
fn screenshot_dir(run: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"), PathBuf::from);
    target.join("browser-screenshots").join(run)
}

/// `name` on `PATH`, else the Debian package's path.
fn program(name: &str, debian: &str) -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file()));
    let found = on_path.or_else(|| Some(PathBuf::from(debian)).filter(|p| p.is_file()));
    found.unwrap_or_else(|| {
        panic!(
            "{name} not found (on PATH or at {debian}): the real-browser test needs Debian's chromium and \
             chromium-driver packages, which ./scripts/test installs (apt-get install chromium chromium-driver)"
        )
    })
}

/// chromedriver and the Chromium it starts, in a process group of their own, with a fresh
/// profile directory. Dropping it kills the whole group and removes the profile.
struct Processes {
    chromedriver: Child,
    profile: PathBuf,
}

impl Drop for Processes {
    fn drop(&mut self) {
        // chromedriver leads its group (`process_group(0)`), and Chromium's processes are in it.
        let group = format!("-{}", self.chromedriver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.chromedriver.kill();
        let _ = self.chromedriver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// One browser session for one run of the journey (`run` names its screenshot folder).
pub(super) struct Browser {
    client: Client,
    run: String,
    shots: PathBuf,
    axe: String,
    pages: u32,
    /// What failed without stopping the journey: axe violations and missing page features,
    /// reported together at the end by [`Browser::finish`].
    findings: Vec<String>,
    /// What the services under test printed, for failure messages.
    printed: Box<dyn Fn() -> String + Send + Sync>,
    processes: Processes,
}

impl Browser {
    /// Starts chromedriver on a free loopback port and a headless Chromium through it.
    ///
    /// # Panics
    ///
    /// When chromium, chromedriver or axe-core is missing, or either does not start in time.
    pub(super) async fn start(run: &str, printed: impl Fn() -> String + Send + Sync + 'static) -> Browser {
        let chromium = program("chromium", "/usr/bin/chromium");
        let chromedriver = program("chromedriver", "/usr/bin/chromedriver");
        let axe = std::fs::read_to_string(axe_path()).unwrap_or_else(|e| {
            panic!(
                "axe-core not found at {} ({e}): ./scripts/test installs it (npm ci --no-audit --no-fund in tests/browser)",
                axe_path().display()
            )
        });
        let unique = format!("{}-{run}", std::process::id());
        let profile = std::env::temp_dir().join(format!("govuk-one-login-chromium-{unique}"));
        std::fs::create_dir_all(&profile).expect("create Chromium's profile directory");
        let log_path = profile.join("chromedriver.log");
        let log = std::fs::File::create(&log_path).expect("create chromedriver's log");
        let addr = free_port();
        let child = Command::new(&chromedriver)
            .arg(format!("--port={}", addr.port()))
            .arg(format!("--log-path={}", log_path.display()))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", chromedriver.display()));
        let processes = Processes { chromedriver: child, profile: profile.clone() };
        let deadline = Instant::now() + STEP;
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            assert!(Instant::now() < deadline, "chromedriver did not listen on {addr} within {STEP:?}:\n{log}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,1024",
            "--lang=en-GB",
        ]
        .iter()
        .map(|a| (*a).to_owned())
        .chain([format!("--user-data-dir={}", profile.join("profile").display())])
        .collect::<Vec<_>>();
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        });
        let connect = Client::new_session(addr, capabilities);
        let client = match tokio::time::timeout(STEP, connect).await {
            Ok(Ok(client)) => client,
            outcome => {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                let why = outcome.map_or_else(
                    |_| format!("no answer within {STEP:?}"),
                    |r| r.err().map(|e| e.to_string()).unwrap_or_default(),
                );
                panic!("chromedriver did not start {}: {why}\n{log}", chromium.display());
            }
        };
        let mut browser = Browser {
            client,
            run: run.to_owned(),
            shots: screenshot_dir(run),
            axe,
            pages: 0,
            findings: Vec::new(),
            printed: Box::new(printed),
            processes,
        };
        browser.step("set timeouts", |c| async move { c.set_timeouts(STEP, STEP, Duration::ZERO).await }).await;
        let _ = std::fs::remove_dir_all(&browser.shots);
        std::fs::create_dir_all(&browser.shots).expect("create the screenshot folder");
        browser
    }

    /// Runs one WebDriver step with a deadline; a failure or a timeout ends the test, saying
    /// what the browser shows.
    pub(super) async fn step<T, F, Fut>(&mut self, what: &str, f: F) -> T
    where
        F: FnOnce(Client) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        match tokio::time::timeout(STEP, f(self.client.clone())).await {
            Ok(Ok(value)) => value,
            Ok(Err(error)) => self.fail(&format!("{what}: {error}")).await,
            Err(_) => self.fail(&format!("{what}: no answer within {STEP:?}")).await,
        }
    }

    /// Ends the test: saves a screenshot `failed.png` and panics with the URL, the page's text,
    /// every finding so far and what the services printed.
    pub(super) async fn fail(&mut self, why: &str) -> ! {
        let client = self.client.clone();
        let seen = tokio::time::timeout(Duration::from_secs(10), async move {
            let url = client.current_url().await.map(String::from).unwrap_or_default();
            let text = client.execute("return document.body ? document.body.innerText : ''", vec![]).await;
            let text = text.ok().and_then(|t| t.as_str().map(str::to_owned)).unwrap_or_default();
            let png = client.screenshot().await.unwrap_or_default();
            (url, text, png)
        })
        .await;
        let (url, text, png) = seen.unwrap_or_default();
        let shot = self.shots.join("failed.png");
        let _ = std::fs::write(&shot, png);
        let text: String = text.chars().take(1500).collect();
        panic!(
            "{}: {why}\nat {url} (screenshot {})\npage text:\n{text}\n{}\nthe services printed:\n{}",
            self.run,
            shot.display(),
            self.findings_text(),
            (self.printed)()
        );
    }

    /// The page's URL.
    pub(super) async fn url(&mut self) -> url::Url {
        self.step("read the URL", |c| async move { c.current_url().await }).await
    }

    /// Opens `url`.
    pub(super) async fn goto(&mut self, url: &str) {
        self.step(&format!("open {url}"), |c| async move { c.goto(url).await }).await;
    }

    /// Waits for an element matching `css`.
    pub(super) async fn wait_for(&mut self, css: &str) -> Element {
        let what = format!("wait for `{css}`");
        self.step(&what, |c| async move { c.wait_for_element(css, STEP).await }).await
    }

    /// The first element matching `css` now, if any.
    pub(super) async fn find(&mut self, css: &str) -> Option<Element> {
        let client = self.client.clone();
        match tokio::time::timeout(STEP, client.find(css)).await {
            Ok(Ok(element)) => Some(element),
            Ok(Err(error)) if error.is_no_such_element() => None,
            Ok(Err(error)) => self.fail(&format!("find `{css}`: {error}")).await,
            Err(_) => self.fail(&format!("find `{css}`: no answer within {STEP:?}")).await,
        }
    }

    /// Waits for an element matching `css`, and clicks it.
    pub(super) async fn click(&mut self, css: &str) {
        let element = self.wait_for(css).await;
        self.step(&format!("click `{css}`"), |_| async move { element.click().await }).await;
    }

    /// Waits until the page's path is `path`, and returns its URL.
    pub(super) async fn wait_for_path(&mut self, path: &str) -> url::Url {
        let deadline = Instant::now() + STEP;
        loop {
            let url = self.url().await;
            if url.path() == path {
                return url;
            }
            if Instant::now() > deadline {
                self.fail(&format!("expected to reach {path} within {STEP:?}")).await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The page's visible text.
    pub(super) async fn text(&mut self) -> String {
        let value = self
            .step("read the page's text", |c| async move { c.execute("return document.body.innerText", vec![]).await })
            .await;
        value.as_str().unwrap_or_default().to_owned()
    }

    /// The cookies the browser holds for the page's origin.
    pub(super) async fn cookies(&mut self) -> Vec<cookie::Cookie<'static>> {
        self.step("read the cookies", |c| async move { c.cookies().await }).await
    }

    /// Records a problem that does not stop the journey; [`Browser::finish`] fails on it.
    pub(super) fn note(&mut self, finding: String) {
        self.findings.push(finding);
    }

    /// Looks at the page as `name`: saves `NN-name.png` and runs axe-core on it, noting each
    /// violation.
    pub(super) async fn look(&mut self, name: &str) {
        self.pages += 1;
        let file = self.shots.join(format!("{:02}-{name}.png", self.pages));
        let png = self.step("take a screenshot", |c| async move { c.screenshot().await }).await;
        std::fs::write(&file, png).unwrap_or_else(|e| panic!("write {}: {e}", file.display()));
        let url = self.url().await;
        let axe = self.axe.clone();
        self.step("load axe-core", |c| async move { c.execute(&axe, vec![]).await }).await;
        let script = "const done = arguments[arguments.length - 1];\
             axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})\
               .then(r => done({passes: r.passes.length, violations: r.violations.map(v => ({id: v.id,\
                   impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(' '))}))}))\
               .catch(e => done({error: String(e)}));";
        let result =
            self.step("run axe-core", |c| async move { c.execute_async(script, vec![json!(AXE_TAGS)]).await }).await;
        if let Some(error) = result.get("error") {
            self.fail(&format!("axe-core failed on {url}: {error}")).await;
        }
        // A run that found no rule to check (a page it could not read) proves nothing.
        if result["passes"].as_u64().unwrap_or(0) == 0 && result["violations"].as_array().is_none_or(Vec::is_empty) {
            self.fail(&format!("axe-core checked no rule on {url}: {result}")).await;
        }
        for violation in result["violations"].as_array().into_iter().flatten() {
            let targets: Vec<&str> =
                violation["targets"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            self.note(format!(
                "{:02}-{name} ({}): axe {} [{}] {}: {}",
                self.pages,
                url.path(),
                violation["id"].as_str().unwrap_or("?"),
                violation["impact"].as_str().unwrap_or("?"),
                violation["help"].as_str().unwrap_or(""),
                targets.join(" | ")
            ));
        }
    }

    fn findings_text(&self) -> String {
        let mut text = String::new();
        if !self.findings.is_empty() {
            let _ = writeln!(text, "{} finding(s) in {}:", self.findings.len(), self.run);
            for finding in &self.findings {
                let _ = writeln!(text, "  - {finding}");
            }
        }
        let _ = write!(text, "screenshots: {}", self.shots.display());
        if !self.findings.is_empty() {
            let printed = (self.printed)();
            let warnings: Vec<&str> =
                printed.lines().filter(|l| l.contains(" WARN ") || l.contains(" ERROR ")).collect();
            if !warnings.is_empty() {
                let _ = write!(text, "\nwhat the services warned of:\n{}", warnings.join("\n"));
            }
        }
        text
    }

    /// Ends the session and the processes; fails listing every finding, if there were any.
    pub(super) async fn finish(self) {
        let summary = self.findings_text();
        eprintln!("{summary}");
        let failed = !self.findings.is_empty();
        let Browser { client, processes, .. } = self;
        let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
        drop(processes);
        assert!(!failed, "{summary}");
    }
}

/// The few W3C WebDriver commands the journey uses, as JSON over loopback http with `reqwest`.
mod webdriver {
    use std::fmt;
    use std::net::SocketAddr;
    use std::time::Duration;

    use base64::Engine as _;
    use reqwest::Method;
    use serde_json::{Value, json};

    /// The key under which WebDriver names an element (W3C WebDriver, "web element identifier").
    const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

    /// What a command can end in.
    #[derive(Debug)]
    pub(in super::super) enum Error {
        /// The WebDriver's own error (`{"value": {"error": .., "message": ..}}`).
        WebDriver { error: String, message: String },
        /// No answer, or no readable one.
        Http(reqwest::Error),
        /// An answer that is not what the command returns.
        Protocol(String),
    }

    impl Error {
        /// No element matches the selector.
        pub(in super::super) fn is_no_such_element(&self) -> bool {
            matches!(self, Error::WebDriver { error, .. } if error == "no such element")
        }
    }

    impl fmt::Display for Error {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                Error::WebDriver { error, message } => write!(f, "WebDriver error `{error}`: {message}"),
                Error::Http(e) => {
                    write!(f, "WebDriver request failed: {e}")?;
                    let mut cause = std::error::Error::source(e);
                    while let Some(c) = cause {
                        write!(f, ": {c}")?;
                        cause = c.source();
                    }
                    Ok(())
                }
                Error::Protocol(what) => write!(f, "unexpected WebDriver answer: {what}"),
            }
        }
    }

    impl From<reqwest::Error> for Error {
        fn from(e: reqwest::Error) -> Self {
            Error::Http(e)
        }
    }

    /// One WebDriver session; cheap to clone (the clones share the connection pool).
    #[derive(Clone)]
    pub(in super::super) struct Client {
        http: reqwest::Client,
        /// `http://<addr>/session/<id>`.
        session: url::Url,
    }

    /// A window or tab opened by [`Client::new_window`].
    pub(in super::super) struct NewWindow {
        pub(in super::super) handle: String,
    }

    impl Client {
        /// `POST /session` with `capabilities` as `alwaysMatch`.
        pub(in super::super) async fn new_session(addr: SocketAddr, capabilities: Value) -> Result<Client, Error> {
            // Loopback only: never through a proxy named in the environment. Plain http, but reqwest
            // (built with no default TLS provider) still wants a TLS configuration: one with an
            // explicit provider and no roots, so nothing depends on a process-wide default.
            let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
            let tls = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| Error::Protocol(format!("TLS configuration: {e}")))?
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth();
            let http = reqwest::Client::builder().no_proxy().use_preconfigured_tls(tls).build()?;
            let root = url::Url::parse(&format!("http://{addr}/")).expect("a loopback URL");
            let body = json!({ "capabilities": { "alwaysMatch": capabilities } });
            let value = send(&http, Method::POST, root.join("session").expect("a path"), Some(body)).await?;
            let id = value["sessionId"].as_str().ok_or_else(|| Error::Protocol(format!("no sessionId in {value}")))?;
            let mut session = root;
            session.path_segments_mut().expect("an http URL").clear().extend(["session", id]);
            Ok(Client { http, session })
        }

        async fn cmd(&self, method: Method, path: &[&str], body: Option<Value>) -> Result<Value, Error> {
            let mut url = self.session.clone();
            url.path_segments_mut().expect("an http URL").extend(path);
            // W3C WebDriver: a POST always carries a JSON object, if only `{}`.
            let body = if method == Method::POST { Some(body.unwrap_or_else(|| json!({}))) } else { body };
            send(&self.http, method, url, body).await
        }

        /// `POST /session/{id}/timeouts`.
        pub(in super::super) async fn set_timeouts(
            &self,
            script: Duration,
            page_load: Duration,
            implicit: Duration,
        ) -> Result<(), Error> {
            let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
            let body = json!({ "script": millis(script), "pageLoad": millis(page_load), "implicit": millis(implicit) });
            self.cmd(Method::POST, &["timeouts"], Some(body)).await.map(drop)
        }

        /// `POST /session/{id}/url`.
        pub(in super::super) async fn goto(&self, url: &str) -> Result<(), Error> {
            self.cmd(Method::POST, &["url"], Some(json!({ "url": url }))).await.map(drop)
        }

        /// `GET /session/{id}/url`.
        pub(in super::super) async fn current_url(&self) -> Result<url::Url, Error> {
            let value = self.cmd(Method::GET, &["url"], None).await?;
            let url = value.as_str().ok_or_else(|| Error::Protocol(format!("a URL that is not a string: {value}")))?;
            url::Url::parse(url).map_err(|e| Error::Protocol(format!("URL {url:?}: {e}")))
        }

        /// `POST /session/{id}/element`, by CSS selector.
        pub(in super::super) async fn find(&self, css: &str) -> Result<Element, Error> {
            let body = json!({ "using": "css selector", "value": css });
            let value = self.cmd(Method::POST, &["element"], Some(body)).await?;
            let id = value[ELEMENT_KEY].as_str().ok_or_else(|| Error::Protocol(format!("no element id in {value}")))?;
            Ok(Element { client: self.clone(), id: id.to_owned() })
        }

        /// [`Client::find`] until an element matches or `within` has passed (then the last error).
        pub(in super::super) async fn wait_for_element(&self, css: &str, within: Duration) -> Result<Element, Error> {
            let deadline = tokio::time::Instant::now() + within;
            loop {
                match self.find(css).await {
                    Err(e) if e.is_no_such_element() && tokio::time::Instant::now() < deadline => {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    outcome => return outcome,
                }
            }
        }

        /// `POST /session/{id}/execute/sync`: the script's return value.
        pub(in super::super) async fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value, Error> {
            self.cmd(Method::POST, &["execute", "sync"], Some(json!({ "script": script, "args": args }))).await
        }

        /// `POST /session/{id}/execute/async`: what the script passes to its last argument.
        pub(in super::super) async fn execute_async(&self, script: &str, args: Vec<Value>) -> Result<Value, Error> {
            self.cmd(Method::POST, &["execute", "async"], Some(json!({ "script": script, "args": args }))).await
        }

        /// `GET /session/{id}/screenshot`: the page as PNG.
        pub(in super::super) async fn screenshot(&self) -> Result<Vec<u8>, Error> {
            let value = self.cmd(Method::GET, &["screenshot"], None).await?;
            let encoded = value.as_str().ok_or_else(|| Error::Protocol("a screenshot that is not a string".into()))?;
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|e| Error::Protocol(format!("a screenshot that is not base64: {e}")))
        }

        /// `GET /session/{id}/cookie`: the cookies for the page's origin.
        pub(in super::super) async fn cookies(&self) -> Result<Vec<cookie::Cookie<'static>>, Error> {
            let value = self.cmd(Method::GET, &["cookie"], None).await?;
            let list =
                value.as_array().ok_or_else(|| Error::Protocol(format!("cookies that are not a list: {value}")))?;
            list.iter().map(parse_cookie).collect()
        }

        /// `DELETE /session/{id}/cookie/{name}`.
        pub(in super::super) async fn delete_cookie(&self, name: &str) -> Result<(), Error> {
            self.cmd(Method::DELETE, &["cookie", name], None).await.map(drop)
        }

        /// `GET /session/{id}/window`: the current window's handle.
        pub(in super::super) async fn window(&self) -> Result<String, Error> {
            let value = self.cmd(Method::GET, &["window"], None).await?;
            value.as_str().map(str::to_owned).ok_or_else(|| Error::Protocol(format!("a window handle: {value}")))
        }

        /// `POST /session/{id}/window/new`: a tab (`as_tab`) or a window, not switched to.
        pub(in super::super) async fn new_window(&self, as_tab: bool) -> Result<NewWindow, Error> {
            let kind = if as_tab { "tab" } else { "window" };
            let value = self.cmd(Method::POST, &["window", "new"], Some(json!({ "type": kind }))).await?;
            let handle = value["handle"].as_str().ok_or_else(|| Error::Protocol(format!("no handle in {value}")))?;
            Ok(NewWindow { handle: handle.to_owned() })
        }

        /// `POST /session/{id}/window`.
        pub(in super::super) async fn switch_to_window(&self, handle: String) -> Result<(), Error> {
            self.cmd(Method::POST, &["window"], Some(json!({ "handle": handle }))).await.map(drop)
        }

        /// `DELETE /session/{id}/window`: closes the current window.
        pub(in super::super) async fn close_window(&self) -> Result<(), Error> {
            self.cmd(Method::DELETE, &["window"], None).await.map(drop)
        }

        /// `DELETE /session/{id}`: ends the session (Chromium quits).
        pub(in super::super) async fn close(self) -> Result<(), Error> {
            send(&self.http, Method::DELETE, self.session.clone(), None).await.map(drop)
        }
    }

    /// An element found by [`Client::find`].
    pub(in super::super) struct Element {
        client: Client,
        id: String,
    }

    impl Element {
        /// `POST /session/{id}/element/{eid}/click`.
        pub(in super::super) async fn click(&self) -> Result<(), Error> {
            self.client.cmd(Method::POST, &["element", &self.id, "click"], None).await.map(drop)
        }

        /// `GET /session/{id}/element/{eid}/text`: its rendered text.
        pub(in super::super) async fn text(&self) -> Result<String, Error> {
            let value = self.client.cmd(Method::GET, &["element", &self.id, "text"], None).await?;
            value
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| Error::Protocol(format!("text that is not a string: {value}")))
        }
    }

    /// Sends one command; the answer's `value`, or the WebDriver's error.
    async fn send(http: &reqwest::Client, method: Method, url: url::Url, body: Option<Value>) -> Result<Value, Error> {
        let mut request = http.request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        let mut answer: Value = serde_json::from_slice(&bytes).map_err(|e| {
            Error::Protocol(format!("HTTP {status}, not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
        })?;
        let value = answer["value"].take();
        if let Some(error) = value.get("error").and_then(Value::as_str) {
            let message = value["message"].as_str().unwrap_or_default().to_owned();
            return Err(Error::WebDriver { error: error.to_owned(), message });
        }
        if !status.is_success() {
            return Err(Error::Protocol(format!("HTTP {status}: {value}")));
        }
        Ok(value)
    }

    /// A WebDriver cookie object (`name`, `value`, `path`, `domain`, `secure`, `httpOnly`,
    /// `expiry`, `sameSite`) as a [`cookie::Cookie`].
    fn parse_cookie(value: &Value) -> Result<cookie::Cookie<'static>, Error> {
        let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
        let flag = |key: &str| value.get(key).and_then(Value::as_bool);
        let name = text("name").ok_or_else(|| Error::Protocol(format!("a cookie without a name: {value}")))?;
        let mut cookie = cookie::Cookie::new(name, text("value").unwrap_or_default());
        if let Some(path) = text("path") {
            cookie.set_path(path);
        }
        if let Some(domain) = text("domain") {
            cookie.set_domain(domain);
        }
        if let Some(secure) = flag("secure") {
            cookie.set_secure(secure);
        }
        if let Some(http_only) = flag("httpOnly") {
            cookie.set_http_only(http_only);
        }
        if let Some(expiry) = value.get("expiry").and_then(Value::as_i64) {
            let at = time::OffsetDateTime::from_unix_timestamp(expiry)
                .map_err(|e| Error::Protocol(format!("cookie expiry {expiry}: {e}")))?;
            cookie.set_expires(at);
        }
        match text("sameSite").as_deref() {
            Some("Strict") => cookie.set_same_site(cookie::SameSite::Strict),
            Some("Lax") => cookie.set_same_site(cookie::SameSite::Lax),
            Some("None") => cookie.set_same_site(cookie::SameSite::None),
            _ => {}
        }
        Ok(cookie)
    }
}
