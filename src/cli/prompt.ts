// Reads a secret without echoing it: from a terminal with echo off, or the
// whole of standard input when it is piped (or `fromStdin` is set).
import { createInterface } from 'node:readline';

/** All of standard input, without its final newline. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export async function readSecret(prompt: string, fromStdin: boolean): Promise<string> {
  if (fromStdin || !process.stdin.isTTY) return readStdin();
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // Keep the prompt, mute everything typed after it.
  const output = rl as unknown as { _writeToOutput: (text: string) => void };
  let prompted = false;
  output._writeToOutput = (text: string) => {
    if (!prompted) process.stderr.write(text);
    prompted = true;
  };
  const answer = await new Promise<string>((resolve) => rl.question(prompt, resolve));
  rl.close();
  process.stderr.write('\n');
  return answer;
}
