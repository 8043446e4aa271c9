// The front panel's web page and JSON endpoints, bound to 127.0.0.1 only:
// the buttons must never be reachable from the LAN. Also a console prompt
// when the printer runs in a terminal.
import { createServer, type Server } from 'node:http';
import { createInterface } from 'node:readline';
import type { Logger } from '../log.ts';
import { readSmallBody, sendJson } from './http-util.ts';
import { parsePanelChange, PanelInputError, type FrontPanel } from './panel.ts';

export interface PanelView {
  panel: FrontPanel;
  /** GET /panel/state: the controls plus the device state and prompt. */
  view(): Record<string, unknown>;
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>Printer front panel</title>
<style>body{font:15px system-ui;margin:2em;max-width:40em}button{margin:.2em}pre{background:#eee;padding:1em}</style>
<h1>Front panel</h1><p id="prompt"></p>
<p><button onclick="post('/panel/confirm')">OK</button><button onclick="post('/panel/cancel')">Cancel</button></p>
<p><button onclick="set({online:false})">Go offline</button><button onclick="set({online:true})">Go online</button>
<button onclick="set({paper:'empty'})">Remove paper</button><button onclick="set({paper:'ok'})">Load paper</button>
<button onclick="set({tray:'open'})">Open tray</button><button onclick="set({tray:'closed'})">Close tray</button>
<button onclick="set({jam:true})">Jam</button><button onclick="set({jam:false})">Clear jam</button>
<button onclick="set({cover:'open'})">Open cover</button><button onclick="set({cover:'closed'})">Close cover</button>
<button onclick="set({toner:5})">Toner low</button><button onclick="set({toner:0})">Toner empty</button><button onclick="set({toner:100})">New toner</button>
<button onclick="set({cartridge:'removed'})">Remove cartridge</button><button onclick="set({cartridge:'installed'})">Insert cartridge</button></p>
<pre id="state"></pre>
<script>
async function post(p,b){await fetch(p,{method:'POST',headers:{'content-type':'application/json'},body:b?JSON.stringify(b):'{}'});refresh()}
function set(b){post('/panel/state',b)}
async function refresh(){const s=await (await fetch('/panel/state')).json();document.getElementById('state').textContent=JSON.stringify(s,null,2);
document.getElementById('prompt').textContent=s.prompt?'Registration requested by '+s.prompt.user+': press OK to confirm or Cancel to reject':''}
refresh();setInterval(refresh,2000)
</script>`;

export function createPanelServer(device: PanelView, log: Logger): Server {
  return createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://panel').pathname;
    try {
      // The panel is the printer's physical buttons: a web page open in a browser on this host must
      // not press them. A JSON body forces a CORS preflight, which this server never grants, and the
      // Host check defeats DNS rebinding.
      if (!/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(req.headers.host ?? '')) {
        req.resume();
        return sendJson(res, 403, { error: 'the panel answers only to 127.0.0.1' });
      }
      if (req.method === 'POST' && !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
        req.resume();
        return sendJson(res, 415, { error: 'panel requests must be application/json' });
      }
      if (req.method === 'GET' && (path === '/' || path === '/panel')) {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE);
      } else if (req.method === 'GET' && path === '/panel/state') {
        sendJson(res, 200, device.view());
      } else if (req.method === 'POST' && path === '/panel/state') {
        const text = (await readSmallBody(req, 64 * 1024)).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          throw new PanelInputError('the body must be JSON');
        }
        device.panel.set(parsePanelChange(body));
        sendJson(res, 200, device.view());
      } else if (req.method === 'POST' && (path === '/panel/confirm' || path === '/panel/cancel')) {
        req.resume();
        if (path === '/panel/confirm') device.panel.confirm();
        else device.panel.cancel();
        sendJson(res, 200, device.view());
      } else {
        req.resume();
        sendJson(res, 404, { error: 'not found' });
      }
    } catch (error) {
      if (error instanceof PanelInputError || error instanceof RangeError) sendJson(res, 400, { error: error.message });
      else {
        log.error({ err: error }, 'panel request failed');
        sendJson(res, 500, { error: 'internal error' });
      }
    }
  });
}

/** The console front panel: one command per line. */
export function attachConsolePanel(panel: FrontPanel, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): () => void {
  const rl = createInterface({ input, output, terminal: false });
  const say = (text: string) => output.write(text + '\n');
  panel.on('prompt', (prompt) => {
    if (prompt) say(`\n*** Registration requested by ${prompt.user}. Type "ok" to confirm or "cancel" to reject. ***`);
  });
  say('Front panel: ok | cancel | online | offline | paper ok|empty | tray open|closed | jam on|off | cover open|closed | toner N | cartridge installed|removed | state');
  rl.on('line', (line) => {
    const [command, arg] = line.trim().split(/\s+/);
    try {
      switch (command) {
        case 'ok':
        case 'confirm':
          return panel.confirm();
        case 'cancel':
          return panel.cancel();
        case 'online':
        case 'offline':
          return panel.set({ online: command === 'online' });
        case 'paper':
        case 'tray':
        case 'cover':
        case 'cartridge':
          return panel.set(parsePanelChange({ [command]: arg }));
        case 'jam':
          return panel.set({ jam: arg === 'on' });
        case 'toner':
          return panel.set(parsePanelChange({ toner: Number(arg) }));
        case 'state':
          return say(JSON.stringify(panel.state));
        case '':
        case undefined:
          return;
        default:
          say(`unknown command "${command}"`);
      }
    } catch (error) {
      say((error as Error).message);
    }
  });
  return () => rl.close();
}
