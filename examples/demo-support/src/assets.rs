//! The pages' static files, embedded in the binary: the vendored GOV.UK Frontend
//! (`assets/govuk-frontend/`, written by `scripts/vendor-govuk-frontend`) and our own
//! `assets/service-header.css`, served under `/assets/` by both demos.
//!
//! Only the files listed here are served: a request names one by its exact path under
//! `/assets/`, so no path (`../`, an encoded slash, a directory) can reach anything else.

use std::sync::OnceLock;

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// The file's bytes.
    pub bytes: &'static [u8],
    /// Its `Content-Type`.
    pub content_type: &'static str,
}

/// The `Cache-Control` of every asset: a year, unchanging. Pages link to the CSS and JS with
/// their content's digest in the query ([`url()`]), and the fonts' names carry one already, so a
/// new copy is a new URL.
pub const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// The URL prefix the demos serve the assets under.
pub const PREFIX: &str = "/assets/";

/// The vendored GOV.UK Frontend version (its `VERSION` file).
pub fn govuk_frontend_version() -> &'static str {
    include_str!("../assets/govuk-frontend/VERSION").trim()
}

macro_rules! files {
    ($($name:literal => $file:literal),* $(,)?) => {
        &[$(($name, include_bytes!(concat!("../assets/", $file)) as &[u8])),*]
    };
}

/// Every served file: its path under `/assets/`, and its bytes. A test checks that this is
/// the whole vendored copy, so a new GOV.UK Frontend version with other file names fails it.
pub(crate) const FILES: &[(&str, &[u8])] = files![
    "service-header.css" => "service-header.css",
    "govuk-frontend.min.css" => "govuk-frontend/govuk-frontend.min.css",
    "govuk-frontend.min.js" => "govuk-frontend/govuk-frontend.min.js",
    "manifest.json" => "govuk-frontend/manifest.json",
    "LICENSE.txt" => "govuk-frontend/LICENSE.txt",
    "fonts/bold-affa96571d-v2.woff" => "govuk-frontend/fonts/bold-affa96571d-v2.woff",
    "fonts/bold-b542beb274-v2.woff2" => "govuk-frontend/fonts/bold-b542beb274-v2.woff2",
    "fonts/light-94a07e06a1-v2.woff2" => "govuk-frontend/fonts/light-94a07e06a1-v2.woff2",
    "fonts/light-f591b13f7d-v2.woff" => "govuk-frontend/fonts/light-f591b13f7d-v2.woff",
    "images/favicon.ico" => "govuk-frontend/images/favicon.ico",
    "images/favicon.svg" => "govuk-frontend/images/favicon.svg",
    "images/govuk-crest.svg" => "govuk-frontend/images/govuk-crest.svg",
    "images/govuk-icon-180.png" => "govuk-frontend/images/govuk-icon-180.png",
    "images/govuk-icon-192.png" => "govuk-frontend/images/govuk-icon-192.png",
    "images/govuk-icon-512.png" => "govuk-frontend/images/govuk-icon-512.png",
    "images/govuk-icon-mask.svg" => "govuk-frontend/images/govuk-icon-mask.svg",
    "images/govuk-opengraph-image.png" => "govuk-frontend/images/govuk-opengraph-image.png",
];

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map_or("", |(_, ext)| ext) {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/manifest+json",
        "txt" => "text/plain; charset=utf-8",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// The asset at `path` (what follows `/assets/` in the request path), if it is one of ours.
pub fn get(path: &str) -> Option<Asset> {
    FILES.iter().find(|(name, _)| *name == path).map(|(name, bytes)| Asset { bytes, content_type: content_type(name) })
}

/// The asset for a whole request path (`/assets/…`), if it is one of ours.
pub fn for_request_path(path: &str) -> Option<Asset> {
    get(path.strip_prefix(PREFIX)?)
}

/// `/assets/<name>?v=<digest of its content>`: the URL pages link to, new whenever the file
/// changes (so that [`CACHE_CONTROL`] can say a year).
pub fn url(name: &str) -> String {
    static DIGESTS: OnceLock<Vec<(&'static str, u64)>> = OnceLock::new();
    let digests = DIGESTS.get_or_init(|| FILES.iter().map(|(name, bytes)| (*name, fnv1a(bytes))).collect());
    match digests.iter().find(|(n, _)| *n == name) {
        Some((_, digest)) => format!("{PREFIX}{name}?v={:08x}", digest & 0xffff_ffff),
        None => format!("{PREFIX}{name}"),
    }
}

/// FNV-1a: a cache-busting digest, not a security one.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vendored_file_is_served_and_nothing_else() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/govuk-frontend");
        let mut on_disk = Vec::new();
        let mut dirs = vec![root.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    on_disk.push(path.strip_prefix(&root).unwrap().to_str().unwrap().replace('\\', "/"));
                }
            }
        }
        on_disk.retain(|p| p != "VERSION");
        on_disk.push("service-header.css".into());
        on_disk.sort();
        let mut served: Vec<String> = FILES.iter().map(|(n, _)| (*n).to_owned()).collect();
        served.sort();
        assert_eq!(served, on_disk, "assets::FILES must list exactly the vendored files");
    }

    #[test]
    fn types_and_refusals() {
        assert_eq!(get("govuk-frontend.min.css").unwrap().content_type, "text/css; charset=utf-8");
        assert_eq!(for_request_path("/assets/fonts/bold-b542beb274-v2.woff2").unwrap().content_type, "font/woff2");
        for bad in ["../Cargo.toml", "fonts/../govuk-frontend.min.css", "fonts", "fonts/", "", "/etc/passwd", "VERSION"]
        {
            assert!(get(bad).is_none(), "{bad}");
        }
        assert!(for_request_path("/assets/../src/lib.rs").is_none());
        assert!(for_request_path("/other/govuk-frontend.min.css").is_none());
        assert!(url("govuk-frontend.min.css").starts_with("/assets/govuk-frontend.min.css?v="));
        assert_eq!(govuk_frontend_version(), "5.14.0");
    }
}
