//! `ReturnPath::parse`: whatever it keeps is a local path on this host.
#![no_main]

use govuk_one_login::ReturnPath;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let parsed = ReturnPath::parse(&s);
    assert_eq!(ReturnPath::parse_or_root(&s).as_str(), parsed.as_ref().map_or("/", ReturnPath::as_str));
    let Some(p) = parsed else {
        // Refused when given, refused when read back from a store or a form.
        assert!(serde_json::from_value::<ReturnPath>(serde_json::Value::String(s.into_owned())).is_err());
        return;
    };
    let path = p.as_str();
    assert_eq!(path, s, "kept as given");
    assert_eq!(p.to_string(), path);
    assert!(path.starts_with('/'), "{path:?}");
    assert!(!path.starts_with("//") && !path.starts_with("/\\"), "{path:?}");
    assert!(!path.contains('\\'), "{path:?}");
    assert!(path.len() <= 1024);
    assert!(path.bytes().all(|b| b.is_ascii_graphic() && !b"\"'<>`".contains(&b)), "{path:?}");
    // Percent-decoded once, it still does not start with `//` or `/\`, nor holds a backslash.
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    assert!(
        !decoded.starts_with("//") && !decoded.starts_with("/\\") && !decoded.contains('\\'),
        "{path:?} decodes to {decoded:?}"
    );
    // A browser resolving it against any page of the service stays on the service.
    for base in ["https://service.example/start", "https://service.example/a/b?c=d", "http://127.0.0.1:8080/"] {
        let base = url::Url::parse(base).unwrap();
        let joined = base.join(path).expect("a local path resolves");
        assert_eq!(joined.scheme(), base.scheme(), "{path:?}");
        assert_eq!(joined.host_str(), base.host_str(), "{path:?}");
        assert_eq!(joined.port(), base.port(), "{path:?}");
        assert!(joined.username().is_empty() && joined.password().is_none(), "{path:?}");
    }
    // Stored and read back, it is the same path.
    let json = serde_json::to_string(&p).unwrap();
    assert_eq!(serde_json::from_str::<ReturnPath>(&json).unwrap(), p);
});
