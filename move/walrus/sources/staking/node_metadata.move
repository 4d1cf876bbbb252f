/// Free-form public information about a storage node, shown by explorers and dashboards.
module walrus::node_metadata;

use std::string::String;
use sui::vec_map::{Self, VecMap};

// === Errors ===

/// A metadata string is longer than `MAX_FIELD_LENGTH` bytes.
const EFieldTooLong: u64 = 0;
/// More than `MAX_EXTRA_FIELDS` extra fields.
const ETooManyExtraFields: u64 = 1;

// === Constants ===

/// Maximal length in bytes of each metadata string.
const MAX_FIELD_LENGTH: u64 = 512;
/// Maximal number of extra key/value fields.
const MAX_EXTRA_FIELDS: u64 = 16;

// === Object definitions ===

/// Node metadata.
public struct NodeMetadata has copy, drop, store {
    image_url: String,
    project_url: String,
    description: String,
    extra_fields: VecMap<String, String>,
}

// === Constructors ===

/// Builds the metadata; every string is at most 512 bytes.
public fun new(image_url: String, project_url: String, description: String): NodeMetadata {
    check_length(&image_url);
    check_length(&project_url);
    check_length(&description);
    NodeMetadata { image_url, project_url, description, extra_fields: vec_map::empty() }
}

/// Empty metadata.
public fun default(): NodeMetadata {
    new(b"".to_string(), b"".to_string(), b"".to_string())
}

// === Mutators ===

/// Sets the image URL.
public fun set_image_url(self: &mut NodeMetadata, image_url: String) {
    check_length(&image_url);
    self.image_url = image_url;
}

/// Sets the project URL.
public fun set_project_url(self: &mut NodeMetadata, project_url: String) {
    check_length(&project_url);
    self.project_url = project_url;
}

/// Sets the description.
public fun set_description(self: &mut NodeMetadata, description: String) {
    check_length(&description);
    self.description = description;
}

/// Inserts or replaces an extra field.
public fun insert_or_update_extra_field(self: &mut NodeMetadata, key: String, value: String) {
    check_length(&key);
    check_length(&value);
    if (self.extra_fields.contains(&key)) {
        *self.extra_fields.get_mut(&key) = value;
    } else {
        assert!(self.extra_fields.length() < MAX_EXTRA_FIELDS, ETooManyExtraFields);
        self.extra_fields.insert(key, value);
    }
}

/// Replaces all extra fields (within the same limits as `insert_or_update_extra_field`).
public fun set_extra_fields(self: &mut NodeMetadata, extra_fields: VecMap<String, String>) {
    assert!(extra_fields.length() <= MAX_EXTRA_FIELDS, ETooManyExtraFields);
    extra_fields.keys().do_ref!(|key| {
        check_length(key);
        check_length(extra_fields.get(key));
    });
    self.extra_fields = extra_fields;
}

/// Removes an extra field if present.
public fun remove_extra_field_if_exists(self: &mut NodeMetadata, key: &String) {
    if (self.extra_fields.contains(key)) {
        self.extra_fields.remove(key);
    }
}

// === Accessors ===

/// The image URL.
public fun image_url(self: &NodeMetadata): String { self.image_url }

/// The project URL.
public fun project_url(self: &NodeMetadata): String { self.project_url }

/// The description.
public fun description(self: &NodeMetadata): String { self.description }

/// The extra fields.
public fun extra_fields(self: &NodeMetadata): &VecMap<String, String> { &self.extra_fields }

// === Private functions ===

fun check_length(s: &String) {
    assert!(s.length() <= MAX_FIELD_LENGTH, EFieldTooLong);
}
