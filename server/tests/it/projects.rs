//! Projects and organizations over REST and in the portal: Wharf administrators create,
//! rename and delete them; a project with feeds is not deleted, even under a race with
//! feeds being created in it.

use axum::http::{Method, StatusCode};
use serde_json::json;
use wharf_test_support::{Engine, on_both_engines};

use crate::helpers::TestApp;

async fn projects_are_created_renamed_and_deleted(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let res = app.json(Method::POST, "/default/_apis/projects", json!({"name": "web"})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.location.as_deref(), Some("http://wharf.test/default/_apis/projects/web"));
    assert_eq!(res.body["feedsUrl"], json!("http://wharf.test/default/web/_apis/packaging/feeds"));

    // Refusals: a taken name (ignoring case), a bad name, an unknown field.
    for (body, status, detail) in [
        (json!({"name": "WEB"}), StatusCode::CONFLICT, "A project named 'WEB' already exists"),
        (json!({"name": "no spaces"}), StatusCode::UNPROCESSABLE_ENTITY, "a space is not allowed"),
        (json!({"name": "ok", "colour": 1}), StatusCode::UNPROCESSABLE_ENTITY, "unknown field"),
    ] {
        let res = app.json(Method::POST, "/default/_apis/projects", body.clone()).await;
        assert_eq!(res.status, status, "{body}: {}", res.body);
        assert!(res.body.to_string().contains(detail), "{body}: {}", res.body);
    }
    let list = app.get("/default/_apis/projects").await;
    let names: Vec<_> = list.body["value"].as_array().unwrap().iter().map(|p| p["name"].clone()).collect();
    assert_eq!(names, [json!("default"), json!("web")]);

    // A feed in the project: its URLs follow a rename; the project cannot be deleted.
    let res = app
        .json(Method::POST, "/default/web/_apis/packaging/feeds", json!({"name": "team", "visibility": "public"}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let res = app.json(Method::PATCH, "/default/_apis/projects/web", json!({"name": "frontend"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let feed = app.get("/default/frontend/_apis/packaging/feeds/team").await;
    assert_eq!(feed.status, StatusCode::OK);
    assert_eq!(feed.body["indexUrl"], json!("sparse+http://wharf.test/default/frontend/_packaging/team/Cargo/index/"));
    assert_eq!(app.get("/default/web/_apis/packaging/feeds/team").await.status, StatusCode::NOT_FOUND);
    let res = app.request(Method::DELETE, "/default/_apis/projects/frontend").await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert_eq!(
        res.body["errors"][0]["detail"],
        json!("Project 'frontend' still has 1 feed: delete them first, then the project.")
    );
    assert_eq!(app.get("/default/frontend/_apis/packaging/feeds/team").await.status, StatusCode::OK);

    // Without its feed it goes.
    assert_eq!(
        app.request(Method::DELETE, "/default/frontend/_apis/packaging/feeds/team").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.request(Method::DELETE, "/default/_apis/projects/frontend").await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.request(Method::DELETE, "/default/_apis/projects/frontend").await.status, StatusCode::NOT_FOUND);
}

async fn a_project_being_filled_is_never_deleted_with_its_feeds(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    for round in 0..6 {
        let project = format!("race{round}");
        let res = app.json(Method::POST, "/default/_apis/projects", json!({"name": project})).await;
        assert_eq!(res.status, StatusCode::CREATED);
        // Feeds are created in the project while it is being deleted.
        let creates = (0..8).map(|i| {
            let app = &app;
            let project = project.clone();
            async move {
                let path = format!("/default/{project}/_apis/packaging/feeds");
                app.json(Method::POST, &path, json!({"name": format!("f{i}"), "visibility": "public"})).await.status
            }
        });
        let delete_path = format!("/default/_apis/projects/{project}");
        let delete = app.request(Method::DELETE, &delete_path);
        let (created, deleted) = tokio::join!(futures_util::future::join_all(creates), delete);
        let made = created.iter().filter(|s| **s == StatusCode::CREATED).count();
        let feeds = app.db().feeds().list(wharf_db::feeds::FeedFilter::WholeOrganization(1)).await.unwrap();
        let left = feeds.iter().filter(|f| f.project.as_deref() == Some(project.as_str())).count();
        match deleted.status {
            // Deleted: it had no feed at that moment, and none was made in it after.
            StatusCode::NO_CONTENT => assert_eq!(left, 0, "round {round}: deleted with feeds"),
            // Refused: every feed made is still there.
            StatusCode::CONFLICT => assert_eq!(left, made, "round {round}: a feed was lost"),
            other => panic!("round {round}: delete answered {other}: {}", deleted.body),
        }
        // Every created feed is where it says; a failed create is a refusal, not a 5xx.
        assert_eq!(left, made, "round {round}: {created:?}");
        assert!(created.iter().all(|s| s.is_success() || s.is_client_error()), "round {round}: {created:?}");
    }
}

async fn organizations_have_their_own_projects(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let res = app.json(Method::POST, "/_apis/organizations", json!({"name": "acme"})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let res = app.json(Method::POST, "/_apis/organizations", json!({"name": "ACME"})).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    let orgs = app.get("/_apis/organizations").await;
    let names: Vec<_> = orgs.body["value"].as_array().unwrap().iter().map(|o| o["name"].clone()).collect();
    assert_eq!(names, [json!("acme"), json!("default")]);
    // A new organization starts with no project; its projects are its own.
    assert_eq!(app.get("/acme/_apis/projects").await.body["count"], json!(0));
    assert_eq!(
        app.json(Method::POST, "/acme/_apis/projects", json!({"name": "web"})).await.status,
        StatusCode::CREATED
    );
    let res = app
        .json(Method::POST, "/acme/web/_apis/packaging/feeds", json!({"name": "team", "visibility": "private"}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(app.get("/default/web/_apis/packaging/feeds").await.status, StatusCode::NOT_FOUND);

    // The portal: the project's page lists its feeds with the organization's; the switcher
    // names the projects.
    let (status, page) = app.page("/acme/web/_artifacts").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Feeds of project web") && page.contains("data-feed=\"team\""), "{page}");
    assert!(page.contains("id=\"project-switcher\"") && page.contains("data-project=\"web\""), "{page}");
    let (_, projects) = app.page("/acme/_settings/projects").await;
    assert!(projects.contains("data-project=\"web\""), "{projects}");
}

on_both_engines!(
    projects_are_created_renamed_and_deleted,
    a_project_being_filled_is_never_deleted_with_its_feeds,
    organizations_have_their_own_projects,
);
