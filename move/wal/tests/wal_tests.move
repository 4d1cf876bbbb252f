#[test_only]
module wal::wal_tests;

use std::unit_test::assert_eq;
use sui::coin::{Coin, CoinMetadata};
use sui::test_scenario as ts;
use wal::wal::{Self, WAL, ProtectedTreasury};

const PUBLISHER: address = @0xA;

#[test]
fun init_mints_fixed_supply_to_publisher_and_shares_treasury() {
    let mut scenario = ts::begin(PUBLISHER);
    wal::init_for_testing(scenario.ctx());
    scenario.next_tx(PUBLISHER);
    let coin = scenario.take_from_sender<Coin<WAL>>();
    assert_eq!(coin.value(), 5_000_000_000_000_000_000);
    let treasury = scenario.take_shared<ProtectedTreasury>();
    assert_eq!(treasury.total_supply(), 5_000_000_000_000_000_000);
    let metadata = scenario.take_immutable<CoinMetadata<WAL>>();
    assert_eq!(metadata.get_decimals(), 9);
    ts::return_immutable(metadata);
    ts::return_shared(treasury);
    scenario.return_to_sender(coin);
    scenario.end();
}

#[test]
fun burn_reduces_total_supply() {
    let mut scenario = ts::begin(PUBLISHER);
    wal::init_for_testing(scenario.ctx());
    scenario.next_tx(PUBLISHER);
    let mut coin = scenario.take_from_sender<Coin<WAL>>();
    let mut treasury = scenario.take_shared<ProtectedTreasury>();
    let burned = coin.split(1_000_000_000, scenario.ctx());
    treasury.burn(burned);
    assert_eq!(treasury.total_supply(), 4_999_999_999_000_000_000);
    assert_eq!(coin.value(), 4_999_999_999_000_000_000);
    ts::return_shared(treasury);
    scenario.return_to_sender(coin);
    scenario.end();
}

#[test]
fun constants_and_test_mint() {
    assert_eq!(wal::decimals(), 9);
    assert_eq!(wal::total_supply_frost(), 5_000_000_000_000_000_000);
    let mut ctx = tx_context::dummy();
    let coin = wal::mint_for_testing(42, &mut ctx);
    assert_eq!(coin.value(), 42);
    std::unit_test::destroy(coin);
}
