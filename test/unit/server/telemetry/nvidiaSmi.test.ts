import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseNvidiaSmiCsv, parseSmiNumber } from '../../../../server/telemetry/nvidiaSmiCsv';
import { interpretSmiRun, NvidiaSmiPoller, type SmiRun } from '../../../../server/telemetry/nvidiaSmiPoller';

void describe('nvidia-smi CSV', () => {
  const cases: Array<{ name: string; out: string; gpus: unknown[]; bad?: number }> = [
    {
      name: 'one GPU',
      out: 'NVIDIA A100-SXM4-80GB, 43, 5120, 81920, 61\n',
      gpus: [
        {
          index: 0,
          name: 'NVIDIA A100-SXM4-80GB',
          utilizationPercent: 43,
          memoryUsedMiB: 5120,
          memoryTotalMiB: 81920,
          temperatureC: 61,
        },
      ],
    },
    {
      name: '[N/A] and [Not Supported] fields become null',
      out: 'Tesla T4, [N/A], 100, 15360, [Not Supported]\r\n',
      gpus: [
        {
          index: 0,
          name: 'Tesla T4',
          utilizationPercent: null,
          memoryUsedMiB: 100,
          memoryTotalMiB: 15360,
          temperatureC: null,
        },
      ],
    },
    {
      name: 'two GPUs, blank lines, a comma in the name',
      out: '\nGPU A, 1, 2, 3, 4\nWeird, Name, 5, 6, 7, 8\n\n',
      gpus: [
        {
          index: 0,
          name: 'GPU A',
          utilizationPercent: 1,
          memoryUsedMiB: 2,
          memoryTotalMiB: 3,
          temperatureC: 4,
        },
        {
          index: 1,
          name: 'Weird, Name',
          utilizationPercent: 5,
          memoryUsedMiB: 6,
          memoryTotalMiB: 7,
          temperatureC: 8,
        },
      ],
    },
    { name: 'garbage line skipped', out: 'No devices were found\n', gpus: [], bad: 1 },
    { name: 'empty output', out: '', gpus: [] },
  ];
  for (const c of cases) {
    void test(c.name, () => {
      const r = parseNvidiaSmiCsv(c.out);
      assert.deepEqual(r.gpus, c.gpus);
      assert.equal(r.badLines, c.bad ?? 0);
    });
  }

  void test('numbers', () => {
    const table: Array<[string, number | null]> = [
      [' 42 ', 42],
      ['3.5', 3.5],
      ['[N/A]', null],
      ['N/A', null],
      ['', null],
      ['12abc', null],
      ['Infinity', null],
    ];
    for (const [s, want] of table) assert.equal(parseSmiNumber(s), want, JSON.stringify(s));
  });
});

void describe('interpreting an nvidia-smi run', () => {
  const table: Array<{ run: SmiRun; gpus: boolean; reason: RegExp }> = [
    { run: { code: 0, stdout: 'G, 1, 2, 3, 4\n', stderr: '' }, gpus: true, reason: /^$/ },
    {
      run: {
        code: null,
        stdout: '',
        stderr: '',
        error: { code: 'ENOENT', message: 'spawn nvidia-smi ENOENT' },
      },
      gpus: false,
      reason: /not found on PATH/,
    },
    {
      run: { code: null, stdout: '', stderr: '', error: { message: 'killed', timedOut: true } },
      gpus: false,
      reason: /did not answer within 500 ms/,
    },
    {
      run: {
        code: 9,
        stdout: '',
        stderr: "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n",
      },
      gpus: false,
      reason: /failed \(exit 9\): NVIDIA-SMI has failed/,
    },
    { run: { code: 0, stdout: '\n', stderr: '' }, gpus: false, reason: /listed no GPUs/ },
  ];
  for (const c of table) {
    void test(c.reason.source, () => {
      const r = interpretSmiRun(c.run, 500);
      assert.equal(r.gpus !== null, c.gpus);
      assert.match(r.reason, c.reason);
    });
  }
});

void describe('NvidiaSmiPoller', () => {
  /** A runner whose runs the test finishes by hand; counts concurrent runs. */
  function manualRunner() {
    const pending: Array<(r: SmiRun) => void> = [];
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    return {
      run: () =>
        new Promise<SmiRun>((resolve) => {
          calls++;
          running++;
          maxRunning = Math.max(maxRunning, running);
          pending.push((r) => {
            running--;
            resolve(r);
          });
        }),
      finish: (r: SmiRun) => pending.shift()!(r),
      stats: () => ({ calls, maxRunning }),
    };
  }
  const ok: SmiRun = { code: 0, stdout: 'G, 1, 2, 3, 4\n', stderr: '' };
  const fail: SmiRun = { code: 9, stdout: '', stderr: 'driver gone' };

  void test('reliability: 16 nvidia-smi faults — never runs two at once: polls during a run share it', async () => {
    const m = manualRunner();
    const p = new NvidiaSmiPoller({ timeoutMs: 100, baseBackoffMs: 1000, maxBackoffMs: 8000, run: m.run });
    const a = p.poll();
    const b = p.poll();
    const c = p.poll();
    m.finish(ok);
    const rs = await Promise.all([a, b, c]);
    assert.deepEqual(m.stats(), { calls: 1, maxRunning: 1 });
    assert.ok(rs.every((r) => r.gpus?.length === 1));
  });

  void test('backs off exponentially after failures and resets on success', async () => {
    const m = manualRunner();
    let now = 0;
    const p = new NvidiaSmiPoller({
      timeoutMs: 100,
      baseBackoffMs: 1000,
      maxBackoffMs: 3000,
      run: m.run,
      now: () => now,
    });
    const steps: Array<{ at: number; runs: boolean; result?: SmiRun }> = [
      { at: 0, runs: true, result: fail }, // back-off 1000
      { at: 999, runs: false },
      { at: 1000, runs: true, result: fail }, // back-off 2000
      { at: 2999, runs: false },
      { at: 3000, runs: true, result: fail }, // back-off 3000 (capped)
      { at: 5999, runs: false },
      { at: 6000, runs: true, result: ok }, // reset
      { at: 6000, runs: true, result: ok },
    ];
    for (const s of steps) {
      now = s.at;
      const before = m.stats().calls;
      const r = p.poll();
      assert.equal(m.stats().calls - before, s.runs ? 1 : 0, `at ${s.at}`);
      if (s.result) m.finish(s.result);
      const reading = await r;
      if (!s.runs) assert.equal(reading.gpus, null, 'the last failure is returned while backing off');
    }
  });
});
