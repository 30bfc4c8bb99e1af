//! Signing the errors that travel in a page's address (a plain form post's redirect), so
//! a page shows only errors this server produced. A leaf: it uses no other module.

use std::sync::OnceLock;

/// The key that signs form errors; the same on every replica (kept in the database).
static ERROR_KEY: OnceLock<Vec<u8>> = OnceLock::new();

/// Sets the key form errors are signed with (once per process; later calls keep the first).
pub fn set_error_key(key: &[u8]) {
    let _ = ERROR_KEY.set(key.to_vec());
}

fn tag(json: &[u8]) -> Option<String> {
    use hmac::{Hmac, Mac};
    let key = ERROR_KEY.get()?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).ok()?;
    mac.update(json);
    Some(hex::encode(mac.finalize().into_bytes()))
}

/// `json`, followed by a line with its tag.
pub(crate) fn signed(mut json: Vec<u8>) -> Vec<u8> {
    if let Some(tag) = tag(&json) {
        json.push(b'\n');
        json.extend_from_slice(tag.as_bytes());
    }
    json
}

/// The JSON of a signed error, if its tag is this server's.
pub(crate) fn verified(data: &[u8]) -> Option<&[u8]> {
    use hmac::{Hmac, Mac};
    let split = data.iter().rposition(|b| *b == b'\n')?;
    let (json, tag) = (&data[..split], &data[split + 1..]);
    let key = ERROR_KEY.get()?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).ok()?;
    mac.update(json);
    mac.verify_slice(&hex::decode(tag).ok()?).ok()?;
    Some(json)
}
