/**
 * The seeded generators (server/ml/data/rng.ts) keep their numbers: every seeded run, split, weight init and dropout
 * mask follows from them, so a change here would silently change every pinned curve. The two seed mixers differ.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mixSeed, mixSeedPair, mulberry32, normalArray, SeededRng } from '../../../../../server/ml/data/rng';

void describe('seeded generators', () => {
  // [parts, mixSeed(...parts)] as the data streams have always been seeded
  const MIX: Array<[number[], number]> = [
    [[0], 1234692987],
    [[42, 1, 0], 1628306964],
    [[42, 2, 3, 17], 3868416803],
    [[2 ** 33 + 5], 210727960], // above 2³²: the high word is folded in
  ];
  for (const [parts, h] of MIX) {
    void test(`mixSeed(${parts.join(', ')}) = ${h}`, () => assert.equal(mixSeed(...parts), h));
  }
  // [a, b, mixSeedPair(a, b)] as the model's weights and dropout masks have always been seeded
  const PAIR: Array<[number, number, number]> = [
    [0, 0, 3449004184],
    [42, 0x64726f70, 3054604264], // a model's dropout stream for seed 42
    [7, 2 ** 27 + 3, 4004497683],
  ];
  for (const [a, b, h] of PAIR) {
    void test(`mixSeedPair(${a}, ${b}) = ${h}`, () => assert.equal(mixSeedPair(a, b), h));
  }
  void test('the two mixers are different functions of the same parts', () => {
    assert.notEqual(mixSeed(1, 2), mixSeedPair(1, 2));
  });
  void test('mulberry32(seed) is the sequence of new SeededRng(seed), and normalArray draws from it', () => {
    const f = mulberry32(42);
    assert.deepEqual([f(), f(), f()], [0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
    for (const seed of [0, 1, 2 ** 32 - 1, 123456789]) {
      const g = mulberry32(seed);
      const r = new SeededRng(seed);
      for (let i = 0; i < 100; i++) assert.equal(g(), r.next());
    }
    assert.deepEqual(
      Array.from(normalArray(3, 0.02, 42)),
      [-0.025696763768792152, 0.008655604906380177, -0.018907057121396065].map(Math.fround),
    );
  });
});
