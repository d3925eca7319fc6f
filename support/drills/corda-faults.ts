/**
 * Fault injectors of the Corda drills. An environment that can inject faults implements `CordaFaultInjector`
 * (the local one does, with real signals and a real cut of a node's database connection); the helpers below
 * record the fault in the drill's timeline (`CordaFaultEvent`, or a `restore` event for the way back) at the
 * moment it is injected, then inject it, and note when the injection completed.
 */
import type { CordaFaultEvent, TimelineEvent } from '../evidence/model.ts';
import type { EventBody, TimelineRecorder } from './timeline-recorder.ts';

export interface CordaFaultInjector {
  /** stop a node and keep it stopped: SIGTERM (clean) or SIGKILL (crash) */
  stop(node: string, signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** start a stopped node again, under its supervisor */
  start(node: string): Promise<void>;
  /** SIGSTOP: the process stays, its sockets stay open, it does nothing */
  freeze(node: string): Promise<void>;
  thaw(node: string): Promise<void>;
  /** cut the node's connection to the database (existing connections close, new ones are refused) */
  cutDatabase(node: string): Promise<void>;
  restoreDatabase(node: string): Promise<void>;
  /** start a copy of a node's configuration on another machine; returns the duplicate's node name */
  startDuplicate(of: string): Promise<string>;
  stopDuplicate(name: string): Promise<void>;
  /** how many times a node's process has exited so far (a cold node exits after each failed claim) */
  exits(node: string): number;
  /** undo every fault still in place: thaw, restore database paths, restart stopped nodes, stop duplicates */
  resetAll(): Promise<void>;
}

async function recorded<E extends TimelineEvent>(rec: TimelineRecorder, body: EventBody<E>, act: () => Promise<unknown>): Promise<E> {
  const event = rec.record<E>(body);
  await act();
  (event as TimelineEvent).completedAt = Math.round(rec.now());
  return event;
}

export function stopNode(rec: TimelineRecorder, f: CordaFaultInjector, node: string, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<CordaFaultEvent> {
  return recorded<CordaFaultEvent>(rec, { kind: 'fault', action: signal === 'SIGKILL' ? 'kill' : 'stop', node, signal }, () => f.stop(node, signal));
}

export function startNode(rec: TimelineRecorder, f: CordaFaultInjector, node: string): Promise<TimelineEvent> {
  return recorded(rec, { kind: 'restore', action: 'start', node }, () => f.start(node));
}

export function cutDatabase(rec: TimelineRecorder, f: CordaFaultInjector, node: string): Promise<CordaFaultEvent> {
  return recorded<CordaFaultEvent>(rec, { kind: 'fault', action: 'cut-database', node }, () => f.cutDatabase(node));
}

export function restoreDatabase(rec: TimelineRecorder, f: CordaFaultInjector, node: string): Promise<TimelineEvent> {
  return recorded(rec, { kind: 'restore', action: 'restore-database', node }, () => f.restoreDatabase(node));
}

/** Records `start-duplicate` with the duplicate's name as `node` and the original as `of`. */
export async function startDuplicate(rec: TimelineRecorder, f: CordaFaultInjector, of: string): Promise<CordaFaultEvent> {
  const event = rec.record<CordaFaultEvent>({ kind: 'fault', action: 'start-duplicate', node: `${of}-duplicate`, of });
  event.node = await f.startDuplicate(of);
  (event as TimelineEvent).completedAt = Math.round(rec.now());
  return event;
}

export function stopDuplicate(rec: TimelineRecorder, f: CordaFaultInjector, name: string): Promise<TimelineEvent> {
  return recorded(rec, { kind: 'restore', action: 'stop-duplicate', node: name }, () => f.stopDuplicate(name));
}
