import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makePlan, progressOf, limitReached } from '../../../../../server/ml/train/plan';
import { learningRate, stepPlan } from '../../../../../server/ml/train/schedule';
import { parseRunConfig } from '../../../../../protocol/runConfig';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

void describe('learning-rate schedule (Hugging Face semantics)', () => {
  // total 100 steps, warmup 10, peak 1: values of get_linear/cosine_schedule_with_warmup
  const linear = { peakLr: 1, schedule: 'linear' as const, ...stepPlan(100, 10, 0) };
  const cosine = { peakLr: 1, schedule: 'cosine' as const, ...stepPlan(100, null, 0.1) };
  const table: Array<[number, number, number]> = [
    // step, linear, cosine
    [0, 0, 0],
    [5, 0.5, 0.5],
    [10, 1, 1],
    [55, 0.5, 0.5],
    [32.5, 0.75, 0.5 * (1 + Math.cos(Math.PI * 0.25))],
    [100, 0, 0],
  ];
  for (const [step, lin, cos] of table) {
    void test(`step ${step}: linear ${lin.toFixed(4)}, cosine ${cos.toFixed(4)}`, () => {
      close(learningRate({ step, progress: step / 100 }, linear), lin);
      close(learningRate({ step, progress: step / 100 }, cosine), cos);
    });
  }
  void test('constant schedule stays at the peak after warmup', () => {
    const o = { peakLr: 2, schedule: 'constant' as const, ...stepPlan(100, 10, 0) };
    close(learningRate({ step: 5, progress: 0.05 }, o), 1);
    close(learningRate({ step: 90, progress: 0.9 }, o), 2);
  });
  void test('time budget: the schedule follows the clock', () => {
    const t = parseRunConfig({ training: { timeBudget: '10m', lr: 1, warmupRatio: 0.1 } });
    assert.ok(t.ok);
    const plan = makePlan(t.config.training, 50);
    assert.equal(plan.totalSteps, undefined);
    assert.equal(plan.budgetMs, 600_000);
    close(learningRate({ step: 3, progress: progressOf(plan, 3, 30_000) }, plan.schedule), 0.5); // 5 % of 10 min
    close(learningRate({ step: 99, progress: progressOf(plan, 99, 330_000) }, plan.schedule), 0.5); // 55 %
    assert.equal(limitReached(plan, 1000, 599_999), undefined);
    assert.equal(limitReached(plan, 1000, 600_000), 'time-budget');
  });
  void test('stop limits: max steps vs epochs, whichever comes first; 3 epochs when nothing is given', () => {
    const cfg = (training: object) => {
      const r = parseRunConfig({ training });
      assert.ok(r.ok);
      return r.config.training;
    };
    assert.deepEqual([makePlan(cfg({}), 10).totalSteps, makePlan(cfg({}), 10).stepLimit], [30, 'epochs']);
    assert.equal(makePlan(cfg({ maxSteps: 7, epochs: 2 }), 10).stepLimit, 'max-steps');
    assert.equal(makePlan(cfg({ maxSteps: 70, epochs: 2 }), 10).totalSteps, 20);
    assert.equal(makePlan(cfg({ epochs: 1, gradAccumulation: 4 }), 10).totalSteps, 3);
  });
});
