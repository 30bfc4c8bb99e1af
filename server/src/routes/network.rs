//! Who the client is, behind reverse proxies the operator trusts.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::Response,
};
use wharf_service::{
    ClientIp,
    audit::{self, Channel, Via},
};

use crate::{config::Network, state::AppState};

/// Puts the client's address in the request ([`ClientIp`]) for the sign-in limits: the
/// peer's, or, when the peer is a trusted proxy, the last address in `X-Forwarded-For`
/// that is not a trusted proxy itself. The request runs with its [`Via`] (address and
/// channel) set, for the audit records of what it does.
pub async fn client_ip(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let mut address = None;
    if let Some(peer) = peer {
        let forwarded = request.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
        let ip = resolve(&state.network, peer, forwarded);
        request.extensions_mut().insert(ClientIp(ip));
        address = Some(ip);
    }
    let origin = Via { channel: channel(request.uri().path()), address };
    audit::within(origin, next.run(request)).await
}

/// Which of Wharf's doors a path belongs to: cargo's registry routes, the REST API, or
/// the portal (its pages, forms and server functions).
pub fn channel(path: &str) -> Channel {
    if path.contains("/_packaging/") {
        Channel::Cargo
    } else if path.starts_with("/_apis/") || path.contains("/_apis/") {
        Channel::Rest
    } else {
        Channel::Portal
    }
}

/// The client's address from the peer and the `X-Forwarded-For` headers (in order).
pub fn resolve<'a>(network: &Network, peer: IpAddr, forwarded: impl Iterator<Item = &'a str>) -> IpAddr {
    let trusted = |ip: &IpAddr| network.trusted_proxies.iter().any(|net| net.contains(ip));
    if !trusted(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> =
        forwarded.flat_map(|v| v.split(',')).filter_map(|hop| hop.trim().parse::<IpAddr>().ok()).collect();
    // From the nearest hop back: the first one no trusted proxy vouches for is the client.
    hops.iter().rev().find(|ip| !trusted(ip)).or(hops.first()).copied().unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn network(cidrs: &[&str]) -> Network {
        Network { trusted_proxies: cidrs.iter().map(|c| c.parse().unwrap()).collect(), ..Network::default() }
    }

    #[test]
    fn paths_name_their_channel() {
        assert_eq!(channel("/default/_packaging/f/Cargo/index/se/rd/serde"), Channel::Cargo);
        assert_eq!(channel("/default/p/_apis/packaging/feeds/f"), Channel::Rest);
        assert_eq!(channel("/_apis/tokens"), Channel::Rest);
        assert_eq!(channel("/api/create_feed"), Channel::Portal);
        assert_eq!(channel("/default/_settings/tokens"), Channel::Portal);
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let none = network(&[]);
        assert_eq!(resolve(&none, ip("10.0.0.1"), ["203.0.113.9"].into_iter()), ip("10.0.0.1"));
        let lb = network(&["10.0.0.0/8"]);
        assert_eq!(resolve(&lb, ip("10.0.0.1"), ["203.0.113.9"].into_iter()), ip("203.0.113.9"));
        // A client's own X-Forwarded-For is not believed: only the hop the proxy added.
        assert_eq!(resolve(&lb, ip("10.0.0.1"), ["1.2.3.4, 203.0.113.9"].into_iter()), ip("203.0.113.9"));
        assert_eq!(resolve(&lb, ip("10.0.0.1"), ["203.0.113.9", "10.0.0.7"].into_iter()), ip("203.0.113.9"));
        assert_eq!(resolve(&lb, ip("10.0.0.1"), ["garbage"].into_iter()), ip("10.0.0.1"));
        assert_eq!(resolve(&lb, ip("192.0.2.1"), ["203.0.113.9"].into_iter()), ip("192.0.2.1"));
    }
}
