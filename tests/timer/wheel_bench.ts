// Cost per connection of the worker's timers: `deno bench --allow-all tests/timer/wheel_bench.ts`
// (add `--v8-flags=--expose-gc` for the memory line). Each bench works on N = 100k entries, so
// its time ÷ 100k is the cost per connection; "scan" is the former design (every connection
// visited on every 1 s tick).
import { type TimerId, TimerWheel } from "../../src/timer/wheel.ts";

const N = 100_000;
const TICK = 1000;

class FakeConn {
  deadline: number;
  keepAliveDue: number;
  constructor(now: number) {
    this.deadline = now + 60_000 + Math.random() * 60_000;
    this.keepAliveDue = now + 45_000;
  }
  onTick(now: number): boolean {
    return now >= this.deadline;
  }
  keepAliveAddress(now: number): number | null {
    return now >= this.keepAliveDue ? 1 : null;
  }
}

function filled(now: number): { wheel: TimerWheel<FakeConn>; ids: TimerId[] } {
  const wheel = new TimerWheel<FakeConn>({ tickMs: TICK, now });
  const ids: TimerId[] = [];
  for (let i = 0; i < N; i++) {
    const c = new FakeConn(now);
    ids.push(wheel.add(c, c.deadline));
  }
  return { wheel, ids };
}

// memory per entry
{
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    const conns = Array.from({ length: N }, () => new FakeConn(0));
    gc();
    const before = Deno.memoryUsage().heapUsed;
    const wheel = new TimerWheel<FakeConn>({ tickMs: TICK, now: 0 });
    const ids = conns.map((c) => wheel.add(c, c.deadline));
    gc();
    const after = Deno.memoryUsage().heapUsed;
    console.log(
      `timer wheel: ${
        ((after - before) / N).toFixed(1)
      } bytes of heap per scheduled connection ` +
        `(entry + slot reference + handle array slot, ${ids.length} entries)`,
    );
  }
}

Deno.bench("wheel: add 100k connections", { group: "insert" }, () => {
  filled(0);
});

{
  const { wheel, ids } = filled(0);
  let t = 0;
  Deno.bench(
    "wheel: reschedule 100k connections (lazy move after a firing)",
    { group: "move" },
    () => {
      t += 1000;
      for (let i = 0; i < N; i++) wheel.schedule(ids[i]!, t + 60_000 + i);
    },
  );
}

{
  const { wheel, ids } = filled(0);
  let t = 0;
  Deno.bench(
    "wheel: cancel + re-add 100k connections",
    { group: "move" },
    () => {
      t += 1;
      for (let i = 0; i < N; i++) {
        wheel.cancel(ids[i]!);
        wheel.schedule(ids[i]!, t + 90_000 + i);
      }
    },
  );
}

{
  // 100k idle connections, each due about once a minute: a 1 s tick fires ~1/60 of them,
  // which look up their entry (the worker keeps it in a Map) and reschedule a minute on
  const wheel = new TimerWheel<FakeConn>({ tickMs: TICK, now: 0 });
  const idOf = new Map<FakeConn, TimerId>();
  for (let i = 0; i < N; i++) {
    const c = new FakeConn(0);
    idOf.set(c, wheel.add(c, c.deadline));
  }
  let now = 0;
  const fired: FakeConn[] = [];
  Deno.bench(
    "wheel: one 1 s tick, 100k idle connections (~1/60 due, rescheduled)",
    { group: "tick" },
    () => {
      now += TICK;
      fired.length = 0;
      wheel.advance(now, (c) => fired.push(c));
      for (const c of fired) {
        c.onTick(now);
        c.deadline = now + 60_000;
        wheel.schedule(idOf.get(c)!, c.deadline);
      }
    },
  );
}

{
  const conns = new Set<FakeConn>();
  for (let i = 0; i < N; i++) conns.add(new FakeConn(0));
  let now = 0;
  let sink = 0;
  Deno.bench(
    "scan: one 1 s tick, 100k idle connections (every connection visited)",
    { group: "tick", baseline: true },
    () => {
      now += TICK;
      for (const c of conns) {
        if (c.onTick(now)) c.deadline = now + 60_000;
        if (c.keepAliveAddress(now) !== null) c.keepAliveDue = now + 45_000;
        sink++;
      }
    },
  );
}
