//! Unit tests of [`super`] (the module's specification, beside it).
use super::*;

#[test]
fn l3_given_host_headers_when_checked_then_only_loopback_names_with_the_port_pass() {
    let check = |values: &[&str]| {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::HOST, HeaderValue::from_str(v).unwrap());
        }
        host_allowed(&h, 3000)
    };
    assert!(check(&["localhost:3000"]));
    assert!(check(&["LOCALHOST:3000"]));
    assert!(check(&["127.0.0.1:3000"]));
    assert!(check(&["[::1]:3000"]));
    assert!(!check(&[]));
    assert!(!check(&["localhost"]));
    assert!(!check(&["localhost:3001"]));
    assert!(!check(&["evil.example"]));
    assert!(!check(&["evil.example:3000"]));
    assert!(!check(&["localhost.evil.example:3000"]));
    assert!(!check(&["localhost:3000", "evil.example"]));
}
