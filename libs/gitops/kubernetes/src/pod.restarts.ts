// Restarts of an application's containers from its pods. Kubernetes keeps only each container's last termination,
// so "recent" counts containers whose last termination ended within the window: a lower bound, enough to see a
// crash loop (a looping container always has a fresh last termination).

export const RECENT_WINDOW_MS = 10 * 60 * 1000;

export interface PodLike {
  status?: {
    containerStatuses?: Array<{
      restartCount?: number;
      lastState?: { terminated?: { finishedAt?: string } };
    }>;
  };
}

export function observedRestarts(pods: readonly PodLike[], now: Date): { total: number; recent: number } {
  let total = 0;
  let recent = 0;
  for (const pod of pods) {
    for (const container of pod.status?.containerStatuses ?? []) {
      total += container.restartCount ?? 0;
      const finishedAt = container.lastState?.terminated?.finishedAt;
      if (finishedAt && now.getTime() - Date.parse(finishedAt) <= RECENT_WINDOW_MS) recent += 1;
    }
  }
  return { total, recent };
}
