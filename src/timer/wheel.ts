/**
 * A hierarchical timing wheel: many deadlines (one per connection) kept for O(1) insert,
 * cancel and reschedule, and fired by an external tick. Time is an integer tick count
 * (`ceil(ms / tickMs)`); level `k` has 64 slots of `64^k` ticks each, so 4 levels cover
 * 64⁴ ticks (194 days at 1 s ticks) and later deadlines wait in the last level and are placed
 * again when it turns. An entry never fires before its deadline and at most one tick after
 * the first {@linkcode TimerWheel.advance} that reaches it.
 *
 * Pure: no timers, no clock. Slots are arrays with swap-removal (each entry remembers its
 * slot and index), so an entry is one small object and scheduling allocates nothing once the
 * slot arrays have grown.
 *
 * @module
 */

const SLOT_BITS = 6;
const SLOTS = 1 << SLOT_BITS;
const MASK = SLOTS - 1;

/** Not in any slot. */
const IDLE = -1;
/** Taken out of its slot by the advance in progress, about to fire. */
const FIRING = -2;

declare const timerIdBrand: unique symbol;

/**
 * A handle on one scheduled value (opaque).
 *
 * @example
 * ```ts
 * import { type TimerId, TimerWheel } from "./wheel.ts";
 * const wheel = new TimerWheel<string>({ tickMs: 1000, now: 0 });
 * const id: TimerId = wheel.add("conn 1", 5000);
 * wheel.cancel(id);
 * ```
 */
export type TimerId = { readonly [timerIdBrand]: true };

interface Entry<T> {
  value: T;
  /** Deadline in ms (Infinity: not scheduled). */
  at: number;
  /** Tick it fires at. */
  tick: number;
  /** Slot index (level * 64 + slot), or IDLE / FIRING. */
  slot: number;
  /** Index in the slot's array. */
  pos: number;
}

/** Options of {@linkcode TimerWheel}. */
export interface TimerWheelOptions {
  /** Length of one tick in ms (the resolution). */
  tickMs: number;
  /** Current time in ms; ticks up to it count as done. */
  now: number;
  /** Number of 64-slot levels (default 4). */
  levels?: number;
}

/**
 * Deadlines of many values, fired by {@linkcode TimerWheel.advance}.
 *
 * @example
 * ```ts
 * import { TimerWheel } from "./wheel.ts";
 * const wheel = new TimerWheel<string>({ tickMs: 1000, now: 0 });
 * const a = wheel.add("a", 1500);
 * wheel.add("b", 60_000);
 * const fired: string[] = [];
 * wheel.advance(2000, (v) => fired.push(v));
 * if (fired.join() !== "a") throw new Error();
 * wheel.schedule(a, 3000); // again, later
 * wheel.advance(3000, (v) => fired.push(v));
 * if (fired.join() !== "a,a" || wheel.size !== 1) throw new Error();
 * ```
 */
export class TimerWheel<T> {
  readonly #tickMs: number;
  readonly #levels: number;
  readonly #slots: Array<Array<Entry<T>>>;
  /** Spare array swapped in for a slot being emptied. */
  #spare: Array<Entry<T>> = [];
  /** Last tick processed. */
  #current: number;
  #size = 0;

  /** Creates an empty wheel whose ticks up to `options.now` are done. */
  constructor(options: TimerWheelOptions) {
    const levels = options.levels ?? 4;
    if (!(options.tickMs > 0)) {
      throw new RangeError(
        `Cannot create a timer wheel: tickMs must be positive, got ${options.tickMs}`,
      );
    }
    if (!Number.isInteger(levels) || levels < 1 || levels > 8) {
      throw new RangeError(
        `Cannot create a timer wheel: levels must be an integer 1..8, got ${levels}`,
      );
    }
    this.#tickMs = options.tickMs;
    this.#levels = levels;
    this.#slots = Array.from({ length: levels * SLOTS }, () => []);
    this.#current = Math.floor(options.now / options.tickMs);
  }

  /** Number of scheduled entries. */
  get size(): number {
    return this.#size;
  }

  /** Adds `value` with deadline `at` (ms; `Infinity` = not scheduled yet); returns its handle. */
  add(value: T, at: number): TimerId {
    const e: Entry<T> = { value, at: Infinity, tick: 0, slot: IDLE, pos: 0 };
    this.#set(e, at);
    return e as unknown as TimerId;
  }

  /** Moves the deadline of `id` to `at` (ms); `Infinity` unschedules it. O(1). */
  schedule(id: TimerId, at: number): void {
    const e = id as unknown as Entry<T>;
    this.#unlink(e);
    this.#set(e, at);
  }

  /** Unschedules `id` (it stays usable with {@linkcode schedule}). O(1). */
  cancel(id: TimerId): void {
    const e = id as unknown as Entry<T>;
    this.#unlink(e);
    e.at = Infinity;
  }

  /** The deadline `id` is scheduled for, in ms (`Infinity` if none). */
  deadline(id: TimerId): number {
    return (id as unknown as Entry<T>).at;
  }

  /**
   * Fires, in deadline-tick order, every entry due at `now` (ms): each is unscheduled, then
   * `fire(value)` runs (it may schedule or cancel any entry). Returns how many fired.
   */
  advance(now: number, fire: (value: T) => void): number {
    const target = Math.floor(now / this.#tickMs);
    let fired = 0;
    while (this.#current < target) {
      if (this.#size === 0) {
        this.#current = target;
        break;
      }
      const tick = ++this.#current;
      // cascade the levels whose slot boundary this tick crosses, highest first
      for (let k = this.#levels - 1; k >= 1; k--) {
        const span = 2 ** (SLOT_BITS * k);
        if (tick % span !== 0) continue;
        const idx = k * SLOTS + (Math.floor(tick / span) & MASK);
        const moved = this.#take(idx);
        for (const e of moved) {
          e.slot = IDLE;
          this.#size--;
          this.#place(e);
        }
        moved.length = 0;
        this.#spare = moved;
      }
      const due = this.#take(tick & MASK);
      if (due.length === 0) {
        this.#spare = due;
        continue;
      }
      for (const e of due) e.slot = FIRING;
      this.#size -= due.length;
      for (const e of due) {
        if (e.slot !== FIRING) continue; // rescheduled or cancelled by an earlier fire
        e.slot = IDLE;
        e.at = Infinity;
        fired++;
        fire(e.value);
      }
      due.length = 0;
      this.#spare = due;
    }
    return fired;
  }

  /** Empties slot `idx`, returning its former array. */
  #take(idx: number): Array<Entry<T>> {
    const arr = this.#slots[idx]!;
    this.#slots[idx] = this.#spare.length === 0 ? this.#spare : [];
    this.#spare = [];
    return arr;
  }

  #set(e: Entry<T>, at: number): void {
    e.at = at;
    if (at === Infinity || Number.isNaN(at)) {
      e.at = Infinity;
      return;
    }
    const t = Math.ceil(at / this.#tickMs);
    e.tick = t > this.#current ? t : this.#current + 1;
    this.#place(e);
  }

  /** Puts `e` (with `e.tick` ≥ the current tick) in its slot. */
  #place(e: Entry<T>): void {
    const cur = this.#current;
    let t = e.tick;
    if (t < cur) t = cur;
    let level = 0;
    // the level is that of the highest 6-bit digit where t and cur differ
    while (
      level < this.#levels - 1 &&
      Math.floor(t / 2 ** (SLOT_BITS * (level + 1))) !==
        Math.floor(cur / 2 ** (SLOT_BITS * (level + 1)))
    ) level++;
    let digit: number;
    const shift = 2 ** (SLOT_BITS * level);
    if (level === this.#levels - 1 && t - cur >= (SLOTS - 1) * shift) {
      // beyond one turn of the top level: the slot reached last (just before the current
      // one), placed again from there
      digit = (Math.floor(cur / shift) + MASK) & MASK;
    } else {
      digit = Math.floor(t / shift) & MASK;
    }
    const idx = level * SLOTS + digit;
    const arr = this.#slots[idx]!;
    e.slot = idx;
    e.pos = arr.length;
    arr.push(e);
    this.#size++;
  }

  #unlink(e: Entry<T>): void {
    const idx = e.slot;
    if (idx === FIRING) {
      e.slot = IDLE;
      return;
    }
    if (idx === IDLE) return;
    const arr = this.#slots[idx]!;
    const last = arr.pop()!;
    if (last !== e) {
      arr[e.pos] = last;
      last.pos = e.pos;
    }
    e.slot = IDLE;
    this.#size--;
  }
}
