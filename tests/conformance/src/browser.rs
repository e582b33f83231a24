//! A minimal browser: keeps the app's cookies (whatever their `Secure` flag, since tests run
//! over http), follows redirects between the app and the stand-in, and lets tests tamper.

use std::collections::BTreeMap;

/// A response as the browser saw it.
#[derive(Debug, Clone)]
pub struct Page {
    /// The URL requested.
    pub url: String,
    /// Status code.
    pub status: u16,
    /// `Location`, for redirects.
    pub location: Option<String>,
    /// Every `Set-Cookie` header.
    pub set_cookies: Vec<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// The body.
    pub body: String,
}

impl Page {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    /// The path and query of `url`.
    pub fn path(&self) -> String {
        let u = url::Url::parse(&self.url).expect("url");
        u[url::Position::BeforePath..].to_owned()
    }
}

/// A browser with a cookie jar for the app's origin.
#[derive(Debug)]
pub struct Browser {
    client: reqwest::Client,
    app_host: String,
    /// The app's cookies, by name.
    pub jar: BTreeMap<String, String>,
    /// Extra headers on every request.
    pub accept: Option<String>,
    /// Set while [`follow`](Self::follow) is inside a redirect chain that left the app: the
    /// app's requests then say `Sec-Fetch-Site: cross-site`, as a browser's do.
    chain_left_app: bool,
    /// Inside [`follow`](Self::follow).
    in_chain: bool,
    /// Other sites' cookies, by `host:port` then name, once
    /// [`keep_other_sites_cookies`](Self::keep_other_sites_cookies) is called; otherwise only
    /// the app's are kept.
    other_sites: Option<BTreeMap<String, BTreeMap<String, String>>>,
}

impl Browser {
    /// A browser whose cookie jar belongs to `base` (`http://127.0.0.1:<port>`).
    pub fn new(base: &str) -> Self {
        let host = url::Url::parse(base).expect("base").host_str().map(str::to_owned).unwrap_or_default();
        let port = url::Url::parse(base).expect("base").port().unwrap_or(80);
        Self {
            client: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client"),
            app_host: format!("{host}:{port}"),
            jar: BTreeMap::new(),
            accept: None,
            chain_left_app: false,
            in_chain: false,
            other_sites: None,
        }
    }

    /// Keeps the cookies of every other site too (each sent back to its own `host:port` only,
    /// whatever their path), as a provider that keeps its own session in a cookie needs.
    pub fn keep_other_sites_cookies(&mut self) {
        self.other_sites.get_or_insert_with(BTreeMap::new);
    }

    fn site(url: &url::Url) -> String {
        format!("{}:{}", url.host_str().unwrap_or(""), url.port_or_known_default().unwrap_or(0))
    }

    fn is_app(&self, url: &url::Url) -> bool {
        format!("{}:{}", url.host_str().unwrap_or(""), url.port_or_known_default().unwrap_or(0)) == self.app_host
            || (url.scheme() == "https"
                && format!("{}:{}", url.host_str().unwrap_or(""), url.port().unwrap_or(443)) == self.app_host)
    }

    /// Sends a request; keeps the app's cookies.
    pub async fn send(&mut self, method: &str, url: &str, form: Option<&[(&str, &str)]>) -> Page {
        let mut parsed = url::Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        let app = self.is_app(&parsed);
        if app && parsed.scheme() == "https" {
            parsed.set_scheme("http").expect("scheme");
        }
        let mut req = self.client.request(method.parse().expect("method"), parsed.as_str());
        if app && !self.jar.is_empty() {
            let cookie = self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            req = req.header("cookie", cookie);
        }
        let site = Self::site(&parsed);
        if let Some(jar) = self.other_sites.as_ref().filter(|_| !app).and_then(|sites| sites.get(&site))
            && !jar.is_empty()
        {
            let cookie = jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            req = req.header("cookie", cookie);
        }
        if let Some(a) = &self.accept {
            req = req.header("accept", a);
        }
        if !app {
            self.chain_left_app = true;
        } else if self.in_chain && self.chain_left_app {
            req = req.header("sec-fetch-site", "cross-site").header("sec-fetch-mode", "navigate");
        }
        if let Some(f) = form {
            req = req.form(f);
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let h = |n: &str| resp.headers().get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let set_cookies: Vec<String> =
            resp.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect();
        let jar = if app { Some(&mut self.jar) } else { self.other_sites.as_mut().map(|s| s.entry(site).or_default()) };
        if let Some(jar) = jar {
            for c in &set_cookies {
                let pair = c.split(';').next().unwrap_or("");
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                if c.contains("Max-Age=0") || value.is_empty() {
                    jar.remove(name);
                } else {
                    jar.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        let (location, cache_control, content_type) = (h("location"), h("cache-control"), h("content-type"));
        let location = location.map(|l| parsed.join(&l).map(|u| u.to_string()).unwrap_or(l));
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap_or_default();
        Page { url: parsed.to_string(), status, location, set_cookies, cache_control, content_type, body }
    }

    /// GET.
    pub async fn get(&mut self, url: &str) -> Page {
        self.send("GET", url, None).await
    }

    /// POST a form.
    pub async fn post_form(&mut self, url: &str, form: &[(&str, &str)]) -> Page {
        self.send("POST", url, Some(form)).await
    }

    /// Follows redirects (GET) from `page` until a non-redirect, at most 10 hops.
    /// A chain that passed through another site (One Login) marks the app's requests after it
    /// `Sec-Fetch-Site: cross-site`, as a browser does.
    pub async fn follow(&mut self, mut page: Page) -> Page {
        self.chain_left_app = !self.is_app(&url::Url::parse(&page.url).expect("url"));
        self.in_chain = true;
        for _ in 0..10 {
            if let (301..=303 | 307 | 308, Some(next)) = (page.status, page.location.clone()) {
                page = self.get(&next).await;
            } else {
                self.in_chain = false;
                return page;
            }
        }
        self.in_chain = false;
        panic!("too many redirects, last at {}", page.url)
    }

    /// GET and follow redirects.
    pub async fn visit(&mut self, url: &str) -> Page {
        let page = self.get(url).await;
        self.follow(page).await
    }

    /// The session cookie's value, whichever name the configuration gives it.
    pub fn session_cookie(&self) -> Option<(String, String)> {
        self.jar.iter().find(|(k, _)| k.ends_with("one-login-session")).map(|(k, v)| (k.clone(), v.clone()))
    }
}
