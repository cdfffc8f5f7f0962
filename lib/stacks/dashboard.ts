// One CloudWatch dashboard an operator opens instead of reading logs: what is written (records per
// second into each depot: the rooms depot's are messages and other room events), how long a write
// takes to be answered (functions that append wait for their topology), how far each topology is
// behind its depot (the delivery delay), errors, dead-lettered records, and the WebSocket channel.
// Everything is derived from the module declaration, as the alarms are.
import { Duration } from 'aws-cdk-lib';
import { Dashboard, GraphWidget, MathExpression, TextWidget, type IMetric, type IWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Construct } from 'constructs';
import type { ModuleDecl } from '../core/module.ts';
import type { DepotStreams } from './depots.ts';
import type { ModuleFunctions } from './functions.ts';
import { functionGrants } from './grants.ts';
import type { Topologies } from './topologies.ts';
import type { ModuleWebSocketApi } from './websocket-api.ts';

const PERIOD = Duration.minutes(1);
const WIDTH = 12;
const HEIGHT = 6;

export interface ModuleDashboardProps {
  module: ModuleDecl;
  depots: DepotStreams;
  functions: ModuleFunctions;
  topologies: Topologies;
  httpApi: HttpApi;
  webSocketApi?: ModuleWebSocketApi;
}

/**
 * A metric id for math expressions, unique within the dashboard (ids must be unique within a graph
 * and start with a lower-case letter).
 */
const metricId = (() => {
  let next = 0;
  return () => `m${next++}`;
})();

/** A per-second rate of a Sum metric over its period. */
function perSecond(metric: IMetric, label: string): MathExpression {
  const id = metricId();
  return new MathExpression({ expression: `${id} / PERIOD(${id})`, usingMetrics: { [id]: metric }, label, period: PERIOD });
}

/** The sum of many metrics as one line. */
function total(metrics: IMetric[], label: string): MathExpression {
  const usingMetrics = Object.fromEntries(metrics.map((m) => [metricId(), m]));
  return new MathExpression({ expression: `SUM([${Object.keys(usingMetrics).join(',')}])`, usingMetrics, label, period: PERIOD });
}

function graph(title: string, left: IMetric[], options: { right?: IMetric[]; leftLabel?: string; rightLabel?: string; stacked?: boolean } = {}): GraphWidget {
  return new GraphWidget({
    title,
    left,
    right: options.right,
    leftYAxis: options.leftLabel ? { label: options.leftLabel, showUnits: false, min: 0 } : { min: 0 },
    rightYAxis: options.rightLabel ? { label: options.rightLabel, showUnits: false, min: 0 } : undefined,
    stacked: options.stacked,
    width: WIDTH,
    height: HEIGHT,
    period: PERIOD,
  });
}

export class ModuleDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ModuleDashboardProps) {
    super(scope, id);
    const { module, functions } = props;
    const fnMetric = (name: string, metric: string, statistic: string, label = name) =>
      functions.fn(name).metric(metric, { statistic, period: PERIOD, label });

    const writers = Object.keys(module.functions).filter((name) => functionGrants(module, name).appends.length > 0);
    const widgets: IWidget[] = [
      new TextWidget({
        markdown: [
          `# ${module.name}`,
          'Writes enter the depots (Kinesis) and are answered once their topology has materialised them; the iterator age is how far a topology is behind its depot, i.e. the delay before what was written is delivered.',
          'Alarms (iterator age, dead letters, errors) notify the alarm topic.',
        ].join('\n\n'),
        width: 24,
        height: 3,
      }),
      graph(
        'Records written per second, by depot (rooms: messages and other room events)',
        module.depots.map((d) => perSecond(props.depots.stream(d.name).metricIncomingRecords({ statistic: 'Sum', period: PERIOD }), d.name)),
        { leftLabel: 'records/s' },
      ),
      graph(
        'HTTP API: requests per second (left), latency p50 / p99 in ms (right)',
        [perSecond(props.httpApi.metricCount({ statistic: 'Sum', period: PERIOD }), 'requests/s')],
        {
          right: [
            props.httpApi.metricLatency({ statistic: 'p50', period: PERIOD, label: 'p50' }),
            props.httpApi.metricLatency({ statistic: 'p99', period: PERIOD, label: 'p99' }),
          ],
          leftLabel: 'requests/s',
          rightLabel: 'ms',
        },
      ),
      graph(
        'Write latency p99 in ms: functions that append and wait for their topology (a send is roomEvents)',
        writers.map((name) => fnMetric(name, 'Duration', 'p99')),
        { leftLabel: 'ms' },
      ),
      graph(
        'Delivery delay: how far each topology is behind its depot (iterator age, max, ms)',
        module.topologies.map((t) => fnMetric(t.function, 'IteratorAge', 'Maximum', t.name)),
        { leftLabel: 'ms' },
      ),
      graph(
        'Errors: failed invocations of all functions, HTTP 5xx, throttles',
        [
          total(Object.keys(module.functions).map((name) => fnMetric(name, 'Errors', 'Sum')), 'function errors'),
          props.httpApi.metricServerError({ statistic: 'Sum', period: PERIOD, label: 'HTTP 5xx' }),
          total(Object.keys(module.functions).map((name) => fnMetric(name, 'Throttles', 'Sum')), 'throttles'),
        ],
        { leftLabel: 'count per minute' },
      ),
      graph(
        'Dead-lettered records waiting, by topology (SQS messages visible)',
        module.topologies.flatMap((t) => {
          const queue = props.topologies.deadLetterQueues.get(t.name);
          return queue ? [queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: PERIOD, label: t.name })] : [];
        }),
        { leftLabel: 'records' },
      ),
    ];
    if (props.webSocketApi) {
      const ws = props.webSocketApi.api;
      widgets.push(
        graph('WebSocket channel: connects and client messages per minute', [
          ws.metric('ConnectCount', { statistic: 'Sum', period: PERIOD, label: 'connects' }),
          ws.metric('MessageCount', { statistic: 'Sum', period: PERIOD, label: 'messages' }),
        ]),
      );
    }
    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    // Two widgets a row (a row is 24 wide), the header alone.
    const [header, ...graphs] = widgets;
    this.dashboard.addWidgets(header!);
    for (let i = 0; i < graphs.length; i += 2) this.dashboard.addWidgets(...graphs.slice(i, i + 2));
  }
}
