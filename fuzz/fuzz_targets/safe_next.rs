//! The sign-in `next` check, `wharf_core::urls::safe_next(public_url, next)`, and the
//! public URL it is checked against (`PublicUrl::parse`).
//!
//! Written against the signature `fn safe_next(&PublicUrl, &str) -> Option<String>`: a
//! same-origin path to redirect to after sign-in, or `None`. (Until the real function is
//! merged, `wharf-core` carries a temporary stand-in with that signature.)
//!
//! Input: text. When its first line is a public URL, that is the base and the rest is
//! `next`; otherwise one of a few fixed bases is used and all of it is `next`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use url::Url;
use wharf_core::{PublicUrl, urls::safe_next};

const BASES: [&str; 3] = ["https://pkgs.example.com", "https://pkgs.example.com/wharf", "http://127.0.0.1:3000"];

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (public, next) = match text.split_once('\n').map(|(base, next)| (PublicUrl::parse(base), base, next)) {
        Some((Ok(public), raw, next)) => {
            check_public_url(raw, &public);
            (public, next)
        }
        _ => (PublicUrl::parse(BASES[text.len() % BASES.len()]).unwrap(), &*text),
    };
    check_safe_next(&public, next);
});

/// A parsed public URL is normalised once and for all: parsing it again changes nothing.
fn check_public_url(raw: &str, public: &PublicUrl) {
    let s = public.as_str();
    assert!(s.starts_with("http://") || s.starts_with("https://"));
    assert_eq!(public.is_https(), s.starts_with("https://"));
    assert!(!s.ends_with('/'));
    assert!(!s.contains(['?', '#']));
    assert!(raw.trim().starts_with(s));
    assert_eq!(PublicUrl::parse(s).as_ref(), Ok(public), "parsing {s:?} again changed it");
    assert_eq!(public.join("/x"), format!("{s}/x"));
}

fn check_safe_next(public: &PublicUrl, next: &str) {
    let base = Url::parse(public.as_str()).ok().filter(|u| u.has_host());
    let Some(path) = safe_next(public, next) else {
        // Plain paths of the site are let through (else sign-in could never go back).
        let plain = next.starts_with('/')
            && !next.starts_with("//")
            && next.bytes().all(|b| b.is_ascii_alphanumeric() || b"/_-".contains(&b));
        let origin_only = base.as_ref().is_some_and(|b| b.path() == "/");
        assert!(!(plain && origin_only), "safe_next refused the plain path {next:?}");
        return;
    };
    assert!(path.starts_with('/') && !path.starts_with("//"), "{path:?} does not start with exactly one /");
    assert!(!path.contains('\\'), "{path:?} has a backslash");
    assert!(!path.chars().any(|c| c.is_ascii_control() || c.is_whitespace()), "{path:?} has a control or space");
    if let Some(base) = &base {
        // As a Location header, resolved against any page of the site the way a browser does…
        for page in ["", "/", "/a/b", "/_signin?next=x"] {
            let page = Url::parse(&format!("{}{page}", public.as_str())).unwrap_or_else(|_| base.clone());
            let resolved = page.join(&path).unwrap_or_else(|e| panic!("{path:?} does not resolve: {e}"));
            assert_eq!(resolved.origin(), base.origin(), "{path:?} leaves the site from {page}");
        }
        // …and joined onto the public URL as Wharf builds absolute URLs.
        let joined = Url::parse(&public.join(&path)).unwrap_or_else(|e| panic!("{path:?} joined is no URL: {e}"));
        assert_eq!(joined.origin(), base.origin(), "{path:?} joined to {public} leaves the site");
    }
    assert!(safe_next(public, &path).is_some(), "safe_next refuses its own answer {path:?}");
}
