/** Starting the processes a SCIM bench measures (roster serve, the ceiling server). */
import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Start `node <command>` in `cwd` and resolve with the first group of `ready`
 * once its output matches (e.g. the port it listens on). The child is added to
 * `children`, for the bench to stop at the end; an exit before that rejects
 * with the last of its output.
 */
export function startProcess(cwd: string, command: string[], env: NodeJS.ProcessEnv, ready: RegExp, children: ChildProcess[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, command, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const m = ready.exec(seen);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${command.join(' ')} exited with ${code}: ${seen.slice(-500)}`)));
  });
}
