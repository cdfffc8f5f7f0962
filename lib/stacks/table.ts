// The one DynamoDB table that holds every PState (single-table design: pk = `<pstate>#<key>`).
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

import { TTL_ATTRIBUTE } from '../core/table.ts';

export { TTL_ATTRIBUTE };

export interface PStateTableProps {
  /** Refuse deletes of the table and keep it when the stack goes away. */
  deletionProtection: boolean;
}

export class PStateTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: PStateTableProps) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: props.deletionProtection,
      removalPolicy: props.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  }
}
