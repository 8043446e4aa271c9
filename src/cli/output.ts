// How `ocp` writes for people and for scripts: tables whose columns line up
// whatever the characters (string-width counts a CJK character or an emoji as
// two columns), colours only on a terminal that wants them, and JSON on one
// line for --json.
import type { Writable } from 'node:stream';
import stringWidth from 'string-width';
import { networkCause } from '../client/network-error.ts';

const ANSI = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof ANSI;

/**
 * Whether `stream` takes colours: a terminal, and neither NO_COLOR nor a dumb
 * TERM says otherwise (Node's hasColors reads NO_COLOR, FORCE_COLOR and TERM).
 */
export function colourful(stream: Writable): boolean {
  const tty = stream as Writable & { isTTY?: boolean; hasColors?: () => boolean };
  return Boolean(tty.isTTY && tty.hasColors?.());
}

/** `text` in `colour` when `stream` takes colours, as is otherwise. */
export function paint(stream: Writable, colour: Colour, text: string): string {
  return colourful(stream) ? `\u001b[${ANSI[colour]}m${text}\u001b[0m` : text;
}

/** The colour of a job or printer state word. */
export function stateColour(state: string): Colour | undefined {
  if (state === 'DONE' || state === 'IDLE' || state === 'ONLINE') return 'green';
  if (state === 'ABORTED' || state === 'STOPPED' || state === 'OFFLINE') return 'red';
  if (state === 'IN_PROGRESS' || state === 'PROCESSING' || state === 'QUEUED' || state === 'HELD') return 'yellow';
  return undefined;
}

/** Rows as columns two spaces apart, the first row the header (dimmed on a terminal). */
export function table(rows: string[][], stream: Writable = process.stdout): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => stringWidth(row[i] ?? '')))) ?? [];
  const lines = rows.map((row) => row.map((cell, i) => cell + ' '.repeat(Math.max(0, (widths[i] ?? 0) - stringWidth(cell)))).join('  ').trimEnd());
  if (lines.length > 0) lines[0] = paint(stream, 'bold', lines[0]!);
  return lines.join('\n');
}

/** A state word in a table cell, coloured on a terminal (padding counts only the visible text). */
export function stateCell(state: string, stream: Writable = process.stdout): string {
  const colour = stateColour(state);
  return colour ? paint(stream, colour, state) : state;
}

/** --json output: one line, a stable shape (src/cli/json-shapes.ts). */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

/** The line `ocp` ends with when a command fails: what failed and why, "ocp:" in red on a terminal. */
export function errorLine(error: unknown): string {
  const failure = error as Error & { cause?: unknown };
  // A bare fetch from a helper that does not name its URL (src/client/network-error.ts names it where it can).
  const message = failure.message === 'fetch failed' ? `network failure: ${networkCause(error)}` : (failure.message ?? String(error));
  return `${paint(process.stderr, 'red', 'ocp:')} ${message}`;
}
