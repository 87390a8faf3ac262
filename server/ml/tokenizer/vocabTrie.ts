/**
 * A prefix tree over code points mapping vocabulary pieces to ids, for allocation-free longest-match lookups.
 * ASCII edges live in a dense table (one Int32Array row of 128 per node: most text is ASCII); others in a Map per node.
 */
export class VocabTrie {
  private ascii = new Int32Array(128).fill(-1);
  private readonly other: Array<Map<number, number> | undefined> = [undefined];
  private readonly ids: number[] = [-1];

  /** Inserts the code points of `piece` (non-empty); a later insert of the same piece replaces the id. */
  insert(piece: string, id: number): void {
    let node = 0;
    for (const ch of piece) {
      const cp = ch.codePointAt(0)!;
      let next = this.child(node, cp);
      if (next < 0) {
        next = this.ids.length;
        this.ids.push(-1);
        this.other.push(undefined);
        if ((next + 1) * 128 > this.ascii.length) {
          const grown = new Int32Array(this.ascii.length * 2).fill(-1);
          grown.set(this.ascii);
          this.ascii = grown;
        }
        if (cp < 128) this.ascii[node * 128 + cp] = next;
        else {
          let kids = this.other[node];
          if (!kids) kids = this.other[node] = new Map();
          kids.set(cp, next);
        }
      }
      node = next;
    }
    if (node !== 0) this.ids[node] = id;
  }

  private child(node: number, cp: number): number {
    if (cp < 128) return this.ascii[node * 128 + cp];
    return this.other[node]?.get(cp) ?? -1;
  }

  /**
   * Longest piece matching cps[from, to): returns its end index (exclusive) and writes its id to out[0];
   * returns -1 when no piece starts there.
   */
  longestMatch(cps: Int32Array, from: number, to: number, out: Int32Array): number {
    let node = 0;
    let bestEnd = -1;
    const ascii = this.ascii;
    for (let k = from; k < to; k++) {
      const cp = cps[k];
      let next: number;
      if (cp < 128) next = ascii[node * 128 + cp];
      else {
        const kids = this.other[node];
        next = kids === undefined ? -1 : (kids.get(cp) ?? -1);
      }
      if (next < 0) break;
      node = next;
      const id = this.ids[node];
      if (id >= 0) {
        bestEnd = k + 1;
        out[0] = id;
      }
    }
    return bestEnd;
  }
}
