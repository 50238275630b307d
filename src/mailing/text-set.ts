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

  /**
   * At most `maxEntries` are kept (memory stays within about 16 bytes each
   * whatever the input); past it `add` still finds what is there but keeps
   * nothing new, and `full` says so.
   */
  constructor(private readonly maxEntries = Number.POSITIVE_INFINITY) {}

  get size(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count >= this.maxEntries;
  }

  /** Adds `text`; false if it was already there. */
  add(text: string): boolean {
    return this.addParts(text, null, null);
  }

  /**
   * Adds the parts joined by NUL, hashed in place (no joined string is made:
   * this runs once per contact of a file); false if already there.
   */
  addParts(first: string, second: string | null, third: string | null): boolean {
    this.ha = 0x811c9dc5;
    this.hb = 0x01000193;
    this.mix(first);
    if (second !== null) {
      this.mix("\u0000");
      this.mix(second);
    }
    if (third !== null) {
      this.mix("\u0000");
      this.mix(third);
    }
    let a = this.ha;
    const b = this.hb;
    // (0, 0) marks an empty slot.
    if (a === 0 && b === 0) a = 1;
    if (this.full) return !this.has(a | 0, b | 0);
    if ((this.count + 1) * 4 > this.slots.length) this.grow();
    return this.insert(a | 0, b | 0);
  }

  private ha = 0;
  private hb = 0;

  private mix(text: string): void {
    let a = this.ha;
    let b = this.hb;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 13);
    }
    this.ha = a;
    this.hb = b;
  }

  private has(a: number, b: number): boolean {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    for (let i = Math.imul(a ^ b, 0x9e3779b1) & mask; ; i = (i + 1) & mask) {
      const x = slots[2 * i]!;
      const y = slots[2 * i + 1]!;
      if (x === a && y === b) return true;
      if (x === 0 && y === 0) return false;
    }
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
