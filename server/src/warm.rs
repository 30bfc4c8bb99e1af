//! `wharf warm`: the client side of warming a feed from a Cargo.lock. It sends the lockfile
//! to a running Wharf's REST API, follows the job's progress on the terminal, and ends with
//! the report: saved, already there, and each failure with its reason.

use std::time::Duration;

use serde_json::Value;

use crate::config::WarmArgs;

/// Runs the command; whether every package is in the feed now.
pub async fn run(args: WarmArgs) -> Result<bool, String> {
    let feed = match wharf_service::FeedRef::parse(&args.feed) {
        Ok((feed, wharf_service::views::ViewSel::Feed)) => feed,
        Ok(_) => return Err(format!("--feed: a view cannot be warmed; name its feed (got '{}')", args.feed)),
        Err(message) => return Err(format!("--feed: {message}")),
    };
    let scope_and_feed = match &feed.project {
        None => format!("{}/_apis/packaging/feeds/{}", feed.org, feed.feed),
        Some(project) => format!("{}/{project}/_apis/packaging/feeds/{}", feed.org, feed.feed),
    };
    let lockfile =
        std::fs::read(&args.lockfile).map_err(|e| format!("cannot read {}: {e}", args.lockfile.display()))?;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().map_err(|e| e.to_string())?;
    let url = format!("{}/{scope_and_feed}/warm", args.url.trim_end_matches('/'));
    let response = client
        .post(&url)
        .bearer_auth(&args.token)
        .header("content-type", "text/plain")
        .body(lockfile)
        .send()
        .await
        .map_err(|e| format!("cannot reach {url}: {e}"))?;
    let status = response.status();
    let location = response.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body: Value = serde_json::from_str(&response.text().await.unwrap_or_default()).unwrap_or_default();
    let Some(location) = location.filter(|_| status.as_u16() == 202) else {
        let detail = body["errors"][0]["detail"].as_str().unwrap_or("no reason given");
        return Err(format!("{url} answered {status}: {detail}"));
    };
    let total = body["total"].as_i64().unwrap_or(0);
    eprintln!("warming {} with {total} packages", args.feed);
    let mut last = String::new();
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let job: Value = match client.get(&location).bearer_auth(&args.token).send().await {
            Ok(r) if r.status().is_success() => {
                serde_json::from_str(&r.text().await.unwrap_or_default()).unwrap_or_default()
            }
            Ok(r) => return Err(format!("{location} answered {}", r.status())),
            Err(e) => return Err(format!("cannot reach {location}: {e}")),
        };
        let failed = job["failed"].as_array().cloned().unwrap_or_default();
        let line = format!(
            "{} of {total}: {} saved, {} already there, {} failed",
            job["saved"].as_i64().unwrap_or(0) + job["present"].as_i64().unwrap_or(0) + failed.len() as i64,
            job["saved"],
            job["present"],
            failed.len()
        );
        if line != last {
            eprintln!("{line}");
            last = line;
        }
        if job["state"] == "done" {
            for f in &failed {
                println!(
                    "failed {} {}: {}",
                    f["name"].as_str().unwrap_or_default(),
                    f["version"].as_str().unwrap_or_default(),
                    f["reason"].as_str().unwrap_or_default()
                );
            }
            println!("saved {}, already there {}, failed {}", job["saved"], job["present"], failed.len());
            return Ok(failed.is_empty());
        }
    }
}
