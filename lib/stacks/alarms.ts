// CloudWatch alarms that say a topology is falling behind, a poison record was dead-lettered, or a
// function failed; all of them notify one encrypted SNS topic.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { ModuleDecl } from '../core/module.ts';
import type { ModuleFunctions } from './functions.ts';
import type { Topologies } from './topologies.ts';

/** How far behind the head of its depot a topology may be before someone should look. */
export const ITERATOR_AGE_THRESHOLD = Duration.seconds(60);

export interface ModuleAlarmsProps {
  module: ModuleDecl;
  functions: ModuleFunctions;
  topologies: Topologies;
  alarmEmail?: string;
  /** Keep the topic's key when the stack goes away (otherwise it is scheduled for deletion). */
  retain: boolean;
}

export class ModuleAlarms extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: ModuleAlarmsProps) {
    super(scope, id);
    // A customer-managed key: CloudWatch must be allowed to encrypt with it, which the AWS-managed
    // SNS key's policy cannot grant.
    const key = new Key(this, 'TopicKey', {
      description: `Encrypts the alarm topic of ${props.module.name}`,
      enableKeyRotation: true,
      removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.topic = new Topic(this, 'Topic', { masterKey: key, enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    for (const topology of props.module.topologies) {
      const fn = props.functions.fn(topology.function);
      this.alarm(`${topology.name}IteratorAge`, {
        description: `Topology ${topology.name} is more than ${ITERATOR_AGE_THRESHOLD.toSeconds()} s behind depot ${topology.depot}`,
        metric: fn.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
        threshold: ITERATOR_AGE_THRESHOLD.toMilliseconds(),
      });
      const queue = props.topologies.deadLetterQueues.get(topology.name);
      if (queue) {
        this.alarm(`${topology.name}DeadLetters`, {
          description: `Topology ${topology.name} dead-lettered records it could not process`,
          metric: queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(1) }),
          threshold: 0,
        });
      }
    }
    for (const [name, fn] of props.functions.functions) {
      this.alarm(`${name}Errors`, {
        description: `Function ${name} failed`,
        metric: fn.metricErrors({ statistic: 'Sum', period: Duration.minutes(1) }),
        threshold: 0,
      });
    }
  }

  private alarm(id: string, props: { description: string; metric: IMetric; threshold: number }): void {
    const alarm = new Alarm(this, id, {
      alarmDescription: props.description,
      metric: props.metric,
      threshold: props.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}
