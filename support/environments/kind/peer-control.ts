/**
 * Stopping one peer on a KIND cluster the run owns, and reading a gateway Service's own view of it (FAB-GW-04);
 * restarting one ordering node (FAB-ORD-12):
 *
 * - stop / start: the peer's Deployment scaled to 0 / 1 through its `scale` subresource (the pod gets SIGTERM and
 *   its grace period, as a rolling restart or a node drain would give it). Only ever done on the run's own
 *   disposable clusters;
 * - restart: the pod behind an ordering node's Service deleted (SIGTERM and its grace period); its StatefulSet
 *   starts it again with the same claim, as after a node failure or an eviction;
 * - view: the Service's EndpointSlices (`kubernetes.io/service-name=<service>`): `UP` when an endpoint whose pod
 *   belongs to the peer is ready, `DOWN` when it is listed but not ready, `DOWN (not an endpoint)` when kube-proxy
 *   no longer routes to it at all.
 */
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, type KubeConfig } from '@kubernetes/client-node';
import { podBehindService } from './port-forward.ts';

export async function scaleDeployment(kc: KubeConfig, namespace: string, name: string, replicas: number): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  await apps.replaceNamespacedDeploymentScale({
    name,
    namespace,
    body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name, namespace }, spec: { replicas } },
  });
}

/** Delete the pod behind a Service (its controller starts a new one); returns the pod's name. */
export async function deletePodBehind(kc: KubeConfig, namespace: string, service: string): Promise<string> {
  const pod = await podBehindService(kc, namespace, service);
  await kc.makeApiClient(CoreV1Api).deleteNamespacedPod({ name: pod, namespace });
  return pod;
}

/** Whether a pod name is one of this Deployment's (`<deployment>-<replicaset hash>-<suffix>`). */
export function podOfDeployment(pod: string, deployment: string): boolean {
  return new RegExp(`^${deployment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[a-z0-9]+-[a-z0-9]+$`).test(pod);
}

export async function endpointView(kc: KubeConfig, namespace: string, service: string, peer: string): Promise<string> {
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const slices = await discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${service}` });
  const endpoints = (slices.items ?? [])
    // the label selector, again: not every server (or stand-in) filters
    .filter((s) => s.metadata?.labels?.['kubernetes.io/service-name'] === service)
    .flatMap((s) => s.endpoints ?? [])
    .filter((e) => e.targetRef?.kind === 'Pod' && e.targetRef.name && podOfDeployment(e.targetRef.name, peer));
  if (!endpoints.length) return 'DOWN (not an endpoint)';
  return endpoints.some((e) => e.conditions?.ready !== false) ? 'UP' : 'DOWN';
}
