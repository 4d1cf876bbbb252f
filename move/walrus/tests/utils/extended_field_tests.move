#[test_only]
module walrus::extended_field_tests;

use std::unit_test::assert_eq;
use walrus::extended_field;

#[test]
fun new_borrow_swap_destroy() {
    let mut ctx = tx_context::dummy();
    let mut field = extended_field::new(vector[1u64, 2], &mut ctx);
    assert_eq!(*field.borrow(), vector[1, 2]);
    field.borrow_mut().push_back(3);
    assert_eq!(*field.borrow(), vector[1, 2, 3]);
    let old = field.swap(vector[9]);
    assert_eq!(old, vector[1, 2, 3]);
    assert_eq!(field.destroy(), vector[9]);
}

#[test]
fun the_value_is_a_dynamic_field_of_the_holder() {
    let mut ctx = tx_context::dummy();
    let field = extended_field::new(7u8, &mut ctx);
    // The holder's BCS is its id alone.
    assert_eq!(sui::bcs::to_bytes(&field).length(), 32);
    assert_eq!(field.destroy(), 7);
}
