// The open-requests metric line a service instance logs (lib/core/service/metrics.ts) is what
// CloudWatch's Embedded Metric Format specification asks for: the metric named in the `_aws`
// directive, with its dimension and value as top-level members of the same object.
import { describe, expect, it } from 'vitest';
import { OPEN_REQUESTS_METRIC, openRequestsLine } from '../../../lib/core/service/metrics.ts';

describe('openRequestsLine', () => {
  it('is one EMF object: namespace, dimension Service, the count as OpenRequests', () => {
    const line = openRequestsLine('axon', 'sync', 1234, 1_700_000_000_000);
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [{ Namespace: 'axon', Dimensions: [['Service']], Metrics: [{ Name: OPEN_REQUESTS_METRIC, Unit: 'Count' }] }],
      },
      Service: 'sync',
      OpenRequests: 1234,
    });
  });
});
