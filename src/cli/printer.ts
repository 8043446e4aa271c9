// `ocp printer`: runs one virtual Privet printer until SIGINT/SIGTERM;
// `ocp printer reset`: factory reset (credentials and settings cleared).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createLogger } from '../log.ts';
import { installErrorPolicy } from './error-policy.ts';
import { DEFAULT_PRINTER_HTTP_GUARD, Printer } from '../privet/printer.ts';
import { StateFile } from '../privet/state.ts';
import { attachConsolePanel } from '../privet/panel-server.ts';

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || value.trim() === '') throw new Error(`expected a number of seconds, got "${value}"`);
  return n;
}

function int(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`expected a whole number, got "${value}"`);
  return n;
}

export function registerPrinterCommands(program: Command): void {
  const printer = program
    .command('printer')
    .description('run a virtual Privet printer (mDNS, local API, cloud registration, printing)')
    .option('--name <name>', 'printer name (TXT ty, /privet/info name)')
    .option('--note <text>', 'description (TXT note)')
    .option('--cloud <url>', 'cloud print service URL, e.g. http://127.0.0.1:8080')
    .option('--xmpp <url>', 'XMPP push channel, xmpps://host:port (default: the cloud host, port 5223)')
    .option('--data <dir>', 'state directory (registration, settings, job history, ports.json)', './printer-data')
    .option('--host <address>', 'address for the Privet API (default: all, or the --interface address)')
    .option('--port <n>', 'Privet HTTP port (0 = pick one)', int, 0)
    .option('--panel-port <n>', 'front panel port on 127.0.0.1 (0 = pick one)', int, 0)
    .option('--output <dir>', 'output directory for printed documents (default: DATA/output)')
    .option('--cups <queue>', 'print to this CUPS queue over IPP instead of the output directory')
    .option('--cups-server <host:port>', 'cupsd to use with --cups (default $CUPS_SERVER or localhost:631)')
    .option('--interface <name>', 'network interface to advertise on and listen on')
    .option('--auto-confirm', 'confirm registration requests without the front panel (unattended set-ups only)')
    .option('--ca <file>', 'PEM CA certificate to trust for the XMPP server (e.g. the server DATA/tls/ca.pem)')
    .option('--max-document-size <bytes>', 'largest document accepted by submitdoc', int, 2 * 1024 ** 3)
    .option('--confirmation-timeout <seconds>', 'how long a registration waits for OK on the panel', int, 60)
    .option('--claim-wait <seconds>', 'how long action=complete waits for the claim in the cloud', int, 30)
    .option('--job-lifetime <seconds>', 'how long created and finished jobs are kept', int, 600)
    .option('--cloud-timeout <seconds>', 'how long a cloud request waits for its answer, and a cloud job download for its next byte', int, 30)
    .option('--download-attempts <n>', 'downloads tried per cloud job before it is ABORTED with DOWNLOAD_FAILURE', int, 3)
    .option('--download-retry-delay <seconds>', 'wait before the second download attempt, doubled before each further one', int, 2)
    .option('--page-time <seconds>', 'each page takes this long to print (0 = at once)', seconds, 0)
    .option('--state-report-delay <ms>', 'printer state changes are gathered this long before they are reported to the cloud', int, 250)
    .option('--no-mdns', 'do not advertise over mDNS')
    .option('--no-console', 'no interactive console front panel')
    .option('--http-idle-timeout <seconds>', 'close an HTTP connection whose client keeps the printer waiting this long (0 = never)', int, DEFAULT_PRINTER_HTTP_GUARD.idleTimeoutMs / 1000)
    .option('--max-connections-per-address <n>', 'open HTTP connections one source address may hold (0 = unlimited)', int, DEFAULT_PRINTER_HTTP_GUARD.maxConnectionsPerAddress)
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (opts: Record<string, string | number | boolean | undefined>) => {
      if (!opts.name || !opts.cloud) throw new Error('printer: --name and --cloud are required');
      if (opts.output && opts.cups) throw new Error('printer: --output and --cups exclude each other');
      const log = createLogger(String(opts.logLevel), 'ocp-printer');
      installErrorPolicy('printer', log);
      const confirmationMs = Number(opts.confirmationTimeout) * 1000;
      const lifetimeMs = Number(opts.jobLifetime) * 1000;
      const device = new Printer({
        name: String(opts.name),
        note: opts.note as string | undefined,
        cloudUrl: String(opts.cloud),
        xmppUrl: opts.xmpp as string | undefined,
        dataDir: resolve(String(opts.data)),
        host: opts.host as string | undefined,
        port: Number(opts.port),
        panelPort: Number(opts.panelPort),
        outputDir: opts.output ? resolve(String(opts.output)) : undefined,
        cupsQueue: opts.cups as string | undefined,
        cupsServer: opts.cupsServer as string | undefined,
        networkInterface: opts.interface as string | undefined,
        autoConfirm: Boolean(opts.autoConfirm),
        ca: (opts.ca as string | undefined) ?? undefined,
        mdns: opts.mdns !== false,
        maxDocumentSize: Number(opts.maxDocumentSize),
        claimWaitMs: Number(opts.claimWait) * 1000,
        cloudTimeoutMs: Math.max(1, Number(opts.cloudTimeout)) * 1000,
        downloadAttempts: Math.max(1, Number(opts.downloadAttempts)),
        downloadRetryDelayMs: Number(opts.downloadRetryDelay) * 1000,
        httpGuard: { idleTimeoutMs: Number(opts.httpIdleTimeout) * 1000, maxConnectionsPerAddress: Number(opts.maxConnectionsPerAddress) },
        pageTimeMs: Math.round(Number(opts.pageTime) * 1000),
        stateReportDelayMs: Number(opts.stateReportDelay),
        registrationTimeouts: { confirmationMs, idleMs: Math.max(confirmationMs, 60_000) },
        jobLimits: { pendingCapacity: 5, pendingLifetimeMs: lifetimeMs, finishedCapacity: 20, finishedLifetimeMs: lifetimeMs },
        log,
      });
      await device.start();
      const closeConsole = opts.console !== false && process.stdin.isTTY ? attachConsolePanel(device.panel, process.stdin, process.stdout) : () => {};
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'shutting down');
        closeConsole();
        await device.stop();
        process.exit(0);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
    });

  printer
    .command('reset')
    .description('factory reset: clear the credentials and settings, back to out-of-the-box mode')
    .option('--data <dir>', 'state directory of the printer', './printer-data')
    .action((opts: { data: string }) => {
      const state = new StateFile(resolve(opts.data));
      state.factoryReset();
      console.log(`printer in ${resolve(opts.data)} reset to out-of-the-box mode`);
    });
}
