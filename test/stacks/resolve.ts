// Resolves a synthesized template's intrinsic functions to the longest values AWS could give them,
// so that size quotas (IAM policy size, Lambda environment size) are checked on what the deployed
// stack will hold, not on `{"Fn::GetAtt": …}` placeholders. Physical names are what CloudFormation
// generates for unnamed resources (`<stack>-<logical id>-<13 random characters>`, cut to the
// service's maximum); partition, region and account are the longest there are.

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>; Parameters?: Record<string, unknown> };

/** The longest partition (aws-us-gov), a 14-character region and the longest URL suffix (China). */
export const worstCaseEnvironment = { partition: 'aws-us-gov', region: 'ap-southeast-2', account: '123456789012', urlSuffix: 'amazonaws.com.cn' };

const random = 'ABCDEFGHIJKLM';

export class TemplateResolver {
  private readonly env = worstCaseEnvironment;

  constructor(
    private readonly template: Template,
    private readonly stackName: string,
  ) {}

  private generatedName(logicalId: string, max: number, lower = false): string {
    const name = `${this.stackName}-${logicalId}-${random}`;
    const cut = name.length > max ? `${name.slice(0, max - random.length - 1)}-${random}` : name;
    return lower ? cut.toLowerCase() : cut;
  }

  private arn(service: string, resource: string, regional = true): string {
    const { partition, region, account } = this.env;
    return `arn:${partition}:${service}:${regional ? region : ''}:${regional ? account : ''}:${resource}`;
  }

  private propertyName(logicalId: string, property: string): string | undefined {
    const value = this.template.Resources[logicalId]?.Properties?.[property];
    return value === undefined ? undefined : String(this.resolve(value));
  }

  /** `Ref` of a resource: its physical id. */
  private ref(logicalId: string): string {
    const pseudo: Record<string, string> = {
      'AWS::Partition': this.env.partition,
      'AWS::Region': this.env.region,
      'AWS::AccountId': this.env.account,
      'AWS::URLSuffix': this.env.urlSuffix,
      'AWS::StackName': this.stackName,
      'AWS::StackId': this.arn('cloudformation', `stack/${this.stackName}/12345678-1234-1234-1234-123456789012`),
    };
    if (pseudo[logicalId]) return pseudo[logicalId];
    // A nested stack's parameter (a parent resource's ARN): as long as any ARN below.
    if (this.template.Parameters?.[logicalId]) return this.arn('lambda', `function:${this.generatedName(logicalId, 64)}`);
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`Ref to unknown ${logicalId}`);
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table':
        return this.propertyName(logicalId, 'TableName') ?? this.generatedName(logicalId, 255);
      case 'AWS::Kinesis::Stream':
        return this.propertyName(logicalId, 'Name') ?? this.generatedName(logicalId, 128);
      case 'AWS::Logs::LogGroup':
        return this.propertyName(logicalId, 'LogGroupName') ?? this.generatedName(logicalId, 512);
      case 'AWS::S3::Bucket':
        return this.propertyName(logicalId, 'BucketName') ?? this.generatedName(logicalId, 63, true);
      case 'AWS::SQS::Queue':
        return `https://sqs.${this.env.region}.${this.env.urlSuffix}/${this.env.account}/${this.generatedName(logicalId, 80)}`;
      case 'AWS::SNS::Topic':
        return this.arn('sns', this.generatedName(logicalId, 256));
      case 'AWS::ApiGatewayV2::Api':
        return 'abcdefghij';
      case 'AWS::ApiGatewayV2::Stage':
        return this.propertyName(logicalId, 'StageName') ?? 'stage';
      case 'AWS::KMS::Key':
        return '12345678-1234-1234-1234-123456789012';
      default:
        return this.generatedName(logicalId, 128);
    }
  }

  /** `Fn::GetAtt` of a resource. */
  private getAtt(logicalId: string, attribute: string): string {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`GetAtt of unknown ${logicalId}`);
    const ref = () => this.ref(logicalId);
    const key: Record<string, () => string> = {
      'AWS::DynamoDB::Table.Arn': () => this.arn('dynamodb', `table/${ref()}`),
      'AWS::Kinesis::Stream.Arn': () => this.arn('kinesis', `stream/${ref()}`),
      'AWS::Logs::LogGroup.Arn': () => this.arn('logs', `log-group:${ref()}:*`),
      'AWS::S3::Bucket.Arn': () => this.arn('s3', ref(), false),
      'AWS::SQS::Queue.Arn': () => this.arn('sqs', this.generatedName(logicalId, 80)),
      'AWS::SQS::Queue.QueueName': () => this.generatedName(logicalId, 80),
      'AWS::IAM::Role.Arn': () => `arn:${this.env.partition}:iam::${this.env.account}:role/${this.generatedName(logicalId, 64)}`,
      'AWS::Lambda::Function.Arn': () => this.arn('lambda', `function:${this.generatedName(logicalId, 64)}`),
      'AWS::KMS::Key.Arn': () => this.arn('kms', `key/${ref()}`),
      'AWS::SNS::Topic.TopicName': () => this.generatedName(logicalId, 256),
      'AWS::ApiGatewayV2::Api.ApiEndpoint': () => `wss://${ref()}.execute-api.${this.env.region}.${this.env.urlSuffix}`,
    };
    const found = key[`${resource.Type}.${attribute}`];
    // Unknown attributes: as long as the longest ARN above, so sizes are not underestimated.
    return found ? found() : this.arn('unknown', `${attribute}/${this.generatedName(logicalId, 128)}`);
  }

  /** A template value with every intrinsic function replaced by its resolved string. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0]!;
      switch (fn) {
        case 'Ref':
          return this.ref(arg as string);
        case 'Fn::GetAtt': {
          const [id, attribute] = Array.isArray(arg) ? (arg as string[]) : (arg as string).split('.');
          return this.getAtt(id!, attribute!);
        }
        case 'Fn::Join': {
          const [separator, parts] = arg as [string, unknown[]];
          return (this.resolve(parts) as unknown[]).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [number | string, unknown];
          return (this.resolve(list) as unknown[])[Number(index)];
        }
        case 'Fn::Split': {
          const [separator, source] = arg as [string, unknown];
          return String(this.resolve(source)).split(separator);
        }
        case 'Fn::Sub': {
          const [text, vars] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, unknown>];
          return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
            if (name in vars) return String(this.resolve(vars[name]));
            const [id, attribute] = name.split('.');
            return attribute ? this.getAtt(id!, attribute) : this.ref(id!);
          });
        }
        default:
          if (fn.startsWith('Fn::')) throw new Error(`intrinsic ${fn} is not resolved by the test resolver`);
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v)]));
  }
}
