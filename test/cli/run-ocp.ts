// Runs the real `ocp` binary for CLI tests: with pipes (exit code, stdout,
// stderr apart), or on a pseudo-terminal made by util-linux `script`, where
// the command sees a TTY and its stdout and stderr come back together.
import { execFile, spawn } from 'node:child_process';

export const OCP = new URL('../../bin/ocp', import.meta.url).pathname;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment every run gets: no saved login or cloud from the
 * developer's shell, and none of the variables that decide colours (Node
 * takes a set `CI`, as on the CI machine, for a terminal without colours).
 */
function baseEnv(credentials: string, env: Record<string, string>): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = { ...process.env, OCP_CREDENTIALS: credentials, OCP_CLOUD: '', OCP_TOKEN: '' };
  for (const key of ['FORCE_COLOR', 'NO_COLOR', 'CI']) delete clean[key];
  return { ...clean, ...env };
}

export function ocp(credentials: string, args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(OCP, args, { env: baseEnv(credentials, options.env ?? {}) }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.end(options.stdin ?? '');
  });
}

/** The longest a run on a pseudo-terminal may take. */
const TTY_RUN_TIMEOUT_MS = 30_000;

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `ocp args` on a pseudo-terminal. `answer` types `input` once the
 * output matches `when`. Output is stdout and stderr as the terminal showed them.
 */
export function ocpOnTty(credentials: string, args: string[], options: { answer?: { when: RegExp; input: string }; env?: Record<string, string> } = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const command = [OCP, ...args].map(quote).join(' ');
    const child = spawn('script', ['-qefc', command, '/dev/null'], { env: { ...baseEnv(credentials, options.env ?? {}), TERM: 'xterm-256color' }, stdio: ['pipe', 'pipe', 'inherit'] });
    let output = '';
    let answered = false;
    // A command that waits for input it never gets fails the test instead of hanging it.
    const deadline = setTimeout(() => child.kill('SIGKILL'), TTY_RUN_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (options.answer && !answered && options.answer.when.test(output)) {
        answered = true;
        child.stdin.write(options.answer.input);
      }
    });
    child.on('close', (code) => {
      clearTimeout(deadline);
      child.stdin.end();
      resolve({ code: code ?? 1, output });
    });
  });
}
