/**
 * The scheduler bench's figures (./run.ts), from the replicas' run records and
 * the rows of schedule_slots. A tick is `<connection id>:delta:<nominal ISO>`
 * (the slot key both scheduler designs use); the measured ticks are those whose
 * nominal time falls in [from, to).
 */

export interface RunRecord {
  c: string;
  m: string;
  r: string;
  /** Start, ms since the epoch; `e` (end) is only on the second line of a run. */
  s: number;
  e?: number;
  key?: string;
  due?: number;
}

export interface SlotRow {
  key: string;
  owner: string | null;
  attempts: number;
  claimed: number;
  due: number | null;
  completed: boolean;
}

export interface Sample {
  t: number;
  held: Record<string, number>;
}

interface Start {
  r: string;
  s: number;
  end: number | undefined;
  due: number | undefined;
}

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : null);
const summary = (values: number[]) => {
  const v = [...values].sort((a, b) => a - b);
  const s = (x: number | null) => (x === null ? null : +(x / 1000).toFixed(2));
  return { n: v.length, p50: s(pct(v, 50)), p95: s(pct(v, 95)), max: s(v.length ? v[v.length - 1]! : null) };
};
const nominalOf = (key: string) => Date.parse(/^[0-9a-f-]{36}:(?:delta|full):(.*)$/.exec(key)?.[1] ?? '');

export function analyse(input: {
  records: RunRecord[];
  slots: SlotRow[];
  samples: Sample[];
  connectionIds: string[];
  from: number;
  to: number;
  periodMs: number;
  killedReplica: string | undefined;
}) {
  const { records, slots, samples, from, to, periodMs, killedReplica } = input;
  const slotByKey = new Map(slots.map((s) => [s.key, s]));
  const slotsByConnection = new Map<string, SlotRow[]>();
  for (const s of slots) {
    const prefix = s.key.slice(0, s.key.indexOf(':', 37));
    (slotsByConnection.get(prefix) ?? slotsByConnection.set(prefix, []).get(prefix)!).push(s);
  }
  const ends = new Map<string, number>();
  for (const r of records) if (r.e !== undefined) ends.set(`${r.c}|${r.m}|${r.r}|${r.s}`, r.e);

  // Which tick each run served: the scheduler says so where it can; else the latest slot of that
  // connection this replica had claimed by then; else the period the start falls in.
  const startsByKey = new Map<string, Start[]>();
  for (const r of records) {
    if (r.e !== undefined) continue;
    let key = r.key;
    if (!key) {
      const mine = (slotsByConnection.get(`${r.c}:${r.m}`) ?? []).filter((s) => s.owner === r.r && s.claimed <= r.s + 5);
      mine.sort((a, b) => b.claimed - a.claimed);
      key = mine[0]?.key ?? `${r.c}:${r.m}:${new Date(Math.floor(r.s / periodMs) * periodMs).toISOString()}`;
    }
    const due = r.due ?? slotByKey.get(key)?.due ?? nominalOf(key);
    const list = startsByKey.get(key) ?? startsByKey.set(key, []).get(key)!;
    list.push({ r: r.r, s: r.s, end: ends.get(`${r.c}|${r.m}|${r.r}|${r.s}`), due });
  }

  let expected = 0;
  let run = 0;
  let doubled = 0;
  let retaken = 0;
  const lag: number[] = [];
  const takeoverLag: number[] = [];
  const claimWait: number[] = [];
  const perReplica: Record<string, number> = {};
  for (const id of input.connectionIds) {
    for (let t = from; t < to; t += periodMs) {
      expected++;
      const key = `${id}:delta:${new Date(t).toISOString()}`;
      const starts = (startsByKey.get(key) ?? []).sort((a, b) => a.s - b.s);
      if (!starts.length) continue;
      run++;
      const interrupted = starts.filter((s) => s.r === killedReplica && s.end === undefined).length;
      if (starts.length - interrupted >= 2) doubled++;
      if (interrupted && starts.length > interrupted) {
        retaken++;
        const last = starts[starts.length - 1]!;
        takeoverLag.push(last.s - last.due!);
      }
      lag.push(starts[0]!.s - starts[0]!.due!);
      for (const s of starts) perReplica[s.r] = (perReplica[s.r] ?? 0) + 1;
      const slot = slotByKey.get(key);
      const last = starts[starts.length - 1]!;
      if (slot && slot.owner === last.r) claimWait.push(last.s - slot.claimed);
    }
  }

  // Claims a replica held that it was not running: held (from the database, each second) minus its runs then.
  const runningAt = (r: string, t: number) =>
    [...startsByKey.values()].reduce((n, list) => n + list.filter((s) => s.r === r && s.s <= t && (s.end ?? Infinity) > t).length, 0);
  const idleClaims: Record<string, { peak: number; mean: number }> = {};
  const replicas = [...new Set(samples.flatMap((s) => Object.keys(s.held)).concat(Object.keys(perReplica)))].sort();
  for (const r of replicas) {
    const values = samples.filter((s) => s.t >= from && s.t < to).map((s) => Math.max(0, (s.held[r] ?? 0) - runningAt(r, s.t)));
    idleClaims[r] = { peak: Math.max(0, ...values), mean: +(values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)).toFixed(1) };
  }
  const unfinishedSlots = slots.filter((s) => !s.completed && nominalOf(s.key) >= from && nominalOf(s.key) < to).length;

  return {
    ticks: { expected, run, lost: expected - run, doubled, retakenAfterKill: retaken, slotsLeftUnfinished: unfinishedSlots },
    startLagSeconds: summary(lag),
    takeoverLagSeconds: killedReplica ? summary(takeoverLag) : undefined,
    claimToStartSeconds: summary(claimWait),
    runsPerReplica: perReplica,
    claimsHeldNotRunning: idleClaims,
  };
}
