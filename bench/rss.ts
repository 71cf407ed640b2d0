import { readFileSync, readdirSync } from 'node:fs';

/**
 * Peak memory of the page = peak resident memory of Chromium's renderer processes while it runs
 * (each page here has its own renderer; its workers and wasm memories live in it). Sampled from
 * /proc every 200 ms. performance.measureUserAgentSpecificMemory() was tried first: with ORT's
 * pthread workers busy it took ~55 s per call, so its samples were too sparse to find a peak.
 */
export function rendererRssMb(): number {
  let max = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('chromium') || !cmd.includes('--type=renderer')) continue;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (rss) max = Math.max(max, Number(rss[1]) / 1024);
    } catch {
      /* process ended */
    }
  }
  return max;
}
