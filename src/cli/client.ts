// The `ocp` client commands: login, printers, print, jobs, discover, claim.
// They speak the same wire protocols as any other client: the /cloudprint
// REST interface for the cloud, Privet over HTTP and mDNS on the LAN.
import { openAsBlob } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { AccessTokenSource, CloudPrintApi } from '../client/cloudprint-api.ts';
import { PrivetClient } from '../client/privet-client.ts';
import { browsePrivet } from '../client/discover.ts';
import { contentTypeOf } from '../client/content-type.ts';
import { loadCredentials, saveCredentials, sharedLogin, withCredentialsLock } from '../client/credentials.ts';
import { readSecret } from './prompt.ts';
import { deviceLogin } from '../client/device-login.ts';
import { followJob, DEFAULT_POLL_SECONDS, type JobEnd } from './follow-job.ts';
import { jobJson, printerJson } from './json-shapes.ts';
import { paint, printJson, stateCell, table } from './output.ts';
import { uploadBar } from './upload-progress.ts';
import { ADVERTISE_TAG } from '../ipp/deps.ts';

interface CloudOptions {
  cloud?: string;
  token?: string;
}

const CLIENT_ID = 'ocp-cli';

/** A cloud API client signed in with --token/OCP_TOKEN, or with the saved `ocp login`. */
export function signedInApi(options: CloudOptions): { api: CloudPrintApi; email?: string; cloud: string; accessToken: () => Promise<string> } {
  const saved = loadCredentials();
  const cloud = options.cloud || process.env.OCP_CLOUD || saved?.cloud;
  if (!cloud) throw new Error('no cloud URL: give --cloud URL or run `ocp login` first');
  const staticToken = options.token || process.env.OCP_TOKEN;
  if (staticToken) {
    const accessToken = async () => staticToken;
    return { api: new CloudPrintApi({ cloudUrl: cloud, clientId: CLIENT_ID, accessToken }), cloud, accessToken };
  }
  if (!saved) throw new Error('not signed in: run `ocp login EMAIL --cloud URL`, or give --token');
  let api: CloudPrintApi;
  const login = sharedLogin(saved);
  const tokens = new AccessTokenSource(() => api, saved.refreshToken, login.save, login);
  const accessToken = () => tokens.get();
  api = new CloudPrintApi({ cloudUrl: cloud, clientId: CLIENT_ID, accessToken });
  return { api, email: saved.email, cloud, accessToken };
}

export function withCloudOptions(command: Command): Command {
  return command
    .option('--cloud <url>', 'base URL of the OpenCloudPrint server (env OCP_CLOUD; default: the one you logged in to)')
    .option('--token <token>', 'API or access token (env OCP_TOKEN; default: the saved login)');
}

/** A file to print, as a Blob read on demand; a file that cannot be opened is named in the error. */
async function openDocument(file: string): Promise<Blob> {
  try {
    // open first: openAsBlob's own error ("Unable to open file as blob") has no errno.
    await (await open(file)).close();
    if ((await stat(file)).isDirectory()) throw Object.assign(new Error('a directory'), { code: 'EISDIR' });
    return await openAsBlob(file);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new Error(`cannot read ${file}: ${why}`);
  }
}

interface PrintOptions extends CloudOptions {
  printer?: string;
  local?: string;
  title?: string;
  copies: string;
  ticket?: string;
  contentType?: string;
  wait?: boolean;
  pollInterval: string;
  json?: boolean;
}

/** Submits to a cloud printer (with an upload bar on a terminal) and, with --wait, follows the job to its end. */
async function printToCloud(printerId: string, document: Blob, options: PrintOptions & { title: string; contentType: string; cjt: unknown; fileName: string }): Promise<void> {
  const pollSeconds = Number(options.pollInterval);
  if (!(pollSeconds > 0)) throw new Error(`--poll-interval must be a positive number of seconds, got "${options.pollInterval}"`);
  const { api, cloud, accessToken } = signedInApi(options);
  const bar = uploadBar(`uploading ${options.fileName}`, document.size);
  let reply;
  try {
    reply = await api.submit({ printerid: printerId, title: options.title, contentType: options.contentType, ticket: JSON.stringify(options.cjt), content: new File([document], options.fileName, { type: options.contentType }) }, bar.onProgress);
  } finally {
    bar.stop();
  }
  const submitted = jobJson(reply.job ?? {});
  if (!options.wait) {
    if (options.json) return printJson({ job: submitted });
    return console.log(`job ${submitted.id} queued`);
  }
  if (!options.json) console.log(`job ${submitted.id} queued; waiting for it to print…`);
  const interrupt = new AbortController();
  const stop = () => interrupt.abort(new Error(`stopped waiting; job ${submitted.id} goes on`));
  process.once('SIGINT', stop);
  let end: JobEnd;
  try {
    end = await followJob({
      api,
      cloudUrl: cloud,
      accessToken,
      printerId,
      jobId: submitted.id,
      pollMs: pollSeconds * 1000,
      signal: interrupt.signal,
      onUpdate: (job) => options.json || console.error(`job ${job.id}: ${stateCell(job.state, process.stderr)}${job.cause ? ` (${job.cause})` : ''}${job.pagesPrinted ? `, ${job.pagesPrinted} page(s) printed` : ''}`),
      onNotice: (text) => console.error(paint(process.stderr, 'yellow', `ocp: ${text}`)),
    });
  } finally {
    process.off('SIGINT', stop);
  }
  if ('gone' in end) {
    if (options.json) printJson({ job: { ...submitted, state: 'ABORTED', cause: end.gone } });
    throw new Error(`job ${submitted.id} did not print: ${end.gone}`);
  }
  if (options.json) printJson({ job: end.job });
  if (end.job.state !== 'DONE') throw new Error(`job ${end.job.id} ${end.job.state}${end.job.cause ? `: ${end.job.cause}` : ''}`);
  if (!options.json) console.log(`job ${end.job.id} DONE`);
}

export function registerClientCommands(program: Command): void {
  program
    .command('login')
    .description('sign in to a server and save a refresh token for the other client commands')
    .argument('[email]', 'your account (with --device, optional: `claim` needs it)')
    .requiredOption('--cloud <url>', 'base URL of the OpenCloudPrint server')
    .option('--password-stdin', 'read the password from standard input instead of prompting')
    .option('--device', 'for machines without a browser: approve the sign-in on a page of the server, from any other device (RFC 8628)')
    .action(async (email: string | undefined, options: { cloud: string; passwordStdin?: boolean; device?: boolean }) => {
      let grant;
      if (options.device) {
        grant = await deviceLogin(options.cloud, CLIENT_ID, (prompt) => {
          console.log(`To sign in, open ${prompt.verificationUri} on any device and enter the code ${prompt.userCode}`);
          if (prompt.verificationUriComplete) console.log(`(or open ${prompt.verificationUriComplete})`);
          console.log(`Waiting up to ${Math.round(prompt.expiresIn / 60)} min for the approval…`);
        });
      } else {
        if (!email) throw new Error('give your email, or use --device');
        const password = await readSecret('Password: ', options.passwordStdin ?? false);
        grant = await new CloudPrintApi({ cloudUrl: options.cloud, clientId: CLIENT_ID }).password(email, password);
      }
      if (!grant.refresh_token) throw new Error('the server issued no refresh token');
      const refreshToken = grant.refresh_token;
      await withCredentialsLock(async () => saveCredentials({ cloud: options.cloud, email: email ?? '', refreshToken }));
      console.log(email ? `signed in as ${email}` : 'signed in');
    });

  withCloudOptions(program.command('printers').description('list the printers you can print to'))
    .option('--json', 'print [{id, name, connection, state, queuedJobs, owner}]')
    .action(async (options: CloudOptions & { json?: boolean }) => {
      const reply = await signedInApi(options).api.call<{ success: boolean; printers: Array<Record<string, unknown>> }>('search', { extra_fields: 'queuedJobsCount,semanticState,connectionStatus' });
      const printers = reply.printers.map(printerJson);
      if (options.json) return printJson(printers);
      const rows = printers.map((p) => [p.id, p.name, stateCell(p.connection), stateCell(p.state), String(p.queuedJobs ?? '')]);
      console.log(table([['ID', 'NAME', 'CONNECTION', 'STATE', 'QUEUED'], ...rows]));
    });

  withCloudOptions(program.command('print').description('print a file through the cloud (--printer) or straight to a Privet printer on the LAN (--local)'))
    .argument('<file>')
    .option('--printer <id>', 'cloud printer id')
    .option('--local <url>', 'Privet printer base URL, e.g. http://192.168.1.20:26000')
    .option('--title <title>', 'job title (default: the file name)')
    .option('--copies <n>', 'number of copies', '1')
    .option('--ticket <json>', 'a complete CJT print ticket (overrides --copies)')
    .option('--content-type <type>', 'document type (default: from the file name)')
    .option('--wait', 'follow the cloud job until it ends: exit 0 when DONE, 1 with the cause otherwise')
    .option('--poll-interval <seconds>', 'with --wait, when the server\'s event stream cannot be had: how often the job is read', String(DEFAULT_POLL_SECONDS))
    .option('--json', 'print {job: {id, title, printerId, printerName, state, cause, pagesPrinted, createTime, updateTime}} (with --wait, the job as it ended)')
    .action(async (file: string, options: PrintOptions) => {
      if (!options.printer === !options.local) throw new Error('give exactly one of --printer ID or --local URL');
      if (options.wait && options.local) throw new Error('--wait follows cloud jobs: give --printer ID');
      const document = await openDocument(file);
      const contentType = options.contentType ?? contentTypeOf(file);
      const title = options.title ?? basename(file);
      const ticket = options.ticket ? (JSON.parse(options.ticket) as unknown) : { version: '1.0', print: { copies: { copies: Number(options.copies) } } };
      if (options.local) {
        const printer = new PrivetClient(options.local);
        const info = await printer.info();
        const api = (info.api as string[] | undefined) ?? [];
        // Privet §5: the advanced workflow (createjob + submitdoc) when offered, simple printing otherwise.
        const created = api.includes('/privet/printer/createjob') ? await printer.createJob(ticket) : undefined;
        const query: Record<string, string> = { job_name: title, user_name: loadCredentials()?.email ?? 'ocp', client_name: 'ocp' };
        if (created) query.job_id = String(created.job_id);
        const submitted = await printer.submitDoc(query, document, contentType);
        if (options.json) return printJson({ localJob: { id: String(submitted.job_id), size: Number(submitted.job_size) } });
        return console.log(`local job ${String(submitted.job_id)} accepted (${String(submitted.job_size)} bytes)`);
      }
      await printToCloud(options.printer!, document, { ...options, title, contentType, cjt: ticket, fileName: basename(file) });
    });

  withCloudOptions(program.command('jobs').description('list your print jobs'))
    .option('--printer <id>', 'only jobs of this printer')
    .option('--status <state>', 'only jobs in this state (QUEUED, IN_PROGRESS, DONE, ABORTED, …)')
    .option('--json', 'print [{id, title, printerId, printerName, state, cause, pagesPrinted, createTime, updateTime}]')
    .action(async (options: CloudOptions & { printer?: string; status?: string; json?: boolean }) => {
      const jobs = (await signedInApi(options).api.jobs({ printerid: options.printer, status: options.status })).jobs.map(jobJson);
      if (options.json) return printJson(jobs);
      const rows = jobs.map((j) => [j.id, stateCell(j.state), j.printerName || j.printerId, j.title, j.cause ?? '']);
      console.log(table([['ID', 'STATE', 'PRINTER', 'TITLE', 'CAUSE'], ...rows]));
    });

  withCloudOptions(program.command('advertise').description('announce a printer of yours on the server\'s LAN as an IPP Everywhere and AirPrint printer (ocp server --ipp-advertise), or stop with --off'))
    .argument('<printer>', 'cloud printer id')
    .option('--off', 'stop announcing it')
    .action(async (printer: string, options: CloudOptions & { off?: boolean }) => {
      const change = options.off ? { remove_tag: ADVERTISE_TAG } : { tag: ADVERTISE_TAG };
      await signedInApi(options).api.call('update', { printerid: printer, ...change });
      console.log(options.off ? `printer ${printer} is no longer announced` : `printer ${printer} is announced where the server runs with --ipp-advertise`);
    });

  program
    .command('discover')
    .description('find Privet printers on the local network (mDNS/DNS-SD)')
    .option('--timeout <seconds>', 'how long to listen', '3')
    .option('--interface <address>', 'IPv4 address of the interface to browse on')
    .option('--json', 'print JSON')
    .action(async (options: { timeout: string; interface?: string; json?: boolean }) => {
      const devices = await browsePrivet({ timeoutMs: Number(options.timeout) * 1000, interfaceAddress: options.interface });
      if (options.json) return printJson(devices.map((d) => ({ ...d, txt: Object.fromEntries(d.txt) })));
      const rows = devices.map((d) => {
        const txt = Object.fromEntries(d.txt);
        return [txt.ty ?? d.instance, `${d.addresses[0] ?? d.host ?? '?'}:${d.port ?? '?'}`, txt.id || '(unregistered)', txt.cs ?? ''];
      });
      console.log(table([['NAME', 'ADDRESS', 'CLOUD ID', 'STATE'], ...rows]));
    });

  withCloudOptions(program.command('claim').description('register a Privet printer on the LAN into your cloud account (Privet §4.3)'))
    .argument('<url>', 'Privet printer base URL, e.g. http://192.168.1.20:26000')
    .option('--json', 'print {printerId}')
    .action(async (url: string, options: CloudOptions & { json?: boolean }) => {
      const { api, email } = signedInApi(options);
      if (!email) throw new Error('claiming needs a user sign-in: run `ocp login` first');
      const printer = new PrivetClient(url, { onWait: (reply) => reply.error === 'pending_user_action' && console.error('confirm the registration on the printer…') });
      await printer.register('start', email);
      const claim = await printer.register('getClaimToken', email);
      await api.call('confirm', { token: String(claim.token) });
      const done = await printer.register('complete', email);
      if (options.json) return printJson({ printerId: String(done.device_id) });
      console.log(`printer registered as ${String(done.device_id)}`);
    });
}
