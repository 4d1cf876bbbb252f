/// Free-form public information about a storage node, shown by explorers and dashboards.
module walrus::node_metadata;

use std::string::String;
use sui::vec_map::{Self, VecMap};

// === Object definitions ===

/// Node metadata.
public struct NodeMetadata has copy, drop, store {
    image_url: String,
    project_url: String,
    description: String,
    extra_fields: VecMap<String, String>,
}

// === Constructors ===

/// Builds the metadata. As on Walrus mainnet, the strings have no length limit here: the size of
/// a transaction bounds them.
public fun new(image_url: String, project_url: String, description: String): NodeMetadata {
    NodeMetadata { image_url, project_url, description, extra_fields: vec_map::empty() }
}

/// Empty metadata.
public fun default(): NodeMetadata {
    new(b"".to_string(), b"".to_string(), b"".to_string())
}

// === Mutators ===

/// Sets the image URL.
public fun set_image_url(self: &mut NodeMetadata, image_url: String) {
    self.image_url = image_url;
}

/// Sets the project URL.
public fun set_project_url(self: &mut NodeMetadata, project_url: String) {
    self.project_url = project_url;
}

/// Sets the description.
public fun set_description(self: &mut NodeMetadata, description: String) {
    self.description = description;
}

/// Inserts or replaces an extra field.
public fun insert_or_update_extra_field(self: &mut NodeMetadata, key: String, value: String) {
    if (self.extra_fields.contains(&key)) {
        *self.extra_fields.get_mut(&key) = value;
    } else {
        self.extra_fields.insert(key, value);
    }
}

/// Replaces all extra fields.
public fun set_extra_fields(self: &mut NodeMetadata, extra_fields: VecMap<String, String>) {
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
