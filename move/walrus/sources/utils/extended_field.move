/// A value of type `T` kept outside its parent object: the parent stores only an
/// `ExtendedField<T>` (an object id), the value lives in a dynamic field of that id under the
/// key `Key()`. Growing the value does not grow the parent's BCS, and the value's type can
/// change in a package upgrade. Layout and key as in Walrus mainnet, so readers find the value
/// at the same dynamic field.
module walrus::extended_field;

use sui::dynamic_field;

/// The holder of the value (its dynamic field).
public struct ExtendedField<phantom T: store> has key, store { id: UID }

/// The dynamic field key of the value.
public struct Key() has copy, drop, store;

/// Wraps `value` into a new extended field.
public fun new<T: store>(value: T, ctx: &mut TxContext): ExtendedField<T> {
    let mut id = object::new(ctx);
    dynamic_field::add(&mut id, Key(), value);
    ExtendedField { id }
}

/// The value.
public fun borrow<T: store>(field: &ExtendedField<T>): &T {
    dynamic_field::borrow(&field.id, Key())
}

/// The value, mutably.
public fun borrow_mut<T: store>(field: &mut ExtendedField<T>): &mut T {
    dynamic_field::borrow_mut(&mut field.id, Key())
}

/// Replaces the value and returns the old one.
public fun swap<T: store>(field: &mut ExtendedField<T>, value: T): T {
    let old = dynamic_field::remove(&mut field.id, Key());
    dynamic_field::add(&mut field.id, Key(), value);
    old
}

/// Deletes the field and returns its value.
public fun destroy<T: store>(field: ExtendedField<T>): T {
    let ExtendedField { mut id } = field;
    let value = dynamic_field::remove(&mut id, Key());
    id.delete();
    value
}
