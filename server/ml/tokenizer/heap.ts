/** A binary max-heap of (count, key) pairs; ties go to the smaller key, so training is deterministic. */
export class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];

  get size(): number {
    return this.keys.length;
  }

  push(count: number, key: number): void {
    let i = this.keys.length;
    this.counts.push(count);
    this.keys.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Removes the top entry and writes it to out as [count, key]; false when empty. */
  pop(out: [number, number]): boolean {
    const n = this.keys.length;
    if (n === 0) return false;
    out[0] = this.counts[0];
    out[1] = this.keys[0];
    const lastCount = this.counts.pop()!;
    const lastKey = this.keys.pop()!;
    if (n > 1) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let top = i;
        if (l < n - 1 && this.before(l, top)) top = l;
        if (r < n - 1 && this.before(r, top)) top = r;
        if (top === i) break;
        this.swap(i, top);
        i = top;
      }
    }
    return true;
  }

  private before(i: number, j: number): boolean {
    const ci = this.counts[i];
    const cj = this.counts[j];
    return ci > cj || (ci === cj && this.keys[i] < this.keys[j]);
  }

  private swap(i: number, j: number): void {
    const c = this.counts[i];
    this.counts[i] = this.counts[j];
    this.counts[j] = c;
    const k = this.keys[i];
    this.keys[i] = this.keys[j];
    this.keys[j] = k;
  }
}
