//! Hydrates the interactive islands of the page the server rendered: the entry point of the
//! WASM bundle. Everything outside an island stays plain server-rendered HTML.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::link_islands();
    leptos::mount::hydrate_islands();
}
