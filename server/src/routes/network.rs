//! Who the client is, behind reverse proxies the operator trusts.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::Response,
};
use wharf_service::ClientIp;

use crate::{config::Network, state::AppState};

/// Puts the client's address in the request ([`ClientIp`]) for the sign-in limits: the
/// peer's, or, when the peer is a trusted proxy, the last address in `X-Forwarded-For`
/// that is not a trusted proxy itself.
pub async fn client_ip(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    if let Some(peer) = peer {
        let forwarded = request.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
        let ip = resolve(&state.network, peer, forwarded);
        request.extensions_mut().insert(ClientIp(ip));
    }
    next.run(request).await
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
        Network { trusted_proxies: cidrs.iter().map(|c| c.parse().unwrap()).collect(), metrics_token_hash: None }
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
