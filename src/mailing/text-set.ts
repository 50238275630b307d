/**
 * A set of strings kept as 64-bit hashes (two FNV-1a variants) in one typed
 * array: about 16–32 bytes per entry outside the JS heap, where a `Set` of
 * millions of strings costs several times that and is traced by every full
 * garbage collection. Two different strings share a hash with a probability
 * of about n²/2⁶⁵ (10⁻⁷ for three million entries): callers use it where such
 * a rare false "already there" is acceptable.
 */
export class TextHashSet {
  private slots = new Int32Array(1 << 12);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds `text`; false if it was already there. */
  add(text: string): boolean {
    let a = 0x811c9dc5;
    let b = 0x01000193;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 13);
    }
    // (0, 0) marks an empty slot.
    if (a === 0 && b === 0) a = 1;
    if ((this.count + 1) * 4 > this.slots.length) this.grow();
    return this.insert(a | 0, b | 0);
  }

  private insert(a: number, b: number): boolean {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    for (let i = Math.imul(a ^ b, 0x9e3779b1) & mask; ; i = (i + 1) & mask) {
      const x = slots[2 * i]!;
      const y = slots[2 * i + 1]!;
      if (x === a && y === b) return false;
      if (x === 0 && y === 0) {
        slots[2 * i] = a;
        slots[2 * i + 1] = b;
        this.count++;
        return true;
      }
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.count = 0;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] !== 0 || old[i + 1] !== 0) this.insert(old[i]!, old[i + 1]!);
    }
  }
}
