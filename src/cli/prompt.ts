// Questions to the person at the terminal, on standard error (standard output
// is for data): a secret typed with echo off (npm's `read`, which mutes the
// terminal through mute-stream rather than patching readline's internals),
// the whole of standard input when it is piped, and yes/no confirmations.
import { read } from 'read';

/** All of standard input, without its final newline. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export async function readSecret(prompt: string, fromStdin: boolean): Promise<string> {
  if (fromStdin || !process.stdin.isTTY) return readStdin();
  return read({ prompt, silent: true, replace: '', input: process.stdin, output: process.stderr });
}

/** Whether a question can be put: standard input and error are a terminal. */
export function canAsk(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

/** Asks a yes/no question on the terminal; anything but y/yes is no. */
export async function confirm(question: string): Promise<boolean> {
  const answer = await read({ prompt: `${question} [y/N] `, input: process.stdin, output: process.stderr });
  return /^y(es)?$/i.test(answer.trim());
}
