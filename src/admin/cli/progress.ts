/**
 * A live progress line on a terminal (stderr), rewritten in place at most ten
 * times a second: long listings show that they are moving. Only on a TTY; in
 * pipes and logs the operation's structured `sync progress` lines serve.
 */
export interface ProgressLine {
  update(counts: Record<string, number>): void;
  /** Clear the line (the report follows). */
  done(): void;
}

export function progressLine(stream: { write(text: string): unknown; isTTY?: boolean }, label: string): ProgressLine | undefined {
  if (!stream.isTTY) return undefined;
  const started = Date.now();
  let last = 0;
  let shown = false;
  return {
    update(counts) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      const parts = Object.entries(counts).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`);
      stream.write(`\r\x1b[2K${label}: ${parts.join(' · ')} · ${((now - started) / 1000).toFixed(1)}s`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
    },
  };
}
