//! Runs every scenario against both adapters, and the cross-adapter session check.

use govuk_one_login_conformance::{ActixAdapter, AxumAdapter, Env, scenarios};

mod browser;
mod interop;
mod local_development;
mod logs;
mod metrics;
mod multi_instance;
mod openapi;
mod start_up;

macro_rules! scenarios {
    ($module:ident, $adapter:expr, [$($name:ident),* $(,)?]) => {
        mod $module {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    scenarios::$name(&$adapter).await;
                }
            )*
        }
    };
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        scenarios!(axum, AxumAdapter, [$($name),*]);
        scenarios!(actix, ActixAdapter, [$($name),*]);
    };
}

both!(
    sign_in_medium,
    welsh_language_switch,
    user_data_is_escaped,
    assets_are_served_and_nothing_else,
    sign_in_low,
    sign_in_identity,
    api_without_session_gets_401,
    step_up_to_identity,
    level_met_needs_no_round_trip,
    json_views,
    cancel_gets_a_friendly_page,
    provider_errors_map_to_statuses,
    every_token_fault_is_refused,
    identity_not_proven,
    sign_out,
    sign_out_needs_csrf,
    backchannel_logout,
    oversized_forms_are_refused_and_close_the_connection,
    a_denial_with_an_unread_body_closes_the_connection,
    sign_out_on_every_device,
    replayed_callback,
    tampered_cookie,
    open_redirects_are_refused,
    outage_keeps_signed_in_users_working,
    parallel_tabs,
    cookie_attributes,
    publishes_rp_jwks,
    security_events_of_every_type,
    security_event_ends_a_live_session,
    security_event_assurance_change_steps_up,
    security_events_refused,
    security_event_stream_verification,
);

/// A session created through one adapter is readable by the other when they share a store and
/// a provider; an app of another issuer sharing the store by mistake refuses it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_shared_between_adapters() {
    for (from, to) in [
        (
            &AxumAdapter as &dyn govuk_one_login_conformance::Adapter,
            &ActixAdapter as &dyn govuk_one_login_conformance::Adapter,
        ),
        (&ActixAdapter, &AxumAdapter),
    ] {
        let store = govuk_one_login::store::MemoryStore::new();
        let mock = std::sync::Arc::new(govuk_one_login_mock::MockProvider::start().await);
        let first = Env::start_sharing(from, mock.clone(), store.clone()).await;
        let mut b = first.browser();
        assert_eq!(b.visit(&first.url("/identity")).await.status, 200);
        let (name, value) = b.session_cookie().unwrap();
        let second = Env::start_sharing(to, mock, store.clone()).await;
        let mut other = second.browser();
        other.jar.insert(name.clone(), value.clone());
        other.accept = Some("application/json".into());
        let page = other.get(&second.url("/identity")).await;
        assert_eq!(page.status, 200, "{} -> {}", from.name(), to.name());
        assert_eq!(page.json()["name"], "Kenneth Decerqueira");

        let elsewhere = std::sync::Arc::new(govuk_one_login_mock::MockProvider::start().await);
        let third = Env::start_sharing(to, elsewhere, store).await;
        let mut stranger = third.browser();
        stranger.jar.insert(name, value);
        stranger.accept = Some("application/json".into());
        let page = stranger.get(&third.url("/identity")).await;
        assert_eq!(page.status, 401, "a session of another issuer is refused ({})", to.name());
    }
}
