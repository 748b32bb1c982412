import assert from "node:assert/strict";
import { type TimerId, TimerWheel } from "../../src/timer/wheel.ts";

/** Advances in `step` ms steps up to `until`, recording [value, time of firing]. */
function run<T>(
  wheel: TimerWheel<T>,
  from: number,
  until: number,
  step: number,
): Array<[T, number]> {
  const out: Array<[T, number]> = [];
  for (let now = from; now <= until; now += step) {
    wheel.advance(now, (v) => out.push([v, now]));
  }
  return out;
}

Deno.test("`TimerWheel.advance()` fires an entry at the first tick at or after its deadline", () => {
  const w = new TimerWheel<string>({ tickMs: 1000, now: 0 });
  w.add("a", 2500);
  w.add("b", 3000);
  w.add("c", 1);
  assert.equal(w.size, 3);
  assert.deepEqual(run(w, 0, 5000, 100), [["c", 1000], ["a", 3000], [
    "b",
    3000,
  ]]);
  assert.equal(w.size, 0);
});

for (const levels of [4, 2]) {
  Deno.test(`\`TimerWheel.advance()\` never fires early or late, deadlines spread over ${levels} levels and beyond`, () => {
    check(new TimerWheel<number>({ tickMs: 10, now: 0, levels }));
  });
}

function check(w: TimerWheel<number>): void {
  const deadlines: number[] = [];
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 2000; i++) {
    // 10 ms … ~ 64³ ticks
    const at = Math.floor(10 ** (1 + rand() * 5.3));
    deadlines.push(at);
    w.add(i, at);
  }
  const fired = new Map<number, number>();
  for (let now = 0; now <= 2_200_000; now += 370) {
    w.advance(now, (i) => {
      assert.equal(fired.has(i), false, "fired twice");
      fired.set(i, now);
    });
  }
  assert.equal(fired.size, 2000);
  for (const [i, t] of fired) {
    const at = deadlines[i]!;
    assert.ok(t >= at, `entry ${i} (deadline ${at}) fired early at ${t}`);
    // at most one tick plus one advance step late
    assert.ok(
      t < at + 10 + 370,
      `entry ${i} (deadline ${at}) fired late at ${t}`,
    );
  }
}

Deno.test("`TimerWheel.advance()` fires due entries after a long jump, in tick order", () => {
  const w = new TimerWheel<number>({ tickMs: 1000, now: 5000 });
  for (const at of [400_000, 70_000, 6_000, 5_000_000]) w.add(at, at);
  const order: number[] = [];
  w.advance(1_000_000, (v) => order.push(v));
  assert.deepEqual(order, [6_000, 70_000, 400_000]);
  assert.equal(w.size, 1);
  w.advance(5_000_000, (v) => order.push(v));
  assert.deepEqual(order.at(-1), 5_000_000);
});

Deno.test("`TimerWheel.schedule()` moves an entry earlier or later, `cancel()` removes it", () => {
  const w = new TimerWheel<string>({ tickMs: 1000, now: 0 });
  const a = w.add("a", 60_000);
  const b = w.add("b", 60_000);
  const c = w.add("c", 10_000);
  w.schedule(a, 2000); // earlier
  w.schedule(c, 120_000); // later
  w.cancel(b);
  assert.equal(w.deadline(b), Infinity);
  assert.equal(w.deadline(a), 2000);
  assert.equal(w.size, 2);
  assert.deepEqual(run(w, 0, 200_000, 1000), [["a", 2000], ["c", 120_000]]);
  w.schedule(b, 201_000); // a cancelled entry can come back
  assert.deepEqual(run(w, 200_000, 202_000, 1000), [["b", 201_000]]);
});

Deno.test("`TimerWheel.schedule()` with Infinity unschedules; a past deadline fires on the next tick", () => {
  const w = new TimerWheel<string>({ tickMs: 1000, now: 10_000 });
  const a = w.add("a", Infinity);
  assert.equal(w.size, 0);
  w.schedule(a, 3000); // already past
  assert.equal(w.size, 1);
  assert.deepEqual(run(w, 10_000, 12_000, 500), [["a", 11_000]]);
  w.schedule(a, 50_000);
  w.schedule(a, Infinity);
  assert.equal(w.size, 0);
});

Deno.test("`TimerWheel.advance()` lets a firing entry reschedule itself and cancel others due in the same tick", () => {
  const w = new TimerWheel<string>({ tickMs: 1000, now: 0 });
  const ids = new Map<string, TimerId>();
  for (const v of ["a", "b", "c"]) ids.set(v, w.add(v, 5000));
  const seen: string[] = [];
  w.advance(5000, (v) => {
    seen.push(v);
    if (v === "a") {
      w.cancel(ids.get("b")!);
      w.cancel(ids.get("c")!);
      w.schedule(ids.get("c")!, 9000);
      w.schedule(ids.get("a")!, 7000);
    }
  });
  assert.deepEqual(seen, ["a"]);
  assert.equal(w.size, 2);
  assert.deepEqual(run(w, 5000, 10_000, 1000), [["a", 7000], ["c", 9000]]);
});

Deno.test("`TimerWheel` keeps deadlines beyond its range and fires them in time", () => {
  const w = new TimerWheel<string>({ tickMs: 1, now: 0, levels: 2 }); // 4096 ticks
  w.add("far", 10_000);
  w.add("near", 100);
  const out = run(w, 0, 12_000, 50);
  assert.deepEqual(out, [["near", 100], ["far", 10_000]]);
});

Deno.test("`TimerWheel` rejects a bad tick or level count", () => {
  assert.throws(() => new TimerWheel({ tickMs: 0, now: 0 }), RangeError);
  assert.throws(
    () => new TimerWheel({ tickMs: 1, now: 0, levels: 0 }),
    RangeError,
  );
});
