// A service instance's open requests as a CloudWatch metric (`OpenRequests`, dimension `Service`),
// the figure its auto scaling tracks: the average over the instances is the open requests per task.
// Written as an Embedded Metric Format line to the instance's log, which CloudWatch Logs turns into
// the metric: no CloudWatch client, and no `cloudwatch:PutMetricData` grant (which cannot be scoped
// to a resource) on the task role.

export const OPEN_REQUESTS_METRIC = 'OpenRequests';

/** The EMF log line that records `open` requests of `service` under `namespace` at `now`. */
export function openRequestsLine(namespace: string, service: string, open: number, now = Date.now()): string {
  return JSON.stringify({
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [['Service']], Metrics: [{ Name: OPEN_REQUESTS_METRIC, Unit: 'Count' }] }],
    },
    Service: service,
    [OPEN_REQUESTS_METRIC]: open,
  });
}
