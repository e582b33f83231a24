//! Each demo's `/metrics`: the library's counters and histograms in Prometheus text, after a
//! sign-in, a step-up and a failed sign-in, with no personal data in any label.

use govuk_one_login_conformance::Browser;
use govuk_one_login_conformance::process::{DemoKind, DemoProcess, env_for, free_port};
use govuk_one_login_mock::{Fault, MockProvider, TestUser};

/// The value of the counter (or count) `name{labels}` in `text`, if present.
fn sample(text: &str, name_and_labels: &str) -> Option<u64> {
    text.lines().find_map(|l| l.strip_prefix(name_and_labels)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_demo_exports_sign_ins_step_ups_failures_and_calls_to_one_login() {
    for kind in [DemoKind::Axum, DemoKind::Actix] {
        let mock = MockProvider::start().await;
        let listen = free_port();
        let base = format!("http://{listen}");
        let env = env_for(&mock, &base);
        let demo = tokio::task::block_in_place(|| DemoProcess::spawn(kind, listen, &env));
        let mut browser = Browser::new(&base);
        assert_eq!(browser.visit(&format!("{base}/account")).await.status, 200);
        assert_eq!(browser.visit(&format!("{base}/identity")).await.status, 200);
        mock.set_fault(Fault::IdTokenWrongIssuer);
        assert_eq!(Browser::new(&base).visit(&format!("{base}/account")).await.status, 502);

        let page = browser.get(&format!("{}/metrics", demo.base())).await;
        assert_eq!(page.status, 200);
        let text = page.body;
        let name = kind.binary_name();
        let count = |s: &str| sample(&text, s).unwrap_or_else(|| panic!("{name}: no `{s}` in:\n{text}"));
        assert_eq!(count(r#"govuk_one_login_sign_ins_started_total{level="Cl.Cm",kind="sign_in"}"#), 2);
        assert_eq!(count(r#"govuk_one_login_sign_ins_started_total{level="Cl.Cm.P2",kind="step_up"}"#), 1);
        assert_eq!(count(r#"govuk_one_login_sign_ins_completed_total{level="Cl.Cm"}"#), 1);
        assert_eq!(count(r#"govuk_one_login_sign_ins_completed_total{level="Cl.Cm.P2"}"#), 1);
        assert_eq!(count(r#"govuk_one_login_sign_ins_failed_total{reason="sign_in_failed"}"#), 1);
        // Preflight fetched discovery and the key set; the step-up fetched the DID document.
        assert_eq!(count(r#"govuk_one_login_document_fetches_total{document="discovery",outcome="ok"}"#), 1);
        assert_eq!(count(r#"govuk_one_login_document_fetches_total{document="did_document",outcome="ok"}"#), 1);
        assert_eq!(
            count(r#"govuk_one_login_outbound_request_duration_seconds_count{endpoint="token",outcome="ok"}"#),
            3
        );
        let user = TestUser::default();
        for personal in [user.sub.as_str(), &user.email, "eyJ", "code="] {
            assert!(!text.contains(personal), "{name}: `{personal}` in the metrics:\n{text}");
        }
    }
}
