//! Routes added through a table that remembers them, so the authorization matrix test can
//! check that every route of the server has an entry.

use axum::{
    Router,
    handler::Handler,
    http::Method,
    routing::{MethodFilter, on},
};

use crate::state::AppState;

/// A router plus the (method, path) of each route added to it.
pub struct RouteTable {
    router: Router<AppState>,
    inventory: Vec<(Method, String)>,
}

impl Default for RouteTable {
    fn default() -> Self {
        Self { router: Router::new(), inventory: Vec::new() }
    }
}

impl RouteTable {
    pub fn add<H, T>(mut self, method: Method, path: &str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).expect("a standard HTTP method");
        self.router = self.router.route(path, on(filter, handler));
        self.inventory.push((method, path.to_owned()));
        self
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add(Method::GET, path, handler)
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add(Method::POST, path, handler)
    }

    pub fn put<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add(Method::PUT, path, handler)
    }

    pub fn patch<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add(Method::PATCH, path, handler)
    }

    pub fn delete<H: Handler<T, AppState>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add(Method::DELETE, path, handler)
    }

    pub fn into_parts(self) -> (Router<AppState>, Vec<(Method, String)>) {
        (self.router, self.inventory)
    }
}
