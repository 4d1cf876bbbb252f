#[test_only]
module walrus::walrus_context_tests;

use std::unit_test::assert_eq;
use sui::vec_map;
use walrus::bls_aggregate::test_node_id;
use walrus::walrus_context;

#[test]
fun context_accessors() {
    let mut committee = vec_map::empty();
    committee.insert(test_node_id(0), vector[0u16, 1]);
    let wctx = walrus_context::new(7, true, committee);
    assert_eq!(wctx.epoch(), 7);
    assert!(wctx.committee_selected());
    assert_eq!(*wctx.committee(), committee);
}
