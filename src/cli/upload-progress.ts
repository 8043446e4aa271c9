// The upload bar of `ocp print` (cli-progress): drawn on standard error, and
// only when it is a terminal, so that piped or logged output stays clean.
import cliProgress from 'cli-progress';
import type { UploadProgress } from '../client/cloudprint-api.ts';

/** Frames per second the bar is redrawn at most (cli-progress's throttle). */
const FPS = 10;

export interface UploadBar {
  /** Undefined when no bar is drawn (not a terminal). */
  onProgress: UploadProgress | undefined;
  stop(): void;
}

/** A bar for an upload of about `totalBytes` (the file; the multipart framing adds a few hundred bytes, clamped). */
export function uploadBar(label: string, totalBytes: number, stream: NodeJS.WriteStream = process.stderr): UploadBar {
  if (!stream.isTTY) return { onProgress: undefined, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { stream, fps: FPS, clearOnComplete: false, hideCursor: true, format: `${label} [{bar}] {percentage}% | {value}/{total} KiB`, formatValue: (value, _options, type) => (type === 'value' || type === 'total' ? String(Math.ceil(value)) : String(value)) },
    cliProgress.Presets.shades_classic,
  );
  const totalKiB = Math.max(1, totalBytes / 1024);
  bar.start(totalKiB, 0);
  return {
    onProgress: (sent) => bar.update(Math.min(totalKiB, sent / 1024)),
    stop: () => {
      bar.update(totalKiB);
      bar.stop();
    },
  };
}
