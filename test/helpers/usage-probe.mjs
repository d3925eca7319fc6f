// Preloaded into a CLI run by the hostile-input corpus (node --import): on exit, writes the process's CPU time and
// peak resident memory to $HA_USAGE_FILE, so a case is bounded by what it cost, not by how busy the machine was.
import { writeFileSync } from 'node:fs';

const out = process.env.HA_USAGE_FILE;
if (out) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(out, JSON.stringify({ cpuMs: Math.round((u.userCPUTime + u.systemCPUTime) / 1000), maxRssKb: u.maxRSS }));
  });
}
