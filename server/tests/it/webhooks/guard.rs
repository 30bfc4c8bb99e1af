//! Only the webhooks of Wharf administrators reach this machine: every spelling of a
//! loopback or private address is refused when a webhook is added, a name that resolves
//! to loopback is never connected to, and a webhook whose creator is no longer an
//! administrator stops reaching inside. Deliveries go only to a receiver on loopback.

use std::{net::IpAddr, time::Duration};

use reqwest::Method;
use serde_json::{Value, json};
use wharf_test_support::{Engine, on_both_engines};

use super::{FEED, SECRET, receiver, receiver_at, until_deliveries};
use crate::helpers::Caller;
use crate::running::{Options, RunningWharf};

/// A name other than `localhost` that this machine's hosts file maps to loopback (its own
/// host name, usually), and that address.
async fn loopback_name() -> (String, IpAddr) {
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let mut names: Vec<String> = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| vec![name.trim().to_owned()])
        .unwrap_or_default();
    for line in hosts.lines().map(|l| l.split('#').next().unwrap_or_default()) {
        let mut fields = line.split_whitespace();
        if fields.next().and_then(|ip| ip.parse::<IpAddr>().ok()).is_some_and(|ip| ip.is_loopback()) {
            names.extend(fields.map(str::to_owned));
        }
    }
    for name in names.into_iter().filter(|n| !n.is_empty() && !n.contains("localhost")) {
        let Ok(found) = tokio::net::lookup_host((name.as_str(), 0)).await else { continue };
        let found: Vec<IpAddr> = found.map(|a| a.ip()).collect();
        if let Some(ip) = found.iter().find(|ip| ip.is_ipv4() && ip.is_loopback())
            && found.iter().all(|ip| ip.is_loopback())
        {
            return (name, *ip);
        }
    }
    panic!("this test needs a name besides localhost that resolves to loopback (the host name, in /etc/hosts)");
}

/// Adds a webhook to `url` as `caller`: the status and the answer.
async fn add(wharf: &RunningWharf, caller: &Caller, url: &str) -> (u16, Value) {
    let res = caller
        .apply(wharf.http().post(wharf.url(&format!("{FEED}/webhooks"))))
        .header("content-type", "application/json")
        .body(json!({"url": url, "events": ["publish"], "secret": SECRET}).to_string())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, serde_json::from_str(&res.text().await.unwrap()).unwrap_or_default())
}

/// Queues a ping to webhook `id` as `caller`.
async fn ping(wharf: &RunningWharf, caller: &Caller, id: i64) {
    let res = caller.apply(wharf.http().post(wharf.url(&format!("{FEED}/webhooks/{id}/test")))).send().await.unwrap();
    assert_eq!(res.status(), 202);
}

async fn only_administrators_webhooks_reach_this_machine(engine: Engine) {
    let upstream = wharf_test_support::upstream::LocalUpstream::start(vec![]).await;
    let wharf = RunningWharf::start(engine, Options::upstream(upstream.index_url(), Duration::from_secs(300))).await;
    wharf.create_feed("hooks", false).await;
    let (url, received) = receiver(vec![]).await;
    let port = url.rsplit(':').next().unwrap().split('/').next().unwrap().to_owned();
    // A feed Administrator who is not a Wharf administrator, and one who is.
    let member = wharf.user("hook-member", wharf_core::TokenScope::Write).await;
    let hash = wharf::auth::hash_password("a long password").unwrap();
    wharf.db.users().create("hook-boss", &hash, true).await.unwrap();
    let boss = wharf.user("hook-boss", wharf_core::TokenScope::Write).await;
    let (status, _) = wharf
        .send(
            Method::PATCH,
            &format!("{FEED}/permissions"),
            Some(json!([{"user": "hook-member", "role": "administrator"}, {"user": "hook-boss", "role": "administrator"}])),
        )
        .await;
    assert_eq!(status, 200);

    // Every spelling of this machine and of networks that are not public: refused when added.
    for host in [
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "localhost.",
        "127.1",
        "[fe80::1]",
        "[64:ff9b::7f00:1]",
        "100.64.0.1",
        "0.0.0.0",
        "0.1.2.3",
        "224.0.0.1",
        "[ff02::1]",
        "255.255.255.255",
        "[fd00::2]",
        "169.254.169.254",
    ] {
        let (status, answer) = add(&wharf, &member, &format!("http://{host}:{port}/hook")).await;
        assert_eq!(status, 422, "{host}: {answer}");
        assert_eq!(answer["errors"][0]["field"], "url", "{answer}");
        assert!(answer.to_string().contains("Only Wharf administrators"), "{answer}");
    }
    let (_, list) = wharf.send(Method::GET, &format!("{FEED}/webhooks"), None).await;
    assert_eq!(list["count"], 0, "{list}");

    // A name that resolves to loopback passes the check of the address, but is never
    // connected to: the resolver drops loopback answers.
    let (name, ip) = loopback_name().await;
    let (named_url, named_received) = receiver_at(ip, vec![]).await;
    let named_port = named_url.rsplit(':').next().unwrap().split('/').next().unwrap().to_owned();
    let (status, hook) = add(&wharf, &member, &format!("http://{name}:{named_port}/hook")).await;
    assert_eq!(status, 201, "{hook}");
    let named = hook["id"].as_i64().unwrap();
    ping(&wharf, &member, named).await;
    let log = until_deliveries(&wharf, named, |d| d.first().is_some_and(|d| d["attempts"] == 1)).await;
    assert_eq!(log[0]["state"], "pending", "{log:?}");
    assert_eq!(log[0]["responseCode"], Value::Null, "{log:?}");
    let error = log[0]["error"].as_str().unwrap();
    assert!(error.contains("no public address"), "{error}");
    // It says why, and nothing of the connection (which would map open ports).
    for detail in [ip.to_string().as_str(), named_port.as_str(), "refused", "tcp", "os error"] {
        assert!(!error.contains(detail), "{error} tells {detail}");
    }

    // A Wharf administrator's webhook to loopback, even spelled as mapped IPv6, is delivered...
    let (status, hook) = add(&wharf, &boss, &format!("http://[::ffff:127.0.0.1]:{port}/hook")).await;
    assert_eq!(status, 201, "{hook}");
    let inside = hook["id"].as_i64().unwrap();
    ping(&wharf, &boss, inside).await;
    until_deliveries(&wharf, inside, |d| d.first().is_some_and(|d| d["state"] == "delivered")).await;
    assert_eq!(received.lock().unwrap().len(), 1);
    // ... until its creator is no longer one: then it is checked before connecting.
    sqlx::query("UPDATE users SET is_admin = FALSE WHERE name = 'hook-boss'").execute(wharf.db.pool()).await.unwrap();
    ping(&wharf, &member, inside).await;
    let log = until_deliveries(&wharf, inside, |d| d.len() == 2 && d[0]["attempts"] == 1).await;
    assert_eq!(log[0]["state"], "pending", "{log:?}");
    let error = log[0]["error"].as_str().unwrap();
    assert!(error.contains("on this machine or a private network"), "{error}");

    // Nothing reached either receiver but the administrator's one ping.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(received.lock().unwrap().len(), 1);
    assert!(named_received.lock().unwrap().is_empty());
    wharf.stop().await;
    upstream.stop().await;
}

on_both_engines!(only_administrators_webhooks_reach_this_machine);
