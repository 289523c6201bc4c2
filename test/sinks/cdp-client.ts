/**
 * Minimal Chrome DevTools Protocol client, run as its own Node process with --experimental-websocket (Node 20 has
 * WebSocket only behind that flag, and jest's process cannot take it): opens a page in an already running
 * headless Chromium, records console messages, uncaught exceptions, log entries and failed loads, takes a
 * full-page screenshot and prints one JSON object.
 *
 * usage: node --experimental-websocket cdp-client.js <browser ws url> <page url> <screenshot.png> <width>
 */
import fs from 'node:fs';

interface WS {
  send(data: string): void;
  close(): void;
  addEventListener(type: 'open' | 'message' | 'error' | 'close', fn: (ev: { data?: unknown }) => void): void;
}
type WSCtor = new (url: string) => WS;

export interface PageReport {
  title: string;
  console: { type: string; text: string }[];
  exceptions: string[];
  log: { level: string; text: string; url?: string }[];
  failedLoads: { requestId: string; error: string }[];
  svgFigures: number;
  pageHeight: number;
  screenshot: string;
}

async function main(): Promise<void> {
  const [browserUrl, pageUrl, screenshot, widthArg] = process.argv.slice(2);
  if (!browserUrl || !pageUrl || !screenshot)
    throw new Error('cdp-client: usage: <browser ws url> <page url> <screenshot.png> [width]');
  const width = Number(widthArg ?? 1280);
  const WebSocketImpl = (globalThis as unknown as { WebSocket?: WSCtor }).WebSocket;
  if (!WebSocketImpl) throw new Error('cdp-client: no global WebSocket (run node with --experimental-websocket)');
  const ws = new WebSocketImpl(browserUrl);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve());
    ws.addEventListener('error', () => reject(new Error(`cdp-client: cannot connect to ${browserUrl}`)));
  });
  let nextId = 1;
  const pending = new Map<
    number,
    { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void; method: string }
  >();
  const listeners: ((method: string, params: Record<string, unknown>, sessionId?: string) => void)[] = [];
  ws.addEventListener('message', (ev) => {
    const msg = JSON.parse(String(ev.data)) as {
      id?: number;
      result?: Record<string, unknown>;
      error?: { message: string };
      method?: string;
      params?: Record<string, unknown>;
      sessionId?: string;
    };
    if (msg.id !== undefined) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(`cdp-client: ${p.method}: ${msg.error.message}`));
      else p?.resolve(msg.result ?? {});
    } else if (msg.method) {
      for (const l of listeners) l(msg.method, msg.params ?? {}, msg.sessionId);
    }
  });
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject, method });
      ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });

  const report: PageReport = {
    title: '',
    console: [],
    exceptions: [],
    log: [],
    failedLoads: [],
    svgFigures: 0,
    pageHeight: 0,
    screenshot,
  };
  let loaded: () => void = () => {};
  const loadPromise = new Promise<void>((r) => {
    loaded = r;
  });
  listeners.push((method, params) => {
    if (method === 'Runtime.consoleAPICalled') {
      const args = (params.args as { value?: unknown; description?: string }[]) ?? [];
      report.console.push({
        type: String(params.type),
        text: args.map((a) => String(a.value ?? a.description ?? '')).join(' '),
      });
    } else if (method === 'Runtime.exceptionThrown') {
      const d = params.exceptionDetails as { text?: string; exception?: { description?: string } };
      report.exceptions.push(`${d.text ?? ''} ${d.exception?.description ?? ''}`.trim());
    } else if (method === 'Log.entryAdded') {
      const e = params.entry as { level: string; text: string; url?: string };
      report.log.push({ level: e.level, text: e.text, url: e.url });
    } else if (method === 'Network.loadingFailed') {
      report.failedLoads.push({ requestId: String(params.requestId), error: String(params.errorText) });
    } else if (method === 'Page.loadEventFired') {
      loaded();
    }
  });

  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
  for (const domain of ['Runtime', 'Log', 'Page', 'Network']) await send(`${domain}.enable`, {}, sessionId);
  await send(
    'Emulation.setDeviceMetricsOverride',
    { width, height: 900, deviceScaleFactor: 1, mobile: false },
    sessionId,
  );
  await send('Page.navigate', { url: pageUrl }, sessionId);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    loadPromise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('cdp-client: page load timed out after 60 s')), 60_000);
    }),
  ]);
  clearTimeout(timer);
  await new Promise((r) => setTimeout(r, 500)); // let late console messages arrive
  const evaluate = async (expression: string): Promise<unknown> =>
    ((await send('Runtime.evaluate', { expression, returnByValue: true }, sessionId)).result as { value: unknown })
      .value;
  report.title = String(await evaluate('document.title'));
  report.svgFigures = Number(await evaluate("document.querySelectorAll('figure svg').length"));
  report.pageHeight = Number(await evaluate('document.documentElement.scrollHeight'));
  const shot = await send(
    'Page.captureScreenshot',
    {
      format: 'png',
      captureBeyondViewport: true,
      clip: { x: 0, y: 0, width, height: Math.min(report.pageHeight, 8000), scale: 1 },
    },
    sessionId,
  );
  fs.writeFileSync(screenshot, Buffer.from(String(shot.data), 'base64'));
  // Report first: Browser.close may drop the socket before its reply arrives, and a process whose last handle
  // closes exits at once, with an awaited reply still pending. The caller ends the browser's process group.
  process.stdout.write(`${JSON.stringify(report)}\n`);
  ws.close();
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
