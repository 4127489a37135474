/**
 * CPU time of processes on this machine, for the benches' per-request and
 * per-phase figures: steadier than wall time on a shared 2-core machine.
 * Linux /proc only (utime + stime, in clock ticks of 1/100 s).
 */
import { readFileSync } from 'node:fs';
import type { Sql } from 'postgres';

/** CPU seconds a process has used so far; 0 once it has ended (its CPU is then lost to the figure). */
export function processCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds used so far by the server processes of `database` (Postgres on
 * this machine), those of one `application_name` only when given.
 */
export async function databaseCpuSeconds(client: Sql, database: string, applicationName?: string): Promise<number> {
  const rows = applicationName
    ? await client<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${database} and application_name = ${applicationName}`
    : await client<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${database}`;
  return rows.reduce((sum, { pid }) => sum + processCpuSeconds(pid), 0);
}
