/// Blob attributes: a key/value map of strings stored on a `Blob` (see `blob`). Aggregators
/// use keys such as `content-type` as HTTP headers.
module walrus::metadata;

use std::string::String;
use sui::vec_map::{Self, VecMap};

/// Key/value attributes of a blob.
public struct Metadata has drop, store {
    metadata: VecMap<String, String>,
}

/// Empty attributes.
public fun new(): Metadata {
    Metadata { metadata: vec_map::empty() }
}

/// Inserts `key` -> `value`, replacing any previous value.
public fun insert_or_update(self: &mut Metadata, key: String, value: String) {
    if (self.metadata.contains(&key)) {
        *self.metadata.get_mut(&key) = value;
    } else {
        self.metadata.insert(key, value);
    }
}

/// Removes `key` and returns the pair; aborts (`sui::vec_map::EKeyDoesNotExist`) if missing.
public fun remove(self: &mut Metadata, key: &String): (String, String) {
    self.metadata.remove(key)
}

/// Removes `key` if present and returns its value.
public fun remove_if_exists(self: &mut Metadata, key: &String): Option<String> {
    if (self.metadata.contains(key)) {
        let (_, value) = self.metadata.remove(key);
        option::some(value)
    } else {
        option::none()
    }
}

/// The attributes as a map.
public fun metadata(self: &Metadata): &VecMap<String, String> { &self.metadata }
