import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sharedDir } from '../testing/index.js';
import { MerkleFrontier, MerkleTree, leafHash, verifyConsistency, verifyInclusion } from './merkle.js';

const dataDir = sharedDir('data', 'merkle');

function jsonFiles(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) jsonFiles(p, out);
    else if (n.endsWith('.json')) out.push(p);
  }
  return out;
}

const b64 = (s: string | null | undefined) => Buffer.from(s ?? '', 'base64');

test('every transparency-dev inclusion vector', () => {
  const files = jsonFiles(join(dataDir, 'transparency-dev-testdata', 'inclusion'));
  assert.ok(files.length > 50, `found ${files.length} inclusion vectors`);
  for (const f of files) {
    const v = JSON.parse(readFileSync(f, 'utf8'));
    let ok: boolean;
    try {
      ok = verifyInclusion(v.leafIdx, v.treeSize, b64(v.leafHash), (v.proof ?? []).map(b64), b64(v.root));
    } catch {
      ok = false;
    }
    assert.equal(ok, !v.wantErr, `${f}: ${v.desc}`);
  }
});

test('every transparency-dev consistency vector', () => {
  const files = jsonFiles(join(dataDir, 'transparency-dev-testdata', 'consistency'));
  assert.ok(files.length > 50, `found ${files.length} consistency vectors`);
  for (const f of files) {
    const v = JSON.parse(readFileSync(f, 'utf8'));
    let ok: boolean;
    try {
      ok = verifyConsistency(v.size1, v.size2, b64(v.root1), b64(v.root2), (v.proof ?? []).map(b64));
    } catch {
      ok = false;
    }
    assert.equal(ok, !v.wantErr, `${f}: ${v.desc}`);
  }
});

test('reference tree: roots, and generated proofs verify for every size and index', () => {
  const ref = JSON.parse(readFileSync(join(dataDir, 'reference-tree.json'), 'utf8')) as { leaf_inputs_hex: string[]; root_hashes_by_tree_size: Record<string, string> };
  const leaves = ref.leaf_inputs_hex.map((h) => leafHash(Buffer.from(h, 'hex')));
  const tree = new MerkleTree(leaves);
  for (const [size, root] of Object.entries(ref.root_hashes_by_tree_size)) {
    const n = Number(size);
    assert.equal(tree.root(n).toString('hex'), root, `root of size ${n}`);
    const f = new MerkleFrontier();
    for (let i = 0; i < n; i++) f.push(leaves[i]);
    assert.equal(f.root().toString('hex'), root, `frontier root of size ${n}`);
    for (let i = 0; i < n; i++) {
      assert.ok(verifyInclusion(i, n, leaves[i], tree.inclusionProof(i, n), tree.root(n)), `inclusion ${i} in ${n}`);
    }
    for (let m = 1; m <= n; m++) {
      assert.ok(verifyConsistency(m, n, tree.root(m), tree.root(n), tree.consistencyProof(m, n)), `consistency ${m} -> ${n}`);
    }
  }
});

test('proofs over a larger ragged tree, and a flipped proof byte fails', () => {
  const leaves = Array.from({ length: 1037 }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
  const tree = new MerkleTree(leaves);
  for (const i of [0, 1, 511, 512, 1000, 1036]) {
    const proof = tree.inclusionProof(i);
    assert.ok(verifyInclusion(i, 1037, leaves[i], proof, tree.root()));
    const bad = proof.map((p) => Buffer.from(p));
    bad[0][5] ^= 1;
    assert.equal(verifyInclusion(i, 1037, leaves[i], bad, tree.root()), false);
  }
  assert.ok(verifyConsistency(700, 1037, tree.root(700), tree.root(), tree.consistencyProof(700)));
});
