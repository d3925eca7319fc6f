/**
 * Loopback listeners that forward each accepted connection to a pod port through the Kubernetes API's
 * port-forward subresource (what `kubectl port-forward` does), so the harness reaches an orderer's operations
 * and admin endpoints without NodePorts or extra Services. Each listener resolves its pod afresh when a
 * connection fails (pods are recreated after a region comes back), and every listener is closed on release.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { CoreV1Api, KubeConfig, PortForward } from '@kubernetes/client-node';

export interface ForwardTarget {
  /** how to get a KubeConfig for the cluster (re-read after a region restarts) */
  kubeConfig: () => KubeConfig;
  namespace: string;
  /** the Service in front of the pod: its selector picks the pod */
  service: string;
  port: number;
}

export interface Forward {
  /** `127.0.0.1:<port>` */
  address: string;
  port: number;
  close(): Promise<void>;
}

/** The first ready pod behind a Service's selector (or the first running one). */
export async function podBehindService(kc: KubeConfig, namespace: string, service: string): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const svc = await core.readNamespacedService({ name: service, namespace });
  const selector = Object.entries(svc.spec?.selector ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  if (!selector) throw new Error(`Service ${namespace}/${service} has no selector`);
  const pods = (await core.listNamespacedPod({ namespace, labelSelector: selector })).items ?? [];
  const ready = pods.find((p) => (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'));
  const running = pods.find((p) => p.status?.phase === 'Running');
  const pod = ready ?? running;
  if (!pod?.metadata?.name) throw new Error(`no running pod behind Service ${namespace}/${service} (selector ${selector})`);
  return pod.metadata.name;
}

export async function openForward(t: ForwardTarget, onError: (line: string) => void): Promise<Forward> {
  let cached: { pod: string; at: number } | undefined;
  const sockets = new Set<Socket>();
  const resolvePod = async (): Promise<string> => {
    if (cached && Date.now() - cached.at < 10_000) return cached.pod;
    const pod = await podBehindService(t.kubeConfig(), t.namespace, t.service);
    cached = { pod, at: Date.now() };
    return pod;
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    void (async () => {
      try {
        const pod = await resolvePod();
        const pf = new PortForward(t.kubeConfig());
        const ws = await pf.portForward(t.namespace, pod, [t.port], socket, null, socket);
        if (typeof ws !== 'function') {
          ws.on('close', () => socket.destroy());
          ws.on('error', () => socket.destroy());
          socket.on('close', () => ws.close());
        }
      } catch (err) {
        cached = undefined;
        onError(`port-forward to ${t.namespace}/${t.service}:${t.port}: ${(err as Error).message}`);
        socket.destroy();
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    address: `127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
