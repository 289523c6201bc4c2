/**
 * Open a local page in a real headless Chromium (Debian package `chromium`) and report what the DevTools
 * protocol saw: console messages, exceptions, log entries, failed loads, and a full-page screenshot.
 */
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PageReport } from './cdp-client.js';

export type { PageReport };

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export async function openInChromium(url: string, screenshot: string, width = 1280): Promise<PageReport> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sideband-chromium-'));
  const browser = spawn(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      '--hide-scrollbars',
      `--user-data-dir=${userDataDir}`,
      '--remote-debugging-address=127.0.0.1',
      '--remote-debugging-port=0',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  const exited = new Promise<void>((resolve) => browser.once('exit', () => resolve()));
  try {
    let stderr = '';
    const wsUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`chromium: no DevTools endpoint after 60 s:\n${stderr}`)),
        60_000,
      );
      browser.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      browser.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`chromium exited (${code}) before DevTools was up:\n${stderr}`));
      });
    });
    const client = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cdp-client.js');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--experimental-websocket', '--no-warnings', client, wsUrl, url, screenshot, String(width)],
      { maxBuffer: 16 << 20 },
    );
    return JSON.parse(stdout) as PageReport;
  } finally {
    // Chromium runs in its own process group: end the browser and every helper it started (renderer, GPU,
    // crashpad), which otherwise keep writing into the profile after the browser itself has exited.
    const group = (signal: NodeJS.Signals) => {
      try {
        process.kill(-browser.pid!, signal);
      } catch {
        /* already gone */
      }
    };
    group('SIGTERM');
    await exited;
    await new Promise((r) => setTimeout(r, 200));
    group('SIGKILL');
    fs.rmSync(userDataDir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
  }
}
