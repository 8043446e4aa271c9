// `ocp check` (is this configuration fit to run? exit 1 on a failure) and
// `ocp status` (what is the server on this data directory doing?).
import type { Command } from 'commander';
import { addOptions, configFromCommand } from './options.ts';
import { findRunningServer } from './running-server.ts';

const LEVEL_LABEL = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;

/** "3 connected (xmpp 1, xmpps 2)": the total, and the listeners that have any. */
function formatSessions(counts: Record<string, number>): string {
  const busy = Object.entries(counts).filter(([, count]) => count > 0);
  const total = busy.reduce((sum, [, count]) => sum + count, 0);
  return `${total} connected${busy.length ? ` (${busy.map(([name, count]) => `${name} ${count}`).join(', ')})` : ''}`;
}

export function registerOpsCommands(program: Command): void {
  const check = addOptions(program.command('check').description('check the configuration, data directory, database, certificate, ports, bus and clock (exit 1 on a failure)')).option('--json', 'print JSON');
  check.action(async () => {
    const config = configFromCommand(check);
    const { preflight } = await import('../server/preflight.ts');
    const findings = await preflight(config);
    if (check.opts().json) console.log(JSON.stringify(findings));
    else for (const f of findings) console.log(`${LEVEL_LABEL[f.level]}  ${f.check.padEnd(11)} ${f.detail}`);
    const failures = findings.filter((f) => f.level === 'fail').length;
    if (!check.opts().json) console.log(failures ? `${failures} problem(s) found` : 'no problems found');
    process.exitCode = failures ? 1 : 0;
  });

  const status = addOptions(program.command('status').description('show the running server: node, version, uptime, sessions, queued work, bus')).option('--json', 'print JSON');
  status.action(async () => {
    const server = findRunningServer(configFromCommand(status));
    const response = await fetch(`${server.baseUrl}/admin/status`, { headers: { authorization: `Bearer ${server.token}` }, signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`status failed: HTTP ${response.status}`);
    const s = (await response.json()) as import('../server/status.ts').ServerStatus;
    if (status.opts().json) {
      console.log(JSON.stringify(s));
      return;
    }
    console.log(
      [
        `node         ${s.nodeId}`,
        `version      ${s.version} (pid ${s.pid})`,
        `up           ${s.uptimeSeconds} s, since ${s.startedAt}`,
        `ready        ${s.ready ? 'yes' : 'no'}`,
        `public URL   ${s.publicUrl}`,
        `ports        ${Object.entries(s.ports).map(([name, port]) => `${name} ${port}`).join(', ')}`,
        `devices      ${formatSessions(s.xmpp.sessions)}: printers, connectors and CCS devices on XMPP`,
        `app servers  ${s.ccs.appServerConnections} CCS connection(s), ${s.ccs.queuedDownstream} downstream message(s) queued`,
        `jobs         ${s.jobs.queued} queued, ${s.jobs.inProgress} in progress`,
        `database     ${s.database.dialect}${s.database.problem ? `: ${s.database.problem}` : ''}`,
        `bus          ${s.bus.state}${s.bus.problem ? `: ${s.bus.problem}` : ''}`,
      ].join('\n'),
    );
  });
}
