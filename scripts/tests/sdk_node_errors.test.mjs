// The official Walrus TypeScript SDK (pinned in scripts/package.json) as a test oracle for the
// storage node's error answers: each bad request of the node's error table
// (services/node/tests/support/error_cases.rs) is sent with the SDK's own storage-node client,
// and must raise the SDK error class the reference's answer raises (400 NOT_REGISTERED is
// BlobNotRegisteredError, which the SDK retries; other 400s BadRequestError; 404
// NotFoundError), with the reference's status and reason. The node runs in
// `cargo run -p walrus-node --example node_error_cases`, which also checks that the requests
// changed nothing it stores.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { scriptsDir, startFixture } from './helpers.mjs';

const walrusDist = join(scriptsDir, 'node_modules', '@mysten', 'walrus', 'dist');

test('the SDK storage-node client gets the reference error classes from our node', { timeout: 1_200_000 }, async () => {
  const walrus = await import(pathToFileURL(join(walrusDist, 'index.mjs')).href);
  // The storage-node client is not exported by the package's entry point; its module is.
  const { StorageNodeClient } = await import(
    pathToFileURL(join(walrusDist, 'storage-node', 'client.mjs')).href
  );
  const { json: table, stop } = await startFixture('walrus-node', 'node_error_cases');
  const client = new StorageNodeClient({ timeout: 30_000 });
  const options = { nodeUrl: table.nodeUrl };
  let checked = 0;
  const failures = [];
  try {
    for (const c of table.cases) {
      if (!c.sdk) continue;
      const args = { ...c.sdk.args };
      const body = new Uint8Array(Buffer.from(c.body, 'base64'));
      if (c.sdk.method === 'storeBlobMetadata') args.metadata = body;
      if (c.sdk.method === 'storeSliver') args.sliver = body;
      let error;
      try {
        await client[c.sdk.method](args, options);
      } catch (e) {
        error = e;
      }
      const expected = walrus[c.sdk.class];
      assert.equal(typeof expected, 'function', `the SDK exports ${c.sdk.class}`);
      const reason = error?.error?.error?.details?.[0]?.reason;
      if (!(error instanceof expected) || error.status !== c.http || reason !== c.reason) {
        failures.push(
          `${c.name}: ${c.sdk.method} gave ${error?.constructor?.name ?? 'no error'} ` +
            `(${error?.status}, ${reason}), want ${c.sdk.class} (${c.http}, ${c.reason}): ${error?.message}`,
        );
      }
      checked += 1;
    }
    // The blob status reads as the SDK expects it, with the event sequence number as a string.
    const status = await client.getBlobStatus({ blobId: table.registered }, options);
    assert.equal(status.type, 'permanent');
    assert.equal(typeof status.statusEvent.eventSeq, 'string');
  } finally {
    const { code, stderr } = await stop();
    assert.equal(code, 0, `the fixture reports what the requests changed:\n${stderr}`);
  }
  assert.deepEqual(failures, []);
  assert.ok(checked >= 15, `${checked} SDK cases`);
});
