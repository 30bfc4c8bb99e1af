//! A block of text to paste somewhere, with a Copy button.

use leptos::prelude::*;

/// Shows `text` as selectable preformatted text and, once the page is interactive, a Copy
/// button that puts exactly `text` on the clipboard and says so. An island: the only part
/// of the Connect page that runs in the browser.
#[island]
pub fn Snippet(
    /// Short label above the text, e.g. the file it goes in.
    #[prop(into)]
    title: String,
    /// The exact text to paste.
    #[prop(into)]
    text: String,
    /// A stable id, used by tests and for `aria-labelledby`.
    #[prop(into)]
    id: String,
) -> impl IntoView {
    let (hydrated, set_hydrated) = signal(false);
    // Effects run only in the browser: the button appears once it can work.
    Effect::new(move |_| set_hydrated.set(true));
    let copied = RwSignal::new(false);
    let status = RwSignal::new(String::new());
    let copy_text = text.clone();
    let on_copy = move |_| copy_to_clipboard(copy_text.clone(), copied, status);
    let title_id = format!("{id}-title");
    let labelled_by = title_id.clone();
    view! {
        <figure class="snippet" id=id aria-labelledby=labelled_by>
            <figcaption class="snippet__head">
                <span id=title_id class="snippet__title">{title}</span>
                <button
                    type="button"
                    class="button button--small snippet__copy"
                    hidden=move || !hydrated.get()
                    on:click=on_copy
                    data-copied=move || copied.get().then_some("true")
                >
                    {move || if copied.get() { "Copied ✓" } else { "Copy" }}
                </button>
            </figcaption>
            <pre class="snippet__text" tabindex="0"><code>{text}</code></pre>
            <p class="snippet__status" role="status" aria-live="polite">{move || status.get()}</p>
        </figure>
    }
}

#[cfg(feature = "hydrate")]
fn copy_to_clipboard(text: String, copied: RwSignal<bool>, status: RwSignal<String>) {
    use std::time::Duration;

    leptos::task::spawn_local(async move {
        let Some(window) = web_sys::window() else {
            return;
        };
        let promise = window.navigator().clipboard().write_text(&text);
        match wasm_bindgen_futures::JsFuture::from(promise).await {
            Ok(_) => {
                copied.set(true);
                status.set("Copied to the clipboard.".to_owned());
            }
            Err(_) => status.set("The browser refused the clipboard: select the text and copy it.".to_owned()),
        }
        set_timeout(
            move || {
                copied.set(false);
                status.set(String::new());
            },
            Duration::from_secs(3),
        );
    });
}

#[cfg(not(feature = "hydrate"))]
fn copy_to_clipboard(_text: String, _copied: RwSignal<bool>, _status: RwSignal<String>) {}
