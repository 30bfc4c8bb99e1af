//! Where a webhook may send. Only the webhooks of Wharf administrators go to this machine
//! or a private network; for the others the rule holds twice: on the URL when the webhook
//! is added and again before each attempt, and on every address a name resolves to when
//! Wharf connects (a resolver drops the internal answers), so a public name that resolves,
//! or later rebinds, to an internal address reaches nothing.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use ipnet::{Ipv4Net, Ipv6Net};

/// IPv4 ranges that are not the public internet (from IANA's special-purpose registry).
const INTERNAL_V4: [Ipv4Net; 11] = [
    Ipv4Net::new_assert(Ipv4Addr::new(0, 0, 0, 0), 8), // "this network": 0.0.0.0 reaches this machine
    Ipv4Net::new_assert(Ipv4Addr::new(10, 0, 0, 0), 8), // private
    Ipv4Net::new_assert(Ipv4Addr::new(100, 64, 0, 0), 10), // shared address space (carrier-grade NAT)
    Ipv4Net::new_assert(Ipv4Addr::new(127, 0, 0, 0), 8), // loopback
    Ipv4Net::new_assert(Ipv4Addr::new(169, 254, 0, 0), 16), // link-local (cloud metadata services)
    Ipv4Net::new_assert(Ipv4Addr::new(172, 16, 0, 0), 12), // private
    Ipv4Net::new_assert(Ipv4Addr::new(192, 0, 0, 0), 24), // IETF protocol assignments
    Ipv4Net::new_assert(Ipv4Addr::new(192, 168, 0, 0), 16), // private
    Ipv4Net::new_assert(Ipv4Addr::new(198, 18, 0, 0), 15), // benchmarking
    Ipv4Net::new_assert(Ipv4Addr::new(224, 0, 0, 0), 4), // multicast
    Ipv4Net::new_assert(Ipv4Addr::new(240, 0, 0, 0), 4), // reserved, and the broadcast address
];

/// IPv6 ranges that are not the public internet, beside those that embed an IPv4 address.
const INTERNAL_V6: [Ipv6Net; 8] = [
    Ipv6Net::new_assert(Ipv6Addr::UNSPECIFIED, 96), // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d
    Ipv6Net::new_assert(Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0), 48), // local-use NAT64
    Ipv6Net::new_assert(Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0), 64), // discard-only
    Ipv6Net::new_assert(Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 32), // Teredo
    Ipv6Net::new_assert(Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7), // unique local
    Ipv6Net::new_assert(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10), // link-local
    Ipv6Net::new_assert(Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10), // site-local (deprecated)
    Ipv6Net::new_assert(Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8), // multicast
];

/// NAT64's well-known prefix: the last 32 bits are the IPv4 address reached.
const NAT64: Ipv6Net = Ipv6Net::new_assert(Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96);
/// 6to4: bits 16 to 47 are the IPv4 address of the relay reached.
const SIX_TO_FOUR: Ipv6Net = Ipv6Net::new_assert(Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16);

/// The IPv4 address an IPv6 address stands for, if it embeds one: mapped (`::ffff:a.b.c.d`,
/// however it is spelled), NAT64 or 6to4.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let o = ip.octets();
    if let Some(v4) = ip.to_ipv4_mapped() {
        Some(v4)
    } else if NAT64.contains(&ip) {
        Some(Ipv4Addr::new(o[12], o[13], o[14], o[15]))
    } else if SIX_TO_FOUR.contains(&ip) {
        Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]))
    } else {
        None
    }
}

/// Whether `ip` is this machine, a private or link-local network, or no unicast host on the
/// public internet at all (unspecified, multicast, broadcast, reserved).
pub fn is_internal_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => INTERNAL_V4.iter().any(|net| net.contains(&v4)),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_internal_ip(IpAddr::V4(v4)),
            None => INTERNAL_V6.iter().any(|net| net.contains(&v6)),
        },
    }
}

/// Whether a URL's host names this machine or a private network: an internal address in
/// any of its spellings (the URL parser has made them one), or a name kept for this machine
/// or private networks, with or without the final dot.
pub fn is_internal_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name.is_empty() || name == "localhost" || name.ends_with(".localhost") || name.ends_with(".internal")
        }
        url::Host::Ipv4(ip) => is_internal_ip(IpAddr::V4(*ip)),
        url::Host::Ipv6(ip) => is_internal_ip(IpAddr::V6(*ip)),
    }
}

/// Why a name was not connected to: it has no address outside this machine and private
/// networks (or none at all; the two are not told apart, so the log cannot map a network).
#[derive(Debug, thiserror::Error)]
#[error("the host has no public address")]
pub struct NoPublicAddress;

/// The system's resolver, keeping only public addresses: a name that resolves only to
/// internal ones is refused before any connection is made.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await.map(Iterator::collect).unwrap_or_default();
            let public: Vec<SocketAddr> = found.into_iter().filter(|addr| !is_internal_ip(addr.ip())).collect();
            if public.is_empty() {
                return Err(Box::new(NoPublicAddress) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The clients deliveries go out with: one that reaches public addresses only, and one that
/// reaches anywhere, for the webhooks of Wharf administrators. Neither follows redirects (a
/// receiver cannot bounce Wharf elsewhere); each attempt has [`ATTEMPT`].
#[derive(Clone)]
pub struct Clients {
    public: reqwest::Client,
    anywhere: reqwest::Client,
}

/// How long one attempt may take.
pub const ATTEMPT: Duration = Duration::from_secs(10);

impl Clients {
    pub fn new() -> reqwest::Result<Self> {
        let builder = || reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(ATTEMPT);
        Ok(Clients { public: builder().dns_resolver(Arc::new(PublicOnly)).build()?, anywhere: builder().build()? })
    }

    /// The client for `url`, or why it is not sent: `inside` when the webhook may go to this
    /// machine or a private network. An address written in the URL is checked here, since
    /// no resolver sees it.
    pub fn for_url(&self, url: &url::Url, inside: bool) -> Result<&reqwest::Client, &'static str> {
        if inside {
            return Ok(&self.anywhere);
        }
        match url.host() {
            Some(host) if !is_internal_host(&host) => Ok(&self.public),
            _ => Err(REFUSED),
        }
    }
}

/// The delivery log's reason for an address refused before connecting.
pub const REFUSED: &str = "not sent: the address is on this machine or a private network, where only the webhooks \
                           of Wharf administrators go";

/// The delivery log's reason for an attempt that got no answer, without the connection's
/// details (which would tell which ports are open where).
pub fn failure(error: &reqwest::Error) -> String {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if e.is::<NoPublicAddress>() {
            return format!(
                "not sent: {NoPublicAddress} (only the webhooks of Wharf administrators go to this \
                            machine or a private network)"
            );
        }
        cause = e.source();
    }
    if error.is_timeout() {
        format!("no answer within {} s", ATTEMPT.as_secs())
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        "the request failed".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_of(url: &str) -> bool {
        let parsed = url::Url::parse(url).unwrap();
        is_internal_host(&parsed.host().unwrap())
    }

    #[test]
    fn every_spelling_of_an_internal_address_is_internal() {
        for url in [
            // Loopback, written every way the URL parser accepts.
            "http://127.0.0.1/",
            "http://127.1/",
            "http://2130706433/",
            "http://0x7f.0.0.1/",
            "http://0177.0.0.1/",
            "http://127.0.0.1./",
            "http://[::1]/",
            "http://[0:0:0:0:0:0:0:1]/",
            // IPv4-mapped IPv6, in both spellings, and IPv4-compatible.
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[::FFFF:10.1.2.3]/",
            "http://[::127.0.0.1]/",
            // Names of this machine and private networks, with the final dot too.
            "http://localhost/",
            "http://LOCALHOST./",
            "http://localhost../",
            "http://api.localhost./",
            "http://metadata.google.internal./",
            "http://db.internal/",
            // Private ranges.
            "http://10.0.0.1/",
            "http://172.16.0.1/",
            "http://172.31.255.255/",
            "http://192.168.1.1/",
            // Link-local, v4 (cloud metadata) and v6 (fe80::/10).
            "http://169.254.169.254/",
            "http://[fe80::1]/",
            "http://[febf:ffff::1]/",
            // Unique local fc00::/7, and the deprecated site-local.
            "http://[fc00::1]/",
            "http://[fd12:3456::1]/",
            "http://[fec0::1]/",
            // NAT64 (64:ff9b::/96) to an internal address, both spellings; local-use NAT64.
            "http://[64:ff9b::7f00:1]/",
            "http://[64:ff9b::192.168.0.1]/",
            "http://[64:ff9b:1::8.8.8.8]/",
            // 6to4 of loopback, Teredo.
            "http://[2002:7f00:1::]/",
            "http://[2001:0:4136:e378::1]/",
            // Shared address space 100.64.0.0/10, "this network" 0.0.0.0/8.
            "http://100.64.0.1/",
            "http://100.127.255.254/",
            "http://0.0.0.0/",
            "http://0.1.2.3/",
            "http://[::]/",
            // Multicast v4 and v6, broadcast, reserved, benchmarking.
            "http://224.0.0.1/",
            "http://239.255.255.250/",
            "http://[ff02::1]/",
            "http://[ff0e::1]/",
            "http://255.255.255.255/",
            "http://240.0.0.1/",
            "http://198.18.0.1/",
        ] {
            assert!(host_of(url), "{url} should be internal");
        }
    }

    #[test]
    fn public_addresses_and_names_are_not() {
        for url in [
            "http://8.8.8.8/",
            "http://1.1.1.1/",
            "http://100.63.255.255/",
            "http://100.128.0.1/",
            "http://172.32.0.1/",
            "http://192.169.0.1/",
            "http://223.255.255.255/",
            "http://[2606:4700:4700::1111]/",
            "http://[2a00:1450:4001::200e]/",
            "http://[::ffff:8.8.8.8]/",
            "http://[64:ff9b::8.8.8.8]/",
            "http://[2002:808:808::]/",
            "http://example.com/",
            "http://example.com./",
            "http://localhost.example.com/",
            "http://internal.example.com/",
        ] {
            assert!(!host_of(url), "{url} should be public");
        }
    }

    #[tokio::test]
    async fn the_resolver_drops_internal_answers() {
        use reqwest::dns::Resolve;
        // `localhost` resolves (from the hosts file) to loopback only: nothing is left.
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let refused = PublicOnly.resolve(name).await.err().expect("loopback answers are dropped");
        assert!(refused.is::<NoPublicAddress>(), "{refused}");
    }

    #[test]
    fn only_administrators_webhooks_get_the_client_that_reaches_inside() {
        let clients = Clients::new().unwrap();
        let inside = url::Url::parse("http://[::ffff:127.0.0.1]:8080/hook").unwrap();
        assert_eq!(clients.for_url(&inside, false).err(), Some(REFUSED));
        assert!(clients.for_url(&inside, true).is_ok());
        let public = url::Url::parse("https://hooks.example.com/x").unwrap();
        assert!(clients.for_url(&public, false).is_ok());
    }
}
