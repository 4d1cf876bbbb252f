#[test_only]
module walrus::metadata_tests;

use std::unit_test::assert_eq;
use walrus::metadata;

#[test]
fun insert_update_remove() {
    let mut m = metadata::new();
    m.insert_or_update(b"content-type".to_string(), b"text/plain".to_string());
    m.insert_or_update(b"name".to_string(), b"a".to_string());
    m.insert_or_update(b"content-type".to_string(), b"image/png".to_string());
    assert_eq!(m.metadata().length(), 2);
    assert_eq!(*m.metadata().get(&b"content-type".to_string()), b"image/png".to_string());
    // Updating keeps the insertion order (the BCS of the map is stable).
    let (first_key, _) = m.metadata().get_entry_by_idx(0);
    assert_eq!(*first_key, b"content-type".to_string());
    let (k, v) = m.remove(&b"name".to_string());
    assert_eq!(k, b"name".to_string());
    assert_eq!(v, b"a".to_string());
    assert_eq!(m.remove_if_exists(&b"name".to_string()), option::none());
    assert_eq!(m.remove_if_exists(&b"content-type".to_string()), option::some(b"image/png".to_string()));
    assert_eq!(m.metadata().length(), 0);
}

#[test, expected_failure(abort_code = sui::vec_map::EKeyDoesNotExist)]
fun remove_missing_key_aborts() {
    let mut m = metadata::new();
    m.remove(&b"missing".to_string());
    abort
}
