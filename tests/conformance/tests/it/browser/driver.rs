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

use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, ClientBuilder, Locator};
use govuk_one_login_conformance::process::free_port;
use serde_json::{Value, json};

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
        let Value::Object(capabilities) = capabilities else { unreachable!("an object") };
        let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(capabilities);
        let webdriver = format!("http://{addr}");
        let connect = builder.connect(&webdriver);
        let client = match tokio::time::timeout(STEP, connect).await {
            Ok(Ok(client)) => client,
            outcome => {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                let why = outcome.map_or_else(|_| format!("no answer within {STEP:?}"), |r| format!("{:?}", r.err()));
                panic!("chromedriver did not start {}: {why}\n{log}", chromium.display());
            }
        };
        let timeouts = TimeoutConfiguration::new(Some(STEP), Some(STEP), Some(Duration::ZERO));
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
        browser.step("set timeouts", |c| async move { c.update_timeouts(timeouts).await }).await;
        let _ = std::fs::remove_dir_all(&browser.shots);
        std::fs::create_dir_all(&browser.shots).expect("create the screenshot folder");
        browser
    }

    /// Runs one WebDriver step with a deadline; a failure or a timeout ends the test, saying
    /// what the browser shows.
    pub(super) async fn step<T, F, Fut>(&mut self, what: &str, f: F) -> T
    where
        F: FnOnce(Client) -> Fut,
        Fut: Future<Output = Result<T, CmdError>>,
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
            let url = client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
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
        self.step(&what, |c| async move { c.wait().at_most(STEP).for_element(Locator::Css(css)).await }).await
    }

    /// The first element matching `css` now, if any.
    pub(super) async fn find(&mut self, css: &str) -> Option<Element> {
        let client = self.client.clone();
        match tokio::time::timeout(STEP, client.find(Locator::Css(css))).await {
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
        self.step("read the cookies", |c| async move { c.get_all_cookies().await }).await
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
