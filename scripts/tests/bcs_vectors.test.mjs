// Keeps move/walrus/tests/bcs_vectors.json and the Move tests that assert the same bytes in
// step: every JSON vector's hex must appear verbatim (as an x"..." literal) in the body of the
// Move test function it names, and every event struct of walrus::events must have a vector.
// Run: node --test scripts/tests/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = join(root, 'move', 'walrus');
const vectors = JSON.parse(readFileSync(join(pkg, 'tests', 'bcs_vectors.json'), 'utf8'));

function moveFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...moveFiles(path));
    else if (entry.name.endsWith('.move')) out.push(path);
  }
  return out;
}

/** Map "pkg::module::function" -> body text, for every function in the package's tests. */
function testFunctions() {
  const functions = new Map();
  for (const file of moveFiles(join(pkg, 'tests'))) {
    const text = readFileSync(file, 'utf8');
    const header = /^module\s+(\w+::\w+)\s*;/m.exec(text);
    if (!header) continue;
    const re = /^(?:public\s+)?fun\s+(\w+)\s*\(/gm;
    const starts = [...text.matchAll(re)];
    starts.forEach((m, i) => {
      const end = i + 1 < starts.length ? starts[i + 1].index : text.length;
      functions.set(`${header[1]}::${m[1]}`, text.slice(m.index, end));
    });
  }
  return functions;
}

test('vectors are well-formed and uniquely named', () => {
  assert.ok(Array.isArray(vectors) && vectors.length > 0);
  const names = new Set();
  for (const v of vectors) {
    for (const key of ['name', 'type', 'fields', 'hex', 'move_test']) {
      assert.ok(key in v, `${v.name ?? '?'}: missing ${key}`);
    }
    assert.match(v.hex, /^([0-9a-f]{2})+$/, `${v.name}: hex must be lowercase, whole bytes`);
    assert.ok(!names.has(v.name), `duplicate vector ${v.name}`);
    names.add(v.name);
  }
});

test('every vector hex appears in the Move test it names', () => {
  const functions = testFunctions();
  for (const v of vectors) {
    const body = functions.get(v.move_test);
    assert.ok(body, `${v.name}: Move test ${v.move_test} not found`);
    assert.ok(
      body.toLowerCase().includes(`x"${v.hex}"`),
      `${v.name}: x"${v.hex}" does not appear in ${v.move_test}`,
    );
  }
});

test('every event of walrus::events has a vector', () => {
  const events = readFileSync(join(pkg, 'sources', 'system', 'events.move'), 'utf8');
  const names = [...events.matchAll(/public struct (\w+) has copy, drop/g)].map((m) => m[1]);
  assert.ok(names.length >= 9);
  const covered = new Set(vectors.map((v) => v.type));
  for (const name of names) {
    assert.ok(covered.has(`walrus::events::${name}`), `no BCS vector for event ${name}`);
  }
});
