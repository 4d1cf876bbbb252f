// The official Sui TypeScript SDK (`@mysten/sui`, pinned in scripts/package.json) against our
// Sui ledger (services/sui-devnet) over gRPC-web, as it talks to a Sui full node: it reads the
// reference gas price and balances, selects gas coins, builds a transfer with its own
// transaction builder, signs it with its own Ed25519 keypair, executes it and reads the result.
// It also asks the ledger's faucet for SUI with the SDK's faucet client. The ledger runs in
// `cargo run -p walrus-sui-devnet --example sui_fixture`.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { scriptsDir, startFixture } from './helpers.mjs';

const suiDist = join(scriptsDir, 'node_modules', '@mysten', 'sui', 'dist');
const load = (path) => import(pathToFileURL(join(suiDist, path)).href);
const MIST_PER_SUI = 1_000_000_000n;

test('the official Sui SDK transfers SUI on our ledger over gRPC-web', { timeout: 1_200_000 }, async () => {
  const { SuiGrpcClient } = await load('grpc/index.mjs');
  const { Ed25519Keypair } = await load('keypairs/ed25519/index.mjs');
  const { Transaction } = await load('transactions/index.mjs');
  const alice = Ed25519Keypair.generate();
  const bob = Ed25519Keypair.generate();
  const aliceAddress = alice.getPublicKey().toSuiAddress();
  const bobAddress = bob.getPublicKey().toSuiAddress();
  const { json, stop } = await startFixture('walrus-sui-devnet', 'sui_fixture', [aliceAddress]);
  const { url, faucetUrl } = json;
  try {
    const client = new SuiGrpcClient({ baseUrl: url, network: 'localnet' });
    const { referenceGasPrice } = await client.core.getReferenceGasPrice();
    assert.equal(referenceGasPrice, '1000');
    const start = await client.getBalance({ owner: aliceAddress });
    assert.equal(BigInt(start.balance.balance), 10n * MIST_PER_SUI);
    const coins = await client.listCoins({ owner: aliceAddress });
    assert.equal(coins.objects.length, 2);
    assert.deepEqual(coins.objects.map((c) => c.balance).sort(), ['3000000000', '7000000000']);

    // The SDK builds, signs and executes a payment of 1.5 SUI to Bob.
    const tx = new Transaction();
    const [coin] = tx.splitCoins(tx.gas, [1_500_000_000n]);
    tx.transferObjects([coin], bobAddress);
    tx.setSender(aliceAddress);
    tx.setGasBudget(10_000_000);
    const result = await client.signAndExecuteTransaction({
      transaction: tx,
      signer: alice,
      include: { effects: true },
    });
    const executed = result.Transaction ?? result.transaction ?? result;
    assert.ok(executed.effects?.status?.success, JSON.stringify(executed.effects?.status));
    const bobBalance = await client.getBalance({ owner: bobAddress });
    assert.equal(BigInt(bobBalance.balance.balance), 1_500_000_000n);
    const after = await client.getBalance({ owner: aliceAddress });
    const paid = 10n * MIST_PER_SUI - 1_500_000_000n - BigInt(after.balance.balance);
    assert.ok(paid > 0n && paid <= 10_000_000n, `gas paid: ${paid}`);
    const fetched = await client.getTransaction({ digest: executed.digest, include: { effects: true } });
    const got = fetched.Transaction ?? fetched.transaction ?? fetched;
    assert.equal(got.digest, executed.digest);

    // Bob pays half a SUI back with no budget given: the ledger estimates it in a dry run.
    const back = new Transaction();
    const [half] = back.splitCoins(back.gas, [500_000_000n]);
    back.transferObjects([half], aliceAddress);
    back.setSender(bobAddress);
    const returned = await client.signAndExecuteTransaction({
      transaction: back,
      signer: bob,
      include: { effects: true },
    });
    const returnedTx = returned.Transaction ?? returned.transaction ?? returned;
    assert.ok(returnedTx.effects?.status?.success, JSON.stringify(returnedTx.effects?.status));
    const final = await client.getBalance({ owner: aliceAddress });
    assert.equal(BigInt(final.balance.balance), BigInt(after.balance.balance) + 500_000_000n);

    // The faucet, on Sui's route, through the SDK's own faucet client.
    const { requestSuiFromFaucetV2 } = await load('faucet/index.mjs');
    const carol = Ed25519Keypair.generate().getPublicKey().toSuiAddress();
    const sent = await requestSuiFromFaucetV2({ host: faucetUrl, recipient: carol });
    assert.equal(sent.status, 'Success');
    assert.equal(sent.coins_sent.length, 1);
    const carolBalance = await client.getBalance({ owner: carol });
    assert.equal(BigInt(carolBalance.balance.balance), BigInt(sent.coins_sent[0].amount));
    const { objects } = await client.listCoins({ owner: carol });
    assert.deepEqual(objects.map((c) => c.objectId), [sent.coins_sent[0].id]);
    const bad = await fetch(new URL('/v2/gas', faucetUrl), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ FixedAmountRequest: { recipient: 'not-an-address' } }),
    });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).status.Failure.internal, /invalid recipient/);
  } finally {
    await stop();
  }
});
