//! Unit tests of [`super`] (the module's specification, beside it).
use super::*;
use crate::ErrorCode;

fn lb() -> CallbackTarget {
    CallbackTarget::loopback(3000, "/oauth-callback")
}

fn code_and_state(p: &CallbackParams) -> (String, String) {
    match p {
        CallbackParams::Code { code, state } => (code.expose().to_string(), state.expose().to_string()),
        CallbackParams::Error { .. } => panic!("expected a code, got {p:?}"),
    }
}

#[test]
fn c6_given_url_variants_when_parsed_then_only_the_exact_target_is_accepted_and_values_decode_once() {
    // (case, url, target, expected: Ok((code, state)) or Err(code))
    type Want = std::result::Result<(&'static str, &'static str), ErrorCode>;
    let dl = CallbackTarget::deep_link();
    let lb = lb();
    let cases: Vec<(&str, &str, &CallbackTarget, Want)> = vec![
        (
            "loopback plain",
            "http://localhost:3000/oauth-callback?code=c1&state=s1",
            &lb,
            Ok(("c1", "s1")),
        ),
        (
            "deep link plain",
            "hubkey://oauth/callback?code=c1&state=s1",
            &dl,
            Ok(("c1", "s1")),
        ),
        (
            "uppercase scheme (loopback)",
            "HTTP://localhost:3000/oauth-callback?code=c&state=s",
            &lb,
            Ok(("c", "s")),
        ),
        (
            "uppercase scheme (deep link)",
            "HUBKEY://oauth/callback?code=c&state=s",
            &dl,
            Ok(("c", "s")),
        ),
        (
            "uppercase host",
            "hubkey://OAUTH/callback?code=c&state=s",
            &dl,
            Ok(("c", "s")),
        ),
        (
            "extra params ignored",
            "hubkey://oauth/callback?code=c&state=s&utm=1",
            &dl,
            Ok(("c", "s")),
        ),
        (
            "percent-encoded values",
            "hubkey://oauth/callback?code=na1-%61b&state=x%2By%3D",
            &dl,
            Ok(("na1-ab", "x+y=")),
        ),
        (
            "decoded exactly once",
            "hubkey://oauth/callback?code=%2541&state=s",
            &dl,
            Ok(("%41", "s")),
        ),
        (
            "plus is a space, which no HubSpot code holds",
            "hubkey://oauth/callback?code=a+b&state=s",
            &dl,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "%20 is a space too",
            "hubkey://oauth/callback?code=a%20b&state=s",
            &dl,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "a percent-encoded value decodes once",
            "hubkey://oauth/callback?code=a%2Bb%2525&state=s",
            &dl,
            Ok(("a+b%25", "s")),
        ),
        (
            "a state that is not UTF-8",
            "hubkey://oauth/callback?code=c&state=%ff%fe",
            &dl,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "percent-encoded key",
            "hubkey://oauth/callback?%63ode=c&state=s",
            &dl,
            Ok(("c", "s")),
        ),
        (
            "extra path segment",
            "hubkey://oauth/callback/extra?code=c&state=s",
            &dl,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "extra path segment (loopback)",
            "http://localhost:3000/oauth-callback/x?code=c&state=s",
            &lb,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "path prefix only",
            "http://localhost:3000/oauth?code=c&state=s",
            &lb,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "trailing slash",
            "http://localhost:3000/oauth-callback/?code=c&state=s",
            &lb,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "trailing slash (deep link)",
            "hubkey://oauth/callback/?code=c&state=s",
            &dl,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "path case differs",
            "http://localhost:3000/OAUTH-callback?code=c&state=s",
            &lb,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "percent-encoded path",
            "http://localhost:3000/oauth%2Dcallback?code=c&state=s",
            &lb,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "other host",
            "hubkey://evil/callback?code=c&state=s",
            &dl,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "other port",
            "http://localhost:3001/oauth-callback?code=c&state=s",
            &lb,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "ip host",
            "http://127.0.0.1:3000/oauth-callback?code=c&state=s",
            &lb,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "port on deep link",
            "hubkey://oauth:80/callback?code=c&state=s",
            &dl,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "other scheme",
            "https://oauth/callback?code=c&state=s",
            &dl,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "user info",
            "hubkey://x@oauth/callback?code=c&state=s",
            &dl,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "no authority",
            "hubkey:oauth/callback?code=c&state=s",
            &dl,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "fragment",
            "hubkey://oauth/callback?code=c&state=s#frag",
            &dl,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "empty fragment",
            "hubkey://oauth/callback?code=c&state=s#",
            &dl,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "params only in fragment",
            "hubkey://oauth/callback#code=c&state=s",
            &dl,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "duplicate state",
            "hubkey://oauth/callback?code=c&state=s&state=t",
            &dl,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "duplicate state, same value",
            "hubkey://oauth/callback?state=s&code=c&state=s",
            &dl,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "duplicate state via encoding",
            "hubkey://oauth/callback?code=c&state=s&%73tate=t",
            &dl,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "duplicate code",
            "hubkey://oauth/callback?code=c&code=d&state=s",
            &dl,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "duplicate error",
            "hubkey://oauth/callback?error=a&error=b&state=s",
            &dl,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "missing state",
            "hubkey://oauth/callback?code=c",
            &dl,
            Err(ErrorCode::StateMissing),
        ),
        (
            "empty state",
            "hubkey://oauth/callback?code=c&state=",
            &dl,
            Err(ErrorCode::StateMissing),
        ),
        (
            "no query",
            "hubkey://oauth/callback",
            &dl,
            Err(ErrorCode::StateMissing),
        ),
        (
            "missing code",
            "hubkey://oauth/callback?state=s",
            &dl,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "empty code",
            "hubkey://oauth/callback?code=&state=s",
            &dl,
            Err(ErrorCode::CallbackInvalid),
        ),
        (
            "not a URL",
            "oauth/callback?code=c&state=s",
            &dl,
            Err(ErrorCode::CallbackInvalid),
        ),
    ];
    for (case, url, target, want) in cases {
        let got = parse_callback(url, target);
        match (want, got) {
            (Ok((code, state)), Ok(p)) => {
                assert_eq!(
                    code_and_state(&p),
                    (code.to_string(), state.to_string()),
                    "{case}"
                )
            }
            (Err(code), Err(e)) => assert_eq!(e.code(), code, "{case}: {e}"),
            (want, got) => panic!("{case}: wanted {want:?}, got {got:?}"),
        }
    }
}

#[test]
fn c2_given_a_callback_without_state_when_parsed_then_state_missing() {
    for url in [
        "hubkey://oauth/callback?code=abc",
        "hubkey://oauth/callback?error=access_denied",
    ] {
        let err = parse_callback(url, &CallbackTarget::deep_link()).unwrap_err();
        assert!(matches!(err, Error::StateMissing), "{url}: {err}");
    }
}

#[test]
fn c7_given_an_error_callback_with_markup_when_parsed_then_description_is_plain_and_escapes_for_html() {
    let url = "http://localhost:3000/oauth-callback?error=access_denied\
               &error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E+denied&state=s";
    let p = parse_callback(url, &lb()).unwrap();
    match &p {
        CallbackParams::Error {
            error,
            description,
            state,
        } => {
            assert_eq!(error, "access_denied");
            assert_eq!(description.as_deref(), Some("<script>alert(1)</script> denied"));
            assert_eq!(state.expose(), "s");
        }
        other => panic!("{other:?}"),
    }
    let escaped = p.escaped_description().unwrap();
    assert!(!escaped.contains("<script>"), "{escaped}");
    assert!(escaped.contains("&lt;script&gt;"), "{escaped}");
}

#[test]
fn given_an_error_and_a_code_when_parsed_then_the_error_wins() {
    let p = parse_callback(
        "hubkey://oauth/callback?code=c&error=access_denied&state=s",
        &CallbackTarget::deep_link(),
    )
    .unwrap();
    assert!(matches!(p, CallbackParams::Error { .. }));
    assert_eq!(p.escaped_description(), None);
}

#[test]
fn given_control_characters_and_huge_descriptions_when_parsed_then_they_are_cleaned_and_cut() {
    let long = "x".repeat(5000);
    let url = format!("hubkey://oauth/callback?error=bad%0D%0Aline&error_description={long}&state=s");
    match parse_callback(&url, &CallbackTarget::deep_link()).unwrap() {
        CallbackParams::Error {
            error, description, ..
        } => {
            assert_eq!(error, "bad  line", "control characters become spaces");
            assert_eq!(description.unwrap().chars().count(), MAX_DESCRIPTION + 1);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn given_failures_when_formatted_then_no_parameter_value_appears() {
    let target = CallbackTarget::deep_link();
    for url in [
        "hubkey://oauth/callback/x?code=SECRETCODE&state=SECRETSTATE",
        "hubkey://oauth/callback?code=SECRETCODE&code=SECRETCODE&state=SECRETSTATE",
        "hubkey://oauth/callback?code=SECRETCODE",
        "hubkey://oauth/callback?state=SECRETSTATE#SECRETCODE",
    ] {
        let e = parse_callback(url, &target).unwrap_err();
        let shown = format!("{e} {e:?} {}", e.hint());
        assert!(!shown.contains("SECRET"), "{shown}");
    }
    let ok = parse_callback(
        "hubkey://oauth/callback?code=SECRETCODE&state=SECRETSTATE",
        &target,
    )
    .unwrap();
    assert!(!format!("{ok:?}").contains("SECRET"));
}

#[test]
fn given_urls_when_redacted_then_only_scheme_and_length_remain() {
    assert_eq!(
        redact_url("hubkey://u:p@oauth/callback?code=SECRET&state=S#frag"),
        "hubkey: URL, 52 bytes"
    );
    assert_eq!(
        redact_url("HTTP://localhost:3000/cb?code=SECRET"),
        "http: URL, 36 bytes"
    );
    let hostile = "hubkey://oauth/$(touch /tmp/pwned)/callback\n2026 INFO forged";
    assert_eq!(
        redact_url(hostile),
        format!("hubkey: URL, {} bytes", hostile.len())
    );
    assert_eq!(redact_url("garbage?code=SECRET"), "<not a URL, 19 bytes>");
    assert_eq!(redact_url("$(x):y"), "<not a URL, 6 bytes>");
}

#[test]
fn given_registered_redirect_urls_when_classified_then_loopback_relay_or_a_reason() {
    let ok = |s: &str| redirect_target(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    assert_eq!(
        ok("http://localhost:3000/oauth-callback"),
        RedirectTarget::Loopback {
            port: 3000,
            path: "/oauth-callback".into()
        }
    );
    assert_eq!(
        ok("http://LOCALHOST:8765"),
        RedirectTarget::Loopback {
            port: 8765,
            path: "/".into()
        }
    );
    assert_eq!(
        ok("http://localhost:8765/"),
        RedirectTarget::Loopback {
            port: 8765,
            path: "/".into()
        }
    );
    assert_eq!(
        ok("http://localhost:80/cb"),
        RedirectTarget::Loopback {
            port: 80,
            path: "/cb".into()
        }
    );
    assert_eq!(
        ok("https://relay.example.com/hubkey/"),
        RedirectTarget::Relay {
            url: "https://relay.example.com/hubkey/".into()
        }
    );
    assert_eq!(
        ok("https://relay.example.com/hubkey/").callback_target(),
        CallbackTarget::deep_link()
    );
    assert_eq!(
        ok("http://localhost:3000/cb").callback_target(),
        CallbackTarget::loopback(3000, "/cb")
    );

    let refused = |s: &str, needle: &str| {
        let e = redirect_target(s).unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnservableRedirect, "{s}: {e}");
        assert!(e.to_string().contains(needle), "{s}: {e}");
    };
    let ip = "HubSpot rejects IP addresses in redirect URLs; register http://localhost:PORT/… instead";
    refused("http://127.0.0.1:3000/cb", ip);
    refused("http://[::1]:3000/cb", ip);
    refused("http://10.0.0.1:3000/cb", ip);
    refused("https://192.168.1.2/cb", ip);
    refused("http://localhost/cb", "port must be explicit");
    refused("http://localhost:0/cb", "port 0");
    refused("https://localhost:3000/cb", "cannot serve https");
    refused("https://localhost/cb", "cannot serve https");
    refused("http://example.com:3000/cb", "requires https");
    refused("http://example.com/cb", "requires https");
    refused("hubkey://oauth/callback", "relay page");
    refused("myapp:/callback", "only https");
    refused("file:///tmp/x", "only https");
    refused("http://u:p@localhost:3000/cb", "user name");
    refused("http://localhost:3000/cb?x=1", "query");
    refused("http://localhost:3000/cb#x", "fragment");
    refused("not a url", "not a URL");
}
