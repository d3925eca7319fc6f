import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { signalAndSettle } from '../../../support/environments/common/resources.ts';

const state = async (pid: number) => (await readFile(`/proc/${pid}/stat`, 'utf8')).replace(/^.*\) /s, '')[0];

test('signalAndSettle returns only once the process is stopped (SIGSTOP) or running again (SIGCONT)', async () => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    await new Promise((r) => child.once('spawn', r));
    const pid = child.pid!;
    for (let i = 0; i < 20; i++) {
      await signalAndSettle(pid, 'SIGSTOP');
      assert.match(await state(pid), /^[Tt]$/, `round ${i}: stopped`);
      await signalAndSettle(pid, 'SIGCONT');
      assert.doesNotMatch(await state(pid), /^[Tt]$/, `round ${i}: continued`);
    }
  } finally {
    child.kill('SIGKILL');
  }
});

test('signalAndSettle on a process that has gone returns the kill error, and does not hang', async () => {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  await assert.rejects(signalAndSettle(child.pid!, 'SIGSTOP'), /ESRCH/);
});
