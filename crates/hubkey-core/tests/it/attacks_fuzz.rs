//! Issue 18, point 9: property-based fuzzing (proptest) of the two parsers every untrusted callback goes
//! through: `parse_callback` against the loopback target (what the listener hands over) and against the
//! deep-link target (`hubkey://oauth/callback`, what a page or a second launch hands over). Bounded by case
//! counts, not time, so CI's run is the same length every time (a few seconds). The kept corpus is
//! `tests/corpus/callback-urls.txt` (the lines a red team tries first, with what each must give), and
//! proptest keeps any failing case it finds under `proptest-regressions/`, to be committed with its fix.

use hubkey_core::callback::{parse_callback, CallbackParams, CallbackTarget};
use proptest::prelude::*;
use url::form_urlencoded;

const PORT: u16 = 53682;
const PATH: &str = "/callback";

fn loopback() -> CallbackTarget {
    CallbackTarget::loopback(PORT, PATH)
}

fn targets() -> [CallbackTarget; 2] {
    [loopback(), CallbackTarget::deep_link()]
}

fn query(pairs: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        q.append_pair(k, v);
    }
    q.finish()
}

/// A code or state as HubSpot and Hubkey make them: printable ASCII, no spaces, 1 to 4096 characters.
fn token() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[!-~]{1,300}").unwrap()
}

#[test]
fn attack_fuzz_corpus_every_kept_line_gives_what_it_must_and_nothing_panics() {
    let corpus = include_str!("../corpus/callback-urls.txt");
    let mut checked = 0;
    for line in corpus.lines().filter(|l| !l.starts_with('#')) {
        let (must_accept, url) = match line.strip_prefix("ok ") {
            Some(url) => (true, url),
            None => (false, line),
        };
        let accepted: Vec<bool> = targets().iter().map(|t| parse_callback(url, t).is_ok()).collect();
        if must_accept {
            assert_eq!(
                accepted.iter().filter(|a| **a).count(),
                1,
                "{url}: accepted by exactly its own target: {accepted:?}"
            );
        } else {
            assert_eq!(accepted, vec![false, false], "{url}: must be refused");
        }
        checked += 1;
    }
    assert!(checked >= 30, "the corpus was read ({checked} lines)");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    /// Any text at all: an answer, never a panic.
    #[test]
    fn attack_fuzz_any_text_as_a_callback_never_panics(text in any::<String>()) {
        for t in targets() {
            let _ = parse_callback(&text, &t);
        }
    }

    /// Text shaped like a callback (the right prefix, then anything): an answer, never a panic; and what is
    /// accepted carries a state and a code or an error of HubSpot's alphabet.
    #[test]
    fn attack_fuzz_anything_after_a_valid_prefix_never_panics_and_what_passes_is_well_formed(
        tail in "[ -~\\u{80}-\\u{10ffff}]{0,200}",
        prefix in prop::sample::select(vec![
            "http://localhost:53682/callback?",
            "http://localhost:53682/callback",
            "hubkey://oauth/callback?",
            "hubkey://oauth/callback",
            "hubkey://",
            "http://localhost:53682",
        ]),
    ) {
        let url = format!("{prefix}{tail}");
        for t in targets() {
            match parse_callback(&url, &t) {
                Ok(CallbackParams::Code { code, state }) => {
                    prop_assert!(code.expose().bytes().all(|b| b.is_ascii_graphic()), "{url}");
                    prop_assert!(!state.expose().is_empty() && state.expose().bytes().all(|b| b.is_ascii_graphic()), "{url}");
                }
                Ok(CallbackParams::Error { error, state, .. }) => {
                    prop_assert!(!error.is_empty(), "{url}");
                    prop_assert!(!error.chars().any(char::is_control), "{url}");
                    prop_assert!(!state.expose().is_empty(), "{url}");
                }
                Err(_) => {}
            }
        }
    }

    /// Whatever HubSpot's code and Hubkey's state are, encoded as a browser would send them, each target gets
    /// back exactly those, with any other parameters ignored.
    #[test]
    fn attack_fuzz_code_and_state_round_trip_exactly_through_both_targets(
        code in token(),
        state in token(),
        extra in "[a-z_]{1,12}",
        extra_value in "[ -~]{0,40}",
    ) {
        prop_assume!(!["code", "state", "error", "error_description"].contains(&extra.as_str()));
        let q = query(&[("code", &code), (&extra, &extra_value), ("state", &state)]);
        for (t, base) in [
            (loopback(), format!("http://localhost:{PORT}{PATH}")),
            (CallbackTarget::deep_link(), "hubkey://oauth/callback".to_string()),
        ] {
            match parse_callback(&format!("{base}?{q}"), &t) {
                Ok(CallbackParams::Code { code: got, state: got_state }) => {
                    prop_assert_eq!(got.expose(), code.as_str());
                    prop_assert_eq!(got_state.expose(), state.as_str());
                }
                other => prop_assert!(false, "{base}?{q}: {other:?}"),
            }
        }
    }

    /// The same callback aimed anywhere else (another port, path, host, scheme, user info, a fragment) or with
    /// a parameter given twice is refused.
    #[test]
    fn attack_fuzz_a_callback_aimed_elsewhere_or_with_a_repeated_parameter_is_refused(
        code in token(),
        state in token(),
        other_port in 1u16..,
        other_path in "/[a-zA-Z0-9/._-]{0,20}",
        twice in prop::sample::select(vec!["code", "state"]),
    ) {
        prop_assume!(other_port != PORT && other_path != PATH);
        let q = query(&[("code", &code), ("state", &state)]);
        for url in [
            format!("http://localhost:{other_port}{PATH}?{q}"),
            format!("http://localhost:{PORT}{other_path}?{q}"),
            format!("http://localhost.evil.example:{PORT}{PATH}?{q}"),
            format!("https://localhost:{PORT}{PATH}?{q}"),
            format!("http://u@localhost:{PORT}{PATH}?{q}"),
            format!("http://localhost:{PORT}{PATH}?{q}#x"),
            format!("http://localhost:{PORT}{PATH}?{q}&{}", query(&[(twice, "again")])),
        ] {
            prop_assert!(parse_callback(&url, &loopback()).is_err(), "accepted: {url}");
        }
        for url in [
            format!("hubkey://evil/callback?{q}"),
            format!("hubkey://oauth{other_path}?{q}"),
            format!("hubkey://u@oauth/callback?{q}"),
            format!("hubkey://oauth/callback?{q}#x"),
            format!("hubkey://oauth/callback?{q}&{}", query(&[(twice, "again")])),
        ] {
            prop_assert!(parse_callback(&url, &CallbackTarget::deep_link()).is_err(), "accepted: {url}");
        }
    }
}
